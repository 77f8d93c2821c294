package plugin

import (
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

func TestRates(t *testing.T) {
	times := []time.Time{t0, t0.Add(2 * time.Second), t0.Add(4 * time.Second), t0.Add(5 * time.Second)}
	got := rates(times, []float64{100, 300, 200, 1200})
	if got[0] != nil || *got[1] != 100 || got[2] != nil || *got[3] != 1000 {
		t.Errorf("rates: %v", got)
	}
}

// Removals are counted in the step they fell in, within the span.
func TestRemovedFrame(t *testing.T) {
	s := span{from: t0, to: t0.Add(time.Minute), step: 10 * time.Second}
	cs := []apiv1.ContainerFigures{
		{Container: apiv1.Container{Removed: t0.Add(5 * time.Second)}},
		{Container: apiv1.Container{Removed: t0.Add(8 * time.Second)}},
		{Container: apiv1.Container{Removed: t0.Add(59 * time.Second)}},
		{Container: apiv1.Container{Removed: t0.Add(-time.Second)}},
		{Container: apiv1.Container{}},
	}
	f := removedFrame(&agent{name: "a"}, cs, s)
	if f.Rows() != 7 {
		t.Fatalf("%d rows", f.Rows())
	}
	want := []float64{2, 0, 0, 0, 0, 1, 0}
	for i, w := range want {
		if v := f.Fields[1].At(i).(float64); v != w {
			t.Errorf("step %d: %v removed, want %v", i, v, w)
		}
	}
}

// Filters keep what the query asks for that can have points in the span.
func TestFilterContainers(t *testing.T) {
	s := span{from: t0, to: t0.Add(time.Hour), step: time.Second}
	cs := []apiv1.ContainerFigures{
		{Container: apiv1.Container{Name: "kw-cpu-1", Kind: "cpu", Created: t0}, Class: "high"},
		{Container: apiv1.Container{Name: "kw-ram-1", Kind: "ram", Created: t0}, Class: "low"},
		{Container: apiv1.Container{Name: "kw-cpu-2", Kind: "cpu", Created: t0.Add(2 * time.Hour)}},
		{Container: apiv1.Container{Name: "kw-cpu-3", Kind: "cpu", Created: t0.Add(-2 * time.Hour), Removed: t0.Add(-time.Hour)}},
	}
	for q, want := range map[string]int{`{}`: 2, `{"kind":"cpu"}`: 1, `{"class":"low"}`: 1, `{"name":"ram"}`: 1, `{"name":"^kw-"}`: 2} {
		mq, err := models.ParseQuery("containers", []byte(q))
		if err != nil {
			t.Fatal(err)
		}
		if got := filterContainers(cs, mq, s); len(got) != want {
			t.Errorf("%s: %d containers, want %d", q, len(got), want)
		}
	}
}
