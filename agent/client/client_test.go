package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/api"
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/test/historytest"
)

const token = "0123456789abcdef0123"

// backend is a real history and a state the test moves.
type backend struct {
	mu    sync.Mutex
	st    apiv1.State
	store *store.Store
}

func (b *backend) State() apiv1.State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st
}
func (b *backend) Store() *store.Store { return b.store }

func (b *backend) tick() {
	b.mu.Lock()
	b.st.Tick++
	b.st.Time = b.st.Time.Add(time.Second)
	b.mu.Unlock()
}

// agent is the real API over a history of two containers.
func agent(t *testing.T) (*httptest.Server, *backend, time.Time) {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "h.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	from := time.Now().Add(-time.Hour).Truncate(time.Minute)
	if err := historytest.Write(s, historytest.Spec{From: from, Ticks: 600, Containers: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddEvents(apiv1.Event{Time: from, Kind: "docker.outage", Message: "one"},
		apiv1.Event{Time: from.Add(time.Second), Kind: "docker.connected", Message: "two"}); err != nil {
		t.Fatal(err)
	}
	b := &backend{store: s, st: apiv1.State{Time: from.Add(600 * time.Second), Tick: 1,
		Sources: []apiv1.SourceStatus{{Name: "ebpf", State: apiv1.SourceOK}}, Docker: apiv1.DockerStatus{Connected: true},
		Containers: []apiv1.ContainerFigures{{Container: apiv1.Container{ID: historytest.ID(0), Name: "kw-synthetic-0", Running: true}}}}}
	srv := httptest.NewServer(api.New(b, api.Options{Token: token, StreamEvery: 10 * time.Millisecond}))
	t.Cleanup(srv.Close)
	return srv, b, from
}

// Every call through the real API: typed answers, paging, names for
// ids, and the stream.
func TestClient(t *testing.T) {
	srv, b, from := agent(t)
	c, err := New(Options{Addr: srv.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := c.Health(ctx)
	if err != nil || h.Status != apiv1.HealthOK || len(h.Sources) != 1 || h.Sources[0].Name != "ebpf" {
		t.Fatalf("health: %+v %v", h, err)
	}
	r := Range{From: Time(from), To: Time(from.Add(time.Hour))}
	sys, err := c.System(ctx, r)
	if err != nil || len(sys.Points) != 600 || sys.Step != "0s" {
		t.Fatalf("system: %d points, step %q, %v", len(sys.Points), sys.Step, err)
	}
	r.Step = time.Minute
	series, err := c.Series(ctx, "kw-synthetic-1", r)
	if err != nil || series.ID != historytest.ID(1) || len(series.Points) != 10 || series.Points[0].CPUPercent != 1 {
		t.Fatalf("series by name: %+v %v", series.ID, err)
	}
	set, err := c.SeriesSet(ctx, []string{"kw-synthetic-1", historytest.ID(0)}, []string{"cpu_percent"}, r)
	if err != nil || len(set.Series) != 2 || set.Series[0].ID != historytest.ID(1) || len(set.Series[0].TimesMs) != 10 ||
		set.Series[0].Values[0][0] != 1 || set.Series[1].Values[0][0] != 0 {
		t.Fatalf("series set: %+v %v", set, err)
	}
	cs, err := c.Containers(ctx, ContainersQuery{All: true, Limit: 10})
	if err != nil || len(cs.Containers) != 1 || cs.Containers[0].Name != "kw-synthetic-0" {
		t.Fatalf("containers: %+v %v", cs, err)
	}
	evs, err := c.Events(ctx, EventsQuery{From: Time(from), To: "now", Limit: 1})
	if err != nil || len(evs.Events) != 1 || evs.Next == "" {
		t.Fatalf("events page 1: %+v %v", evs, err)
	}
	evs, err = c.Events(ctx, EventsQuery{From: Time(from), To: "now", Limit: 1, After: evs.Next})
	if err != nil || len(evs.Events) != 1 || evs.Events[0].Message != "two" || evs.Next != "" {
		t.Fatalf("events page 2: %+v %v", evs, err)
	}
	top, err := c.Top(ctx, TopQuery{From: Time(from), To: "now", By: apiv1.FigureCPUPercent, N: 1})
	if err != nil || top.Present != 2 || len(top.Containers) != 1 || top.Containers[0].Name != "kw-synthetic-1" {
		t.Fatalf("top by CPU: %+v %v", top, err)
	}
	cc, err := c.CrossCheck(ctx)
	if err != nil || cc.Available || cc.Reason == "" {
		t.Errorf("crosscheck: %+v %v", cc, err)
	}
	if _, err := c.Processes(ctx, ""); err != nil {
		t.Errorf("processes: %v", err)
	}

	sctx, cancel := context.WithCancel(ctx)
	var ticks []uint64
	go func() {
		for range 3 {
			time.Sleep(30 * time.Millisecond)
			b.tick()
		}
	}()
	err = c.Stream(sctx, func(st apiv1.StreamTick) error {
		ticks = append(ticks, st.Tick)
		if len(ticks) == 3 {
			cancel()
		}
		return nil
	})
	if err != nil || len(ticks) != 3 || ticks[2] <= ticks[0] {
		t.Errorf("stream: ticks %v, %v", ticks, err)
	}
}

// The agent's errors come back typed, with its message; a wrong token is
// a 401; an agent that does not answer is an error within the timeout.
func TestClientErrors(t *testing.T) {
	srv, _, _ := agent(t)
	ctx := context.Background()
	wrong, _ := New(Options{Addr: srv.URL, Token: "wrong-token-wrong-token"})
	if _, err := wrong.System(ctx, Range{}); !IsStatus(err, http.StatusUnauthorized) {
		t.Errorf("wrong token: %v", err)
	}
	c, _ := New(Options{Addr: srv.URL, Token: token})
	_, err := c.System(ctx, Range{From: "yesterday"})
	var e *Error
	if !errors.As(err, &e) || e.Status != 400 || e.Message == "" {
		t.Errorf("bad parameter: %v", err)
	}
	if _, err := c.Top(ctx, TopQuery{By: "cpu_ns"}); !IsStatus(err, http.StatusBadRequest) {
		t.Errorf("top by a counter: %v", err)
	}
	if _, err := c.Series(ctx, "nope", Range{}); !IsStatus(err, http.StatusNotFound) {
		t.Errorf("unknown container: %v", err)
	}
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	slow, _ := New(Options{Addr: hang.URL, Timeout: 200 * time.Millisecond})
	start := time.Now()
	if _, err := slow.Health(ctx); err == nil {
		t.Error("no error from an agent that does not answer")
	}
	if err := slow.Stream(ctx, func(apiv1.StreamTick) error { return nil }); err == nil {
		t.Error("no error from a stream that never starts")
	}
	t.Logf("two calls to a silent agent gave up after %v", time.Since(start).Round(time.Millisecond))
	for _, addr := range []string{"ftp://x", "http://", "::"} {
		if _, err := New(Options{Addr: addr}); err == nil {
			t.Errorf("address %q accepted", addr)
		}
	}
}
