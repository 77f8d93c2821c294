package daemon

import (
	"errors"
	"log/slog"
	"time"

	"github.com/kwarden/kwarden/agent/store"
)

// historyPruner folds and trims the history a step at a time, between
// ticks, in the loop's goroutine (the store's one writer besides the
// tick itself).
//
// Why steps: after the machine was off for a day, one prune of
// everything held the whole backlog in one transaction (2.6 GB and 10 s
// at 100 containers) and, killed for its memory, repeated it at every
// start. A step is bounded (store.PruneStep), and each tick spends at
// most a quarter of its interval on them: the first ticks after a start
// are on time, and the backlog goes in the background.
//
// Why a monotonic clock: the wall clock can jump (a wrong RTC corrected
// by NTP, a VM resumed); a prune against a clock that jumped eight days
// ahead deleted the history. The pruner measures time since its start
// on the monotonic clock and never prunes against a wall time later than
// the start's wall time plus that; the store adds its own bound, the
// newest point it holds.
type historyPruner struct {
	store  *store.Store
	log    *slog.Logger
	every  time.Duration
	budget time.Duration

	start   time.Time // wall and monotonic reading at the daemon's start
	nextDue time.Time // monotonic: when the next pass starts
	inPass  bool
	pass    store.PruneStats

	// clock reads the wall clock and the monotonic time since start;
	// tests move the wall clock.
	clock func() (wall time.Time, since time.Duration)
}

func newHistoryPruner(s *store.Store, log *slog.Logger, every, interval time.Duration) *historyPruner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := time.Now()
	p := &historyPruner{store: s, log: log, every: every, budget: min(interval/4, 250*time.Millisecond),
		start: now, nextDue: now}
	p.clock = func() (time.Time, time.Duration) {
		t := time.Now()
		return t.Round(0), t.Sub(p.start) // Round(0): the wall reading alone
	}
	return p
}

// trustedNow is the wall time to prune against: the wall clock, unless it
// ran ahead of the monotonic one since the start.
func (p *historyPruner) trustedNow() time.Time {
	wall, since := p.clock()
	if bound := p.start.Round(0).Add(since); wall.After(bound) {
		return bound
	}
	return wall
}

// run does pruning steps until the budget is spent or the pass ends. It
// returns an error only for a damaged store, which stops the daemon.
func (p *historyPruner) run(now time.Time) error {
	if !p.inPass {
		if now.Before(p.nextDue) {
			return nil
		}
		p.inPass, p.pass = true, store.PruneStats{}
	}
	deadline := now.Add(p.budget)
	for {
		st, more, err := p.store.PruneStep(p.trustedNow())
		p.pass = addStats(p.pass, st)
		if err != nil {
			p.inPass, p.nextDue = false, time.Now().Add(p.every)
			if errors.Is(err, store.ErrDamaged) {
				return err
			}
			p.log.Warn("prune history", "err", err)
			return nil
		}
		if !more {
			p.inPass, p.nextDue = false, time.Now().Add(p.every)
			if p.pass.Damaged > 0 {
				p.log.Warn("prune history: dropped records that did not decode", "count", p.pass.Damaged)
			}
			if p.pass.Folded+p.pass.Deleted > 0 {
				p.log.Debug("pruned history", "folded", p.pass.Folded, "deleted", p.pass.Deleted, "steps", p.pass.Steps)
			}
			return nil
		}
		if !time.Now().Before(deadline) {
			return nil // on at the next tick
		}
	}
}

func addStats(a, b store.PruneStats) store.PruneStats {
	a.Folded += b.Folded
	a.Deleted += b.Deleted
	a.Damaged += b.Damaged
	a.Steps += b.Steps
	return a
}
