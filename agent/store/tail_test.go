package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// An outcome recorded late with its round's earlier time is behind the
// last key a follower read; the tail finds it all the same, in the
// order of recording, where a walk by time would have passed it.
func TestTailFollowsTheOrderOfRecording(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	if err := s.AddEvents(Event{Time: t0.Add(10 * time.Second), Kind: "policy.decision", Message: "refused, round 2"}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Tail(TailQuery{})
	if err != nil || len(p.Events) != 1 || p.More || p.Behind != 1 || p.Pruned != 0 {
		t.Fatalf("first page: %+v %v", p, err)
	}
	// The round-1 kill, done after Docker answered, with round 1's time.
	if err := s.AddEvents(Event{Time: t0, Kind: "policy.decision", Message: "done, round 1"}); err != nil {
		t.Fatal(err)
	}
	q := TailQuery{After: p.Next}
	p, err = s.Tail(q)
	if err != nil || len(p.Events) != 1 || p.Events[0].Message != "done, round 1" || p.Behind != 1 {
		t.Fatalf("late event: %+v %v", p, err)
	}
	if p.Events[0].Cursor != p.Next {
		t.Errorf("cursor of the last event %q, next %q", p.Events[0].Cursor, p.Next)
	}
	// Nothing new: the same position, nothing behind.
	again, err := s.Tail(TailQuery{After: p.Next})
	if err != nil || len(again.Events) != 0 || again.Next != p.Next || again.Behind != 0 {
		t.Errorf("nothing new: %+v %v", again, err)
	}
	// The ids are the events' keys: the query by time sees the same
	// event under the time it carries.
	byTime, _ := s.Events(EventQuery{From: t0, To: t0.Add(time.Minute)})
	if len(byTime.Events) != 2 || byTime.Events[0].Message != "done, round 1" {
		t.Errorf("by time: %+v", byTime)
	}
	if id := p.Events[0].ID; len(id) != 32 || id[:16] != fmt.Sprintf("%016x", t0.UnixNano()) {
		t.Errorf("id %q is not the event's key", id)
	}
}

// Pages of a few kinds, bounded by count, scan and bytes, return each
// matching event once, in order, and say when more are left.
func TestTailPages(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	var evs []Event
	for i := range 3000 {
		kind := "crosscheck.drift"
		switch i % 10 {
		case 3:
			kind = "policy.decision"
		case 7:
			kind = "docker.outage"
		}
		// Times go backwards: the order is the recording's.
		evs = append(evs, Event{Time: t0.Add(-time.Duration(i) * time.Millisecond), Kind: kind, Message: fmt.Sprint(i)})
	}
	if err := s.AddEvents(evs...); err != nil {
		t.Fatal(err)
	}
	for _, bound := range []TailQuery{{Limit: 7}, {MaxScan: 50}, {MaxBytes: 300}} {
		q := bound
		q.Kinds = []string{"policy.", "docker."}
		var got []string
		ids := map[string]bool{}
		for pages := 0; ; pages++ {
			p, err := s.Tail(q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Events {
				got = append(got, e.Message)
				ids[e.ID] = true
			}
			if !p.More {
				break
			}
			if p.Next == q.After {
				t.Fatalf("%+v: page %d did not move", bound, pages)
			}
			q.After = p.Next
		}
		if len(got) != 600 || len(ids) != 600 {
			t.Fatalf("%+v: %d events, %d ids, want 600", bound, len(got), len(ids))
		}
		for n, m := range got {
			want := n/2*10 + 3 + n%2*4
			if m != fmt.Sprint(want) {
				t.Fatalf("%+v: event %d is %s, want %d", bound, n, m, want)
			}
		}
	}
	if p, _ := s.Tail(TailQuery{MaxBytes: 1}); len(p.Events) != 1 || !p.More || p.Behind != 3000 || p.Left != 3000-1 {
		t.Errorf("a byte bound below one event: %d events, %d behind, %d left", len(p.Events), p.Behind, p.Left)
	}
	// The follower's overhead counts: 100 bytes more per event leave
	// room for fewer of them.
	plain, _ := s.Tail(TailQuery{MaxBytes: 2000})
	padded, _ := s.Tail(TailQuery{MaxBytes: 2000, Overhead: 100})
	if len(padded.Events) == 0 || len(padded.Events) >= len(plain.Events) {
		t.Errorf("overhead: %d events with it, %d without", len(padded.Events), len(plain.Events))
	}
}

// Events retention deleted before a follower reached them are counted,
// and their places in the order go with them.
func TestTailCountsPruned(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{RawRetention: time.Hour, Retention: 24 * time.Hour})
	start, err := s.TailEnd()
	if err != nil || start != "0000000000000000" {
		t.Fatalf("tail end of a new history: %q %v", start, err)
	}
	old := []Event{{Time: t0, Kind: "policy.decision"}, {Time: t0, Kind: "docker.outage"}}
	if err := s.AddEvents(old...); err != nil {
		t.Fatal(err)
	}
	if err := s.AddEvents(Event{Time: t0.Add(47 * time.Hour), Kind: "policy.decision", Message: "kept"}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteTick(tick(48 * 3600)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(t0.Add(48 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	p, err := s.Tail(TailQuery{After: start, Kinds: []string{"policy."}})
	if err != nil || len(p.Events) != 1 || p.Events[0].Message != "kept" || p.Pruned != 2 || p.Behind != 3 {
		t.Fatalf("after pruning: %+v %v", p, err)
	}
	s.db.View(func(tx *bolt.Tx) error {
		if n, m := tx.Bucket(bEvents).Stats().KeyN, tx.Bucket(bEventOrder).Stats().KeyN; n != 1 || m != 1 {
			t.Errorf("%d events and %d places in the order after pruning", n, m)
		}
		return nil
	})
	// Pruned past the last event as well: the page still ends at the
	// newest position.
	if err := s.WriteTick(tick(80 * 3600)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(t0.Add(80 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	p, err = s.Tail(TailQuery{After: start})
	end, _ := s.TailEnd()
	if err != nil || len(p.Events) != 0 || p.Pruned != 3 || p.Next != end {
		t.Errorf("all pruned: %+v %v, end %s", p, err, end)
	}
}

func TestTailRefusesForeignPositions(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	s.AddEvents(Event{Time: t0, Kind: "policy.decision"})
	for _, after := range []string{"zz", "00", "0000000000000002", "00000000000000000000000000000001"} {
		if _, err := s.Tail(TailQuery{After: after}); !errors.Is(err, ErrBadCursor) {
			t.Errorf("after %q: %v", after, err)
		}
	}
	if p, err := s.Tail(TailQuery{After: "0000000000000001"}); err != nil || len(p.Events) != 0 {
		t.Errorf("after the newest: %+v %v", p, err)
	}
}

// A schema-3 history's events take their places in the order as they
// were numbered, and new ones follow them.
func TestMigrateEventOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for v := range 3 {
			if err := migrations[v](tx); err != nil {
				return err
			}
		}
		meta, _ := tx.CreateBucketIfNotExists(bMeta)
		if err := meta.Put(keySchema, binary.BigEndian.AppendUint64(nil, 3)); err != nil {
			return err
		}
		// As schema 3 recorded them: by time and sequence, no order.
		b := tx.Bucket(bEvents)
		for i := range 5 {
			seq, _ := b.NextSequence()
			k := binary.BigEndian.AppendUint64(key(t0.Add(-time.Duration(i)*time.Second)), seq)
			if err := putJSON(b, k, Event{Time: keyTime(k), Kind: "policy.decision", Message: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, path, Options{})
	if v, _ := s.Schema(); v != SchemaVersion {
		t.Fatalf("schema %d after migration", v)
	}
	s.AddEvents(Event{Time: t0.Add(-time.Hour), Kind: "policy.decision", Message: "5"})
	p, err := s.Tail(TailQuery{})
	if err != nil || len(p.Events) != 6 {
		t.Fatalf("tail after migration: %+v %v", p, err)
	}
	for i, e := range p.Events {
		if e.Message != fmt.Sprint(i) {
			t.Errorf("event %d is %s", i, e.Message)
		}
	}
}

func TestCursors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := open(t, path, Options{})
	if c, ok, err := s.Cursor("webhook/audit"); err != nil || ok || c != "" {
		t.Fatalf("no cursor yet: %q %v %v", c, ok, err)
	}
	if err := s.PutCursor("webhook/audit", "000000000000002a"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCursor("webhook/other", ""); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", string(make([]byte, maxCursorName+1))} {
		if err := s.PutCursor(bad, "x"); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	if err := s.PutCursor("webhook/audit", string(make([]byte, maxCursorLen+1))); err == nil {
		t.Error("an over-long cursor accepted")
	}
	s.Close()
	s = open(t, path, Options{})
	if c, ok, err := s.Cursor("webhook/audit"); err != nil || !ok || c != "000000000000002a" {
		t.Errorf("after reopening: %q %v %v", c, ok, err)
	}
	if c, ok, err := s.Cursor("webhook/other"); err != nil || !ok || c != "" {
		t.Errorf("an empty cursor: %q %v %v", c, ok, err)
	}
	if v, _ := s.Schema(); v != SchemaVersion {
		t.Errorf("schema %d beside cursors", v)
	}
}
