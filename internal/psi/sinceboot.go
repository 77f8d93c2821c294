package psi

import "time"

// sinceBootGuard drops the false events of an unprivileged trigger's
// first windows.
//
// The kernel (6.5 and later, which have unprivileged triggers; measured
// on 6.18) starts an unprivileged trigger's first window from the wrong
// counter: psi_trigger_create takes the start
// value from the totals of the real-time poller, which only privileged
// triggers keep up to date, while an unprivileged trigger is evaluated
// against the averaging work's totals. Its first window's growth is
// then the whole stall since boot, and the trigger fires at the first
// averaging run (every 2 s) after any new stall at all. Measured on the
// build machine with 7.08 s of memory stall since boot: "some 5.078s in
// 10s" fired 1.5 s after arming, on 197 ms of real stall, and "some
// 8.578s in 10s" did not fire. The next window carries the false growth
// on (window_update interpolates from the previous window's), so the
// guard lasts two windows and one averaging period. A new cgroup, whose
// totals start at zero, and privileged triggers are not affected.
//
// Within that time an event counts only if the file's stall total grew
// by the threshold's stall since the trigger was armed. That can also
// drop a real event whose stall began before the trigger was armed; the
// kernel raises the next one a window later if the stall goes on.
type sinceBootGuard struct {
	until time.Time     // the end of the guard; zero for a privileged trigger
	armed time.Duration // the file's stall total when the trigger was armed
	stall time.Duration // the threshold's stall
}

// averagingPeriod is how often the kernel updates the averages and
// evaluates unprivileged triggers (PSI_FREQ, 2 s).
const averagingPeriod = 2 * time.Second

func newSinceBootGuard(privileged bool, th threshold, armedTotal time.Duration, armedAt time.Time) sinceBootGuard {
	if privileged {
		return sinceBootGuard{}
	}
	return sinceBootGuard{until: armedAt.Add(2*th.window + averagingPeriod), armed: armedTotal, stall: th.stall}
}

// active reports whether an event at now must be checked.
func (g sinceBootGuard) active(now time.Time) bool {
	return !g.until.IsZero() && now.Before(g.until)
}

// falseEvent reports whether an event at now, with the file's stall total at
// total, is one the kernel raised from its since-boot total.
func (g sinceBootGuard) falseEvent(now time.Time, total time.Duration) bool {
	return g.active(now) && total-g.armed < g.stall
}
