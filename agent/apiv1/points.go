package apiv1

import "time"

// SystemPoint is the machine at one tick, or the average of a step.
type SystemPoint struct {
	// Time is the tick's wall time, or the start of the step.
	Time time.Time `json:"time"`
	// MemTotalBytes is the memory the kernel manages (MemTotal).
	MemTotalBytes uint64 `json:"mem_total_bytes"`
	// MemUsedBytes is MemTotal − MemAvailable: buffers and cache that can
	// be dropped are not used.
	MemUsedBytes uint64 `json:"mem_used_bytes"`
	// MemFreeBytes is MemFree: memory holding nothing at all.
	MemFreeBytes uint64 `json:"mem_free_bytes"`
	// MemAvailBytes is MemAvailable: the kernel's estimate of what can be
	// had without swapping.
	MemAvailBytes uint64 `json:"mem_available_bytes"`
	// CPUPercent is the machine's CPU use since the last tick, % of all
	// CPUs (100 = every CPU busy).
	CPUPercent float64 `json:"cpu_percent"`
	// Processes counts the thread groups the kernel view listed.
	Processes int `json:"processes"`
	// Containers counts the running containers.
	Containers int `json:"containers"`
	// Discrepancies counts what the cross-check found wrong at this tick
	// (summed over a step).
	Discrepancies int `json:"discrepancies"`
	// Hidden counts the processes the kernel views list and /proc does
	// not show (the most of a step).
	Hidden int `json:"hidden,omitempty"`
	// Samples is how many ticks a folded point stands for (absent: one
	// raw tick).
	Samples int `json:"samples,omitempty"`
}

// ContainerPoint is one container at one tick, or the average of a step.
type ContainerPoint struct {
	// Time is the tick's wall time, or the start of the step.
	Time time.Time `json:"time"`
	// CPUPercent is CPU use since the last tick, % of one core (200 = two
	// cores busy): Δ CPU time ÷ Δ wall time.
	CPUPercent float64 `json:"cpu_percent"`
	// CPUNs is the container's CPU time in ns, cumulative, exited
	// processes included (the last value of a step).
	CPUNs uint64 `json:"cpu_ns"`
	// RSSBytes is the sum of its processes' resident memory.
	RSSBytes uint64 `json:"rss_bytes"`
	// MemUsageBytes is its memory cgroup's usage (page cache included).
	MemUsageBytes uint64 `json:"memory_usage_bytes"`
	// WorkingSetBytes is usage − inactive file pages, as cAdvisor counts
	// it (what the kernel would not reclaim first).
	WorkingSetBytes uint64 `json:"memory_working_set_bytes"`
	// RAMPercent is RSSBytes ÷ MemTotal, in %.
	RAMPercent float64 `json:"ram_percent"`
	// ReadBytes is what its processes read from storage, cumulative.
	ReadBytes uint64 `json:"read_bytes"`
	// WriteBytes is what its processes wrote to storage, cumulative.
	WriteBytes uint64 `json:"write_bytes"`
	// Processes counts its thread groups.
	Processes int `json:"processes"`
	// Threads counts their threads; absent in points recorded before
	// kwarden stored it.
	Threads int `json:"threads,omitempty"`
	// VSZBytes is the sum of its processes' virtual memory; absent in
	// points recorded before kwarden stored it.
	VSZBytes uint64 `json:"vsz_bytes,omitempty"`
	// Class is high or low, absent before its first rate.
	Class string `json:"class,omitempty"`
	// Samples is how many ticks a folded point stands for (absent: one
	// raw tick).
	Samples int `json:"samples,omitempty"`
}

// ProcessPoint is one of the top processes (by RSS) of a tick.
type ProcessPoint struct {
	// PID is the process's id (its thread group's).
	PID int32 `json:"pid"`
	// Comm is the kernel's 15-byte command name.
	Comm string `json:"comm"`
	// ContainerID is the container it runs in; absent for none.
	ContainerID string `json:"container_id,omitempty"`
	// CPUPercent is its CPU use, % of one core (0 where a single read
	// cannot tell).
	CPUPercent float64 `json:"cpu_percent"`
	// RSSBytes is its resident memory.
	RSSBytes uint64 `json:"rss_bytes"`
}

// Event is something that happened: an outage of Docker, a cross-check
// discrepancy, and later a policy's decision.
type Event struct {
	// Time is when it happened.
	Time time.Time `json:"time"`
	// Kind names what happened, with a dotted prefix: docker.outage,
	// docker.connected, crosscheck.missing, crosscheck.drift.
	Kind string `json:"kind"`
	// ContainerID is the container it concerns; absent for none.
	ContainerID string `json:"container_id,omitempty"`
	// Message says what happened, for people.
	Message string `json:"message"`
	// Data holds the event's figures by name, when it has some.
	Data map[string]string `json:"data,omitempty"`
}

// Classes of containers.
const (
	ClassHigh = "high"
	ClassLow  = "low"
)
