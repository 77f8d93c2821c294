package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/store"
)

// The sender tests' rig. They run a real history on a temporary file
// and real HTTP servers on 127.0.0.1, and wait for what they assert
// with generous deadlines, never for a fixed time.

const deadline = 60 * time.Second

// sink is a receiver whose answer the test chooses. It records the ids
// of every batch it took, in the order it took them, duplicates and all.
type sink struct {
	mu      sync.Mutex
	answer  func(w http.ResponseWriter, r *http.Request, b Batch) bool // false: not taken
	took    []BatchEvent
	refused []BatchEvent
	posts   []time.Time // when each POST came
	auth    []string    // its Authorization header
	codes   []int       // what it was answered
}

func (k *sink) setAnswer(f func(w http.ResponseWriter, r *http.Request, b Batch) bool) {
	k.mu.Lock()
	k.answer = f
	k.mu.Unlock()
}

func (k *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var b Batch
	if err == nil {
		err = json.Unmarshal(body, &b)
	}
	if err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, fmt.Sprintf("not a batch: %v", err), http.StatusUnsupportedMediaType)
		return
	}
	k.mu.Lock()
	k.posts = append(k.posts, time.Now())
	k.auth = append(k.auth, r.Header.Get("Authorization"))
	answer := k.answer
	k.mu.Unlock()
	rec := &recorder{ResponseWriter: w, code: http.StatusOK}
	taken := answer == nil || answer(rec, r, b)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.codes = append(k.codes, rec.code)
	if taken {
		k.took = append(k.took, b.Events...)
	} else {
		k.refused = append(k.refused, b.Events...)
	}
}

type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// taken is the distinct ids the sink took, in the order it first took
// them, and how many it took in all.
func (k *sink) taken() (ids []string, all int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	seen := map[string]bool{}
	for _, e := range k.took {
		if !seen[e.ID] {
			seen[e.ID] = true
			ids = append(ids, e.ID)
		}
	}
	return ids, len(k.took)
}

// serveOn serves h on addr: a sink that comes back where it was.
func serveOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	var l net.Listener
	var err error
	for range 50 { // the port was just given up: take it again
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "history.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// testConfig retries fast, so that outages of a second are many
// failures.
func testConfig(url string) Config {
	return Config{URL: url, Timeout: 300 * time.Millisecond, MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, Poll: 100 * time.Millisecond}
}

func newSender(t *testing.T, st *store.Store, cfg Config) *Sender {
	t.Helper()
	s, err := New(st, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run runs s until the returned stop, which the test's end calls too;
// stop waits for Run to return.
func run(t *testing.T, s *Sender) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(deadline):
				t.Errorf("Run did not return %v after its context ended", deadline)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// addEvents records n events of kind as the daemon does, and tells s.
// Their times go back and forth: the order is the recording's.
func addEvents(t *testing.T, st *store.Store, s *Sender, kind string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		at := time.Now().Add(-time.Duration(i%3) * time.Second)
		ev := store.Event{Time: at, Kind: kind, ContainerID: fmt.Sprintf("c%d", i), Message: fmt.Sprint(i),
			Data: map[string]string{"n": fmt.Sprint(i)}}
		if err := st.AddEvents(ev); err != nil {
			t.Fatal(err)
		}
		if s != nil {
			s.Notify()
		}
	}
}

// idsAfter is what a sink of kinds should get after pos: every id,
// in the order of recording.
func idsAfter(t *testing.T, st *store.Store, pos string, kinds ...string) []string {
	t.Helper()
	var ids []string
	for {
		p, err := st.Tail(store.TailQuery{After: pos, Kinds: kinds})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Events {
			ids = append(ids, e.ID)
		}
		if !p.More {
			return ids
		}
		pos = p.Next
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%v passed waiting for %s", deadline, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitAll waits until the sink has taken every id of want, and checks
// that it took them in order (each first taken after the one before).
func waitAll(t *testing.T, k *sink, want []string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d events at the sink", len(want)), func() bool {
		ids, _ := k.taken()
		return len(ids) >= len(want)
	})
	ids, all := k.taken()
	if !slices.Equal(ids, want) {
		t.Fatalf("the sink took %d distinct events (%d in all), not the %d recorded in their order:\ngot  %v\nwant %v",
			len(ids), all, len(want), ids, want)
	}
}
