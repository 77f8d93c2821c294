package crosscheck

import (
	"testing"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// bytesource hands out fuzz bytes, then zeros once they run out.
type bytesource struct {
	b []byte
	i int
}

func (s *bytesource) next() byte {
	if s.i >= len(s.b) {
		return 0
	}
	c := s.b[s.i]
	s.i++
	return c
}

func (s *bytesource) more() bool { return s.i < len(s.b) }

// fuzzViews builds two views and options from fuzz bytes. Values are
// drawn from small ranges so that keys collide (matches, duplicates, pid
// reuse) and differences land on both sides of every bound.
func fuzzViews(data []byte) (View, View, Options) {
	s := &bytesource{b: data}
	// Windows in units of 4 ms around 1 s, possibly inverted.
	win := func() (uint64, uint64) {
		return 1000*ms + uint64(s.next())*4*ms, 1000*ms + uint64(s.next())*4*ms
	}
	a := View{Name: "a"}
	b := View{Name: "b"}
	a.StartNs, a.EndNs = win()
	b.StartNs, b.EndNs = win()
	a.RSSSlackBytes = uint64(s.next()) << 14
	b.RSSSlackBytes = uint64(s.next()) << 14
	oracles := s.next()
	var opt Options
	opt.CPUs = int(oracles>>4) % 5
	if opt.CPUs == 0 {
		opt.CPUs = 1
	}
	if oracles&1 != 0 {
		opt.Exited = func(k snapshot.Key) (uint64, bool) {
			return 1000*ms + uint64(k.PID)*64*ms, (k.PID+int32(k.StartTimeNs/ms))%3 == 0
		}
	}
	if oracles&2 != 0 {
		opt.Alive = func(k snapshot.Key) bool { return (k.PID+int32(k.StartTimeNs/ms))%2 == 0 }
	}
	if oracles&4 != 0 {
		opt.Tolerance = Tolerance{TickNs: uint64(s.next()) * ms, IdleGrowthBytes: uint64(s.next()) << 16}
	}
	const states = "RSDTtXZPI"
	for s.more() {
		flags := s.next()
		p := snapshot.Process{
			PID:           int32(s.next() % 16),
			StartTimeNs:   1000*ms + uint64(s.next()%4)*256*ms,
			PPID:          int32(s.next() % 16),
			UID:           uint32(s.next() % 2),
			State:         string(states[s.next()%9]),
			KThread:       flags&8 != 0,
			Threads:       uint32(s.next() % 4),
			CPUNs:         uint64(s.next()) * ms,
			UserNs:        uint64(s.next()) * ms,
			RChar:         uint64(s.next()),
			VSZBytes:      uint64(s.next()) << 20,
			RSSAnonBytes:  uint64(s.next()) << 18,
			RSSFileBytes:  uint64(s.next()) << 18,
			CgroupID:      uint64(s.next() % 3),
			Comm:          []string{"a", "b", "c"}[s.next()%3],
			RSSShmemBytes: 1 << 20,
		}
		q := p
		if flags&16 != 0 {
			// Perturb the second copy field by field.
			m := s.next()
			d := uint64(s.next())
			if m&1 != 0 {
				q.CPUNs += d * ms / 4
			}
			if m&2 != 0 {
				q.RSSAnonBytes = d << 18
			}
			if m&4 != 0 {
				q.RChar -= min(q.RChar, d)
			}
			if m&8 != 0 {
				q.PPID = int32(d % 16)
			}
			if m&16 != 0 {
				q.Threads = uint32(d % 4)
			}
			if m&32 != 0 {
				q.State = string(states[d%9])
			}
			if m&64 != 0 {
				q.UserNs -= min(q.UserNs, d*ms)
			}
			if m&128 != 0 {
				q.KThread = !q.KThread
			}
		}
		switch flags % 3 {
		case 0:
			a.Processes = append(a.Processes, p)
			b.Processes = append(b.Processes, q)
		case 1:
			a.Processes = append(a.Processes, p)
		default:
			b.Processes = append(b.Processes, q)
		}
	}
	return a, b, opt
}

func distinct(ps []snapshot.Process) (keys int, dups int) {
	seen := map[snapshot.Key]int{}
	for i := range ps {
		seen[ps[i].Key()]++
	}
	for _, n := range seen {
		if n > 1 {
			dups++
		}
	}
	return len(seen), dups
}

func countIn(l []Absence, view string) int {
	n := 0
	for _, ab := range l {
		if ab.OnlyIn == view {
			n++
		}
	}
	return n
}

// FuzzCompare checks the invariants of Compare on arbitrary views: it
// never panics, every process is matched or absent exactly once, the
// result is sorted, the model is symmetric in its two views, widening the
// tolerance never adds drift, and a view compared with itself is clean.
func FuzzCompare(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 2, 3, 0, 0, 3, 0, 5, 0, 1, 0, 1, 3, 2, 9, 9, 9, 9, 1, 0})
	f.Add([]byte{10, 12, 11, 13, 1, 2, 7, 16, 7, 1, 7, 0, 0, 2, 8, 200, 40, 7, 1, 1, 2, 255, 9, 1, 3, 3, 1, 100, 4, 2, 3})
	f.Add([]byte{5, 1, 0, 0, 0, 0, 255, 30, 40, 49, 3, 3, 1, 1, 3, 1, 250, 250, 250, 250, 250, 2, 2, 0x3f, 200})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b, opt := fuzzViews(data)
		r := Compare(a, b, opt)

		keysA, dupsA := distinct(a.Processes)
		keysB, dupsB := distinct(b.Processes)
		if r.InA != keysA || r.InB != keysB {
			t.Fatalf("in a %d, in b %d; want %d, %d", r.InA, r.InB, keysA, keysB)
		}
		absA := countIn(r.Churn, "a") + countIn(r.Missing, "a")
		absB := countIn(r.Churn, "b") + countIn(r.Missing, "b")
		if r.Matched+absA != r.InA || r.Matched+absB != r.InB {
			t.Fatalf("matched %d + absent %d/%d != in %d/%d", r.Matched, absA, absB, r.InA, r.InB)
		}
		if len(r.Duplicates) != dupsA+dupsB {
			t.Fatalf("duplicates %d, want %d", len(r.Duplicates), dupsA+dupsB)
		}
		if r.Discrepancies() != len(r.Missing)+len(r.Drift)+len(r.Duplicates) || r.Clean() != (r.Discrepancies() == 0) {
			t.Fatalf("discrepancies %d inconsistent", r.Discrepancies())
		}
		if r.AEndNs < r.AStartNs || r.BEndNs < r.BStartNs {
			t.Fatalf("window not normalised: %+v", r)
		}
		for _, d := range r.Drift {
			if d.A == d.B || d.Rule == "" {
				t.Fatalf("drift without difference or rule: %+v", d)
			}
		}
		checkSorted(t, r)

		// Swapping the views swaps the roles, not the verdicts.
		s := Compare(b, a, opt)
		if s.Matched != r.Matched || s.InA != r.InB || s.InB != r.InA ||
			len(s.Drift) != len(r.Drift) || len(s.Churn) != len(r.Churn) ||
			len(s.Missing) != len(r.Missing) || s.FieldsCompared != r.FieldsCompared {
			t.Fatalf("not symmetric:\n%+v\n%+v", r, s)
		}

		// More tolerance can only excuse more.
		wide := opt
		wide.Tolerance = opt.Tolerance.withDefaults()
		wide.Tolerance.TickNs = satMul(wide.Tolerance.TickNs, 2)
		wide.Tolerance.IdleGrowthBytes = satMul(wide.Tolerance.IdleGrowthBytes, 2)
		if w := Compare(a, b, wide); len(w.Drift) > len(r.Drift) {
			t.Fatalf("wider tolerance added drift: %d > %d", len(w.Drift), len(r.Drift))
		}

		// A view agrees with itself.
		self := Compare(a, a, opt)
		if self.Matched != keysA || len(self.Churn)+len(self.Missing)+len(self.Drift) != 0 ||
			len(self.Duplicates) != 2*dupsA || self.Clean() != (dupsA == 0) {
			t.Fatalf("self-compare not clean: %+v", self)
		}
	})
}
