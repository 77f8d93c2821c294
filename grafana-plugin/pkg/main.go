// Command gpx_agent_datasource is the kwarden datasource's backend,
// which Grafana starts as a plugin process.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/plugin"
)

func main() {
	// Manage serves Grafana's gRPC protocol until Grafana stops the
	// process, making a Datasource per configured datasource.
	if err := datasource.Manage("kwarden-agent-datasource", plugin.NewDatasource, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error(err.Error())
		os.Exit(1)
	}
}
