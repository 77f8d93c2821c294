package main

import (
	"context"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
)

// The policy alone, as its author would test it; agent/policyhost runs
// the built binary through go-plugin.
func TestKeepOldest(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := &policy.Snapshot{}
	// Listed out of order, one protected: the oldest two unprotected stay.
	for i, off := range []int{3, 0, 4, 1, 2} {
		s.Containers = append(s.Containers, policy.Container{
			ID: string(rune('a' + off)), Created: t0.Add(time.Duration(off) * time.Minute), Protected: i == 1,
		})
	}
	ds, err := (&keepOldest{Keep: 2}).Decide(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, d := range ds {
		got += d.ContainerID
		if d.Action != policy.Remove || d.Reason == "" {
			t.Errorf("decision %+v", d)
		}
	}
	// a is protected; b and c are the two oldest; e, d go, newest first.
	if got != "ed" {
		t.Errorf("removed %q, want \"ed\"", got)
	}
	if err := (&keepOldest{Keep: -1}).Validate(); err == nil {
		t.Error("keep -1 accepted")
	}
}
