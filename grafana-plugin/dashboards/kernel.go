package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// CrossCheck is the kernel cross-check dashboard: whether the module's
// and eBPF's views agree over time, the last comparison's counts, the
// processes hidden from /proc, and every discrepancy of the range.
func CrossCheck() *dashboard.DashboardBuilder {
	return base("kwarden-crosscheck", "kwarden: kernel cross-check",
		"The kernel module's view against eBPF's, process by process, and both against /proc: agreement over time, the last comparison, the processes hidden from /proc and the discrepancies (docs/crosscheck.md).").
		WithPanel(seriesPanel("Agreement and discrepancies over time", "none", 24,
			models.Query{QueryType: models.QueryCrossCheck})).
		WithPanel(tablePanel("The last comparison", 24, 5, models.Query{QueryType: models.QueryCrossCheck, View: "summary"})).
		WithPanel(tablePanel("Processes hidden from /proc (the third view)", 24, 6,
			models.Query{QueryType: models.QueryCrossCheck, View: "hidden"})).
		WithPanel(tablePanel("Discrepancies: missing processes, drift, duplicates, hidden and shown again", 24, 10,
			models.Query{QueryType: models.QueryCrossCheck, View: "discrepancies"})).
		WithPanel(seriesPanel("Processes each tick", "none", 24, sys("processes")))
}

// Policy is the policy and kills dashboard: the active policy, the kills
// over time, every decision with its outcome, and the agents' other
// events.
func Policy() *dashboard.DashboardBuilder {
	return base("kwarden-policy", "kwarden: policy and kills",
		"The kill policy of each agent, what it decided and what came of it (docs/policies.md).").
		WithPanel(tablePanel("Active policy", 24, 5, models.Query{QueryType: models.QueryPolicy})).
		WithPanel(barsPanel("Containers removed over time", 24, models.Query{QueryType: models.QueryContainers, View: "removed"})).
		WithPanel(tablePanel("Decisions and outcomes", 24, 10, models.Query{QueryType: models.QueryPolicy, View: "history"})).
		WithPanel(tablePanel("Every event", 24, 10, models.Query{QueryType: models.QueryEvents}))
}
