package procfs

import (
	"context"
	"testing"
)

// BenchmarkWalk walks the /proc of the machine running the benchmark: the
// cost per process of the classic approach (five files per process).
func BenchmarkWalk(b *testing.B) {
	w := &Walker{}
	n := 0
	for b.Loop() {
		ps, err := w.Walk(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		n = len(ps.Processes)
	}
	b.ReportMetric(float64(n), "processes")
}

func BenchmarkParseStat(b *testing.B) {
	data := fixture(b, "stat")
	for b.Loop() {
		if _, err := ParseStat(data); err != nil {
			b.Fatal(err)
		}
	}
}
