package store

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/containers"
)

// names lists a ranking's names, in order.
func names(r TopResult) string {
	var out []string
	for _, c := range r.Containers {
		out = append(out, c.Name)
	}
	return strings.Join(out, ",")
}

// A hundred seconds of four containers: a runs throughout (CPU 50 %,
// 10 MiB); b for the first 50 s (CPU 30 %, one tick of 90 %, 5 MiB), then
// removed; c for three ticks at 60–62 s (CPU 100 %, 1 MiB), then
// removed; d from 70 s (idle, 200 MiB).
func rankingHistory(t *testing.T, s *Store) {
	t.Helper()
	info := func(id string, removed int) containers.Container {
		c := containers.Container{ID: id, Name: "kw-" + id, Image: "kwarden/load:" + id, Kind: "k" + id, Created: t0}
		if removed > 0 {
			c.State, c.Removed = "removed", t0.Add(time.Duration(removed)*time.Second)
		}
		return c
	}
	var ticks []Tick
	for k := range 100 {
		pts := map[string]ContainerPoint{"a": {CPUPercent: 50, RSSBytes: 10 << 20}}
		tk := Tick{System: SystemPoint{Time: t0.Add(time.Duration(k) * time.Second), MemTotalBytes: 1 << 30}, Containers: pts}
		if k < 50 {
			pts["b"] = ContainerPoint{CPUPercent: 30, RSSBytes: 5 << 20}
			if k == 10 {
				pts["b"] = ContainerPoint{CPUPercent: 90, RSSBytes: 5 << 20}
			}
		}
		if k >= 60 && k <= 62 {
			pts["c"] = ContainerPoint{CPUPercent: 100, RSSBytes: 1 << 20}
		}
		if k >= 70 {
			pts["d"] = ContainerPoint{RSSBytes: 200 << 20}
		}
		switch k {
		case 0:
			tk.Info = []containers.Container{info("a", 0), info("b", 0), info("c", 0), info("d", 0)}
		case 50:
			tk.Info = []containers.Container{info("b", 50)}
		case 63:
			tk.Info = []containers.Container{info("c", 63)}
		}
		ticks = append(ticks, tk)
	}
	if err := s.WriteTicks(ticks...); err != nil {
		t.Fatal(err)
	}
}

// The ranking is by the mean over the ticks each container was present,
// so c, three ticks at 100 %, comes first, and the removed ones count
// as the running ones do; by peak, b's one tick of 90 % puts it before
// a. Each comes with its description, removal included.
func TestTopContainersRanking(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	rankingHistory(t, s)
	all := func(by, rank string, n int) TopResult {
		t.Helper()
		r, err := s.TopContainers(TopQuery{From: t0, To: t0.Add(time.Hour), By: by, Rank: rank, N: n})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := all(apiv1.FigureCPUPercent, "", 10)
	if got := names(r); got != "kw-c,kw-a,kw-b,kw-d" || r.Present != 4 {
		t.Fatalf("by CPU mean: %s of %d", got, r.Present)
	}
	c, b := r.Containers[0], r.Containers[2]
	if c.Mean != 100 || c.Peak != 100 || c.Samples != 3 || !c.First.Equal(t0.Add(60*time.Second)) ||
		!c.Last.Equal(t0.Add(62*time.Second)) || !c.Removed.Equal(t0.Add(63*time.Second)) || c.Image != "kwarden/load:c" || c.Kind != "kc" {
		t.Errorf("c: %+v", c)
	}
	if want := (49*30 + 90) / 50.0; math.Abs(b.Mean-want) > 1e-9 || b.Peak != 90 || b.Samples != 50 || b.Removed.IsZero() {
		t.Errorf("b: mean %v peak %v over %d, want %v, 90 over 50; removed %v", b.Mean, b.Peak, b.Samples, want, b.Removed)
	}
	if a := r.Containers[1]; a.Samples != 100 || !a.Removed.IsZero() {
		t.Errorf("a: %+v", a)
	}
	if got := names(all(apiv1.FigureCPUPercent, apiv1.RankPeak, 3)); got != "kw-c,kw-b,kw-a" {
		t.Errorf("by CPU peak: %s", got)
	}
	if got := names(all(apiv1.FigureRSSBytes, "", 2)); got != "kw-d,kw-a" {
		t.Errorf("by RSS, two: %s", got)
	}
	if r := all(apiv1.FigureRSSBytes, "", 0); len(r.Containers) != DefaultTopN-1 {
		t.Errorf("n 0 gives %d containers, want all 4 (the default is %d)", len(r.Containers), DefaultTopN)
	}
}

// The range's ends are included, and a container with no point inside
// it is not ranked.
func TestTopContainersRange(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	rankingHistory(t, s)
	for _, c := range []struct {
		from, to int
		want     string
	}{
		{62, 62, "kw-c,kw-a"}, // one tick: a and c's last
		{60, 60, "kw-c,kw-a"},
		{63, 69, "kw-a"}, // after c, before d
		{49, 49, "kw-a,kw-b"},
		{50, 59, "kw-a"},
		{100, 200, ""}, // after the history
	} {
		r, err := s.TopContainers(TopQuery{From: t0.Add(time.Duration(c.from) * time.Second),
			To: t0.Add(time.Duration(c.to) * time.Second), By: apiv1.FigureCPUPercent, N: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got := names(r); got != c.want || r.Present != len(r.Containers) {
			t.Errorf("%d–%d s: %q of %d, want %q", c.from, c.to, got, r.Present, c.want)
		}
	}
}

// Beyond the raw retention the points are minute points: a container
// that lived only there is ranked, its mean over the ticks it lived is
// what the raw ticks gave (each minute point counts for the ticks it
// folded), and its peak is of minute means; a container present in
// both parts is summed over both.
func TestTopContainersMinutePoints(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{RawRetention: time.Hour})
	const n = 3 * 3600
	var batch []Tick
	for k := range n {
		pts := map[string]ContainerPoint{
			// Varies within every minute: 0 … 59, mean 29.5.
			"live": {CPUPercent: float64(k % 60), RSSBytes: 1 << 20},
		}
		if k < 600 {
			pts["old"] = ContainerPoint{CPUPercent: 40 + float64(k%60), RSSBytes: 1 << 20}
		}
		tk := Tick{System: SystemPoint{Time: t0.Add(time.Duration(k) * time.Second), MemTotalBytes: 1 << 30}, Containers: pts}
		if k == 0 {
			tk.Info = []containers.Container{{ID: "live", Name: "kw-live"}, {ID: "old", Name: "kw-old"}}
		}
		if k == 600 {
			tk.Info = []containers.Container{{ID: "old", Name: "kw-old", State: "removed", Removed: tk.System.Time}}
		}
		batch = append(batch, tk)
		if len(batch) == 1000 || k == n-1 {
			if err := s.WriteTicks(batch...); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	now := t0.Add(n * time.Second)
	if _, err := s.Prune(now); err != nil {
		t.Fatal(err)
	}
	// The first two hours are minute points now.
	if pts, _, _ := s.ContainerSeries("old", RangeQuery{From: t0, To: now}); len(pts) != 10 || pts[0].Samples != 60 {
		t.Fatalf("old: %d points, first %+v; want 10 minute points", len(pts), pts[0])
	}
	r, err := s.TopContainers(TopQuery{From: t0, To: now, By: apiv1.FigureCPUPercent})
	if err != nil {
		t.Fatal(err)
	}
	if names(r) != "kw-old,kw-live" {
		t.Fatalf("ranking %s", names(r))
	}
	old, live := r.Containers[0], r.Containers[1]
	if old.Mean != 69.5 || old.Peak != 69.5 || old.Samples != 600 || old.Removed.IsZero() ||
		!old.First.Equal(t0) || !old.Last.Equal(t0.Add(9*time.Minute)) {
		t.Errorf("old: %+v; want mean and peak 69.5 (minute means) over 600 ticks", old)
	}
	if live.Mean != 29.5 || live.Peak != 59 || live.Samples != n {
		t.Errorf("live: mean %v, peak %v over %d; want 29.5, 59 (a raw tick) over %d", live.Mean, live.Peak, live.Samples, n)
	}
	// A range within the raw points opens no minute bucket: old is not
	// there, and the budget counts only the raw points.
	r, err = s.TopContainers(TopQuery{From: now.Add(-30 * time.Minute), To: now, By: apiv1.FigureCPUPercent, MaxScan: 1801})
	if err != nil || names(r) != "kw-live" {
		t.Errorf("the last half hour within 1801 points: %s %v", names(r), err)
	}
	// The bound: more points than MaxScan is refused.
	_, err = s.TopContainers(TopQuery{From: t0, To: now, By: apiv1.FigureCPUPercent, MaxScan: 3000})
	if !errors.Is(err, ErrTooMany) || !strings.Contains(err.Error(), "narrow the range") {
		t.Errorf("3000 points of some 3,700: %v", err)
	}
}

func TestTopContainersRefuses(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	rankingHistory(t, s)
	for name, q := range map[string]TopQuery{
		"cumulative figure": {From: t0, To: t0.Add(time.Minute), By: "cpu_ns"},
		"no figure":         {From: t0, To: t0.Add(time.Minute)},
		"rank":              {From: t0, To: t0.Add(time.Minute), By: apiv1.FigureCPUPercent, Rank: "median"},
		"backwards":         {From: t0.Add(time.Minute), To: t0, By: apiv1.FigureCPUPercent},
	} {
		if _, err := s.TopContainers(q); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
