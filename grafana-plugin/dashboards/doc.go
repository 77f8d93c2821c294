// Package dashboards writes the plugin's provisioned dashboards as code,
// with Grafana's foundation SDK (its dashboard model and panel
// builders): the course's container and system dashboards (8 panels
// each), the kernel cross-check dashboard, and the policy and kills
// dashboard. Every panel queries the kwarden datasource with a query of
// pkg/models.
//
// The JSON under ../provisioning/dashboards/kwarden is this package's output:
// go test ./dashboards -update writes it, and the test fails when the
// committed files differ from the code or a panel's query does not
// parse.
package dashboards
