package apiv1

import "time"

// State is the daemon's last tick: what health, containers, the
// cross-check, the stream and /metrics are made from.
type State struct {
	// Time is the tick's wall time.
	Time time.Time `json:"time"`
	// Tick counts the ticks recorded since the daemon started; 0 until
	// the first one (the daemon is starting).
	Tick uint64 `json:"tick"`
	// System is the machine at the tick.
	System SystemPoint `json:"system"`
	// Containers are every container Docker lists, with their figures.
	Containers []ContainerFigures `json:"containers"`
	// CrossCheck is the last comparison of the module's and eBPF's views;
	// absent without both.
	CrossCheck *CrossCheck `json:"crosscheck,omitempty"`
	// ProcView is the last comparison of the kernel views with /proc;
	// absent without a kernel view, or when the third view is off.
	ProcView *ProcView `json:"procview,omitempty"`
	// Sources are the daemon's sources at the tick, by name.
	Sources []SourceStatus `json:"sources"`
	// Docker is the connection to the Docker engine.
	Docker DockerStatus `json:"docker"`
	// TickError says what failed in the tick; absent when nothing did.
	TickError string `json:"tick_error,omitempty"`
}

// Source states.
const (
	SourceOK          = "ok"          // the last read succeeded
	SourceUnavailable = "unavailable" // it could not be opened (no module, no BTF, no privilege)
	SourceFailing     = "failing"     // it is open, and its last read failed
)

// SourceStatus is one of the daemon's sources (a kernel view, the
// /proc system figures, the cgroup files, Docker) at the last tick.
type SourceStatus struct {
	// Name is the source's: kmod, ebpf, exits, procfs, cgroups, docker.
	Name string `json:"name"`
	// State is ok, unavailable or failing.
	State string `json:"state"`
	// Error says why it is not ok.
	Error string `json:"error,omitempty"`
	// DurationSeconds is how long its last read took.
	DurationSeconds float64 `json:"duration_seconds"`
	// Reads counts its reads since the daemon started.
	Reads uint64 `json:"reads"`
	// Failures counts the reads that failed.
	Failures uint64 `json:"failures"`
}

// Health says whether the daemon ticks and what it runs on.
type Health struct {
	// Status is starting (no tick yet), ok, or degraded (a source not
	// ok, Docker unreachable, or the last tick failed).
	Status string `json:"status"`
	// Tick counts the ticks recorded.
	Tick uint64 `json:"tick"`
	// Time is the last tick's.
	Time time.Time `json:"time"`
	// Sources are the daemon's sources, by name.
	Sources []SourceStatus `json:"sources"`
	// Docker is true while the Docker engine answers.
	Docker bool `json:"docker_connected"`
	// Error says what failed in the last tick; absent when nothing did.
	Error string `json:"tick_error,omitempty"`
	// Version is the daemon's build.
	Version string `json:"version,omitempty"`
	// IntervalSeconds is the daemon's tick, in seconds; absent from
	// daemons that do not say.
	IntervalSeconds float64 `json:"interval_seconds,omitempty"`
}

// Health statuses.
const (
	HealthStarting = "starting" // no tick recorded yet
	HealthOK       = "ok"
	HealthDegraded = "degraded" // a source is not ok, Docker is unreachable, or the last tick failed
)
