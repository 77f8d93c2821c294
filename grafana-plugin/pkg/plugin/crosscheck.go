package plugin

import (
	"context"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// queryCrossCheck answers the kernel cross-check dashboard: agreement
// over time (the discrepancies of each point, and 1 where there were
// none), the discrepancies of the range as rows (the crosscheck.*
// events), or the last comparison in figures (summary).
func queryCrossCheck(ctx context.Context, a *agent, s span, q models.Query) (data.Frames, error) {
	switch q.View {
	case "discrepancies":
		evs, more, err := readEvents(ctx, a, s, "crosscheck.", q.Limit)
		if err != nil {
			return nil, err
		}
		f := eventsTable(a, evs)
		f.Name = "discrepancies " + a.name
		if more {
			truncated(f, q.Limit)
		}
		return data.Frames{f}, nil
	case "summary":
		return crossCheckSummary(ctx, a)
	}
	ans, err := a.c.System(ctx, s.rng())
	if err != nil {
		return nil, err
	}
	times := make([]time.Time, len(ans.Points))
	disc, agree := make([]float64, len(ans.Points)), make([]float64, len(ans.Points))
	for i, p := range ans.Points {
		times[i], disc[i] = p.Time, float64(p.Discrepancies)
		if p.Discrepancies == 0 {
			agree[i] = 1
		}
	}
	return data.Frames{seriesFrame("crosscheck", times, numberField("discrepancies", agentLabels(a), disc),
		numberField("agreement", agentLabels(a), agree))}, nil
}

// crossCheckSummary is the last comparison as one row: whether it ran,
// why not, and its counts.
func crossCheckSummary(ctx context.Context, a *agent) (data.Frames, error) {
	ans, err := a.c.CrossCheck(ctx)
	if err != nil {
		return nil, err
	}
	var inA, inB, matched, fields, churn, missing, drift, dups int64
	if r := ans.Result; r != nil {
		inA, inB, matched, fields = int64(r.InA), int64(r.InB), int64(r.Matched), int64(r.FieldsCompared)
		churn, missing, drift, dups = int64(len(r.Churn)), int64(len(r.Missing)), int64(len(r.Drift)), int64(len(r.Duplicates))
	}
	one := func(name string, v int64) *data.Field { return data.NewField(name, nil, []int64{v}) }
	return data.Frames{tableFrame("crosscheck summary", a,
		data.NewField("agent", nil, []string{a.name}), data.NewField("time", nil, []time.Time{ans.Time}),
		data.NewField("available", nil, []bool{ans.Available}), data.NewField("reason", nil, []string{ans.Reason}),
		one("in_kmod", inA), one("in_ebpf", inB), one("matched", matched), one("fields_compared", fields),
		one("churn", churn), one("missing", missing), one("drift", drift), one("duplicates", dups))}, nil
}
