package store

import (
	"time"

	"github.com/kwarden/kwarden/agent/containers"
)

// SystemPoint is the machine at one sample.
type SystemPoint struct {
	Time          time.Time `json:"time"`
	MemTotalBytes uint64    `json:"mem_total_bytes"`
	MemUsedBytes  uint64    `json:"mem_used_bytes"`
	MemFreeBytes  uint64    `json:"mem_free_bytes"`
	MemAvailBytes uint64    `json:"mem_available_bytes"`
	CPUPercent    float64   `json:"cpu_percent"` // of all CPUs
	Processes     int       `json:"processes"`
	Containers    int       `json:"containers"`
	Discrepancies int       `json:"discrepancies"`     // cross-check, this tick
	Samples       int       `json:"samples,omitempty"` // points folded into this one (downsampled)
}

// ContainerPoint is one container at one sample.
type ContainerPoint struct {
	Time            time.Time `json:"time"`
	CPUPercent      float64   `json:"cpu_percent"`
	CPUNs           uint64    `json:"cpu_ns"`
	RSSBytes        uint64    `json:"rss_bytes"`
	MemUsageBytes   uint64    `json:"memory_usage_bytes"`
	WorkingSetBytes uint64    `json:"memory_working_set_bytes"`
	RAMPercent      float64   `json:"ram_percent"`
	ReadBytes       uint64    `json:"read_bytes"`
	WriteBytes      uint64    `json:"write_bytes"`
	Processes       int       `json:"processes"`
	Class           string    `json:"class,omitempty"`
	Samples         int       `json:"samples,omitempty"`
}

// ProcessPoint is one of the top processes at one sample.
type ProcessPoint struct {
	PID         int32   `json:"pid"`
	Comm        string  `json:"comm"`
	ContainerID string  `json:"container_id,omitempty"`
	CPUPercent  float64 `json:"cpu_percent"`
	RSSBytes    uint64  `json:"rss_bytes"`
}

// Event is something that happened: a container's lifecycle, a
// cross-check discrepancy, an outage, and later policy decisions.
type Event struct {
	Time        time.Time         `json:"time"`
	Kind        string            `json:"kind"` // e.g. container.start, crosscheck.missing, docker.outage
	ContainerID string            `json:"container_id,omitempty"`
	Message     string            `json:"message"`
	Data        map[string]string `json:"data,omitempty"`
}

// Tick is everything one sample writes, in one transaction.
type Tick struct {
	System     SystemPoint
	Containers map[string]ContainerPoint // by container id
	Info       []containers.Container    // current description of each container
	Top        []ProcessPoint
	Events     []Event
}
