package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// sys is a system query of some figures.
func sys(fields ...string) models.Query {
	return models.Query{QueryType: models.QuerySystem, Fields: fields}
}

// Containers is the course's container dashboard, 8 panels: total, free
// and used RAM; RAM use over time per container; containers deleted
// over time; the top 5 containers by RAM and by CPU over the range,
// removed ones included; and (the free panel) what the policy did.
func Containers() *dashboard.DashboardBuilder {
	return base("kwarden-containers", "kwarden: containers",
		"The course's container dashboard: memory, every container's RAM over time, the deletions, and the top 5 by RAM and by CPU, removed containers included.").
		WithPanel(statPanel("Total RAM", "bytes", sys("mem_total_bytes"))).
		WithPanel(statPanel("Free RAM", "bytes", sys("mem_free_bytes"))).
		WithPanel(statPanel("Used RAM", "bytes", sys("mem_used_bytes"))).
		WithPanel(seriesPanel("RAM use over time, per container", "bytes", 12,
			models.Query{QueryType: models.QueryContainers, Fields: []string{"rss_bytes"}, IncludeRemoved: true, Limit: 50})).
		WithPanel(barsPanel("Containers deleted over time", 12, models.Query{QueryType: models.QueryContainers, View: "removed"})).
		WithPanel(seriesPanel("Top 5 containers by RAM (removed ones included)", "bytes", 12,
			models.Query{QueryType: models.QueryTop, By: "rss_bytes", Limit: 5})).
		WithPanel(seriesPanel("Top 5 containers by CPU (removed ones included)", "percent", 12,
			models.Query{QueryType: models.QueryTop, By: "cpu_percent", Limit: 5})).
		WithPanel(tablePanel("What the policy killed, and why", 24, 8,
			models.Query{QueryType: models.QueryPolicy, View: "history"}))
}

// System is the course's system dashboard, the same layout for all
// processes: total, free and used RAM; RAM use over time; processes
// counted over time (in place of the deletions); the top 5 processes
// by RAM; CPU over time; and (the free panel) the running containers
// over time.
func System() *dashboard.DashboardBuilder {
	return base("kwarden-system", "kwarden: system",
		"The course's system dashboard: the machine's memory and CPU, the processes counted over time, and the top processes.").
		WithPanel(statPanel("Total RAM", "bytes", sys("mem_total_bytes"))).
		WithPanel(statPanel("Free RAM", "bytes", sys("mem_free_bytes"))).
		WithPanel(statPanel("Used RAM", "bytes", sys("mem_used_bytes"))).
		WithPanel(seriesPanel("RAM use over time", "bytes", 12, sys("mem_used_bytes", "mem_free_bytes", "mem_available_bytes"))).
		WithPanel(seriesPanel("Processes counted over time", "none", 12, models.Query{QueryType: models.QueryProcesses})).
		WithPanel(tablePanel("Top 5 processes by RAM", 12, 9, models.Query{QueryType: models.QueryProcesses, View: "top", Limit: 5})).
		WithPanel(seriesPanel("CPU use over time", "percent", 12, sys("cpu_percent"))).
		WithPanel(seriesPanel("Running containers over time", "none", 24, sys("containers")))
}
