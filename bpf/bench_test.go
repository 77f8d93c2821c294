package bpf

import (
	"context"
	"os"
	"testing"

	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/internal/snapshot"
	"github.com/kwarden/kwarden/test/testenv"
)

// BenchmarkDecode10k is the Go half of an eBPF snapshot: 10,000 records.
func BenchmarkDecode10k(b *testing.B) {
	one := goodRecord(kindSnapshot)
	buf := make([]byte, 0, 10000*recordSize)
	for range 10000 {
		buf = append(buf, one...)
	}
	var out snapshot.Processes
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if err := decodeSnapshot(buf, 4096, &out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHostSnapshot compares a full snapshot of this machine through
// the process walk and the task iterator with the procfs walk, on the host kernel (as root).
// The VM benchmark (make bench) does the same at 1,000 and 10,000
// processes, with the module as a third side.
func BenchmarkHostSnapshot(b *testing.B) {
	testenv.Require(b, os.Geteuid() == 0, "loading eBPF programs needs root")
	ctx := context.Background()
	// The process walk where the kernel has it (6.7 and later), and the
	// task iterator, which every kernel has.
	for _, ti := range []bool{false, true} {
		c, err := Open(Options{NoExits: true, TaskIterator: ti})
		testenv.RequireNoErr(b, err, "the eBPF view")
		defer c.Close()
		name := map[string]string{SnapshotProcessWalk: "ebpf-walk", SnapshotTaskIterator: "ebpf-iter"}[c.SnapshotMethod()]
		if !ti && name == "ebpf-iter" {
			continue // no walk here: the iterator is the next round
		}
		b.Run(name, func(b *testing.B) {
			var out snapshot.Processes
			b.ReportAllocs()
			for b.Loop() {
				if err := c.ProcessesInto(ctx, &out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(out.Processes)), "processes")
		})
	}
	b.Run("procfs", func(b *testing.B) {
		var w procfs.Walker
		var out snapshot.Processes
		b.ReportAllocs()
		for b.Loop() {
			if err := w.WalkInto(ctx, &out); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(out.Processes)), "processes")
	})
}
