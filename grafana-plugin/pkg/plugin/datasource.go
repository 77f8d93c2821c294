package plugin

import (
	"context"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// The SDK interfaces the datasource serves, checked at compile time.
var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ backend.StreamHandler         = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// Datasource is one configured kwarden datasource: its agents and the
// query router. Grafana makes one per datasource and settings version,
// and disposes of it when the settings change. It is safe for
// concurrent use: queries, health checks, resource calls and streams
// run at once.
type Datasource struct {
	settings *models.Settings
	agents   *agentSet
	mux      *datasource.QueryTypeMux
}

// NewDatasource makes a datasource from Grafana's settings.
func NewDatasource(_ context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	settings, err := models.LoadSettings(s)
	if err != nil {
		return nil, err
	}
	agents, err := newAgentSet(settings)
	if err != nil {
		return nil, fmt.Errorf("datasource %s: %w", s.Name, err)
	}
	d := &Datasource{settings: settings, agents: agents, mux: datasource.NewQueryTypeMux()}
	for _, t := range models.QueryTypes {
		d.mux.Handle(t, d.handler())
	}
	// A query without Grafana's queryType (its JSON may name one), or of
	// a type this version does not know, is answered in band too.
	d.mux.Handle("", d.handler())
	return d, nil
}

// queryFuncs answer each query type for one agent.
var queryFuncs = map[string]agentFrames{
	models.QuerySystem:     querySystem,
	models.QueryContainers: queryContainers,
	models.QueryTop:        queryTop,
	models.QueryProcesses:  queryProcesses,
	models.QueryEvents:     queryEvents,
	models.QueryCrossCheck: queryCrossCheck,
	models.QueryPolicy:     queryPolicy,
}

// Dispose closes the agents' idle connections when Grafana replaces the
// datasource (its settings changed) or removes it.
func (d *Datasource) Dispose() { d.agents.close() }

// QueryData answers a request's queries, each under its RefID.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	return d.mux.QueryData(ctx, req)
}
