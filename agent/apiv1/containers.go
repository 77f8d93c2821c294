package apiv1

import "time"

// KindLabel is the Docker label that names a workload's kind (cpu, ram,
// io, disk, low): the course's generator sets it.
const KindLabel = "kwarden.kind"

// Container is what kwarden knows of a container from Docker.
type Container struct {
	// ID is Docker's full container id (64 hex digits).
	ID string `json:"id"`
	// Name is Docker's name, without the leading slash.
	Name string `json:"name"`
	// Image is the image it was run as (kwarden/load:cpu).
	Image string `json:"image"`
	// Labels are its Docker labels.
	Labels map[string]string `json:"labels"`
	// Kind is its kwarden.kind label; absent when it has none.
	Kind string `json:"kind,omitempty"`
	// State is Docker's (created, running, paused, exited, dead), or
	// removed once Docker destroyed it.
	State string `json:"state"`
	// Running is true while Docker says it runs.
	Running bool `json:"running"`
	// PID is its main process, while it runs.
	PID int `json:"pid,omitempty"`
	// ExitCode is its main process's, once it exited.
	ExitCode int `json:"exit_code"`
	// Created is when Docker created it.
	Created time.Time `json:"created"`
	// Started is when it last started; absent if never.
	Started time.Time `json:"started,omitzero"`
	// Finished is when it last stopped; absent if never.
	Finished time.Time `json:"finished,omitzero"`
	// Removed is when it was seen destroyed; history keeps removed
	// containers until this passes the retention.
	Removed time.Time `json:"removed,omitzero"`
	// Cgroups are its cgroups, by which its processes are found.
	Cgroups Cgroups `json:"cgroups"`
}

// Age is how long the container has existed at now.
func (c *Container) Age(now time.Time) time.Duration { return now.Sub(c.Created) }

// Cgroups are a container's cgroups as the kernel views name them: the
// unified (v2) cgroup and the memory controller's, by path and id (the
// inode of the cgroup directory, which the views publish per process).
type Cgroups struct {
	// V2ID is the unified cgroup's id; absent on a host without one.
	V2ID uint64 `json:"cgroup_id,omitempty"`
	// V2Path is the unified cgroup's path below the cgroup root.
	V2Path string `json:"cgroup_path,omitempty"`
	// MemID is the memory controller's cgroup id (the unified one on a
	// v2 host).
	MemID uint64 `json:"memcg_id,omitempty"`
	// MemPath is the memory controller's cgroup path.
	MemPath string `json:"memcg_path,omitempty"`
}

// ContainerFigures is a container with its figures at the last tick;
// a removed container has its description and zero figures.
type ContainerFigures struct {
	Container
	// Processes counts its thread groups.
	Processes int `json:"processes"`
	// Threads counts their threads.
	Threads int `json:"threads"`
	// CPUNs is its CPU time in ns, cumulative, exited processes included.
	CPUNs uint64 `json:"cpu_ns"`
	// CPUPercent is % of one core over the last tick.
	CPUPercent float64 `json:"cpu_percent"`
	// RSSBytes is its processes' resident memory.
	RSSBytes uint64 `json:"rss_bytes"`
	// VSZBytes is its processes' virtual memory.
	VSZBytes uint64 `json:"vsz_bytes"`
	// RAMPercent is RSSBytes ÷ MemTotal, in %.
	RAMPercent float64 `json:"ram_percent"`
	// MemUsageBytes is its memory cgroup's usage.
	MemUsageBytes uint64 `json:"memory_usage_bytes"`
	// WorkingSetBytes is that minus inactive file pages (cAdvisor's
	// working set).
	WorkingSetBytes uint64 `json:"memory_working_set_bytes"`
	// ReadBytes is what its processes read from storage, cumulative.
	ReadBytes uint64 `json:"read_bytes"`
	// WriteBytes is what its processes wrote to storage, cumulative.
	WriteBytes uint64 `json:"write_bytes"`
	// Class is high when CPU % or RAM % is above the daemon's threshold,
	// else low; "" before the container's first rate.
	Class string `json:"class"`
	// Tasks counts its threads by state.
	Tasks TaskStates `json:"tasks"`
}

// TaskStates counts a container's threads by scheduler state. The
// kernel views count the threads on a CPU or queued for one; the others
// take their process's state (a thread group's leader).
type TaskStates struct {
	// Running are on a CPU or queued for one.
	Running int `json:"running"`
	// Sleeping wait for an event (S, and idle kernel threads).
	Sleeping int `json:"sleeping"`
	// Uninterruptible wait and cannot be woken (D).
	Uninterruptible int `json:"uninterruptible"`
	// Stopped are stopped or traced (T, t).
	Stopped int `json:"stopped"`
}

// DockerStatus is the daemon's connection to the Docker engine.
type DockerStatus struct {
	// Connected is true while the engine answers.
	Connected bool `json:"connected"`
	// Since is when the current state (connected or not) began.
	Since time.Time `json:"since"`
	// LastError is the engine's last failure.
	LastError string `json:"last_error,omitempty"`
	// Outages counts the disconnections since the daemon started.
	Outages int `json:"outages"`
	// Syncs counts the full list-and-inspect passes.
	Syncs int `json:"syncs"`
	// Events counts the container events handled.
	Events int `json:"events"`
}
