package plugin

import (
	"context"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// queryPolicy answers the policy dashboard: the active policy (view
// active) or the policy events of the range (history: every decision
// with its outcome, and the swaps, crashes and restarts).
func queryPolicy(ctx context.Context, a *agent, s span, q models.Query) (data.Frames, error) {
	if q.View == "history" {
		evs, more, err := readEvents(ctx, a, s, "policy.", q.Limit)
		if err != nil {
			return nil, err
		}
		f := policyHistory(a, evs)
		if more {
			truncated(f, q.Limit)
		}
		return data.Frames{f}, nil
	}
	ans, err := a.c.Policy(ctx)
	if err != nil {
		return nil, err
	}
	st := ans.Active
	if st == nil {
		st = &apiv1.PolicyStatus{}
	}
	var started *time.Time
	if !st.Started.IsZero() {
		started = &st.Started
	}
	return data.Frames{tableFrame("policy", a,
		data.NewField("agent", nil, []string{a.name}), data.NewField("enabled", nil, []bool{ans.Enabled}),
		data.NewField("dry_run", nil, []bool{ans.DryRun}), data.NewField("policy", nil, []string{st.Name}),
		data.NewField("version", nil, []string{st.Version}), data.NewField("healthy", nil, []bool{st.Healthy}),
		data.NewField("restarts", nil, []int64{int64(st.Restarts)}), data.NewField("started", nil, []*time.Time{started}),
		data.NewField("sha256", nil, []string{st.SHA256}), data.NewField("config", nil, []string{string(st.Config)}),
		data.NewField("last_error", nil, []string{st.LastError}), data.NewField("decisions_recent", nil, []int64{int64(len(ans.Recent))}))}, nil
}

// policyHistory is the policy events as rows, the decisions' figures
// in columns of their own.
func policyHistory(a *agent, evs []apiv1.Event) *data.Frame {
	n := len(evs)
	times := make([]time.Time, n)
	cols := map[string][]string{}
	names := []string{"agent", "kind", "policy", "container", "action", "outcome", "reason", "why", "message"}
	for _, c := range names {
		cols[c] = make([]string, n)
	}
	for i, e := range evs {
		times[i] = e.Time
		cols["agent"][i], cols["kind"][i], cols["message"][i] = a.name, e.Kind, e.Message
		cols["policy"][i], cols["action"][i], cols["outcome"][i] = e.Data["policy"], e.Data["action"], e.Data["outcome"]
		cols["reason"][i], cols["why"][i] = e.Data["reason"], e.Data["why"]
		cols["container"][i] = e.Data["name"]
		if cols["container"][i] == "" {
			cols["container"][i] = shortID(e.ContainerID)
		}
	}
	fields := []*data.Field{data.NewField("time", nil, times)}
	for _, c := range names {
		fields = append(fields, data.NewField(c, nil, cols[c]))
	}
	return tableFrame("policy history", a, fields...)
}
