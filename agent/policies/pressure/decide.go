package pressure

import (
	"context"
	"fmt"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
)

// Decide asks for the first Victims of the ranking to go when the
// configured memory PSI figure is above the threshold and no cooldown
// is running; otherwise, and when the snapshot has no PSI, it decides
// nothing. It fails only for a figure Validate refuses.
func (p *Policy) Decide(_ context.Context, s *policy.Snapshot) ([]policy.Decision, error) {
	if s.System.Pressure == nil {
		return nil, nil
	}
	f, ok := figureNamed(p.Figure)
	if !ok {
		return nil, fmt.Errorf("figure %q: not a memory PSI figure", p.Figure)
	}
	stall := f.value(&s.System.Pressure.Memory, p.last, s.Time)
	if s.Trigger != policy.TriggerDryRun && s.Trigger != policy.TriggerReplay {
		p.last = &reading{at: s.Time, memory: s.System.Pressure.Memory}
	}
	if !(stall > p.ThresholdPercent) { // a NaN figure is no pressure either
		return nil, nil
	}
	if !p.lastDecided.IsZero() && !s.Time.Before(p.lastDecided) && s.Time.Sub(p.lastDecided) < time.Duration(p.Cooldown) {
		return nil, nil
	}
	ranked := p.rank(s.Containers)
	if len(ranked) > p.Victims {
		ranked = ranked[:p.Victims]
	}
	var out []policy.Decision
	for _, c := range ranked {
		out = append(out, policy.Decision{ContainerID: c.c.ID, Action: p.Action,
			Reason: fmt.Sprintf("memory PSI %s %.1f %% above %g %%; %s", p.Figure, stall, p.ThresholdPercent, c.why)})
	}
	if len(out) > 0 && s.Trigger != policy.TriggerDryRun && s.Trigger != policy.TriggerReplay {
		p.lastDecided = s.Time
	}
	return out, nil
}
