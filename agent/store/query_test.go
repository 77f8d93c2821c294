package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// Without a step, a range with more points than the bound is folded
// into the smallest step that fits; with a step that would give too
// many, the query is refused. The answer never exceeds the bound.
func TestRangeIsBounded(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	const n = 4 * 3600 // 14,400 raw points, past the 11,000 bound
	history(t, s, n, 2)
	q := RangeQuery{From: t0, To: t0.Add(n * time.Second)}
	sys, step, err := s.SystemRange(q)
	if err != nil || step != 2*time.Second || len(sys) > DefaultMaxPoints || len(sys) != n/2 {
		t.Fatalf("system: %d points, step %v, %v; want %d points by 2 s", len(sys), step, err, n/2)
	}
	if sys[0].Samples != 2 || sys[0].CPUPercent != 0.5 {
		t.Errorf("first folded point: %+v", sys[0])
	}
	pts, step, err := s.ContainerSeries(fmt.Sprintf("%064x", 1), q)
	if err != nil || step != 2*time.Second || len(pts) != n/2 {
		t.Fatalf("container: %d points, step %v, %v", len(pts), step, err)
	}
	// Under the bound every point comes back, unfolded.
	if pts, step, _ := s.SystemRange(RangeQuery{From: t0, To: t0.Add(time.Hour)}); step != 0 || len(pts) != 3601 {
		t.Errorf("an hour: %d points, step %v", len(pts), step)
	}
	// A smaller bound is kept too.
	if pts, _, _ := s.SystemRange(RangeQuery{From: t0, To: t0.Add(time.Hour), MaxPoints: 100}); len(pts) > 100 || len(pts) < 50 {
		t.Errorf("bound 100: %d points", len(pts))
	}
	if _, _, err := s.SystemRange(RangeQuery{From: t0, To: t0.Add(24 * time.Hour), Step: time.Second}); !errors.Is(err, ErrTooMany) {
		t.Errorf("1 s steps over a day: %v", err)
	}
}

// /events?limit=1 over many events costs one event, not the range:
// pages resume where the last one stopped, and together return every
// event once, in order; the byte and scan bounds end a page early.
func TestEventsPages(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	var evs []Event
	for i := range 12000 {
		kind := "docker.outage"
		if i%1000 == 999 {
			kind = "crosscheck.missing"
		}
		// Ten events share each time, as one tick's events do.
		evs = append(evs, Event{Time: t0.Add(time.Duration(i/10) * time.Second), Kind: kind, Message: fmt.Sprint(i)})
	}
	if err := s.AddEvents(evs...); err != nil {
		t.Fatal(err)
	}
	q := EventQuery{From: t0, To: t0.Add(time.Hour), Limit: 1}
	p, err := s.Events(q)
	if err != nil || len(p.Events) != 1 || p.Events[0].Message != "0" || p.Next == "" {
		t.Fatalf("limit 1: %+v %v", p, err)
	}
	// Page through with a limit of 7: every event once, in order.
	q.Limit, q.After = 7, ""
	seen := 0
	for pages := 0; ; pages++ {
		p, err := s.Events(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Events {
			if e.Message != fmt.Sprint(seen) {
				t.Fatalf("page %d: event %s, want %d", pages, e.Message, seen)
			}
			seen++
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	if seen != 12000 {
		t.Fatalf("paged through %d events of 12000", seen)
	}
	// A rare kind with a small scan bound comes in several pages.
	rare := EventQuery{From: t0, To: t0.Add(time.Hour), Kind: "crosscheck.", MaxScan: 2500}
	var found []string
	for {
		p, err := s.Events(rare)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Events {
			found = append(found, e.Message)
		}
		if p.Next == "" {
			break
		}
		rare.After = p.Next
	}
	if fmt.Sprint(found) != "[999 1999 2999 3999 4999 5999 6999 7999 8999 9999 10999 11999]" {
		t.Errorf("rare kind: %v", found)
	}
	// The byte bound: at least one event, never more than the bound.
	p, _ = s.Events(EventQuery{From: t0, To: t0.Add(time.Hour), MaxBytes: 500})
	if len(p.Events) == 0 || len(p.Events) > 10 || p.Next == "" {
		t.Errorf("500 bytes: %d events, next %q", len(p.Events), p.Next)
	}
	if _, err := s.Events(EventQuery{From: t0, To: t0.Add(time.Hour), After: "zz"}); !errors.Is(err, ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
	if p, _ := s.Events(EventQuery{From: t0, To: t0.Add(time.Hour), Limit: 1 << 20}); len(p.Events) != MaxEventLimit {
		t.Errorf("limit above the bound: %d events", len(p.Events))
	}
}
