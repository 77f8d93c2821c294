package threshold

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/internal/duration"
)

const gib = 1 << 30

// cpuPolicy limits CPU to 100 % of a core, grace 30 s, transition 60 s.
func cpuPolicy() *Policy {
	return &Policy{CPUPercent: 100, Grace: duration.Value(30 * time.Second), Transition: duration.Value(time.Minute), Action: policy.Stop}
}

func cpu(id string, pct float64) policy.Container { return policy.Container{ID: id, CPUPercent: pct} }

// step is one round: the snapshot's containers at sec seconds and the
// victims wanted, in rank order.
type step struct {
	sec     int
	trigger policy.Trigger
	cs      []policy.Container
	want    []string
}

func run(t *testing.T, p *Policy, steps []step) {
	t.Helper()
	for _, st := range steps {
		trig := st.trigger
		if trig == policy.TriggerUnspecified {
			trig = policy.TriggerTick
		}
		ds, err := p.Decide(context.Background(), &policy.Snapshot{Time: at(st.sec), Trigger: trig, Containers: st.cs,
			System: policy.System{MemTotalBytes: 8 * gib, MemUsedBytes: 2 * gib}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.ContainerID)
			if d.Action != p.Action {
				t.Errorf("at %d s: %s: action %v, want %v", st.sec, d.ContainerID, d.Action, p.Action)
			}
		}
		if !slices.Equal(got, st.want) {
			t.Errorf("at %d s: victims %q, want %q", st.sec, got, st.want)
		}
	}
}

func TestDecideRounds(t *testing.T) {
	prot := func(c policy.Container) policy.Container { c.Protected = true; return c }
	for _, tc := range []struct {
		name       string
		transition time.Duration // -1: 0
		steps      []step
	}{
		{
			name: "acted on after the grace period, furthest above first",
			steps: []step{
				{sec: 0, cs: []policy.Container{cpu("a", 150), cpu("b", 50), cpu("c", 99)}},
				{sec: 10, cs: []policy.Container{cpu("a", 150), cpu("b", 200), cpu("c", 100)}}, // c at the limit is not above
				{sec: 20, cs: []policy.Container{cpu("a", 150), cpu("b", 200), cpu("c", 100)}},
				{sec: 30, cs: []policy.Container{cpu("a", 150), cpu("b", 200), cpu("c", 100)}, want: []string{"a"}},
				{sec: 40, cs: []policy.Container{cpu("a", 150), cpu("b", 200), cpu("c", 100)}, want: []string{"b", "a"}},
			},
		},
		{
			name: "flapping keeps the episode within the transition period",
			steps: []step{
				{sec: 0, cs: []policy.Container{cpu("a", 150)}},
				{sec: 10, cs: []policy.Container{cpu("a", 80)}},
				{sec: 20, cs: []policy.Container{cpu("a", 150)}},
				{sec: 30, cs: []policy.Container{cpu("a", 80)}}, // sustained long enough, but below now
				{sec: 40, cs: []policy.Container{cpu("a", 150)}, want: []string{"a"}},
			},
		},
		{
			name: "without a transition period, flapping escapes", transition: -1,
			steps: []step{
				{sec: 0, cs: []policy.Container{cpu("a", 150)}},
				{sec: 10, cs: []policy.Container{cpu("a", 80)}},
				{sec: 20, cs: []policy.Container{cpu("a", 150)}},
				{sec: 30, cs: []policy.Container{cpu("a", 80)}},
				{sec: 40, cs: []policy.Container{cpu("a", 150)}},
				{sec: 50, cs: []policy.Container{cpu("a", 150)}},
				{sec: 70, cs: []policy.Container{cpu("a", 150)}, want: []string{"a"}},
			},
		},
		{
			name: "below for the transition period starts over",
			steps: []step{
				{sec: 0, cs: []policy.Container{cpu("a", 150)}},
				{sec: 10, cs: []policy.Container{cpu("a", 80)}},
				{sec: 70, cs: []policy.Container{cpu("a", 80)}},
				{sec: 80, cs: []policy.Container{cpu("a", 150)}},
				{sec: 100, cs: []policy.Container{cpu("a", 150)}},
				{sec: 110, cs: []policy.Container{cpu("a", 150)}, want: []string{"a"}},
			},
		},
		{
			name: "a container that disappears is forgotten",
			steps: []step{
				{sec: 0, cs: []policy.Container{cpu("a", 150), cpu("b", 150)}},
				{sec: 20, cs: []policy.Container{cpu("b", 150)}},
				{sec: 30, cs: []policy.Container{cpu("a", 150), cpu("b", 150)}, want: []string{"b"}},
				{sec: 50, cs: []policy.Container{cpu("a", 150), cpu("b", 150)}, want: []string{"b"}},
				{sec: 60, cs: []policy.Container{cpu("a", 150), cpu("b", 150)}, want: []string{"a", "b"}},
			},
		},
		{
			name: "protected containers have no timers and are never victims",
			steps: []step{
				{sec: 0, cs: []policy.Container{prot(cpu("p", 400))}},
				{sec: 30, cs: []policy.Container{prot(cpu("p", 400))}},
				// no longer protected: its episode begins now.
				{sec: 40, cs: []policy.Container{cpu("p", 400)}},
				{sec: 60, cs: []policy.Container{cpu("p", 400)}},
				{sec: 70, cs: []policy.Container{cpu("p", 400)}, want: []string{"p"}},
			},
		},
		{
			name: "a dry run and a replay see the timers but do not move them",
			steps: []step{
				{sec: 0, cs: []policy.Container{cpu("a", 150)}},
				{sec: 20, trigger: policy.TriggerDryRun, cs: []policy.Container{cpu("a", 150), cpu("b", 150)}},
				{sec: 30, trigger: policy.TriggerReplay, cs: []policy.Container{cpu("a", 150), cpu("b", 150)}, want: []string{"a"}},
				// a's episode was not ended by the dry run that left it out.
				{sec: 40, trigger: policy.TriggerDryRun, cs: []policy.Container{cpu("b", 150)}},
				// b's episode begins at 50: the dry run's sighting at 20 did not count.
				{sec: 50, cs: []policy.Container{cpu("a", 150), cpu("b", 150)}, want: []string{"a"}},
				{sec: 80, trigger: policy.TriggerPressure, cs: []policy.Container{cpu("a", 150), cpu("b", 150)}, want: []string{"a", "b"}},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := cpuPolicy()
			if tc.transition < 0 {
				p.Transition = 0
			}
			run(t, p, tc.steps)
		})
	}
}

// Every sustained limit is named with its figure, overshoot and time;
// the ranking takes the furthest above any of its limits.
func TestDecideSignalsAndReason(t *testing.T) {
	p := &Policy{CPUPercent: 100, WorkingSetBytes: 512 << 20, RAMPercent: 10, Grace: duration.Value(30 * time.Second),
		Transition: duration.Value(time.Minute), Action: policy.Remove}
	both := policy.Container{ID: "both", CPUPercent: 120, WorkingSetBytes: 612 << 20, RAMPercent: 25} // RAM 2.5 × its limit
	cpuOnly := policy.Container{ID: "cpu", CPUPercent: 300}                                           // 3 × its limit
	ws := policy.Container{ID: "ws", WorkingSetBytes: 1 << 30}                                        // 2 ×
	ok := policy.Container{ID: "ok", CPUPercent: 99, WorkingSetBytes: 512 << 20, RAMPercent: 10}
	cs := []policy.Container{both, cpuOnly, ws, ok}
	if ds, _ := p.Decide(context.Background(), &policy.Snapshot{Time: t0, Containers: cs}); len(ds) != 0 {
		t.Fatalf("acted in the first round: %+v", ds)
	}
	ds, _ := p.Decide(context.Background(), &policy.Snapshot{Time: t0.Add(45 * time.Second), Containers: cs})
	var got []string
	for _, d := range ds {
		got = append(got, d.ContainerID)
	}
	if want := []string{"cpu", "both", "ws"}; !slices.Equal(got, want) {
		t.Fatalf("victims %q, want %q", got, want)
	}
	wantReason := "CPU 120.0 % over its 100.0 % limit by 20.0 points for 45s (grace 30s); " +
		"working set 612.0 MiB over its 512.0 MiB limit by 100.0 MiB for 45s (grace 30s); " +
		"RAM 25.0 % over its 10.0 % limit by 15.0 points for 45s (grace 30s)"
	if ds[1].Reason != wantReason {
		t.Errorf("reason\n %q\nwant\n %q", ds[1].Reason, wantReason)
	}
}

// The machine's limit chooses the largest working sets until the
// projection is below the limit less the minimum reclaim, counting the
// container limits' victims first.
func TestDecideMachineReclaim(t *testing.T) {
	ws := func(id string, b uint64) policy.Container { return policy.Container{ID: id, WorkingSetBytes: b} }
	cs := []policy.Container{
		ws("w", gib/4), ws("x", 3*gib/2), ws("y", gib), {ID: "z", WorkingSetBytes: 3 * gib / 4, CPUPercent: 400},
		{ID: "p", WorkingSetBytes: 3 * gib, Protected: true}, ws("empty", 0),
	}
	for _, tc := range []struct {
		name        string
		cpu         float64
		reclaim     uint64
		used        uint64
		want, first []string // victims after the grace period; in the first round
	}{
		// 8 GiB, limit 75 % = 6 GiB, used 7 GiB.
		{name: "no minimum reclaim: below 6 GiB", used: 7 * gib, want: []string{"x"}},
		{name: "reclaim 1 GiB: below 5 GiB", reclaim: gib, used: 7 * gib, want: []string{"x", "y"}},
		// z goes for its CPU (7 − 0.75 = 6.25 GiB projected), then x.
		{name: "container victims count first", cpu: 100, reclaim: gib, used: 7 * gib, want: []string{"z", "x"}},
		// the target is 0: every container with a working set, largest first.
		{name: "a reclaim beyond the limit takes all", reclaim: 7 * gib, used: 7 * gib, want: []string{"x", "y", "z", "w"}},
		{name: "at the limit is not above it", reclaim: gib, used: 6 * gib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Policy{CPUPercent: tc.cpu, MachineMemoryPercent: 75, MinimumReclaimBytes: tc.reclaim,
				Grace: duration.Value(20 * time.Second), Transition: duration.Value(time.Minute), Action: policy.Kill}
			for i, sec := range []int{0, 20} {
				ds, _ := p.Decide(context.Background(), &policy.Snapshot{Time: at(sec), Containers: cs,
					System: policy.System{MemTotalBytes: 8 * gib, MemUsedBytes: tc.used}})
				var got []string
				for _, d := range ds {
					got = append(got, d.ContainerID)
				}
				want := tc.want
				if i == 0 {
					want = tc.first
				}
				if !slices.Equal(got, want) {
					t.Errorf("at %d s: victims %q, want %q", sec, got, want)
				}
			}
		})
	}

	p := &Policy{MachineMemoryPercent: 75, MinimumReclaimBytes: gib, Action: policy.Kill}
	ds, _ := p.Decide(context.Background(), &policy.Snapshot{Time: t0, Containers: cs,
		System: policy.System{MemTotalBytes: 8 * gib, MemUsedBytes: 7 * gib}})
	if len(ds) != 2 {
		t.Fatalf("grace 0: %+v", ds)
	}
	for _, part := range []string{"machine memory used 7.0 GiB (87.5 %) over its 75 % limit (6.0 GiB) by 1.0 GiB for 0s",
		"largest working set left, 1.0 GiB", "projected use 4.5 GiB", "below 5.0 GiB", "minimum reclaim of 1.0 GiB"} {
		if !strings.Contains(ds[1].Reason, part) {
			t.Errorf("reason %q lacks %q", ds[1].Reason, part)
		}
	}
	// Without the machine's size there is nothing to compare with.
	if ds, _ := p.Decide(context.Background(), &policy.Snapshot{Time: t0, Containers: cs}); len(ds) != 0 {
		t.Errorf("no MemTotal: %+v", ds)
	}
}

// The SDK configures by copying the defaults; the copy must not inherit
// the timers the defaults gathered, nor disturb them.
func TestReconfigureStartsOver(t *testing.T) {
	d := cpuPolicy()
	snap := func(sec int) *policy.Snapshot {
		return &policy.Snapshot{Time: at(sec), Trigger: policy.TriggerTick, Containers: []policy.Container{cpu("a", 150)}}
	}
	d.Decide(context.Background(), snap(0))
	p, err := policy.DecodeConfig(d, []byte(`{"cpu_percent": 120}`))
	if err != nil {
		t.Fatal(err)
	}
	if ds, _ := p.Decide(context.Background(), snap(30)); len(ds) != 0 {
		t.Errorf("the new configuration acted on the old one's timer: %+v", ds)
	}
	if ds, _ := p.Decide(context.Background(), snap(60)); len(ds) != 1 {
		t.Errorf("the new configuration's own episode: %+v", ds)
	}
	if ds, _ := d.Decide(context.Background(), snap(30)); len(ds) != 1 {
		t.Errorf("the defaults lost their timer: %+v", ds)
	}
}
