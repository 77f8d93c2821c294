package policy

import (
	"fmt"
	"time"
)

// Snapshot is the machine as the agent saw it for one decision round.
type Snapshot struct {
	// Time is when the figures were taken.
	Time time.Time
	// Round counts the host's rounds since it started.
	Round uint64
	// Trigger is why the round runs.
	Trigger Trigger
	// Interval is the agent's tick.
	Interval time.Duration
	// Window is the span the averages and rates are taken over; 0 when
	// the agent knows only one tick.
	Window time.Duration
	// System is the machine's memory, CPU and pressure.
	System System
	// Containers are the running containers, oldest first.
	Containers []Container
}

// Container looks up a container of the snapshot by id.
func (s *Snapshot) Container(id string) (*Container, bool) {
	for i := range s.Containers {
		if s.Containers[i].ID == id {
			return &s.Containers[i], true
		}
	}
	return nil, false
}

// System is the machine's figures.
type System struct {
	MemTotalBytes     uint64
	MemAvailableBytes uint64
	MemUsedBytes      uint64
	// CPUPercent is the machine's busy time over the last tick, in % of
	// all its CPUs.
	CPUPercent float64
	CPUs       int
	// Pressure is nil on a kernel without PSI.
	Pressure *Pressure
}

// Pressure is /proc/pressure/{memory,cpu,io}.
type Pressure struct {
	Memory, CPU, IO PressureResource
}

// PressureResource is one resource's stall figures: Some when some tasks
// stalled, Full when all non-idle tasks did at once.
type PressureResource struct {
	Some, Full PressureFigures
}

// PressureFigures are the share of time (%) stalled over 10, 60 and
// 300 s, and the stalled time, cumulative.
type PressureFigures struct {
	Avg10, Avg60, Avg300 float64
	Total                time.Duration
}

// Container is a running container and its figures.
type Container struct {
	// ID is Docker's full id; decisions name it.
	ID    string
	Name  string
	Image string
	// Kind is its kwarden.kind label (cpu, ram, io, disk, low), or "".
	Kind string
	// Class is the agent's: "high" when CPU % or RAM % is above its
	// threshold, else "low" ("" before the first rate).
	Class string
	// Labels are its Docker labels. Containers with the same labels
	// share one map: read it, never change it.
	Labels  map[string]string
	Created time.Time
	Started time.Time
	// Age is the time since Created.
	Age       time.Duration
	Processes int
	Threads   int
	// CPUPercent is % of one core over the last tick; CPUPercentAvg over
	// the window.
	CPUPercent    float64
	CPUPercentAvg float64
	RSSBytes      uint64
	VSZBytes      uint64
	// MemUsageBytes is the memory cgroup's usage; WorkingSetBytes that
	// less inactive file pages.
	MemUsageBytes   uint64
	WorkingSetBytes uint64
	// RAMPercent is RSS ÷ the machine's memory, in %.
	RAMPercent float64
	// ReadBytes and WriteBytes are its processes' storage I/O,
	// cumulative; the rates are over the window.
	ReadBytes, WriteBytes                   uint64
	ReadBytesPerSecond, WriteBytesPerSecond float64
	// WorkingSetGrowth and MemUsageGrowth are how fast the working set
	// and the cgroup's usage grew over the window, in bytes a second
	// (negative when they shrank).
	WorkingSetGrowth, MemUsageGrowth float64
	// Protected is true when the agent refuses any action on it.
	Protected bool
}

// Decision is one action a policy asks for.
type Decision struct {
	ContainerID string
	Action      Action
	// Reason is a sentence for the audit log.
	Reason string
}

// Action is what a decision asks for.
type Action int

// The actions. Stop sends SIGTERM and SIGKILL after the stop timeout;
// Remove stops, then removes the container.
const (
	ActionUnspecified Action = iota
	Stop
	Kill
	Remove
)

var actionNames = [...]string{"unspecified", "stop", "kill", "remove"}

func (a Action) String() string {
	if a >= 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// ParseAction reads an action's name, as String writes it.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames[1:] {
		if s == n {
			return Action(i + 1), nil
		}
	}
	return 0, fmt.Errorf("action %q: want stop, kill or remove", s)
}

// MarshalText writes the action's name.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads the action's name.
func (a *Action) UnmarshalText(b []byte) error {
	v, err := ParseAction(string(b))
	if err == nil {
		*a = v
	}
	return err
}

// Trigger is why a round runs.
type Trigger int

// The triggers.
const (
	TriggerUnspecified Trigger = iota
	// TriggerTick is the agent's sampling tick.
	TriggerTick
	// TriggerPressure is a memory PSI trigger between ticks.
	TriggerPressure
	// TriggerOOM is Docker's report of an OOM kill.
	TriggerOOM
	// TriggerDryRun is an operator asking what the policy would do.
	TriggerDryRun
	// TriggerReplay is a tick from the history, replayed.
	TriggerReplay
)

var triggerNames = [...]string{"unspecified", "tick", "pressure", "oom", "dry-run", "replay"}

func (t Trigger) String() string {
	if t >= 0 && int(t) < len(triggerNames) {
		return triggerNames[t]
	}
	return fmt.Sprintf("trigger(%d)", int(t))
}
