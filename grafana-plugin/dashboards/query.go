package dashboards

import (
	"encoding/json"
	"reflect"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// PluginID is the datasource plugin the dashboards query.
const PluginID = "kwarden-agent-datasource"

// DatasourceUID is the provisioned datasource's uid
// (provisioning/datasources/kwarden.yaml).
const DatasourceUID = "kwarden"

// Datasource is the reference every panel and target carries.
func Datasource() common.DataSourceRef {
	t, u := PluginID, DatasourceUID
	return common.DataSourceRef{Type: &t, Uid: &u}
}

// Query is a panel target of the kwarden datasource: the plugin's query
// model with Grafana's refId, datasource and hide beside it. It is the
// foundation SDK's Dataquery variant for this plugin.
type Query struct {
	RefID string
	Model models.Query
}

var _ variants.Dataquery = Query{}

// ImplementsDataqueryVariant marks Query as a target.
func (Query) ImplementsDataqueryVariant() {}

// DataqueryType is the plugin's id.
func (Query) DataqueryType() string { return PluginID }

// Validate checks the query as the plugin will (pkg/models.ParseQuery).
func (q Query) Validate() error {
	b, err := json.Marshal(q.Model)
	if err != nil {
		return err
	}
	_, err = models.ParseQuery(q.Model.QueryType, b)
	return err
}

// Equals compares two targets.
func (q Query) Equals(other variants.Dataquery) bool {
	o, ok := other.(Query)
	return ok && reflect.DeepEqual(q, o)
}

// MarshalJSON writes the target as Grafana stores it: the model's
// fields, with refId and datasource.
func (q Query) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(q.Model)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["refId"] = q.RefID
	m["datasource"] = Datasource()
	return json.Marshal(m)
}

// target is a Query as a builder for the SDK's panels.
type target Query

func (t target) Build() (variants.Dataquery, error) {
	q := Query(t)
	return q, q.Validate()
}

// Q makes a target of refID for the panel builders.
func Q(refID string, m models.Query) target { return target{RefID: refID, Model: m} }

// UnmarshalJSON reads a target as Grafana stores it.
func (q *Query) UnmarshalJSON(raw []byte) error {
	var head struct {
		RefID string `json:"refId"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return err
	}
	m, err := models.ParseQuery("", raw)
	if err != nil {
		return err
	}
	*q = Query{RefID: head.RefID, Model: m}
	return nil
}

// Register tells the foundation SDK's runtime how to read this plugin's
// targets, so that a dashboard's JSON reads back into its model with
// them checked as the plugin checks them.
func Register() {
	read := func(raw []byte) (variants.Dataquery, error) {
		var q Query
		err := json.Unmarshal(raw, &q)
		return q, err
	}
	cog.NewRuntime().RegisterDataqueryVariant(variants.DataqueryConfig{Identifier: PluginID,
		DataqueryUnmarshaler: read, StrictDataqueryUnmarshaler: read})
}
