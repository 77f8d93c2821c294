package report

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// Collect asks for each ranking and reads each container's series once
// (kw-ram-1 is in both), folded to about 1,000 points; a failing call
// ends it with that call's error; an empty history is ErrNoData.
func TestCollect(t *testing.T) {
	src := &fakeSource{d: fixed(), series: map[string]int{}}
	d, err := Collect(context.Background(), src, Query{From: t0, To: t0.Add(time.Hour), Top: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.System) != 360 || len(d.TopRAM.Lines) != 2 || len(d.TopCPU.Lines) != 2 || d.TopRAM.By != apiv1.FigureRSSBytes {
		t.Errorf("collected %d points, %d and %d lines", len(d.System), len(d.TopRAM.Lines), len(d.TopCPU.Lines))
	}
	if src.series["r1"] != 1 || src.series["g"] != 1 || src.series["c1"] != 1 || len(src.series) != 3 {
		t.Errorf("series read: %v, want each of r1, g, c1 once", src.series)
	}
	if src.lastR.Step != 4*time.Second {
		t.Errorf("an hour in 1,000 points: step %v, want 4s", src.lastR.Step)
	}
	for _, fail := range []string{"system", "top", "series"} {
		src := &fakeSource{d: fixed(), series: map[string]int{}, fail: fail}
		if _, err := Collect(context.Background(), src, Query{From: t0, To: t0.Add(time.Hour)}); err == nil {
			t.Errorf("%s failing: no error", fail)
		}
	}
	empty := &fakeSource{d: &Data{}, series: map[string]int{}}
	if _, err := Collect(context.Background(), empty, Query{From: t0, To: t0.Add(time.Hour)}); !errors.Is(err, ErrNoData) {
		t.Errorf("empty history: %v", err)
	}
	if _, err := Collect(context.Background(), src, Query{From: t0, To: t0}); err == nil {
		t.Error("an empty range collected")
	}
}

func TestSeriesStep(t *testing.T) {
	for _, c := range []struct {
		span time.Duration
		want time.Duration
	}{
		{10 * time.Minute, 0}, // 0.6 s: every point
		{1000 * time.Second, 0},
		{1001 * time.Second, 2 * time.Second},
		{time.Hour, 4 * time.Second},
		{24 * time.Hour, 87 * time.Second},
	} {
		if got := seriesStep(c.span, 1000); got != c.want {
			t.Errorf("%v: %v, want %v", c.span, got, c.want)
		}
	}
}
