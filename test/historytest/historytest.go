// Package historytest writes synthetic kwardend history in bulk, for the
// tests and benchmarks that need days of it in seconds: the downtime
// regression test (a day of history older than the raw retention, as a
// lab VM has after a day switched off), test/cmd/prunebench and
// test/cmd/querybench.
package historytest

import (
	"fmt"
	"time"

	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/store"
)

// Spec is a history to write.
type Spec struct {
	From       time.Time     // first tick
	Ticks      int           // how many
	Interval   time.Duration // between ticks; 0 means 1 s
	Containers int           // running throughout
	Batch      int           // ticks per transaction; 0 means 1,000
}

// ID is the id of synthetic container i.
func ID(i int) string { return fmt.Sprintf("%064x", i+1) }

// Write appends spec's history to s. Container i has CPU % i, 2^20·i
// bytes of RSS, and a CPU counter growing by 10 ms a tick; the system
// point's CPU % is the tick's second within the minute.
func Write(s *store.Store, spec Spec) error {
	if spec.Interval <= 0 {
		spec.Interval = time.Second
	}
	if spec.Batch <= 0 {
		spec.Batch = 1000
	}
	info := make([]containers.Container, spec.Containers)
	for i := range info {
		info[i] = containers.Container{ID: ID(i), Name: fmt.Sprintf("kw-synthetic-%d", i), Image: "kwarden/load:low",
			Kind: "low", State: "running", Running: true, Created: spec.From, Labels: map[string]string{}}
	}
	batch := make([]store.Tick, 0, spec.Batch)
	for k := range spec.Ticks {
		at := spec.From.Add(time.Duration(k) * spec.Interval)
		pts := make(map[string]store.ContainerPoint, spec.Containers)
		for i := range spec.Containers {
			pts[info[i].ID] = store.ContainerPoint{CPUPercent: float64(i), CPUNs: uint64(k) * 1e7, RSSBytes: uint64(i) << 20,
				MemUsageBytes: uint64(i) << 21, WorkingSetBytes: uint64(i) << 20, Processes: 2, Class: "low"}
		}
		tk := store.Tick{System: store.SystemPoint{Time: at, MemTotalBytes: 16 << 30, MemUsedBytes: 4 << 30,
			MemFreeBytes: 8 << 30, MemAvailBytes: 12 << 30, CPUPercent: float64(at.Second()), Processes: 300 + 2*spec.Containers,
			Containers: spec.Containers}, Containers: pts, Top: make([]store.ProcessPoint, 10)}
		if k == 0 {
			tk.Info = info
		}
		batch = append(batch, tk)
		if len(batch) == spec.Batch || k == spec.Ticks-1 {
			if err := s.WriteTicks(batch...); err != nil {
				return fmt.Errorf("write synthetic history: %w", err)
			}
			batch = batch[:0]
		}
	}
	return nil
}
