package threshold

import "time"

// timer follows one signal of one container (or of the machine) across
// rounds: when its current episode above the limit began, and, while it
// is below within that episode, since when.
//
// An episode begins at the first round the signal is above its limit.
// It survives dips below the limit shorter than the transition period
// (kubelet's eviction-pressure-transition-period, here per signal): a
// signal that flaps around its limit keeps its episode, and its time
// above keeps counting from the episode's start. It ends once the signal
// has been below for the whole transition period; the next crossing
// starts a new one, with a grace period of its own.
type timer struct {
	aboveSince time.Time // the episode's start
	belowSince time.Time // zero while above
}

// observe records the signal's state at now and says whether the
// episode is still going (false: forget the timer) and whether the
// signal has been above long enough to act on: above now, and for at
// least grace since the episode began.
//
// A time before the one the timer holds (a wall clock set back) starts
// over from now rather than count a negative or inflated span.
func (t *timer) observe(now time.Time, above bool, grace, transition time.Duration) (alive, sustained bool) {
	if above {
		if t.aboveSince.IsZero() || now.Before(t.aboveSince) {
			t.aboveSince = now
		}
		t.belowSince = time.Time{}
		return true, now.Sub(t.aboveSince) >= grace
	}
	if t.aboveSince.IsZero() {
		return false, false
	}
	if t.belowSince.IsZero() || now.Before(t.belowSince) {
		t.belowSince = now
	}
	return now.Sub(t.belowSince) < transition, false
}
