package pressure

import (
	"slices"
	"strings"
	"testing"

	"github.com/kwarden/kwarden/agent/policy"
)

const mib = 1 << 20

// ws is a container with a working set of m MiB growing g MiB/s.
// ws is a container whose working set and usage are both m MiB, growing
// g MiB a second.
func ws(id string, m, g float64) policy.Container {
	return policy.Container{ID: id, WorkingSetBytes: uint64(m * mib), WorkingSetGrowth: g * mib,
		MemUsageBytes: uint64(m * mib), MemUsageGrowth: g * mib}
}

func TestRank(t *testing.T) {
	prot := func(c policy.Container) policy.Container { c.Protected = true; return c }
	for _, tc := range []struct {
		name      string
		size, pct float64 // size_threshold_percent, growing_size_percentile
		minGrowth float64 // MiB/s
		cs        []policy.Container
		want      []string
	}{
		{name: "nothing running", size: 50, pct: 80},
		{
			name: "one holds most of the memory: it, then the big growers", size: 50, pct: 80,
			// total 740: hog's 600 > 370. Sizes sorted: 10×5, 40, 50, 600; the 80th percentile of 8 is the 7th, 50.
			cs: []policy.Container{
				ws("hog", 600, 0), ws("b40", 40, 9), ws("b50", 50, 1), ws("s1", 10, 50), ws("s2", 10, 0),
				ws("s3", 10, 0), ws("s4", 10, 0), ws("s5", 10, 0),
			},
			// s1 grows fastest but is small; b40 is below the 50 cut.
			want: []string{"hog", "b50"},
		},
		{
			name: "nothing big: the fastest of the biggest fifth", size: 50, pct: 80,
			// 10 containers of 100..1000: cut at the 8th, 800.
			cs: []policy.Container{
				ws("c100", 100, 99), ws("c200", 200, 0), ws("c300", 300, 0), ws("c400", 400, 0), ws("c500", 500, 0),
				ws("c600", 600, 0), ws("c700", 700, 50), ws("c800", 800, 2), ws("c900", 900, 3), ws("c1000", 1000, 1),
			},
			want: []string{"c900", "c800", "c1000"},
		},
		{
			name: "shrinking and idle big ones are no growers", size: 50, pct: 0,
			cs:   []policy.Container{ws("a", 300, -5), ws("b", 300, 0), ws("c", 300, 0.5)},
			want: []string{"c"},
		},
		{
			name: "a minimum growth", size: 50, pct: 0, minGrowth: 1,
			cs:   []policy.Container{ws("a", 300, 1), ws("b", 300, 1.5), ws("c", 300, 4)},
			want: []string{"c", "b"},
		},
		{
			name: "a lower size threshold admits several, largest first", size: 20, pct: 100,
			cs: []policy.Container{ws("a", 300, 0), ws("b", 500, 0), ws("c", 150, 0), ws("d", 50, 9)},
			// total 1000: a and b are above 200. The 100th percentile is the largest size, 500: d grows but is far below it.
			want: []string{"b", "a"},
		},
		{
			name: "protected containers count in neither the total nor the list", size: 50, pct: 80,
			// without p the total is 200 and x holds 60 %.
			cs:   []policy.Container{prot(ws("p", 5000, 100)), ws("x", 120, 0), ws("y", 80, 0)},
			want: []string{"x"},
		},
		{
			name: "equal figures rank by id", size: 50, pct: 0,
			cs:   []policy.Container{ws("n", 100, 2), ws("m", 100, 2), ws("o", 100, 2)},
			want: []string{"m", "n", "o"},
		},
		{
			name: "no working sets known", size: 50, pct: 80,
			cs: []policy.Container{ws("a", 0, 0), ws("b", 0, 0)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Defaults()
			p.SizeThresholdPercent, p.GrowingSizePercentile, p.MinGrowthBytesPerSecond = tc.size, tc.pct, tc.minGrowth*mib
			var got []string
			for _, c := range p.rank(tc.cs) {
				got = append(got, c.c.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ranked %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	var cs []*policy.Container
	for _, m := range []float64{5, 1, 4, 2, 3} {
		c := ws("", m, 0)
		cs = append(cs, &c)
	}
	for _, tc := range []struct {
		pct  float64
		want float64
	}{{0, 1}, {20, 1}, {21, 2}, {50, 3}, {80, 4}, {81, 5}, {100, 5}} {
		if got := percentile(cs, func(c *policy.Container) uint64 { return c.WorkingSetBytes }, tc.pct); got != uint64(tc.want*mib) {
			t.Errorf("percentile %g: %d MiB, want %g", tc.pct, got/mib, tc.want)
		}
	}
}

// A container that thrashes its page cache in its memory limit stalls
// the machine with a small working set: its pages sit on the inactive
// list, which working_set leaves out. usage (the default, oomd's
// memory.current) counts them and names it; working_set names the
// steady container that merely holds more anonymous memory.
func TestRankSize(t *testing.T) {
	thrasher := policy.Container{ID: "thrasher", MemUsageBytes: 64 * mib, WorkingSetBytes: 3 * mib}
	holder := policy.Container{ID: "holder", MemUsageBytes: 20 * mib, WorkingSetBytes: 20 * mib}
	for size, want := range map[string]string{"usage": "thrasher", "working_set": "holder"} {
		p := Defaults()
		p.Size = size
		got := p.rank([]policy.Container{thrasher, holder})
		if len(got) == 0 || got[0].c.ID != want {
			t.Errorf("size %s: ranked %+v, want %s first", size, got, want)
			continue
		}
		words := map[string]string{"usage": "memory usage 64.0 MiB", "working_set": "working set 20.0 MiB"}[size]
		if !strings.HasPrefix(got[0].why, words) {
			t.Errorf("size %s: reason %q", size, got[0].why)
		}
	}
	p := Defaults()
	p.Size = "rss"
	if err := p.Validate(); err == nil {
		t.Error("size rss accepted")
	}
}
