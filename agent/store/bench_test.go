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

// BenchmarkTopContainers ranks half an hour of 200 containers at 1 s
// (360,000 points), beside the series of one container over the same
// frames: what a ranking costs per point read, for DefaultTopScan.
func BenchmarkTopContainers(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "h.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const ticks, containers = 1800, 200
	history(b, s, ticks, containers)
	q := RangeQuery{From: t0, To: t0.Add(ticks * time.Second)}
	b.Run("top", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.TopContainers(TopQuery{From: q.From, To: q.To, By: "rss_bytes"}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(ticks*containers), "ns/point")
	})
	b.Run("series", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.ContainerSeries(fmt.Sprintf("%064x", 7), q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
