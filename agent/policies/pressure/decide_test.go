package pressure

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// snap is the machine at sec seconds with memory PSI some avg10 at
// some, full avg60 at full.
func snap(sec int, trigger policy.Trigger, some, full float64, cs ...policy.Container) *policy.Snapshot {
	return &policy.Snapshot{Time: t0.Add(time.Duration(sec) * time.Second), Trigger: trigger, Containers: cs,
		System: policy.System{Pressure: &policy.Pressure{Memory: policy.PressureResource{
			Some: policy.PressureFigures{Avg10: some}, Full: policy.PressureFigures{Avg60: full}}}}}
}

func victims(t *testing.T, p *Policy, s *policy.Snapshot) []string {
	t.Helper()
	ds, err := p.Decide(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.ContainerID)
		if d.Action != p.Action {
			t.Errorf("%s: action %v, want %v", d.ContainerID, d.Action, p.Action)
		}
	}
	return out
}

func TestDecide(t *testing.T) {
	cs := []policy.Container{ws("hog", 700, 0), ws("a", 200, 5), ws("b", 100, 1)}
	for _, tc := range []struct {
		name string
		p    func(*Policy)
		s    *policy.Snapshot
		want []string
	}{
		{name: "above the threshold: the one victim", s: snap(0, policy.TriggerTick, 10.5, 0, cs...), want: []string{"hog"}},
		{name: "at the threshold: nothing", s: snap(0, policy.TriggerTick, 10, 0, cs...)},
		{name: "below: nothing", s: snap(0, policy.TriggerTick, 2, 0, cs...)},
		{name: "no PSI: nothing", s: &policy.Snapshot{Time: t0, Containers: cs}},
		{name: "more victims", p: func(p *Policy) { p.Victims = 5; p.GrowingSizePercentile = 0 },
			s: snap(0, policy.TriggerPressure, 50, 0, cs...), want: []string{"hog", "a", "b"}},
		{name: "another figure", p: func(p *Policy) { p.Figure, p.ThresholdPercent = "full_avg60", 1 },
			s: snap(0, policy.TriggerTick, 0, 1.5, cs...), want: []string{"hog"}},
		{name: "another figure, below", p: func(p *Policy) { p.Figure, p.ThresholdPercent = "full_avg60", 1 },
			s: snap(0, policy.TriggerTick, 90, 0.5, cs...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Defaults()
			if tc.p != nil {
				tc.p(p)
			}
			if got := victims(t, p, tc.s); !slices.Equal(got, tc.want) {
				t.Errorf("victims %q, want %q", got, tc.want)
			}
		})
	}
}

// After a round that decided, the policy waits for the cooldown; dry
// runs and replays do not start one; a clock set back does not hold it.
func TestDecideCooldown(t *testing.T) {
	p := Defaults()
	hog := ws("hog", 900, 0)
	small := ws("small", 100, 0)
	for _, st := range []struct {
		sec     int
		trigger policy.Trigger
		want    []string
	}{
		{0, policy.TriggerDryRun, []string{"hog"}},
		{1, policy.TriggerReplay, []string{"hog"}},
		{2, policy.TriggerTick, []string{"hog"}},
		{10, policy.TriggerPressure, nil},
		{16, policy.TriggerDryRun, nil},
		{17, policy.TriggerTick, []string{"hog"}},
		{5, policy.TriggerTick, []string{"hog"}}, // the clock went back 12 s
		{19, policy.TriggerTick, nil},
	} {
		if got := victims(t, p, snap(st.sec, st.trigger, 40, 0, hog, small)); !slices.Equal(got, st.want) {
			t.Errorf("at %d s (%v): victims %q, want %q", st.sec, st.trigger, got, st.want)
		}
	}
	// A round that decided nothing starts no cooldown.
	p = Defaults()
	victims(t, p, snap(0, policy.TriggerTick, 40, 0, ws("a", 100, 0), ws("b", 100, 0)))
	if got := victims(t, p, snap(1, policy.TriggerTick, 40, 0, hog, small)); !slices.Equal(got, []string{"hog"}) {
		t.Errorf("after an empty round: %q", got)
	}
}

func TestDecideReason(t *testing.T) {
	p := Defaults()
	ds, _ := p.Decide(context.Background(), snap(0, policy.TriggerTick, 34.5, 0, ws("hog", 3*1024, 0), ws("b", 1024, 2)))
	if len(ds) != 1 {
		t.Fatalf("decisions %+v", ds)
	}
	want := "memory PSI some_avg10 34.5 % above 10 %; memory usage 3.0 GiB is 75.0 % of the containers' 4.0 GiB, above 50 %: the largest"
	if ds[0].Reason != want {
		t.Errorf("reason\n %q\nwant\n %q", ds[0].Reason, want)
	}

	p = Defaults()
	p.GrowingSizePercentile = 50
	ds, _ = p.Decide(context.Background(), snap(0, policy.TriggerTick, 34.5, 0, ws("a", 400, 0), ws("b", 400, 12), ws("c", 200, 0)))
	if len(ds) != 1 || ds[0].ContainerID != "b" {
		t.Fatalf("decisions %+v", ds)
	}
	for _, part := range []string{"growing 12.0 MiB/s", "50th percentile by size (400.0 MiB)", "none above 50 % of the containers' 1000.0 MiB"} {
		if !strings.Contains(ds[0].Reason, part) {
			t.Errorf("reason %q lacks %q", ds[0].Reason, part)
		}
	}
}

func TestDecideUnknownFigure(t *testing.T) {
	p := Defaults()
	p.Figure = "some_avg5"
	if _, err := p.Decide(context.Background(), snap(0, policy.TriggerTick, 40, 0)); err == nil {
		t.Error("an unknown figure decided")
	}
}

// some_recent is the share of time stalled since the previous round,
// from the stall counter: nothing at the first round, a decision as soon
// as a round sees the counter grow by more than the threshold, and dry
// runs read it without moving the reference.
func TestDecideRecent(t *testing.T) {
	p := Defaults()
	p.Figure, p.Cooldown = "some_recent", 0
	at := func(ms int, trigger policy.Trigger, total time.Duration) *policy.Snapshot {
		s := snap(0, trigger, 0, 0, ws("hog", 900, 0), ws("small", 100, 0))
		s.Time = t0.Add(time.Duration(ms) * time.Millisecond)
		s.System.Pressure.Memory.Some.Total = total
		return s
	}
	for _, st := range []struct {
		ms      int
		trigger policy.Trigger
		total   time.Duration
		want    []string
	}{
		{0, policy.TriggerTick, 5 * time.Second, nil},                                           // first round: no figure
		{10_000, policy.TriggerTick, 5*time.Second + 500*time.Millisecond, nil},                 // 5 % of 10 s
		{11_000, policy.TriggerDryRun, 5*time.Second + 800*time.Millisecond, []string{"hog"}},   // 30 % of 1 s
		{11_500, policy.TriggerPressure, 5*time.Second + 800*time.Millisecond, []string{"hog"}}, // 20 % of 1.5 s
		{12_000, policy.TriggerTick, 5*time.Second + 800*time.Millisecond, nil},                 // 0 % since
		{13_000, policy.TriggerTick, 4 * time.Second, nil},                                      // counter went back
		{14_000, policy.TriggerTick, 4*time.Second + 200*time.Millisecond, []string{"hog"}},
	} {
		if got := victims(t, p, at(st.ms, st.trigger, st.total)); !slices.Equal(got, st.want) {
			t.Errorf("at %d ms (%v, total %v): victims %q, want %q", st.ms, st.trigger, st.total, got, st.want)
		}
	}
	ds, _ := p.Decide(context.Background(), at(15_000, policy.TriggerTick, 4*time.Second+600*time.Millisecond))
	if len(ds) != 1 || !strings.Contains(ds[0].Reason, "some_recent 40.0 % above 10 %") {
		t.Errorf("reason: %+v", ds)
	}
}
