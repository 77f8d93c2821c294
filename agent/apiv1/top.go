package apiv1

import "time"

// The figures a ranking of containers can be by: the ContainerPoint
// fields of those JSON names. Cumulative counters (cpu_ns, read_bytes,
// write_bytes) are not among them: their mean over a range means
// nothing.
const (
	FigureCPUPercent      = "cpu_percent"
	FigureRAMPercent      = "ram_percent"
	FigureRSSBytes        = "rss_bytes"
	FigureMemUsageBytes   = "memory_usage_bytes"
	FigureWorkingSetBytes = "memory_working_set_bytes"
)

// TopFigures lists the figures a ranking can be by.
var TopFigures = []string{FigureCPUPercent, FigureRAMPercent, FigureRSSBytes, FigureMemUsageBytes, FigureWorkingSetBytes}

// How a ranking orders containers: by the mean of the figure over the
// ticks each was present, or by its highest value.
const (
	RankMean = "mean"
	RankPeak = "peak"
)

// TopAnswer answers /api/v1/containers/top: the containers that used
// the most of a figure over a range, removed ones included.
type TopAnswer struct {
	// From is the range's start.
	From time.Time `json:"from"`
	// To is the range's end.
	To time.Time `json:"to"`
	// By is the figure ranked by, a ContainerPoint field's name
	// (cpu_percent, ram_percent, rss_bytes, memory_usage_bytes,
	// memory_working_set_bytes).
	By string `json:"by"`
	// Rank is mean or peak: which of the two the order is by.
	Rank string `json:"rank"`
	// Present counts the containers with a point in the range: those
	// ranked, of which Containers are the first.
	Present int `json:"present"`
	// Containers are the first n, highest first.
	Containers []TopContainer `json:"containers"`
}

// TopContainer is one container of a ranking, with the figure's mean
// and peak over the ticks it was present in the range.
type TopContainer struct {
	// ID is Docker's full container id.
	ID string `json:"id"`
	// Name is Docker's name, without the leading slash.
	Name string `json:"name"`
	// Image is the image it was run as.
	Image string `json:"image"`
	// Kind is its kwarden.kind label; absent when it has none.
	Kind string `json:"kind,omitempty"`
	// Removed is when it was seen destroyed (possibly after the range);
	// absent while it exists.
	Removed time.Time `json:"removed,omitzero"`
	// Mean is the figure's mean over the ticks the container was present
	// in the range, each tick weighing the same: a one-minute point
	// counts for the ticks it folded.
	Mean float64 `json:"mean"`
	// Peak is the figure's highest value: of one tick, or of a one-minute
	// mean where the range reaches past the raw retention.
	Peak float64 `json:"peak"`
	// Samples counts the ticks the mean is over.
	Samples int `json:"samples"`
	// First is the time of its first point in the range.
	First time.Time `json:"first"`
	// Last is the time of its last point in the range (a one-minute
	// point's is the start of its minute).
	Last time.Time `json:"last"`
}
