package historytest

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/store"
)

func TestWrite(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "h.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := Write(s, Spec{From: from, Ticks: 2500, Containers: 3}); err != nil {
		t.Fatal(err)
	}
	pts, _, err := s.ContainerSeries(ID(2), store.RangeQuery{From: from, To: from.Add(time.Hour)})
	if err != nil || len(pts) != 2500 || pts[10].CPUPercent != 2 || pts[10].RSSBytes != 2<<20 || pts[10].CPUNs != 10*1e7 {
		t.Fatalf("%v: %d points, %+v", err, len(pts), pts[10])
	}
	info, _ := s.ContainerInfo()
	if len(info) != 3 {
		t.Errorf("%d containers described", len(info))
	}
}
