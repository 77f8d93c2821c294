package crosscheck

import (
	"math/rand/v2"
	"testing"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// benchViews returns two reads of n processes as a busy machine produces
// them: a tenth ran between the reads, a few exited or started.
func benchViews(n int) (View, View) {
	a, b := View{Name: "kmod"}, View{Name: "ebpf"}
	a.StartNs, a.EndNs, b.StartNs, b.EndNs = T0, T0+30*ms, T0+35*ms, T0+45*ms
	for i := range n {
		p := proc(int32(i+1), 1)
		q := p
		if i%10 == 0 {
			q.CPUNs += 3 * ms
			q.RSSAnonBytes += 1 << 20
			q.RChar += 4096
		}
		switch {
		case i%1000 == 1:
			a.Processes = append(a.Processes, p) // exited
		case i%1000 == 2:
			q.StartTimeNs = b.StartNs
			b.Processes = append(b.Processes, q) // started
		default:
			a.Processes = append(a.Processes, p)
			b.Processes = append(b.Processes, q)
		}
	}
	return a, b
}

func BenchmarkCompare10k(b *testing.B) {
	va, vb := benchViews(10_000)
	gone := func(snapshot.Key) bool { return false }
	b.Run("sorted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := Compare(va, vb, Options{CPUs: 8, Alive: gone}); !r.Clean() {
				b.Fatalf("bench views not clean: %d discrepancies", r.Discrepancies())
			}
		}
	})
	// Shuffled input pays for the sort that pid-ordered sources avoid.
	sa, sb := va, vb
	sa.Processes = append([]snapshot.Process(nil), va.Processes...)
	sb.Processes = append([]snapshot.Process(nil), vb.Processes...)
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(sa.Processes), func(i, j int) { sa.Processes[i], sa.Processes[j] = sa.Processes[j], sa.Processes[i] })
	rng.Shuffle(len(sb.Processes), func(i, j int) { sb.Processes[i], sb.Processes[j] = sb.Processes[j], sb.Processes[i] })
	b.Run("shuffled", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Compare(sa, sb, Options{CPUs: 8, Alive: gone})
		}
	})
}
