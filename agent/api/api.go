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
	"slices"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/daemon"
	"github.com/kwarden/kwarden/agent/store"
)

// Backend is what the API serves: the daemon's latest state and history.
type Backend interface {
	State() daemon.State
	Store() *store.Store
}

// Options configure the handler.
type Options struct {
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every route but /api/v1/health. kwardend refuses to listen beyond
	// loopback without one.
	Token  string
	Logger *slog.Logger
	// StreamEvery is how often /api/v1/stream looks for a new tick;
	// 0 means 200 ms.
	StreamEvery time.Duration
	// EventWriteTimeout is how long the stream gives a client to take
	// one event: before each, it moves the connection's write deadline
	// this far ahead, so that the server's WriteTimeout, meant for
	// ordinary answers, does not cut a stream that lives on; 0 means
	// 30 s.
	EventWriteTimeout time.Duration
	now               func() time.Time
}

type server struct {
	b    Backend
	opts Options
	log  *slog.Logger
}

// New returns the handler for every route.
func New(b Backend, opts Options) http.Handler {
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
	s := &server{b: b, opts: opts, log: opts.Logger}
	mux := http.NewServeMux()
	route(mux, "/api/v1/health", s.health)
	route(mux, "/api/v1/system", s.auth(s.system))
	route(mux, "/api/v1/containers", s.auth(s.containers))
	route(mux, "/api/v1/containers/{id}/series", s.auth(s.containerSeries))
	route(mux, "/api/v1/processes", s.auth(s.processes))
	route(mux, "/api/v1/events", s.auth(s.events))
	route(mux, "/api/v1/crosscheck", s.auth(s.crosscheck))
	route(mux, "/api/v1/stream", s.auth(s.stream))
	route(mux, "/metrics", s.auth(s.metrics))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such route: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
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

// Health says whether the daemon ticks and what it runs on.
type Health struct {
	Status  string            `json:"status"` // ok, degraded, starting
	Tick    uint64            `json:"tick"`
	Time    time.Time         `json:"time"`
	Sources map[string]string `json:"sources"`
	Docker  bool              `json:"docker_connected"`
	Error   string            `json:"tick_error,omitempty"`
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	st := s.b.State()
	h := Health{Status: "ok", Tick: st.Tick, Time: st.Time, Sources: st.Sources, Docker: st.Docker.Connected, Error: st.TickError}
	switch {
	case st.Tick == 0:
		h.Status = "starting"
	case !st.Docker.Connected || st.TickError != "":
		h.Status = "degraded"
	default:
		for _, v := range st.Sources {
			if v != "ok" {
				h.Status = "degraded"
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
	writeJSON(w, map[string]any{"from": from, "to": to, "step": used.String(), "points": nonNil(pts)})
}

// containers lists the current containers with their latest figures; with
// all=true also those only the history still knows (removed ones).
func (s *server) containers(w http.ResponseWriter, r *http.Request) {
	all, err := boolParam(r.URL.Query(), "all")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st := s.b.State()
	out := make([]any, 0, len(st.Containers))
	seen := map[string]bool{}
	for _, c := range st.Containers {
		seen[c.ID] = true
		if all || c.Removed.IsZero() {
			out = append(out, c)
		}
	}
	if all {
		info, err := s.b.Store().ContainerInfo()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		slices.SortFunc(info, func(a, b containers.Container) int { return a.Created.Compare(b.Created) })
		for _, c := range info {
			if !seen[c.ID] {
				out = append(out, c)
			}
		}
	}
	writeJSON(w, map[string]any{"time": st.Time, "containers": out})
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
	// Accept a unique prefix, as docker does.
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
	writeJSON(w, map[string]any{"id": full, "from": from, "to": to, "step": used.String(), "points": nonNil(pts)})
}

func (s *server) resolveID(prefix string) (string, error) {
	info, err := s.b.Store().ContainerInfo()
	if err != nil {
		return "", err
	}
	var match []string
	for _, c := range info {
		if c.ID == prefix || c.Name == prefix {
			return c.ID, nil
		}
		if strings.HasPrefix(c.ID, prefix) {
			match = append(match, c.ID)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return "", fmt.Errorf("container %q: %w", prefix, store.ErrNotFound)
	}
	return "", bad("container id %q is ambiguous (%d matches)", prefix, len(match))
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
	writeJSON(w, map[string]any{"time": when, "processes": nonNil(top)})
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
	out := map[string]any{"events": nonNil(page.Events)}
	if page.Next != "" {
		out["next"] = page.Next
	}
	writeJSON(w, out)
}

func (s *server) crosscheck(w http.ResponseWriter, r *http.Request) {
	st := s.b.State()
	if st.CrossCheck == nil {
		writeJSON(w, map[string]any{"time": st.Time, "available": false,
			"reason": "the cross-check needs both kernel views", "sources": st.Sources})
		return
	}
	writeJSON(w, map[string]any{"time": st.Time, "available": true, "result": st.CrossCheck})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
