package threshold

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// at is t0 plus s seconds.
func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// A timer through sequences of rounds, grace 30 s and transition 60 s
// unless set: what each round says.
func TestTimer(t *testing.T) {
	type obs struct {
		sec       int
		above     bool
		alive     bool
		sustained bool
	}
	for _, tc := range []struct {
		name              string
		grace, transition time.Duration
		rounds            []obs
	}{
		{
			name: "above for the grace period",
			rounds: []obs{
				{0, true, true, false}, {10, true, true, false}, {29, true, true, false},
				{30, true, true, true}, {40, true, true, true},
			},
		},
		{
			name: "a dip shorter than the transition keeps the episode",
			rounds: []obs{
				{0, true, true, false}, {10, false, true, false}, {20, false, true, false},
				// back above at 30: 30 s since the episode began.
				{30, true, true, true},
			},
		},
		{
			name: "never acted on while below, even late in an episode",
			rounds: []obs{
				{0, true, true, false}, {40, true, true, true}, {50, false, true, false}, {60, true, true, true},
			},
		},
		{
			name: "below for the whole transition ends the episode",
			rounds: []obs{
				{0, true, true, false}, {10, false, true, false}, {69, false, true, false},
				{70, false, false, false},
			},
		},
		{
			name: "a round above restarts the count below",
			rounds: []obs{
				{0, true, true, false}, {10, false, true, false}, {60, true, true, true},
				// below again from 61: the transition counts from there, not from 10.
				{61, false, true, false}, {79, false, true, false}, {120, false, true, false}, {121, false, false, false},
			},
		},
		{
			name:  "grace 0 acts at the first round above",
			grace: -1, rounds: []obs{{0, true, true, true}},
		},
		{
			name: "transition 0 ends the episode at the first round below", transition: -1,
			rounds: []obs{{0, true, true, false}, {10, false, false, false}},
		},
		{
			name: "a clock set back starts the episode over",
			rounds: []obs{
				{100, true, true, false}, {140, true, true, true},
				{50, true, true, false}, {79, true, true, false}, {80, true, true, true},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			grace, transition := 30*time.Second, 60*time.Second
			if tc.grace < 0 {
				grace = 0
			}
			if tc.transition < 0 {
				transition = 0
			}
			var tm timer
			for _, o := range tc.rounds {
				alive, sustained := tm.observe(at(o.sec), o.above, grace, transition)
				if alive != o.alive || sustained != o.sustained {
					t.Fatalf("at %d s, above=%v: alive %v sustained %v, want %v %v", o.sec, o.above, alive, sustained, o.alive, o.sustained)
				}
				if !alive {
					tm = timer{}
				}
			}
		})
	}
}

// A signal that was never above has no episode to keep.
func TestTimerBelowFromTheStart(t *testing.T) {
	var tm timer
	if alive, sustained := tm.observe(t0, false, 0, time.Hour); alive || sustained {
		t.Errorf("alive %v, sustained %v", alive, sustained)
	}
}
