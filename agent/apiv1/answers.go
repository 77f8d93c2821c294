package apiv1

import "time"

// The answers of the routes (Routes), one type each.

// SystemAnswer answers /api/v1/system: the machine's points.
type SystemAnswer struct {
	// From is the range's start.
	From time.Time `json:"from"`
	// To is the range's end.
	To time.Time `json:"to"`
	// Step is the step the points were folded by ("0s": every point).
	Step string `json:"step"`
	// Points are the machine's points, oldest first.
	Points []SystemPoint `json:"points"`
}

// SeriesAnswer answers /api/v1/containers/{id}/series: one container's
// points.
type SeriesAnswer struct {
	// ID is the container's full id, whatever the request named it by.
	ID string `json:"id"`
	// From is the range's start.
	From time.Time `json:"from"`
	// To is the range's end.
	To time.Time `json:"to"`
	// Step is the step the points were folded by ("0s": every point).
	Step string `json:"step"`
	// Points are the container's points, oldest first.
	Points []ContainerPoint `json:"points"`
}

// ContainersAnswer answers /api/v1/containers: the containers with
// their last figures.
type ContainersAnswer struct {
	// Time is the tick the figures are of.
	Time time.Time `json:"time"`
	// Containers are the current ones, then (all=true) removed ones.
	Containers []ContainerFigures `json:"containers"`
	// Next, when present, is the before of the next page of removed
	// containers.
	Next string `json:"next,omitempty"`
}

// ProcessesAnswer answers /api/v1/processes: the top processes of a
// tick.
type ProcessesAnswer struct {
	// Time is the tick the processes are of.
	Time time.Time `json:"time"`
	// Processes are the tick's top processes by RSS.
	Processes []ProcessPoint `json:"processes"`
}

// EventsAnswer answers /api/v1/events: a page of events.
type EventsAnswer struct {
	// Events are the page's events, oldest first.
	Events []Event `json:"events"`
	// Next, when present, is the after of the next page.
	Next string `json:"next,omitempty"`
}

// CrossCheckAnswer answers /api/v1/crosscheck: the last comparison.
type CrossCheckAnswer struct {
	// Time is the tick of the comparison.
	Time time.Time `json:"time"`
	// Available is false without both kernel views.
	Available bool `json:"available"`
	// Reason says why it is not available.
	Reason string `json:"reason,omitempty"`
	// Sources are the daemon's sources, when it is not available.
	Sources []SourceStatus `json:"sources,omitempty"`
	// Result is the comparison, when it is available.
	Result *CrossCheck `json:"result,omitempty"`
	// ProcView is the last comparison of the kernel views with /proc
	// (hidden processes), which one kernel view is enough for; absent
	// when the third view is off.
	ProcView *ProcView `json:"procview,omitempty"`
}

// ErrorAnswer is the body of every answer that is not 200 (but those
// of /metrics and the stream).
type ErrorAnswer struct {
	// Error says what was wrong.
	Error string `json:"error"`
}
