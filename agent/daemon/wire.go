package daemon

import (
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/internal/crosscheck"
)

// wireCrossCheck is a comparison as the API carries it. crosscheck keeps
// types of its own (with the process keys it matches by), so that the
// wire package needs nothing of the engine.
func wireCrossCheck(r *crosscheck.Result) *apiv1.CrossCheck {
	absences := func(as []crosscheck.Absence) []apiv1.Absence {
		out := make([]apiv1.Absence, len(as))
		for i, a := range as {
			out[i] = apiv1.Absence{PID: a.PID, StartTimeNs: a.StartTimeNs, Comm: a.Comm, State: a.State, OnlyIn: a.OnlyIn, Reason: a.Reason}
		}
		return out
	}
	c := &apiv1.CrossCheck{A: r.A, B: r.B, AStartNs: r.AStartNs, AEndNs: r.AEndNs, BStartNs: r.BStartNs, BEndNs: r.BEndNs,
		Order: r.Order, SpanNs: r.SpanNs, CPUs: r.CPUs, RSSSlackBytes: r.RSSSlackBytes,
		Tolerance: apiv1.Tolerance{TickNs: r.Tolerance.TickNs, IdleGrowthBytes: r.Tolerance.IdleGrowthBytes},
		InA:       r.InA, InB: r.InB, Matched: r.Matched, FieldsCompared: r.FieldsCompared,
		Churn: absences(r.Churn), Missing: absences(r.Missing),
		Drift: make([]apiv1.Drift, len(r.Drift)), Duplicates: make([]apiv1.Duplicate, len(r.Duplicates))}
	for i, d := range r.Drift {
		c.Drift[i] = apiv1.Drift{PID: d.PID, StartTimeNs: d.StartTimeNs, Comm: d.Comm, Field: d.Field, A: d.A, B: d.B, Rule: d.Rule}
	}
	for i, d := range r.Duplicates {
		c.Duplicates[i] = apiv1.Duplicate{PID: d.PID, StartTimeNs: d.StartTimeNs, Comm: d.Comm, View: d.View, Records: d.Records}
	}
	return c
}
