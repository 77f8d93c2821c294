package guard

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/agent/policyhost"
)

// ReplayTicks is how many recorded ticks a replay feeds a policy before
// the one asked: a policy with timers (threshold's grace and transition
// periods, pressure's cooldown) builds them from those rounds, as it did
// when the ticks were live. Timers longer than this many ticks start
// from the first of them.
const ReplayTicks = 120

// replayRound is a recorded tick, replayed.
type replayRound struct {
	snapshot *policy.Snapshot // the tick asked, as a TriggerReplay round
	replayed int              // ticks fed before it
	folded   bool             // minute points, past the raw retention
}

// replay asks plugin p what it would have decided on the recorded tick
// at or before at. p must be a fresh instance, the caller's alone: the
// ticks before that one are fed to it as ordinary rounds, in order,
// their decisions dropped, so that its state is what it would have
// been then. The snapshot of the tick asked has TriggerReplay, which the
// built-in policies answer without changing their state.
func (g *Guard) replay(ctx context.Context, p *policyhost.Plugin, at time.Time) (replayRound, []policy.Decision, time.Duration, error) {
	if g.opt.Past == nil {
		return replayRound{}, nil, 0, errors.New("replay: this daemon keeps no history")
	}
	past, err := g.opt.Past(at, ReplayTicks+1)
	if err != nil {
		return replayRound{}, nil, 0, fmt.Errorf("replay: %w", err)
	}
	interval := g.opt.Interval
	if past.Step > 0 {
		interval = past.Step
	}
	protects := func(id, name string, labels map[string]string) bool {
		_, ok := g.enf.Protects(id, name, labels)
		return ok
	}
	h := newHistory()
	last := len(past.States) - 1
	r := replayRound{replayed: last, folded: past.Step > 0}
	for i := range past.States {
		st := &past.States[i]
		h.observe(st)
		trig := policy.TriggerTick
		if i == last {
			trig = policy.TriggerReplay
		}
		// The pressure of those ticks was not recorded: policies that
		// need it see none, as on a kernel without PSI.
		s := h.snapshot(st, st.Tick, trig, interval, runtime.NumCPU(), nil, protects)
		if i < last {
			if err := g.decideBounded(ctx, p, s); err != nil {
				return r, nil, 0, fmt.Errorf("replay: the tick of %s: %w", st.Time.UTC().Format(time.RFC3339), err)
			}
			continue
		}
		r.snapshot = s
		dctx, cancel := context.WithTimeout(ctx, g.decideTimeout())
		start := time.Now()
		ds, err := p.Decide(dctx, s)
		took := time.Since(start)
		cancel()
		if err != nil {
			return r, nil, took, fmt.Errorf("replay: the tick asked: %w", err)
		}
		return r, ds, took, nil
	}
	return r, nil, 0, errors.New("replay: no tick") // PastTicks returns one at least
}

// decideBounded runs a warm-up round within the decide timeout.
func (g *Guard) decideBounded(ctx context.Context, p *policyhost.Plugin, s *policy.Snapshot) error {
	ctx, cancel := context.WithTimeout(ctx, g.decideTimeout())
	defer cancel()
	_, err := p.Decide(ctx, s)
	return err
}

func (g *Guard) decideTimeout() time.Duration { return g.host.DecideTimeout() }
