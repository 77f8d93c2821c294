package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/containers"
)

// A past tick is the machine and every container that ran then, with
// the figures of that tick and its description, even once the container
// is removed; the ticks before it come along, oldest first.
func TestPastTicksRaw(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	for i := range 10 {
		tk := tick(i)
		if i == 6 {
			tk.Containers = nil // no container ran: a tick without a frame
		}
		if i == 9 { // b is removed later; its description says so
			tk.Info = []containers.Container{{ID: "b", Name: "kw-b", State: "removed", Removed: t0.Add(9 * time.Second),
				Labels: map[string]string{"kwarden.kind": "low"}, Kind: "low"}}
		}
		tk.Containers = withVSZ(tk.Containers)
		if err := s.WriteTick(tk); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.PastTicks(t0.Add(5500*time.Millisecond), 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.Step != 0 || len(p.States) != 3 {
		t.Fatalf("step %v, %d states", p.Step, len(p.States))
	}
	for i, st := range p.States {
		want := t0.Add(time.Duration(3+i) * time.Second)
		if !st.Time.Equal(want) || st.Tick != uint64(i+1) || st.System.MemUsedBytes != uint64(103+i) {
			t.Errorf("state %d: time %v tick %d system %+v, want %v", i, st.Time, st.Tick, st.System, want)
		}
		if len(st.Containers) != 2 {
			t.Fatalf("state %d: %d containers", i, len(st.Containers))
		}
	}
	last := p.States[2]
	for _, c := range last.Containers {
		if !c.Running || c.State != "running" || !c.Removed.IsZero() {
			t.Errorf("%s at a past tick: running %v state %q removed %v", c.ID, c.Running, c.State, c.Removed)
		}
		switch c.ID {
		case "a":
			if c.Name != "kw-a" || c.CPUNs != 5e9 || c.RSSBytes != 64<<20 || c.VSZBytes != 1<<30 || c.Threads != 4 || c.Class != "high" {
				t.Errorf("a: %+v", c)
			}
		case "b":
			// Its last description, with its labels and kind, for the
			// policies that classify by kind.
			if c.Name != "kw-b" || c.Kind != "low" || c.Labels["kwarden.kind"] != "low" || c.CPUPercent != 1 {
				t.Errorf("b: %+v", c)
			}
		default:
			t.Errorf("container %q at a past tick", c.ID)
		}
	}

	// A tick with no container is a state with none.
	p, err = s.PastTicks(t0.Add(6*time.Second), 1)
	if err != nil || len(p.States) != 1 || len(p.States[0].Containers) != 0 {
		t.Errorf("the empty tick: %v %+v", err, p.States)
	}
	// Fewer ticks than asked at the start of the history.
	if p, err := s.PastTicks(t0.Add(time.Second), 5); err != nil || len(p.States) != 2 {
		t.Errorf("at the start: %v, %d states", err, len(p.States))
	}
	// Before the history, or long after its last tick: no tick.
	for _, at := range []time.Time{t0.Add(-time.Second), t0.Add(9*time.Second + MaxPastGap + time.Second)} {
		if _, err := s.PastTicks(at, 5); !errors.Is(err, ErrNoTick) {
			t.Errorf("at %v: %v", at, err)
		}
	}
	if _, err := s.PastTicks(t0, 0); err == nil {
		t.Error("n = 0 accepted")
	}
}

func withVSZ(pts map[string]ContainerPoint) map[string]ContainerPoint {
	for id, p := range pts {
		p.VSZBytes, p.Threads = 1<<30, 4
		pts[id] = p
	}
	return pts
}

// Past the raw retention, a past tick is a minute point: every
// container's average over that minute.
func TestPastTicksFolded(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{RawRetention: time.Hour})
	history(t, s, 3*3600, 4) // three hours of 4 containers, from t0
	if _, err := s.Prune(t0.Add(3 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	p, err := s.PastTicks(t0.Add(30*time.Minute+30*time.Second), 5)
	if err != nil {
		t.Fatal(err)
	}
	if p.Step != time.Minute || len(p.States) != 5 {
		t.Fatalf("step %v, %d states", p.Step, len(p.States))
	}
	if got := p.States[4].Time; !got.Equal(t0.Add(30 * time.Minute)) {
		t.Errorf("last state at %v", got)
	}
	for _, st := range p.States {
		if len(st.Containers) != 4 {
			t.Fatalf("%v: %d containers", st.Time, len(st.Containers))
		}
		for _, c := range st.Containers {
			// Container i has CPU % i at every tick: so has its minute.
			want := map[string]float64{"c0": 0, "c1": 1, "c2": 2, "c3": 3}[c.Name]
			if c.CPUPercent != want || !c.Running {
				t.Errorf("%v %s: cpu %v running %v", st.Time, c.Name, c.CPUPercent, c.Running)
			}
		}
	}
	// Raw ticks still answer where they are kept.
	if p, err := s.PastTicks(t0.Add(150*time.Minute), 2); err != nil || p.Step != 0 || len(p.States) != 2 {
		t.Errorf("raw part: %v %v %d", err, p.Step, len(p.States))
	}
}
