package plugin

import (
	"context"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// queryCrossCheck answers the kernel cross-check dashboard: agreement
// over time (the discrepancies of each point, and 1 where there were
// none; the processes hidden from /proc beside them), the discrepancies
// of the range as rows (the crosscheck.* events), the last comparison
// in figures (summary), or the processes hidden from /proc now, with
// their evidence (hidden).
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
	case "hidden":
		return hiddenNow(ctx, a)
	}
	ans, err := a.c.System(ctx, s.rng())
	if err != nil {
		return nil, err
	}
	times := make([]time.Time, len(ans.Points))
	disc, agree, hidden := make([]float64, len(ans.Points)), make([]float64, len(ans.Points)), make([]float64, len(ans.Points))
	for i, p := range ans.Points {
		times[i], disc[i], hidden[i] = p.Time, float64(p.Discrepancies), float64(p.Hidden)
		if p.Discrepancies == 0 {
			agree[i] = 1
		}
	}
	return data.Frames{seriesFrame("crosscheck", times, numberField("discrepancies", agentLabels(a), disc),
		numberField("agreement", agentLabels(a), agree), numberField("hidden", agentLabels(a), hidden))}, nil
}

// hiddenNow is the processes the agent's third view finds hidden from
// /proc at its last check, a row each, with the evidence.
func hiddenNow(ctx context.Context, a *agent) (data.Frames, error) {
	ans, err := a.c.CrossCheck(ctx)
	if err != nil {
		return nil, err
	}
	var hs []apiv1.Hidden
	if ans.ProcView != nil {
		hs = ans.ProcView.Hidden
	}
	n := len(hs)
	agents, pids, comms, seen, listed, since, reasons :=
		make([]string, n), make([]int64, n), make([]string, n), make([]string, n), make([]bool, n), make([]time.Time, n), make([]string, n)
	for i, h := range hs {
		agents[i], pids[i], comms[i], seen[i] = a.name, int64(h.PID), h.Comm, strings.Join(h.SeenBy, ",")
		listed[i], since[i], reasons[i] = h.Listed, h.Since, h.Reason
	}
	return data.Frames{tableFrame("hidden", a, data.NewField("agent", nil, agents), data.NewField("pid", nil, pids),
		data.NewField("comm", nil, comms), data.NewField("seen_by", nil, seen), data.NewField("listed", nil, listed),
		data.NewField("since", nil, since), data.NewField("evidence", nil, reasons))}, nil
}

// crossCheckSummary is the last comparison as one row: whether it ran,
// why not, and its counts.
func crossCheckSummary(ctx context.Context, a *agent) (data.Frames, error) {
	ans, err := a.c.CrossCheck(ctx)
	if err != nil {
		return nil, err
	}
	var inA, inB, matched, fields, churn, missing, drift, dups, hidden int64
	if r := ans.Result; r != nil {
		inA, inB, matched, fields = int64(r.InA), int64(r.InB), int64(r.Matched), int64(r.FieldsCompared)
		churn, missing, drift, dups = int64(len(r.Churn)), int64(len(r.Missing)), int64(len(r.Drift)), int64(len(r.Duplicates))
	}
	if pv := ans.ProcView; pv != nil {
		hidden = int64(len(pv.Hidden))
	}
	one := func(name string, v int64) *data.Field { return data.NewField(name, nil, []int64{v}) }
	return data.Frames{tableFrame("crosscheck summary", a,
		data.NewField("agent", nil, []string{a.name}), data.NewField("time", nil, []time.Time{ans.Time}),
		data.NewField("available", nil, []bool{ans.Available}), data.NewField("reason", nil, []string{ans.Reason}),
		one("in_kmod", inA), one("in_ebpf", inB), one("matched", matched), one("fields_compared", fields),
		one("churn", churn), one("missing", missing), one("drift", drift), one("duplicates", dups), one("hidden", hidden))}, nil
}
