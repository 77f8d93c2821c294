package quota

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// ctr is a workload container of the agent's class with the ranking's
// figures; its kind matters only to the kind source.
func ctr(id, class string, cpu, ram float64) policy.Container {
	return policy.Container{ID: id, Kind: "cpu", Class: class, CPUPercent: cpu, RAMPercent: ram, Created: t0}
}

func decide(t *testing.T, p *Policy, cs ...policy.Container) []policy.Decision {
	t.Helper()
	ds, err := p.Decide(context.Background(), &policy.Snapshot{Time: t0.Add(time.Minute), Containers: cs})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func ids(ds []policy.Decision) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ContainerID)
	}
	return out
}

func TestDecide(t *testing.T) {
	withRSS := func(c policy.Container, rss, vsz uint64) policy.Container {
		c.RSSBytes, c.VSZBytes = rss, vsz
		return c
	}
	older := func(c policy.Container, d time.Duration) policy.Container { c.Created = c.Created.Add(-d); return c }
	prot := func(c policy.Container) policy.Container { c.Protected = true; return c }

	for _, tc := range []struct {
		name      string
		high, low int
		cs        []policy.Container
		want      []string
	}{
		{name: "nothing running", high: 2, low: 3},
		{
			name: "within quota", high: 2, low: 3,
			cs: []policy.Container{ctr("h1", "high", 90, 1), ctr("l1", "low", 0.1, 0.1)},
		},
		{
			name: "the heaviest of each class are kept; victims heaviest first", high: 2, low: 3,
			cs: []policy.Container{
				ctr("h50", "high", 50, 1), ctr("h99", "high", 99, 1), ctr("h10", "high", 10, 1), ctr("h75", "high", 75, 1),
				ctr("l3", "low", 0.3, 0.1), ctr("l1", "low", 0.1, 0.1), ctr("l5", "low", 0.5, 0.1), ctr("l2", "low", 0.2, 0.1), ctr("l4", "low", 0.4, 0.1),
			},
			// kept: h99, h75; l5, l4, l3.
			want: []string{"h50", "h10", "l2", "l1"},
		},
		{
			name: "CPU ties go to RAM, then RSS, then VSZ", high: 1, low: 0,
			cs: []policy.Container{
				withRSS(ctr("a", "high", 50, 3), 10, 10),
				withRSS(ctr("b", "high", 50, 4), 1, 1), // kept: most RAM %
				withRSS(ctr("c", "high", 50, 3), 20, 5),
				withRSS(ctr("d", "high", 50, 3), 20, 9),
			},
			want: []string{"d", "c", "a"},
		},
		{
			name: "equal figures: the older is kept", high: 1, low: 0,
			cs:   []policy.Container{ctr("young", "high", 50, 1), older(ctr("old", "high", 50, 1), time.Minute)},
			want: []string{"young"},
		},
		{
			name: "victims of both classes merged by the ranking", high: 1, low: 1,
			cs: []policy.Container{
				ctr("l9", "low", 0.9, 0), ctr("h5", "high", 5, 0), ctr("l8", "low", 0.8, 0),
				ctr("h90", "high", 90, 0), ctr("h3", "high", 3, 0), ctr("l1", "low", 0.1, 0),
			},
			want: []string{"h5", "h3", "l8", "l1"},
		},
		{
			// A high one by RAM can use less CPU than a low one: the
			// ranking, not the class, orders the victims.
			name: "a low victim heavier than a high one goes first", high: 1, low: 1,
			cs: []policy.Container{
				ctr("hcpu", "high", 90, 0.1), ctr("hram", "high", 0.5, 5), ctr("lkeep", "low", 1.2, 0.1), ctr("lbusy", "low", 1.0, 0.1),
			},
			want: []string{"lbusy", "hram"},
		},
		{
			name: "zero quotas remove every classified container", high: 0, low: 0,
			cs:   []policy.Container{ctr("h", "high", 10, 0), ctr("l", "low", 0, 0), ctr("new", "", 0, 0)},
			want: []string{"h", "l"},
		},
		{
			name: "protected ones neither count nor go", high: 1, low: 1,
			cs: []policy.Container{
				prot(ctr("sink", "high", 99, 9)), ctr("h1", "high", 50, 0), ctr("h2", "high", 40, 0),
				prot(ctr("grafana", "low", 1, 1)), ctr("l1", "low", 0.5, 0),
			},
			want: []string{"h2"},
		},
		{
			name: "containers without a rate are left alone", high: 0, low: 0,
			cs:   []policy.Container{ctr("fresh", "", 0, 0), ctr("x", "high", 1, 0)},
			want: []string{"x"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Defaults()
			p.High, p.Low = tc.high, tc.low
			ds := decide(t, p, tc.cs...)
			if got := ids(ds); !slices.Equal(got, tc.want) {
				t.Errorf("victims %q, want %q", got, tc.want)
			}
			for _, d := range ds {
				if d.Action != policy.Remove {
					t.Errorf("%s: action %v", d.ContainerID, d.Action)
				}
			}
		})
	}
}

// Containers without a kind are no workload: left alone unless asked.
func TestDecideUnkinded(t *testing.T) {
	grafana := ctr("grafana", "high", 99, 9)
	grafana.Kind = ""
	notes := ctr("notes", "low", 0.5, 0)
	notes.Kind = ""
	cs := []policy.Container{grafana, ctr("h1", "high", 50, 0), ctr("h2", "high", 40, 0), notes, ctr("l1", "low", 0.1, 0)}
	for _, tc := range []struct {
		unkinded string
		want     []string
	}{
		{UnkindedLeave, []string{"h2"}},
		// grafana is the heaviest high and stays; h1 and h2 go; notes
		// outranks l1 among the low.
		{UnkindedRank, []string{"h1", "h2", "l1"}},
	} {
		p := Defaults()
		p.High, p.Low, p.Unkinded = 1, 1, tc.unkinded
		if got := ids(decide(t, p, cs...)); !slices.Equal(got, tc.want) {
			t.Errorf("unkinded %s: victims %q, want %q", tc.unkinded, got, tc.want)
		}
	}
}

// Profile B's three kinds under each class source: which ones stay
// depends on where the classes come from.
func TestDecideSources(t *testing.T) {
	// On a 4 GiB machine: cpu busy, ram holding 128 MiB (3.1 %), low asleep.
	mk := func(id, kind string, cpu, ram float64) policy.Container {
		c := ctr(id, "low", cpu, ram)
		c.Kind = kind
		return c
	}
	cs := []policy.Container{
		mk("cpu1", "cpu", 98, 0.1), mk("cpu2", "cpu", 97, 0.1), mk("cpu3", "cpu", 60, 0.1),
		mk("ram1", "ram", 0.5, 3.1), mk("ram2", "ram", 0.4, 3.1), mk("ram3", "ram", 0.3, 3.2),
		mk("low1", "low", 0.02, 0.05), mk("low2", "low", 0.01, 0.05), mk("low3", "low", 0, 0.05), mk("low4", "low", 0, 0.04),
	}
	for _, tc := range []struct {
		name     string
		source   string
		cpu, ram float64
		want     []string
	}{
		// high: cpu×3 + ram×3 (RAM > 2 %): keep cpu1, cpu2; low: the four lows, keep low1..3.
		{"measured 1.3/2.0", SourceMeasured, 1.3, 2.0, []string{"cpu3", "ram1", "ram2", "ram3", "low4"}},
		// high: cpu×3; low: ram×3 and low×4, ranked by CPU first: ram1..3 stay.
		{"measured 20/20", SourceMeasured, 20, 20, []string{"cpu3", "low1", "low2", "low3", "low4"}},
		{"kind", SourceKind, 0, 0, []string{"cpu3", "ram1", "ram2", "ram3", "low4"}},
	} {
		p := Defaults()
		p.ClassSource, p.CPUPercent, p.RAMPercent = tc.source, tc.cpu, tc.ram
		if got := ids(decide(t, p, cs...)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: victims %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The reason names the class, the rank and the figures; the action is
// the configured one.
func TestDecideReason(t *testing.T) {
	p := Defaults()
	p.High, p.Action = 1, policy.Stop
	a, b := ctr("a", "high", 80, 1), ctr("b", "high", 42.5, 2.25)
	b.RSSBytes, b.VSZBytes = 128<<20, 1<<30
	ds := decide(t, p, a, b)
	if len(ds) != 1 || ds[0].ContainerID != "b" || ds[0].Action != policy.Stop {
		t.Fatalf("decisions %+v", ds)
	}
	for _, part := range []string{"class high", "rank 2 of 2", "42.5 %", "2.2 %", "128.0 MiB", "1.0 GiB", "beyond the 1 high kept"} {
		if !strings.Contains(ds[0].Reason, part) {
			t.Errorf("reason %q lacks %q", ds[0].Reason, part)
		}
	}
}
