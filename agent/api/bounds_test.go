package api

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/daemon"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/test/historytest"
)

// Every answer is bounded whatever its parameters: a month's range with
// no step (it gave 85,801 points, 20 MB), a container's series, events
// at limit 1 (which decoded all 1.65 M events), and the containers with
// the removed ones (a week of the course's generator is 100,000).
func TestAnswersAreBounded(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "h.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const ticks = 4 * 3600
	if err := historytest.Write(s, historytest.Spec{From: t0, Ticks: ticks, Containers: 2}); err != nil {
		t.Fatal(err)
	}
	var evs []store.Event
	var gone []containers.Container
	for i := range 30 {
		at := t0.Add(time.Duration(i) * time.Minute)
		evs = append(evs, store.Event{Time: at, Kind: "docker.outage", Message: fmt.Sprint(i)})
		gone = append(gone, containers.Container{ID: fmt.Sprintf("%064x", 1000+i), Name: fmt.Sprintf("gone-%d", i),
			State: "removed", Created: at, Removed: at.Add(30 * time.Second)})
	}
	if err := s.AddEvents(evs...); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteTick(store.Tick{System: store.SystemPoint{Time: t0.Add(ticks * time.Second)}, Info: gone}); err != nil {
		t.Fatal(err)
	}
	end := t0.Add(ticks * time.Second)
	b := &backend{store: s, st: daemon.State{Time: end, Tick: ticks}}
	srv := httptest.NewServer(New(b, Options{now: func() time.Time { return end }}))
	defer srv.Close()

	month := "?from=now-31d"
	code, m, body := get(t, srv, "/api/v1/system"+month, "")
	if n := len(m["points"].([]any)); code != 200 || n > maxPoints || n < ticks/2 || m["step"] != "2s" {
		t.Fatalf("system over a month: %d, %d points, step %v", code, n, m["step"])
	}
	t.Logf("system over a month, no step: %d points by %v, %d bytes", len(m["points"].([]any)), m["step"], len(body))
	code, m, _ = get(t, srv, "/api/v1/containers/"+historytest.ID(1)+"/series"+month, "")
	if n := len(m["points"].([]any)); code != 200 || n > maxPoints || m["step"] != "2s" {
		t.Fatalf("a container over a month: %d, %d points, step %v", code, n, m["step"])
	}
	// Under the bound, every stored point, unfolded.
	code, m, _ = get(t, srv, "/api/v1/system?from=now-1h", "")
	if n := len(m["points"].([]any)); code != 200 || n != 3601 || m["step"] != "0s" {
		t.Errorf("an hour: %d, %d points, step %v", code, n, m["step"])
	}

	code, m, _ = get(t, srv, "/api/v1/events?from=now-31d&limit=1", "")
	if code != 200 || len(m["events"].([]any)) != 1 || m["next"] == nil {
		t.Fatalf("events limit 1: %d %v", code, m)
	}
	seen := 1
	for next := m["next"]; next != nil; next = m["next"] {
		_, m, _ = get(t, srv, "/api/v1/events?from=now-31d&limit=7&after="+url.QueryEscape(next.(string)), "")
		seen += len(m["events"].([]any))
	}
	if seen != 30 {
		t.Errorf("paging through events: %d of 30", seen)
	}
	if code, _, _ := get(t, srv, "/api/v1/events?limit=100000", ""); code != 400 {
		t.Errorf("events limit 100000: %d, want 400", code)
	}
	if code, _, _ := get(t, srv, "/api/v1/events?after=nonsense", ""); code != 400 {
		t.Errorf("a bad cursor: %d, want 400", code)
	}

	code, m, _ = get(t, srv, "/api/v1/containers?all=true&limit=10", "")
	page := m["containers"].([]any)
	if code != 200 || len(page) != 10 || m["next"] == nil || page[0].(map[string]any)["name"] != "gone-29" {
		t.Fatalf("removed containers, limit 10: %d, %d, next %v", code, len(page), m["next"])
	}
	names := 10
	for next := m["next"]; next != nil; next = m["next"] {
		_, m, _ = get(t, srv, "/api/v1/containers?all=true&limit=10&before="+url.QueryEscape(next.(string)), "")
		names += len(m["containers"].([]any))
	}
	if names != 30 {
		t.Errorf("paging through removed containers: %d of 30", names)
	}
	// A removed container is found by name in the history.
	if code, m, _ := get(t, srv, "/api/v1/containers/gone-7/series?from=now-31d", ""); code != 404 || m == nil {
		t.Errorf("series of a container without points: %d %v", code, m)
	}
}

// History queries take turns: beyond MaxQueries in flight, a query
// waits, and past QueueTimeout it is answered 503 with Retry-After.
func TestQueriesTakeTurns(t *testing.T) {
	b := newBackend(t)
	s, h := newServer(b, Options{MaxQueries: 1, QueueTimeout: 200 * time.Millisecond, now: func() time.Time { return t0.Add(time.Minute) }})
	srv := httptest.NewServer(h)
	defer srv.Close()
	s.queries <- struct{}{} // a query in flight
	code, m, _ := get(t, srv, "/api/v1/system", "")
	if code != 503 || m["error"] == nil {
		t.Fatalf("with every turn taken: %d %v", code, m)
	}
	if code, _, _ := get(t, srv, "/api/v1/health", ""); code != 200 {
		t.Errorf("health waits for no turn: %d", code)
	}
	<-s.queries
	if code, _, _ := get(t, srv, "/api/v1/system", ""); code != 200 {
		t.Errorf("with a turn free: %d", code)
	}
}
