package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/kwarden/kwarden/agent/apiv1"
)

// CheckHealth asks every agent whether it ticks (its health, which
// needs no token) and whether it takes the token (its cross-check,
// which does and costs the agent nothing). The message has a line per
// agent; the status is an error when any agent is unreachable or
// refuses the token.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	rs := each(ctx, d.agents.agents, func(ctx context.Context, a *agent) (string, error) {
		h, err := a.c.Health(ctx)
		if err != nil {
			return "", agentError(a, err)
		}
		if _, err := a.c.CrossCheck(ctx); err != nil {
			return "", agentError(a, err)
		}
		return healthLine(a, h), nil
	})
	var lines []string
	failed := 0
	for _, r := range rs {
		if r.err != nil {
			failed++
			lines = append(lines, r.err.Error())
			continue
		}
		lines = append(lines, r.val)
	}
	res := &backend.CheckHealthResult{Status: backend.HealthStatusOk}
	switch {
	case failed == 0:
		res.Message = fmt.Sprintf("%d of %d agents answer. %s", len(rs), len(rs), strings.Join(lines, " "))
	default:
		res.Status = backend.HealthStatusError
		res.Message = fmt.Sprintf("%d of %d agents failed. %s", failed, len(rs), strings.Join(lines, " "))
	}
	return res, nil
}

// healthLine says in a sentence how an agent is: reachable, its
// version, its state and the sources that are not ok.
func healthLine(a *agent, h apiv1.Health) string {
	version := h.Version
	if version == "" {
		version = "an unknown version"
	}
	s := fmt.Sprintf("Agent %s (%s): kwardend %s, %s at tick %d, token accepted", a.name, a.url, version, h.Status, h.Tick)
	var bad []string
	for _, src := range h.Sources {
		if src.State != apiv1.SourceOK {
			bad = append(bad, src.Name+" "+src.State)
		}
	}
	if len(bad) > 0 {
		s += " (" + strings.Join(bad, ", ") + ")"
	}
	if !h.Docker {
		s += ", Docker unreachable"
	}
	return s + "."
}
