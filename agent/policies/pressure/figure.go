package pressure

import (
	"math"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
)

// figure is one memory PSI figure a configuration can name: the
// kernel's averages as /proc/pressure/memory writes them ("some
// avg10=…" is some_avg10), or the share of time stalled since the
// policy's previous round (some_recent, full_recent).
type figure struct {
	name string
	// value is the figure at a round; last is the memory pressure at
	// the policy's previous round (nil at its first).
	value func(cur *policy.PressureResource, last *reading, now time.Time) float64
}

// reading is the memory pressure at one round.
type reading struct {
	at     time.Time
	memory policy.PressureResource
}

func avg(f func(*policy.PressureResource) float64) func(*policy.PressureResource, *reading, time.Time) float64 {
	return func(cur *policy.PressureResource, _ *reading, _ time.Time) float64 { return f(cur) }
}

// recent is the percentage of the time since the last reading that the
// stall counter grew by: NaN (no pressure known) at the first round, on
// a clock that did not advance, or on a counter that went back.
func recent(total func(*policy.PressureResource) time.Duration) func(*policy.PressureResource, *reading, time.Time) float64 {
	return func(cur *policy.PressureResource, last *reading, now time.Time) float64 {
		if last == nil || !now.After(last.at) || total(cur) < total(&last.memory) {
			return math.NaN()
		}
		return 100 * float64(total(cur)-total(&last.memory)) / float64(now.Sub(last.at))
	}
}

// The averages lag: the kernel updates them every 2 s, and avg10 takes
// some 10 s to follow a change. The recent figures follow the stall
// counters, so a round that a PSI trigger starts (the kernel saw the
// stall it was armed with) sees that stall at once.
var figures = []figure{
	{"some_avg10", avg(func(r *policy.PressureResource) float64 { return r.Some.Avg10 })},
	{"some_avg60", avg(func(r *policy.PressureResource) float64 { return r.Some.Avg60 })},
	{"some_avg300", avg(func(r *policy.PressureResource) float64 { return r.Some.Avg300 })},
	{"full_avg10", avg(func(r *policy.PressureResource) float64 { return r.Full.Avg10 })},
	{"full_avg60", avg(func(r *policy.PressureResource) float64 { return r.Full.Avg60 })},
	{"full_avg300", avg(func(r *policy.PressureResource) float64 { return r.Full.Avg300 })},
	{"some_recent", recent(func(r *policy.PressureResource) time.Duration { return r.Some.Total })},
	{"full_recent", recent(func(r *policy.PressureResource) time.Duration { return r.Full.Total })},
}

// figureNamed is the figure called name; Validate has refused others.
func figureNamed(name string) (figure, bool) {
	for _, f := range figures {
		if f.name == name {
			return f, true
		}
	}
	return figure{}, false
}

func figureNames() []string {
	out := make([]string, len(figures))
	for i, f := range figures {
		out[i] = f.name
	}
	return out
}
