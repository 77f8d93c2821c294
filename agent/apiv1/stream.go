package apiv1

import "time"

// StreamEvent is the name of the server-sent events /api/v1/stream
// sends, one per tick; each event's data is a StreamTick in JSON, and its
// id the tick.
const StreamEvent = "tick"

// StreamTick is one tick as the stream sends it.
type StreamTick struct {
	// Tick is the tick's number.
	Tick uint64 `json:"tick"`
	// Time is the tick's wall time.
	Time time.Time `json:"time"`
	// MemUsedBytes is the machine's used memory (total − available).
	MemUsedBytes uint64 `json:"mem_used_bytes"`
	// MemTotalBytes is the machine's memory.
	MemTotalBytes uint64 `json:"mem_total_bytes"`
	// CPUPercent is the machine's CPU use, % of all CPUs.
	CPUPercent float64 `json:"cpu_percent"`
	// Containers are the running containers.
	Containers []StreamContainer `json:"containers"`
	// Discrepancies counts what the cross-check found wrong.
	Discrepancies int `json:"discrepancies"`
	// Hidden counts the processes the kernel views list and /proc does
	// not show.
	Hidden int `json:"hidden"`
}

// StreamContainer is a running container in a StreamTick.
type StreamContainer struct {
	// ID is the container's full id.
	ID string `json:"id"`
	// Name is its Docker name.
	Name string `json:"name"`
	// CPUPercent is % of one core over the tick.
	CPUPercent float64 `json:"cpu_percent"`
	// RSSBytes is its processes' resident memory.
	RSSBytes uint64 `json:"rss_bytes"`
	// Class is high or low ("" before its first rate).
	Class string `json:"class"`
}
