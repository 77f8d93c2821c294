package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// The panel shapes the dashboards share, on Grafana's 24-column grid.

// statPanel is one figure's last value, per agent.
func statPanel(title, unit string, q models.Query) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Title(title).Datasource(Datasource()).Unit(unit).Height(5).Span(8).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		GraphMode(common.BigValueGraphModeArea).
		WithTarget(Q("A", q))
}

// seriesPanel is figures over time.
func seriesPanel(title, unit string, w uint32, qs ...models.Query) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().Title(title).Datasource(Datasource()).Unit(unit).Height(9).Span(w).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
	for i, q := range qs {
		p.WithTarget(Q(string(rune('A'+i)), q))
	}
	return p
}

// barsPanel is counts over time, as bars.
func barsPanel(title string, w uint32, q models.Query) *timeseries.PanelBuilder {
	return seriesPanel(title, "none", w, q).DrawStyle(common.GraphDrawStyleBars).FillOpacity(80)
}

// tablePanel is rows.
func tablePanel(title string, w, h uint32, q models.Query) *table.PanelBuilder {
	return table.NewPanelBuilder().Title(title).Datasource(Datasource()).Height(h).Span(w).
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{})). // the model requires a reducer list
		WithTarget(Q("A", q))
}

// killAnnotations marks the policy's decisions on every time panel.
func killAnnotations() *dashboard.AnnotationQueryBuilder {
	return dashboard.NewAnnotationQueryBuilder().Name("kills and decisions").Datasource(Datasource()).
		Enable(true).IconColor("red").
		Target(Q("Anno", models.Query{QueryType: models.QueryEvents, View: "annotations", EventKind: "policy.decision"}))
}

// base is what every kwarden dashboard has: its uid, tags, a range of
// the last 30 minutes refreshed every 10 s, and the kills annotated.
func base(uid, title, description string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).Uid(uid).Description(description).
		Tags([]string{"kwarden"}).Editable().Time("now-30m", "now").Refresh("10s").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).Annotation(killAnnotations())
}
