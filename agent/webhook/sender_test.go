package webhook

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/store"
)

// Events of the chosen kinds go, in order, with their ids; other kinds
// do not; the batch bounds hold.
func TestDeliversChosenKindsInOrder(t *testing.T) {
	st := openStore(t)
	k := &sink{}
	srv := serveOn(t, "127.0.0.1:0", k)
	cfg := testConfig(srv.URL + "/in")
	cfg.BatchMax, cfg.Token = 7, "t0ken"
	s := newSender(t, st, cfg)
	start := s.Status().Position
	k.setAnswer(func(w http.ResponseWriter, r *http.Request, b Batch) bool {
		if len(b.Events) > 7 {
			t.Errorf("a batch of %d events", len(b.Events))
		}
		for _, e := range b.Events {
			if !strings.HasPrefix(e.Kind, "policy.") || e.Message == "" || e.Data["n"] != e.Message || e.ContainerID != "c"+e.Message {
				t.Errorf("event %+v", e)
			}
		}
		return true
	})
	run(t, s)
	for i := range 10 {
		addEvents(t, st, s, "policy.decision", i*10, 5)
		addEvents(t, st, s, "docker.outage", i*10+5, 5)
	}
	want := idsAfter(t, st, start, "policy.")
	if len(want) != 50 {
		t.Fatalf("%d policy events recorded", len(want))
	}
	waitAll(t, k, want)
	waitFor(t, "nothing waiting", func() bool { return s.Status().Waiting == 0 })
	st2 := s.Status()
	if st2.Delivered < 50 || st2.Batches < 8 || st2.Dropped != 0 || st2.Failing != 0 || st2.LastDelivery.IsZero() {
		t.Errorf("status %+v", st2)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, a := range k.auth {
		if a != "Bearer t0ken" {
			t.Errorf("Authorization %q", a)
		}
	}
}

// A sink that goes away (its listener closed) and comes back on the
// same port gets everything recorded meanwhile.
func TestSinkDownThenBack(t *testing.T) {
	st := openStore(t)
	addr := freeAddr(t)
	k := &sink{}
	srv := serveOn(t, addr, k)
	s := newSender(t, st, testConfig("http://"+addr+"/in"))
	start := s.Status().Position
	run(t, s)
	addEvents(t, st, s, "policy.decision", 0, 10)
	waitAll(t, k, idsAfter(t, st, start, "policy."))

	srv.Close()
	addEvents(t, st, s, "policy.decision", 10, 40)
	waitFor(t, "failed posts", func() bool { return s.Status().Retried >= 5 })
	if st := s.Status(); st.Failing == 0 || st.LastError == "" || st.Waiting == 0 {
		t.Errorf("status while the sink is down: %+v", st)
	}
	addEvents(t, st, s, "policy.decision", 50, 10)

	serveOn(t, addr, k)
	waitAll(t, k, idsAfter(t, st, start, "policy."))
	waitFor(t, "the sender to settle", func() bool { st := s.Status(); return st.Failing == 0 && st.Waiting == 0 })
}

// A sink slower than the timeout fails each POST, which is retried; it
// may have taken the batch all the same, so ids repeat, and none is
// missing.
func TestSlowSink(t *testing.T) {
	st := openStore(t)
	k := &sink{}
	srv := serveOn(t, "127.0.0.1:0", k)
	var mu sync.Mutex
	slow := 4
	k.setAnswer(func(w http.ResponseWriter, r *http.Request, b Batch) bool {
		mu.Lock()
		late := slow > 0
		slow--
		mu.Unlock()
		if late {
			// Past the sender's timeout; it gives up, the sink goes on.
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		}
		return true
	})
	cfg := testConfig(srv.URL)
	cfg.BatchMax = 4
	s := newSender(t, st, cfg)
	start := s.Status().Position
	run(t, s)
	addEvents(t, st, s, "policy.decision", 0, 30)
	waitAll(t, k, idsAfter(t, st, start, "policy."))
	if st := s.Status(); st.Retried < 4 || !strings.Contains(st.LastError, "deadline exceeded") {
		t.Errorf("status after a slow sink: %+v", st)
	}
	if _, all := k.taken(); all <= 30 {
		t.Logf("the sink took %d events: no batch twice this time", all)
	}
}

// 500s, then 429s with Retry-After, then 200: everything arrives, in
// order, and the sender waited at least what the 429 asked.
func TestFailingSink(t *testing.T) {
	st := openStore(t)
	k := &sink{}
	srv := serveOn(t, "127.0.0.1:0", k)
	var mu sync.Mutex
	posts := 0
	k.setAnswer(func(w http.ResponseWriter, r *http.Request, b Batch) bool {
		mu.Lock()
		posts++
		n := posts
		mu.Unlock()
		switch {
		case n <= 3:
			http.Error(w, "database unavailable", http.StatusInternalServerError)
			return false
		case n <= 5:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return false
		}
		return true
	})
	cfg := testConfig(srv.URL)
	cfg.MaxBackoff = 5 * time.Second // above the Retry-After, which is then waited for
	s := newSender(t, st, cfg)
	start := s.Status().Position
	run(t, s)
	addEvents(t, st, s, "policy.decision", 0, 20)
	waitFor(t, "the 500s and 429s", func() bool { mu.Lock(); defer mu.Unlock(); return posts > 5 })
	addEvents(t, st, s, "policy.swapped", 20, 20)
	waitAll(t, k, idsAfter(t, st, start, "policy."))
	k.mu.Lock()
	for i := 4; i <= 5; i++ { // the POSTs after each 429
		if gap := k.posts[i].Sub(k.posts[i-1]); gap < 900*time.Millisecond {
			t.Errorf("POST %d came %v after a 429 with Retry-After: 1", i+1, gap)
		}
	}
	codes := fmt.Sprint(k.codes[:6])
	k.mu.Unlock()
	if codes != "[500 500 500 429 429 200]" {
		t.Errorf("answers %s", codes)
	}
	if st := s.Status(); st.Retried != 5 || st.Dropped != 0 || !strings.Contains(st.LastError, "429") {
		t.Errorf("status %+v", st)
	}
}

// A sender stopped part way, with a batch in flight, and a new one on
// the same history: every event arrives, and the new one starts where
// the old one stopped, not at the start.
func TestRestartMissesNothing(t *testing.T) {
	st := openStore(t)
	k := &sink{}
	srv := serveOn(t, "127.0.0.1:0", k)
	k.setAnswer(func(w http.ResponseWriter, r *http.Request, b Batch) bool {
		select { // a sink that takes its time, so the stop finds work left
		case <-time.After(50 * time.Millisecond):
		case <-r.Context().Done():
		}
		return true
	})
	cfg := testConfig(srv.URL)
	cfg.BatchMax, cfg.Timeout = 5, 10*time.Second
	first := newSender(t, st, cfg)
	start := first.Status().Position
	stop := run(t, first)
	addEvents(t, st, first, "policy.decision", 0, 100)
	waitFor(t, "some batches", func() bool { return first.Status().Delivered >= 20 })
	stop()
	was := first.Status()
	if was.Delivered >= 100 {
		t.Logf("the first sender finished before its stop: %+v", was)
	}
	addEvents(t, st, nil, "policy.decision", 100, 20) // while no sender runs

	k.mu.Lock()
	firstTook := len(k.took)
	k.mu.Unlock()
	second := newSender(t, st, cfg)
	if pos := second.Status().Position; pos != was.Position {
		t.Errorf("the second sender starts at %s, the first stopped at %s", pos, was.Position)
	}
	run(t, second)
	second.Notify()
	want := idsAfter(t, st, start, "policy.")
	waitAll(t, k, want)
	k.mu.Lock()
	defer k.mu.Unlock()
	if firstTook > 0 && k.took[firstTook].ID == want[0] {
		t.Errorf("the second sender started from the beginning")
	}
}

// A sink that refuses a batch (400) has it skipped and recorded as a
// webhook.dropped event; the sender goes on with the next. Its own
// events are never sent, even to a sink of every kind, so a refusal
// does not feed on itself.
func TestRefusedBatchIsDroppedAndRecorded(t *testing.T) {
	st := openStore(t)
	k := &sink{}
	srv := serveOn(t, "127.0.0.1:0", k)
	k.setAnswer(func(w http.ResponseWriter, r *http.Request, b Batch) bool {
		for _, e := range b.Events {
			if e.Message == "poison" || strings.HasPrefix(e.Kind, "webhook.") {
				http.Error(w, "event "+e.ID+" does not fit the schema", http.StatusBadRequest)
				return false
			}
		}
		return true
	})
	cfg := testConfig(srv.URL)
	cfg.Name, cfg.Kinds = "everything", []string{""}
	s := newSender(t, st, cfg)
	start := s.Status().Position
	run(t, s)
	addEvents(t, st, s, "policy.decision", 0, 5)
	waitAll(t, k, idsAfter(t, st, start))
	if err := st.AddEvents(store.Event{Time: time.Now(), Kind: "policy.decision", Message: "poison"}); err != nil {
		t.Fatal(err)
	}
	s.Notify()
	waitFor(t, "the drop", func() bool { return s.Status().Dropped == 1 })
	addEvents(t, st, s, "docker.outage", 5, 5)
	waitFor(t, "the events after the drop", func() bool { ids, _ := k.taken(); return len(ids) == 10 })

	page, err := st.Events(store.EventQuery{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Kind: KindDropped})
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("dropped events: %+v %v", page, err)
	}
	ev := page.Events[0]
	k.mu.Lock()
	poison := k.refused[0].ID
	k.mu.Unlock()
	if ev.Data["count"] != "1" || ev.Data["status"] != "400" || ev.Data["webhook"] != "everything" ||
		ev.Data["first_id"] != poison || ev.Data["last_id"] != poison || !strings.Contains(ev.Message, "does not fit the schema") {
		t.Errorf("dropped event %+v", ev)
	}
	ids, _ := k.taken()
	for _, e := range idsAfter(t, st, start, "policy.", "docker.") { // all but its own
		if e != poison && !slices.Contains(ids, e) {
			t.Errorf("event %s neither taken nor dropped", e)
		}
	}
	waitFor(t, "the sender to settle", func() bool { return s.Status().Waiting == 0 })
	if st := s.Status(); st.Dropped != 1 || st.Retried != 0 || !strings.Contains(st.LastError, "400") {
		t.Errorf("status %+v", st)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.refused) != 1 {
		t.Errorf("%d refused events: the sender sent its own report", len(k.refused))
	}
}

// Notify returns at once whatever the sink does, and the history takes
// events while a POST hangs.
func TestNotifyNeverBlocks(t *testing.T) {
	st := openStore(t)
	k := &sink{}
	srv := serveOn(t, "127.0.0.1:0", k)
	release := make(chan struct{})
	hung := make(chan struct{}, 1)
	k.setAnswer(func(w http.ResponseWriter, r *http.Request, b Batch) bool {
		select {
		case hung <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	})
	cfg := testConfig(srv.URL)
	cfg.Timeout = time.Hour // the POST hangs as long as the sink does
	s := newSender(t, st, cfg)
	start := s.Status().Position
	run(t, s)
	addEvents(t, st, s, "policy.decision", 0, 1)
	select {
	case <-hung:
	case <-time.After(deadline):
		t.Fatal("no POST reached the sink")
	}
	done := make(chan error, 1)
	go func() {
		for range 10_000 {
			s.Notify()
		}
		for i := 1; i <= 100; i++ {
			if err := st.AddEvents(store.Event{Time: time.Now(), Kind: "policy.decision", Message: fmt.Sprint(i)}); err != nil {
				done <- err
				return
			}
			s.Notify()
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(deadline):
		t.Fatal("Notify or AddEvents blocked behind a hung sink")
	}
	close(release)
	k.setAnswer(nil)
	waitAll(t, k, idsAfter(t, st, start, "policy."))
}

// A first start begins at the newest event and saves that at once; with
// from_start it sends the history there was.
func TestFirstStart(t *testing.T) {
	st := openStore(t)
	k := &sink{}
	srv := serveOn(t, "127.0.0.1:0", k)
	addEvents(t, st, nil, "policy.decision", 0, 5) // before any sender
	cfg := testConfig(srv.URL)
	newSender(t, st, cfg) // placed at the newest event, never run
	addEvents(t, st, nil, "policy.decision", 5, 5)
	s := newSender(t, st, cfg) // starts where the first was placed
	run(t, s)
	s.Notify()
	want := idsAfter(t, st, "", "policy.")[5:]
	waitAll(t, k, want)

	all := &sink{}
	srv2 := serveOn(t, "127.0.0.1:0", all)
	cfg2 := testConfig(srv2.URL)
	cfg2.Name, cfg2.FromStart = "archive", true
	run(t, newSender(t, st, cfg2))
	waitAll(t, all, idsAfter(t, st, "", "policy."))
}

func TestNewRefusesBadConfig(t *testing.T) {
	st := openStore(t)
	if _, err := New(st, Config{URL: "ftp://127.0.0.1/in"}, Options{}); err == nil || !strings.Contains(err.Error(), "http") {
		t.Errorf("ftp: %v", err)
	}
	if _, ok, _ := st.Cursor("webhook/" + DefaultName); ok {
		t.Error("a refused configuration saved a position")
	}
}
