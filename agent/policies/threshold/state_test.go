package threshold

import (
	"testing"
	"time"
)

func TestStateObserveForgetClone(t *testing.T) {
	s := newState(nil)
	r := round{now: t0, grace: 10 * time.Second, transition: time.Minute}
	if sus, _ := s.observe(key{"a", signalCPU}, r, false); sus || len(s.timers) != 0 {
		t.Fatalf("a signal below made a timer: %v", s.timers)
	}
	s.observe(key{"a", signalCPU}, r, true)
	s.observe(key{"a", signalRAM}, r, true)
	s.observe(key{"b", signalCPU}, r, true)
	s.observe(key{"", signalMachineMemory}, r, true)

	c := s.clone()
	r.now = t0.Add(10 * time.Second)
	if sus, tm := c.observe(key{"a", signalCPU}, r, true); !sus || !tm.aboveSince.Equal(t0) {
		t.Errorf("clone: sustained %v since %v", sus, tm.aboveSince)
	}
	c.observe(key{"b", signalCPU}, round{now: r.now}, false) // transition 0: ends b's episode
	if _, ok := c.timers[key{"b", signalCPU}]; ok {
		t.Error("an ended episode kept its timer")
	}
	if _, ok := s.timers[key{"b", signalCPU}]; !ok || !s.timers[key{"b", signalCPU}].belowSince.IsZero() {
		t.Error("the clone's rounds changed the original")
	}

	s.forget(map[string]bool{"b": true})
	if len(s.timers) != 2 || s.timers[key{"b", signalCPU}] == nil || s.timers[key{"", signalMachineMemory}] == nil {
		t.Errorf("after forgetting all but b: %v", s.timers)
	}
}
