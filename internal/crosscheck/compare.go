package crosscheck

import "github.com/kwarden/kwarden/internal/snapshot"

// Compare cross-checks two reads of the processes on one machine and
// returns what they disagree on. Processes are matched by key (pid and
// start time); see docs/crosscheck.md for the tolerance model. Compare does
// not modify the views, and the views must not be modified while it runs.
// It never fails: malformed input (duplicated keys, an inverted window)
// is reported or normalised, not rejected.
func Compare(a, b View, opt Options) *Result {
	cx := newComparer(&a, &b, &opt)
	cx.merge()
	return cx.res
}

// comparer holds what every rule needs: both sides, the timing derived
// from their windows, the tolerance and the oracles.
type comparer struct {
	a, b   *side
	tol    Tolerance
	cpus   uint64
	exited func(snapshot.Key) (uint64, bool)
	alive  func(snapshot.Key) bool
	// order is -1 when A was read first, +1 when B was, 0 when the reads
	// overlap and no record can be placed before the other.
	order int
	span  uint64
	slack uint64
	res   *Result
}

func newComparer(a, b *View, opt *Options) *comparer {
	cx := &comparer{
		a:      newSide(a),
		b:      newSide(b),
		tol:    opt.Tolerance.withDefaults(),
		cpus:   uint64(opt.cpus()),
		exited: opt.Exited,
		alive:  opt.Alive,
	}
	cx.slack = satAdd(cx.a.slack, cx.b.slack)
	cx.span = max(cx.a.end, cx.b.end) - min(cx.a.start, cx.b.start)
	aFirst := cx.a.end <= cx.b.start
	bFirst := cx.b.end <= cx.a.start
	order := OrderOverlap
	switch {
	// Both hold only when both reads are instants at the same time:
	// neither came first.
	case aFirst && !bFirst:
		cx.order, order = -1, OrderAFirst
	case bFirst && !aFirst:
		cx.order, order = 1, OrderBFirst
	}
	cx.res = &Result{
		A: cx.a.name, B: cx.b.name,
		AStartNs: cx.a.start, AEndNs: cx.a.end,
		BStartNs: cx.b.start, BEndNs: cx.b.end,
		Order: order, SpanNs: cx.span,
		Tolerance: cx.tol, CPUs: int(cx.cpus), RSSSlackBytes: cx.slack,
		Churn: []Absence{}, Missing: []Absence{},
		Drift: []Drift{}, Duplicates: []Duplicate{},
	}
	return cx
}

// merge walks both sides in key order at once, so that matching costs no
// map and every list of the Result comes out sorted.
func (cx *comparer) merge() {
	i, j := 0, 0
	for i < cx.a.len() || j < cx.b.len() {
		var c int
		switch {
		case i == cx.a.len():
			c = 1
		case j == cx.b.len():
			c = -1
		default:
			c = cmpKey(cx.a.at(i), cx.b.at(j))
		}
		var pa, pb *snapshot.Process
		if c <= 0 {
			pa, i = cx.take(cx.a, i)
			cx.res.InA++
		}
		if c >= 0 {
			pb, j = cx.take(cx.b, j)
			cx.res.InB++
		}
		switch {
		case pa != nil && pb != nil:
			cx.res.Matched++
			cx.matched(pa, pb)
		case pa != nil:
			cx.absent(pa, cx.a, cx.b)
		default:
			cx.absent(pb, cx.b, cx.a)
		}
	}
}

// take returns the record at i and the position of the next key,
// reporting the extra records of a duplicated key.
func (cx *comparer) take(s *side, i int) (*snapshot.Process, int) {
	p := s.at(i)
	next := s.runEnd(i)
	if n := next - i; n > 1 {
		cx.res.Duplicates = append(cx.res.Duplicates, Duplicate{
			PID: p.PID, StartTimeNs: p.StartTimeNs, Comm: p.Comm, View: s.name, Records: n,
		})
	}
	return p, next
}
