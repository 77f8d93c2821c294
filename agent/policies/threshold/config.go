package threshold

import (
	"errors"
	"time"

	"github.com/kwarden/kwarden/agent/policies/internal/configcheck"
	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/internal/duration"
)

// Name is the policy's name: its binary is kwarden-policy-threshold.
const Name = "threshold"

// Policy is the policy, its configuration and, unexported, its timers.
// A limit of 0 is off.
type Policy struct {
	// CPUPercent is a container's limit in % of one core (the snapshot's
	// CPUPercent, last tick): 150 is one and a half cores.
	CPUPercent float64 `json:"cpu_percent"`
	// WorkingSetBytes is a container's limit on its working set.
	WorkingSetBytes uint64 `json:"working_set_bytes"`
	// RAMPercent is a container's limit on RSS ÷ the machine's memory.
	RAMPercent float64 `json:"ram_percent"`
	// MachineMemoryPercent is the machine's limit on used memory
	// (total − available) ÷ total.
	MachineMemoryPercent float64 `json:"machine_memory_percent"`
	// MinimumReclaimBytes is how far below the machine's limit the
	// victims chosen for it must bring the projected use.
	MinimumReclaimBytes uint64 `json:"minimum_reclaim_bytes"`
	// Grace is how long a signal must stay above its limit before the
	// policy acts.
	Grace duration.Value `json:"grace"`
	// Transition is how long a signal must stay below its limit before
	// its episode ends and its time above is forgotten.
	Transition duration.Value `json:"transition"`
	// Action is what each decision asks for.
	Action policy.Action `json:"action"`

	state *state
}

var (
	_ policy.Validator = (*Policy)(nil)
	_ policy.Describer = (*Policy)(nil)
)

// Defaults stop a container that has used more than 90 % of a core, or
// RSS of more than a quarter of the machine, for a minute; a signal must
// stay below for 5 minutes (kubelet's default transition period) before
// it starts over. No machine limit, so no minimum reclaim (kubelet's
// default is none either). Stop, not remove: like an evicted pod, the
// container stays for its owner to inspect. The binary serves it.
func Defaults() *Policy {
	return &Policy{CPUPercent: 90, RAMPercent: 25, Grace: duration.Value(time.Minute),
		Transition: duration.Value(5 * time.Minute), Action: policy.Stop}
}

// Validate refuses limits that are not percentages (CPU: % of at most
// configcheck.MaxCPUs cores), a configuration with no limit at all, a
// minimum reclaim without the machine limit it applies to, negative
// durations and an unknown action.
func (p *Policy) Validate() error {
	for _, err := range []error{
		configcheck.CPUPercent("cpu_percent", p.CPUPercent),
		configcheck.Percent("ram_percent", p.RAMPercent),
		configcheck.Percent("machine_memory_percent", p.MachineMemoryPercent),
		configcheck.Duration("grace", time.Duration(p.Grace)),
		configcheck.Duration("transition", time.Duration(p.Transition)),
		configcheck.Action("action", p.Action),
	} {
		if err != nil {
			return err
		}
	}
	if p.CPUPercent == 0 && p.WorkingSetBytes == 0 && p.RAMPercent == 0 && p.MachineMemoryPercent == 0 {
		return errors.New("no limit: set cpu_percent, working_set_bytes, ram_percent or machine_memory_percent")
	}
	if p.MinimumReclaimBytes > 0 && p.MachineMemoryPercent == 0 {
		return errors.New("minimum_reclaim_bytes applies to machine_memory_percent, which is not set")
	}
	return nil
}

// Description says what the policy does.
func (p *Policy) Description() string {
	return "kubelet-style eviction: acts on a container above a CPU or memory limit for a grace period, with a transition period against flapping and a minimum reclaim for a machine-wide memory limit"
}
