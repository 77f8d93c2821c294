package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkWriteTick is one tick of 200 containers: a frame, the system
// point, ten top processes. Each commit is fsynced, as in the daemon.
func BenchmarkWriteTick(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "h.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	pts := map[string]ContainerPoint{}
	for i := range 200 {
		pts[fmt.Sprintf("%064x", i)] = ContainerPoint{CPUPercent: 0.5, CPUNs: uint64(i) << 30, RSSBytes: 12 << 20,
			MemUsageBytes: 20 << 20, WorkingSetBytes: 18 << 20, Processes: 1, Class: "low"}
	}
	top := make([]ProcessPoint, 10)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		at := t0.Add(time.Duration(i) * time.Second)
		i++
		if err := s.WriteTick(Tick{System: SystemPoint{Time: at, MemTotalBytes: 1 << 30}, Containers: pts, Top: top}); err != nil {
			b.Fatal(err)
		}
	}
}
