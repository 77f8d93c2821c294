package threshold

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/policies/internal/reason"
	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/internal/duration"
)

// round is what every timer of one round is observed with.
type round struct {
	now               time.Time
	grace, transition time.Duration
}

// limit is one per-container limit that is on.
type limit struct {
	sig   signal
	what  string
	limit float64
	value func(*policy.Container) float64
	// format writes a figure of the signal; unit names what an
	// overshoot is counted in.
	format func(float64) string
	unit   func(float64) string
}

func percent(v float64) string { return fmt.Sprintf("%.1f %%", v) }
func points(v float64) string  { return fmt.Sprintf("%.1f points", v) }

// limits are the per-container limits the configuration turns on.
func (p *Policy) limits() []limit {
	var out []limit
	if p.CPUPercent > 0 {
		out = append(out, limit{signalCPU, "CPU", p.CPUPercent,
			func(c *policy.Container) float64 { return c.CPUPercent }, percent, points})
	}
	if p.WorkingSetBytes > 0 {
		out = append(out, limit{signalWorkingSet, "working set", float64(p.WorkingSetBytes),
			func(c *policy.Container) float64 { return float64(c.WorkingSetBytes) }, reason.Bytes, reason.Bytes})
	}
	if p.RAMPercent > 0 {
		out = append(out, limit{signalRAM, "RAM", p.RAMPercent,
			func(c *policy.Container) float64 { return c.RAMPercent }, percent, points})
	}
	return out
}

// Decide observes every limit's signal at the snapshot's Time and asks
// for each container that has been above a limit for the grace period
// to be acted on, the one furthest above its limit (as a multiple of
// it) first; then, if the machine has been above its memory limit for
// the grace period, for the largest remaining containers until the
// projected use is below the limit less the minimum reclaim.
//
// Rounds triggered as a dry run or a replay see the timers but do not
// change them. Decide never fails.
func (p *Policy) Decide(_ context.Context, s *policy.Snapshot) ([]policy.Decision, error) {
	if p.state == nil || p.state.owner != p {
		p.state = newState(p)
	}
	st := p.state
	if s.Trigger == policy.TriggerDryRun || s.Trigger == policy.TriggerReplay {
		st = st.clone()
	}
	r := round{now: s.Time, grace: time.Duration(p.Grace), transition: time.Duration(p.Transition)}

	type victim struct {
		c     *policy.Container
		why   []string
		worst float64 // the largest value ÷ limit
	}
	var victims []victim
	seen := map[string]bool{}
	limits := p.limits()
	for i := range s.Containers {
		c := &s.Containers[i]
		if c.Protected {
			continue
		}
		seen[c.ID] = true
		v := victim{c: c}
		for _, l := range limits {
			val := l.value(c)
			sustained, tm := st.observe(key{c.ID, l.sig}, r, val > l.limit)
			if !sustained {
				continue
			}
			v.why = append(v.why, fmt.Sprintf("%s %s over its %s limit by %s for %s (grace %s)",
				l.what, l.format(val), l.format(l.limit), l.unit(val-l.limit),
				duration.String(r.now.Sub(tm.aboveSince)), duration.String(r.grace)))
			v.worst = max(v.worst, val/l.limit)
		}
		if len(v.why) > 0 {
			victims = append(victims, v)
		}
	}
	st.forget(seen)

	slices.SortFunc(victims, func(a, b victim) int {
		if c := cmp.Compare(b.worst, a.worst); c != 0 {
			return c
		}
		return cmp.Compare(a.c.ID, b.c.ID)
	})
	var out []policy.Decision
	chosen := map[string]bool{}
	for _, v := range victims {
		chosen[v.c.ID] = true
		out = append(out, policy.Decision{ContainerID: v.c.ID, Action: p.Action, Reason: strings.Join(v.why, "; ")})
	}
	return append(out, p.reclaim(s, st, r, chosen)...), nil
}

// reclaim chooses the victims of the machine's memory limit: none until
// the used memory has been above the limit for the grace period; then
// the largest working sets not already chosen, one by one, until the
// used memory less the working sets of every victim of the round is
// below the limit less MinimumReclaimBytes (or no container with a
// working set is left).
func (p *Policy) reclaim(s *policy.Snapshot, st *state, r round, chosen map[string]bool) []policy.Decision {
	total := float64(s.System.MemTotalBytes)
	if p.MachineMemoryPercent == 0 || total == 0 {
		return nil
	}
	used := float64(s.System.MemUsedBytes)
	lim := p.MachineMemoryPercent / 100 * total
	sustained, tm := st.observe(key{"", signalMachineMemory}, r, used > lim)
	if !sustained {
		return nil
	}
	target := lim - float64(p.MinimumReclaimBytes)
	projected := used
	var rest []*policy.Container
	for i := range s.Containers {
		c := &s.Containers[i]
		switch {
		case chosen[c.ID]:
			projected -= float64(c.WorkingSetBytes)
		case !c.Protected && c.WorkingSetBytes > 0:
			rest = append(rest, c)
		}
	}
	slices.SortFunc(rest, func(a, b *policy.Container) int {
		if c := cmp.Compare(b.WorkingSetBytes, a.WorkingSetBytes); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	head := fmt.Sprintf("machine memory used %s (%.1f %%) over its %g %% limit (%s) by %s for %s (grace %s)",
		reason.Bytes(used), used/total*100, p.MachineMemoryPercent, reason.Bytes(lim), reason.Bytes(used-lim),
		duration.String(r.now.Sub(tm.aboveSince)), duration.String(r.grace))
	var out []policy.Decision
	for _, c := range rest {
		if projected < target {
			break
		}
		projected -= float64(c.WorkingSetBytes)
		out = append(out, policy.Decision{ContainerID: c.ID, Action: p.Action, Reason: fmt.Sprintf(
			"%s; the largest working set left, %s: projected use %s, reclaiming to below %s (the limit less a minimum reclaim of %s)",
			head, reason.Bytes(float64(c.WorkingSetBytes)), reason.Bytes(max(projected, 0)), reason.Bytes(max(target, 0)),
			reason.Bytes(float64(p.MinimumReclaimBytes)))})
	}
	return out
}
