package store

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kwarden/kwarden/agent/containers"
)

// history writes n ticks of c containers, one a second from t0, in
// bulk, with container i's CPU % equal to i and its counters growing.
func history(t testing.TB, s *Store, n, c int) {
	t.Helper()
	ids := make([]string, c)
	var info []containers.Container
	for i := range c {
		ids[i] = fmt.Sprintf("%064x", i)
		info = append(info, containers.Container{ID: ids[i], Name: fmt.Sprintf("c%d", i), Running: true})
	}
	batch := make([]Tick, 0, 1000)
	for k := range n {
		at := t0.Add(time.Duration(k) * time.Second)
		pts := make(map[string]ContainerPoint, c)
		for i := range c {
			pts[ids[i]] = ContainerPoint{CPUPercent: float64(i), CPUNs: uint64(k) * 1e6, RSSBytes: uint64(i) << 20, Class: "low"}
		}
		tk := Tick{System: SystemPoint{Time: at, MemTotalBytes: 1 << 30, CPUPercent: float64(k % 60)}, Containers: pts}
		if k == 0 {
			tk.Info = info
		}
		batch = append(batch, tk)
		if len(batch) == cap(batch) || k == n-1 {
			if err := s.WriteTicks(batch...); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// A backlog (the machine was off) is folded in bounded steps, each its
// own transaction, and the result is what one fold of everything gives.
func TestPruneBacklogInBoundedSteps(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{RawRetention: time.Hour, Retention: 7 * 24 * time.Hour})
	const n, c = 3 * 3600, 30 // three hours of 30 containers
	history(t, s, n, c)
	// Newest point 3 h after t0: everything before t0+2h is due.
	now := t0.Add(n * time.Second)
	var total PruneStats
	for {
		st, more, err := s.PruneStep(now)
		if err != nil {
			t.Fatal(err)
		}
		// A step is its budget plus at most one minute of the work.
		if limit := pruneBudget + 60*(c+1); st.Folded > limit {
			t.Fatalf("a step folded %d points, bound %d", st.Folded, limit)
		}
		total.add(st)
		if !more {
			break
		}
		if total.Steps > 1000 {
			t.Fatal("pruning does not end")
		}
	}
	// Raw points older than the raw edge: an hour before the newest point
	// (t0 + n-1 s).
	due := 2*3600 - 1
	if total.Folded != due*(c+1) || total.Damaged != 0 || total.Steps < 3 {
		t.Fatalf("folded %d points in %d steps, want %d in several; damaged %d", total.Folded, total.Steps, due*(c+1), total.Damaged)
	}
	t.Logf("%d points folded in %d steps", total.Folded, total.Steps)
	pts, _, err := s.ContainerSeries(fmt.Sprintf("%064x", 7), RangeQuery{From: t0, To: now})
	if err != nil {
		t.Fatal(err)
	}
	// 120 minute points, then an hour of raw ones.
	if len(pts) != 120+3601 {
		t.Fatalf("%d points, want 120 minute points and 3600 raw", len(pts))
	}
	for i, p := range pts[:119] {
		if p.Samples != 60 || p.CPUPercent != 7 || p.RSSBytes != 7<<20 || p.CPUNs != uint64(i*60+59)*1e6 {
			t.Fatalf("minute %d: %+v", i, p)
		}
	}
	sys, _, _ := s.SystemRange(RangeQuery{From: t0, To: now})
	if len(sys) != 120+3601 || sys[0].Samples != 60 || sys[0].CPUPercent != 29.5 || sys[119].Samples != 59 {
		t.Fatalf("system: %d points, first %+v", len(sys), sys[0])
	}
	// Nothing left: one more pass does nothing.
	if st, err := s.Prune(now); err != nil || st.Folded+st.Deleted != 0 {
		t.Errorf("second pass: %+v %v", st, err)
	}
}

// A wall clock that jumps forward eight days cannot age out the
// history: pruning is bounded by the newest point stored.
func TestPruneIgnoresClockJump(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	history(t, s, 600, 5)
	st, err := s.Prune(t0.Add(8 * 24 * time.Hour))
	if err != nil || st.Folded != 0 || st.Deleted != 0 {
		t.Fatalf("prune after a jump: %+v %v", st, err)
	}
	sys, _, _ := s.SystemRange(RangeQuery{From: t0, To: t0.Add(time.Hour)})
	pts, _, _ := s.ContainerSeries(fmt.Sprintf("%064x", 1), RangeQuery{From: t0, To: t0.Add(time.Hour)})
	if len(sys) != 600 || len(pts) != 600 {
		t.Errorf("after the jump %d system and %d container points, want 600 each", len(sys), len(pts))
	}
}

// Records that do not decode are dropped and counted; they do not stop
// the fold (which would let raw history grow without end).
func TestPruneDropsDamagedRecords(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{RawRetention: time.Minute})
	history(t, s, 300, 3)
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bSystem).Put(key(t0.Add(10*time.Second)), []byte("{not json")); err != nil {
			return err
		}
		return tx.Bucket(bFrames).Put(key(t0.Add(20*time.Second)), []byte{frameVersion, 9, 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Prune(t0.Add(300 * time.Second))
	if err != nil || st.Damaged != 2 {
		t.Fatalf("prune: %+v %v; want two damaged records", st, err)
	}
	sys, _, _ := s.SystemRange(RangeQuery{From: t0, To: t0.Add(59 * time.Second)})
	if len(sys) != 1 || sys[0].Samples != 59 {
		t.Errorf("first minute: %+v, want the 59 good points", sys)
	}
}

// Containers removed before the retention edge go, with their minute
// points and index entries; running ones keep their recent points and
// lose the old.
func TestPruneDropsRemovedContainers(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{RawRetention: time.Minute, Retention: time.Hour})
	history(t, s, 120, 2)
	gone := containers.Container{ID: fmt.Sprintf("%064x", 0), Name: "c0", State: "removed", Removed: t0.Add(2 * time.Minute)}
	late := func(at time.Duration) Tick {
		return Tick{System: SystemPoint{Time: t0.Add(at)},
			Containers: map[string]ContainerPoint{fmt.Sprintf("%064x", 1): {CPUPercent: 1}}, Info: []containers.Container{gone}}
	}
	if err := s.WriteTicks(late(3*time.Hour), late(3*time.Hour+time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(t0.Add(3 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	info, _ := s.ContainerInfo()
	if len(info) != 1 || info[0].Name != "c1" {
		t.Fatalf("containers after retention: %+v", info)
	}
	if _, _, err := s.ContainerSeries(gone.ID, RangeQuery{From: t0, To: t0.Add(4 * time.Hour)}); err == nil {
		t.Error("the removed container's series is still there")
	}
	pts, _, _ := s.ContainerSeries(fmt.Sprintf("%064x", 1), RangeQuery{From: t0, To: t0.Add(4 * time.Hour)})
	if len(pts) != 2 {
		t.Errorf("running container: %d points, want its 2 recent ones", len(pts))
	}
	s.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bRemoved).Stats().KeyN; n != 0 {
			t.Errorf("%d removal index entries left", n)
		}
		if n := tx.Bucket(bIndex).Stats().KeyN; n != 1 {
			t.Errorf("%d frame index entries, want 1", n)
		}
		return nil
	})
}

func TestPickStep(t *testing.T) {
	for span, want := range map[time.Duration]time.Duration{
		time.Hour:             time.Second,
		4 * time.Hour:         2 * time.Second,
		31 * 24 * time.Hour:   5 * time.Minute,
		3650 * 24 * time.Hour: 12 * time.Hour,
	} {
		got := pickStep(t0, t0.Add(span), DefaultMaxPoints)
		if got != want {
			t.Errorf("span %v: step %v, want %v", span, got, want)
		}
		if n := math.Ceil(float64(span)/float64(got)) + 1; want != steps[len(steps)-1] && n > DefaultMaxPoints {
			t.Errorf("span %v step %v: %v points", span, got, n)
		}
	}
}

// Every frame due at once (the machine was off, and the ticks since have
// no containers: Docker not up yet). The step's transaction empties the
// frames bucket; bbolt's Cursor.Last on a bucket whose leaves were all
// emptied in the same transaction never returns, so nothing may call it
// after the deletes.
func TestPruneWhenEveryFrameIsDue(t *testing.T) {
	// Not closed at cleanup: a Prune that hangs holds the write lock,
	// and Close would wait for it.
	s, err := Open(filepath.Join(t.TempDir(), "h.db"), Options{RawRetention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	history(t, s, 1800, 50)
	if err := s.WriteTick(Tick{System: SystemPoint{Time: t0.Add(3 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var st PruneStats
	go func() {
		var err error
		st, err = s.Prune(t0.Add(3 * time.Hour))
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil || st.Folded != 1800*51 {
			t.Fatalf("prune: %+v %v", st, err)
		}
		s.Close()
	case <-time.After(60 * time.Second):
		t.Fatal("prune of a history whose frames are all due does not end")
	}
}
