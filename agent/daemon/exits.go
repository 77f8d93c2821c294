package daemon

import (
	"slices"
	"sync"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// exitOracle remembers recent process exits for the cross-check, which
// asks of a process only one view listed whether it exited meanwhile.
//
// It has one owner, the tick, and a bounded life: exits are recorded
// only when the cross-check runs (both views present), and every tick
// forgets those before the reads it judges, whatever happened. An oracle
// pruned only inside the cross-check grew by an entry per exit forever
// when the module was absent (11 MB in two minutes of fork/exit churn).
// maxExitOracle bounds it within a tick too (a fork storm): past it, the
// oldest half goes, which at worst reports a process that exited as
// missing for one tick.
type exitOracle struct {
	mu sync.Mutex
	m  map[snapshot.Key]uint64 // process → exit time, CLOCK_BOOTTIME ns
}

const maxExitOracle = 1 << 16

func (o *exitOracle) add(k snapshot.Key, exitNs uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[snapshot.Key]uint64{}
	}
	if len(o.m) >= maxExitOracle {
		o.dropOldestHalfLocked()
	}
	o.m[k] = exitNs
}

// exited answers the cross-check.
func (o *exitOracle) exited(k snapshot.Key) (uint64, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ns, ok := o.m[k]
	return ns, ok
}

// forget drops exits before ns: the older of the reads the next
// cross-check compares starts after it.
func (o *exitOracle) forget(ns uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, t := range o.m {
		if t < ns {
			delete(o.m, k)
		}
	}
}

func (o *exitOracle) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.m)
}

func (o *exitOracle) dropOldestHalfLocked() {
	times := make([]uint64, 0, len(o.m))
	for _, t := range o.m {
		times = append(times, t)
	}
	// A sort of 64 Ki values happens only in a fork storm.
	slices.Sort(times)
	cut := times[len(times)/2]
	for k, t := range o.m {
		if t < cut {
			delete(o.m, k)
		}
	}
	if len(o.m) >= maxExitOracle { // all at one time
		clear(o.m)
	}
}
