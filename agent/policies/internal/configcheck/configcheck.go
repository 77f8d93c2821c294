package configcheck

import (
	"fmt"
	"math"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
)

// MaxCPUs is the most CPUs a Linux kernel can be built for (x86-64's
// CONFIG_NR_CPUS at most 8192). A container's CPU % is of one core, as
// the snapshot's CPUPercent, so it reaches 100 × its busy threads; a
// CPU limit above 100 × MaxCPUs can never be reached on any machine.
const MaxCPUs = 8192

// Action refuses an action other than stop, kill and remove: the zero
// Action (unspecified) is what a configuration that sets nothing would
// otherwise carry to the agent.
func Action(field string, a policy.Action) error {
	switch a {
	case policy.Stop, policy.Kill, policy.Remove:
		return nil
	}
	return fmt.Errorf("%s %v: want stop, kill or remove", field, a)
}

// Percent refuses a share outside 0..100 (and NaN, which compares
// false with every threshold and would silently disable a check).
func Percent(field string, v float64) error {
	if math.IsNaN(v) || v < 0 || v > 100 {
		return fmt.Errorf("%s %v: want a percentage from 0 to 100", field, v)
	}
	return nil
}

// CPUPercent refuses a CPU figure, in % of one core, below 0, NaN, or
// above what MaxCPUs cores can reach.
func CPUPercent(field string, v float64) error {
	if math.IsNaN(v) || v < 0 || v > 100*MaxCPUs {
		return fmt.Errorf("%s %v: want %% of one core, from 0 to %d", field, v, 100*MaxCPUs)
	}
	return nil
}

// Count refuses a negative number of containers.
func Count(field string, n int) error {
	if n < 0 {
		return fmt.Errorf("%s %d: want 0 or more", field, n)
	}
	return nil
}

// Duration refuses a negative duration.
func Duration(field string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%s %v: want 0 or more", field, d)
	}
	return nil
}

// OneOf refuses a value that is not among the allowed ones, and lists
// them.
func OneOf(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%s %q: want one of %q", field, v, allowed)
}
