// Package api is kwardend's HTTP API under /api/v1/ (JSON), its live
// stream (server-sent events) and the Prometheus /metrics endpoint.
// docs/api.md documents every route.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/internal/duration"
)

// Backend is what the API serves: the daemon's latest state and history.
type Backend interface {
	State() apiv1.State
	Store() *store.Store
}

// Options configure the handler.
type Options struct {
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every route but /api/v1/health. kwardend refuses to listen beyond
	// loopback without one.
	Token string
	// Interval is the daemon's tick, told in health.
	Interval time.Duration
	Logger   *slog.Logger
	// StreamEvery is how often /api/v1/stream looks for a new tick;
	// 0 means 200 ms.
	StreamEvery time.Duration
	// EventWriteTimeout is how long the stream gives a client to take
	// one event: before each, it moves the connection's write deadline
	// this far ahead, so that the server's WriteTimeout, meant for
	// ordinary answers, does not cut a stream that lives on; 0 means
	// 30 s.
	EventWriteTimeout time.Duration
	// MaxQueries bounds the history queries (system, series, events,
	// removed containers, rankings) answered at once; 0 means one less
	// than GOMAXPROCS, at least one. Each is bounded
	// (store.DefaultMaxPoints, store.DefaultTopScan), so this bounds
	// their memory and CPU together, and leaves a CPU to
	// the ticks: on two cores, four at once under twenty clients lost 6
	// ticks in 200 (p99 gap 199 ms at 100 ms), one lost none (p99 105
	// ms; cmd/querybench, docs/benchmarks.md).
	MaxQueries int
	// QueueTimeout is how long a query waits for its turn before a 503;
	// 0 means 10 s.
	QueueTimeout time.Duration
	// Version is the daemon's build, for health.
	Version string
	// Metrics serves /metrics (agent/metrics.Handler); nil answers 404.
	Metrics http.Handler
	// Policies serves the /api/v1/policy routes; nil says the policy
	// loop is off.
	Policies Policies
	now      func() time.Time
	topScan  int // store.TopQuery's MaxScan; 0 is the store's default
}

type server struct {
	b       Backend
	opts    Options
	log     *slog.Logger
	queries chan struct{} // one token per query in flight
}

// New returns the handler for every route.
func New(b Backend, opts Options) http.Handler {
	_, h := newServer(b, opts)
	return h
}

func newServer(b Backend, opts Options) (*server, http.Handler) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	if opts.StreamEvery <= 0 {
		opts.StreamEvery = 200 * time.Millisecond
	}
	if opts.EventWriteTimeout <= 0 {
		opts.EventWriteTimeout = 30 * time.Second
	}
	if opts.MaxQueries <= 0 {
		opts.MaxQueries = max(1, runtime.GOMAXPROCS(0)-1)
	}
	if opts.QueueTimeout <= 0 {
		opts.QueueTimeout = 10 * time.Second
	}
	s := &server{b: b, opts: opts, log: opts.Logger, queries: make(chan struct{}, opts.MaxQueries)}
	mux := http.NewServeMux()
	// The routes are apiv1.Routes, the table docs/api.md and the client
	// are made from: a handler missing from it, or one too many, is a
	// bug the first request would not show, so New refuses it.
	handlers := s.handlers()
	for _, rt := range apiv1.Routes {
		h, ok := handlers[rt.Path]
		if !ok {
			panic("api: no handler for " + rt.Path)
		}
		delete(handlers, rt.Path)
		if !rt.Open {
			h = s.auth(h)
		}
		route(mux, rt.Path, rt.Method, h)
	}
	if len(handlers) > 0 {
		panic(fmt.Sprintf("api: handlers for routes apiv1.Routes lacks: %v", handlers))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such route: "+r.Method+" "+r.URL.Path)
	})
	return s, mux
}

// handlers are the routes' handlers, by apiv1.Routes' paths; the
// history queries take turns (query).
func (s *server) handlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"/api/v1/health":                 s.health,
		"/api/v1/system":                 s.query(s.system),
		"/api/v1/containers":             s.query(s.containers),
		"/api/v1/containers/top":         s.query(s.containersTop),
		"/api/v1/containers/series":      s.query(s.containersSeries),
		"/api/v1/containers/{id}/series": s.query(s.containerSeries),
		"/api/v1/processes":              s.processes,
		"/api/v1/events":                 s.query(s.events),
		"/api/v1/crosscheck":             s.crosscheck,
		"/api/v1/stream":                 s.stream,
		"/api/v1/policy":                 s.policy,
		"/api/v1/policy/catalogue":       s.policyCatalogue,
		"/api/v1/policy/use":             s.policyUse,
		"/api/v1/policy/dry-run":         s.policyDryRun,
		"/metrics":                       s.metrics,
	}
}

// metrics serves the Prometheus exposition.
func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.opts.Metrics == nil {
		writeError(w, http.StatusNotFound, "this server has no metrics")
		return
	}
	s.opts.Metrics.ServeHTTP(w, r)
}

// query runs h when one of MaxQueries turns is free, waiting up to
// QueueTimeout (or the client's patience) for it; then 503 with
// Retry-After.
func (s *server) query(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		wait := time.NewTimer(s.opts.QueueTimeout)
		defer wait.Stop()
		select {
		case s.queries <- struct{}{}:
		case <-wait.C:
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("%d history queries in flight: try again", s.opts.MaxQueries))
			return
		case <-r.Context().Done():
			return
		}
		defer func() { <-s.queries }()
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(apiv1.ErrorAnswer{Error: msg})
}

// fail answers a handler's error: 400 for a bad request, 404 for an
// unknown object, 500 (logged) for the rest.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var br *badRequest
	switch {
	case errors.As(err, &br):
		writeError(w, http.StatusBadRequest, br.msg)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	default:
		s.log.Error("api", "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error: "+err.Error())
	}
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	st := s.b.State()
	h := apiv1.Health{Status: apiv1.HealthOK, Tick: st.Tick, Time: st.Time, Sources: nonNil(st.Sources),
		Docker: st.Docker.Connected, Error: st.TickError, Version: s.opts.Version, IntervalSeconds: s.opts.Interval.Seconds()}
	switch {
	case st.Tick == 0:
		h.Status = apiv1.HealthStarting
	case !st.Docker.Connected || st.TickError != "":
		h.Status = apiv1.HealthDegraded
	default:
		for _, src := range st.Sources {
			if src.State != apiv1.SourceOK {
				h.Status = apiv1.HealthDegraded
			}
		}
	}
	writeJSON(w, h)
}

func (s *server) system(w http.ResponseWriter, r *http.Request) {
	from, to, step, err := timeRange(r.URL.Query(), s.opts.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pts, used, err := s.b.Store().SystemRange(store.RangeQuery{From: from, To: to, Step: step, MaxPoints: maxPoints})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, apiv1.SystemAnswer{From: from, To: to, Step: duration.String(used), Points: nonNil(pts)})
}

// containers lists the current containers with their latest figures;
// with all=true also the removed ones the history still holds, most
// recently removed first, at most limit of them (a page: before=next
// continues), so that a week of the course's generator (some 100,000
// containers) is not one answer.
func (s *server) containers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	all, err := boolParam(q, "all")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := intParam(q, "limit", 1000, 1, 10_000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st := s.b.State()
	answer := apiv1.ContainersAnswer{Time: st.Time, Containers: make([]apiv1.ContainerFigures, 0, len(st.Containers))}
	seen := map[string]bool{}
	before := q.Get("before")
	for _, c := range st.Containers {
		seen[c.ID] = true
		// A later page holds removed containers only.
		if before == "" && (all || c.Removed.IsZero()) {
			answer.Containers = append(answer.Containers, c)
		}
	}
	if all {
		page, err := s.b.Store().Removed(limit, before)
		if errors.Is(err, store.ErrBadCursor) {
			err = bad("%v", err)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, c := range page.Containers {
			if !seen[c.ID] {
				answer.Containers = append(answer.Containers, apiv1.ContainerFigures{Container: c})
			}
		}
		answer.Next = page.Next
	}
	writeJSON(w, answer)
}

func (s *server) containerSeries(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "" || len(id) > 128 || strings.ContainsAny(id, "/\x00") {
		s.fail(w, r, bad("container id %q is not valid", id))
		return
	}
	from, to, step, err := timeRange(r.URL.Query(), s.opts.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Accept a unique prefix or a name, as docker does.
	full, err := s.resolveID(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pts, used, err := s.b.Store().ContainerSeries(full, store.RangeQuery{From: from, To: to, Step: step, MaxPoints: maxPoints})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, apiv1.SeriesAnswer{ID: full, From: from, To: to, Step: duration.String(used), Points: nonNil(pts)})
}

// resolveID finds a container by id, unique id prefix or name: among
// the current ones first (the daemon's state), then in the history.
func (s *server) resolveID(ref string) (string, error) {
	var match []string
	for _, c := range s.b.State().Containers {
		if c.ID == ref || c.Name == ref {
			return c.ID, nil
		}
		if strings.HasPrefix(c.ID, ref) {
			match = append(match, c.ID)
		}
	}
	if len(match) == 1 {
		// Unique among the current ones; the history may know more.
		if id, err := s.b.Store().Find(ref); errors.Is(err, store.ErrAmbiguous) || (err == nil && id != match[0]) {
			return "", bad("container id %q is ambiguous", ref)
		}
		return match[0], nil
	}
	if len(match) > 1 {
		return "", bad("container id %q is ambiguous (%d matches)", ref, len(match))
	}
	id, err := s.b.Store().Find(ref)
	if errors.Is(err, store.ErrAmbiguous) {
		return "", bad("container id %q is ambiguous", ref)
	}
	return id, err
}

func (s *server) processes(w http.ResponseWriter, r *http.Request) {
	at := s.opts.now()
	if v := r.URL.Query().Get("at"); v != "" {
		t, err := parseTime(v, at)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		at = t
	}
	when, top, err := s.b.Store().Top(at)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, apiv1.ProcessesAnswer{Time: when, Processes: nonNil(top)})
}

func (s *server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, _, err := timeRange(q, s.opts.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := intParam(q, "limit", store.DefaultEventLimit, 1, store.MaxEventLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	kind := q.Get("kind")
	if len(kind) > 64 {
		s.fail(w, r, bad("kind is longer than 64 bytes"))
		return
	}
	page, err := s.b.Store().Events(store.EventQuery{From: from, To: to, Kind: kind, Limit: limit, After: q.Get("after")})
	if errors.Is(err, store.ErrBadCursor) {
		err = bad("%v", err)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, apiv1.EventsAnswer{Events: nonNil(page.Events), Next: page.Next})
}

func (s *server) crosscheck(w http.ResponseWriter, r *http.Request) {
	st := s.b.State()
	if st.CrossCheck == nil {
		writeJSON(w, apiv1.CrossCheckAnswer{Time: st.Time, Reason: "the cross-check needs both kernel views", Sources: st.Sources,
			ProcView: st.ProcView})
		return
	}
	writeJSON(w, apiv1.CrossCheckAnswer{Time: st.Time, Available: true, Result: st.CrossCheck, ProcView: st.ProcView})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
