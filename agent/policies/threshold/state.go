package threshold

// signal is one figure a limit applies to.
type signal int

const (
	signalCPU signal = iota
	signalWorkingSet
	signalRAM
	signalMachineMemory
)

// key names a timer: the container's id and the signal; the machine's
// memory has the id "".
type key struct {
	id  string
	sig signal
}

// state is what the policy remembers between rounds: a timer per
// container and signal that is in an episode above its limit.
//
// owner is the configuration the state was built under. The SDK makes a
// configured policy by copying the defaults' struct, pointer fields
// included, so without it a reconfigured policy would share (and keep
// counting) the timers of the configuration it replaced, whose limits
// may have been different.
type state struct {
	owner  *Policy
	timers map[key]*timer
}

func newState(owner *Policy) *state {
	return &state{owner: owner, timers: map[key]*timer{}}
}

// clone is a copy that rounds which must not change the live timers
// (a dry run, a replay of the history) can play on.
func (s *state) clone() *state {
	c := newState(s.owner)
	for k, t := range s.timers {
		cp := *t
		c.timers[k] = &cp
	}
	return c
}

// observe updates k's timer (creating it at the episode's start, or
// forgetting it at its end) and says whether k has been above its limit
// long enough to act on, and since when.
func (s *state) observe(k key, r round, above bool) (sustained bool, t timer) {
	tm, ok := s.timers[k]
	if !ok {
		if !above {
			return false, timer{}
		}
		tm = &timer{}
		s.timers[k] = tm
	}
	alive, sustained := tm.observe(r.now, above, r.grace, r.transition)
	if !alive {
		delete(s.timers, k)
	}
	return sustained, *tm
}

// forget drops the timers of containers not seen this round: gone, or
// now protected. The machine's timer stays.
func (s *state) forget(seen map[string]bool) {
	for k := range s.timers {
		if k.id != "" && !seen[k.id] {
			delete(s.timers, k)
		}
	}
}
