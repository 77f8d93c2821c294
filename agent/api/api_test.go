package api

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/daemon"
	"github.com/kwarden/kwarden/agent/sample"
	"github.com/kwarden/kwarden/agent/store"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// backend is a real history store plus a state, as the daemon would have.
type backend struct {
	mu    sync.Mutex
	st    daemon.State
	store *store.Store
}

func (b *backend) State() daemon.State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st
}
func (b *backend) Store() *store.Store { return b.store }

const idA = "aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111"
const idB = "bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222"

func newBackend(t testing.TB) *backend {
	s, err := store.Open(filepath.Join(t.TempDir(), "h.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a := containers.Container{ID: idA, Name: "kw-a", Image: "kwarden/load:cpu", Kind: "cpu", Running: true, Created: t0}
	b := containers.Container{ID: idB, Name: "kw-b\"\n", Image: "kwarden/load:ram", Created: t0, State: "removed", Removed: t0.Add(time.Minute)}
	for i := range 60 {
		at := t0.Add(time.Duration(i) * time.Second)
		tk := store.Tick{System: store.SystemPoint{Time: at, MemTotalBytes: 1 << 30, MemUsedBytes: 1 << 29, CPUPercent: float64(i)},
			Containers: map[string]store.ContainerPoint{idA: {CPUPercent: 100, CPUNs: uint64(i) * 1e9}},
			Info:       []containers.Container{a, b}, Top: []store.ProcessPoint{{PID: 1, Comm: "init"}}}
		if i == 30 {
			tk.Events = []store.Event{{Time: at, Kind: "docker.outage", Message: "gone"}, {Time: at, Kind: "container.die", ContainerID: idA}}
		}
		if err := s.WriteTick(tk); err != nil {
			t.Fatal(err)
		}
	}
	fa := sample.Figures{Container: a, CPUPercent: 99.5, CPUNs: 59e9, RSSBytes: 3 << 20, WorkingSetBytes: 2 << 20, Class: "high"}
	return &backend{store: s, st: daemon.State{Time: t0.Add(time.Minute), Tick: 60, Containers: []sample.Figures{fa},
		Sources: []apiv1.SourceStatus{{Name: "ebpf", State: apiv1.SourceOK}}, Docker: containers.Status{Connected: true},
		System: store.SystemPoint{MemTotalBytes: 1 << 30, MemUsedBytes: 1 << 29}}}
}

func testServer(t testing.TB, b *backend, token string) *httptest.Server {
	h := New(b, Options{Token: token, Interval: 10 * time.Second, StreamEvery: 10 * time.Millisecond, now: func() time.Time { return t0.Add(time.Minute) }})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t testing.TB, srv *httptest.Server, path, token string) (int, map[string]any, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("%s: invalid JSON %q", path, body)
		}
	}
	return resp.StatusCode, m, string(body)
}

func TestRoutes(t *testing.T) {
	srv := testServer(t, newBackend(t), "")
	code, m, _ := get(t, srv, "/api/v1/health", "")
	if code != 200 || m["status"] != "ok" || m["interval_seconds"] != 10.0 {
		t.Errorf("health: %d %v", code, m)
	}
	code, m, _ = get(t, srv, "/api/v1/system?from=now-30s&step=10s", "")
	if code != 200 || len(m["points"].([]any)) != 3 {
		t.Errorf("system: %d %v", code, m)
	}
	code, m, _ = get(t, srv, "/api/v1/containers", "")
	if code != 200 || len(m["containers"].([]any)) != 1 {
		t.Errorf("containers: %d %v", code, m)
	}
	code, m, _ = get(t, srv, "/api/v1/containers?all=true", "")
	if code != 200 || len(m["containers"].([]any)) != 2 {
		t.Errorf("containers, removed included: %d %v", code, m)
	}
	for _, id := range []string{idA, idA[:8], "kw-a"} {
		code, m, _ = get(t, srv, "/api/v1/containers/"+url.PathEscape(id)+"/series?from="+t0.Format(time.RFC3339)+"&step=1m", "")
		if code != 200 || m["id"] != idA || len(m["points"].([]any)) != 1 {
			t.Errorf("series of %s: %d %v", id, code, m)
		}
	}
	code, m, _ = get(t, srv, "/api/v1/events?from=now-1h&kind=docker.", "")
	if code != 200 || len(m["events"].([]any)) != 1 {
		t.Errorf("events: %d %v", code, m)
	}
	code, m, _ = get(t, srv, "/api/v1/containers/top?by=cpu&from=now-1h", "")
	if cs, _ := m["containers"].([]any); code != 200 || len(cs) != 1 || m["by"] != "cpu_percent" || m["rank"] != "mean" || m["present"] != 1.0 {
		t.Errorf("containers/top: %d %v", code, m)
	}
	code, m, _ = get(t, srv, "/api/v1/processes", "")
	if code != 200 || len(m["processes"].([]any)) != 1 {
		t.Errorf("processes: %d %v", code, m)
	}
	code, m, _ = get(t, srv, "/api/v1/crosscheck", "")
	if code != 200 || m["available"] != false {
		t.Errorf("crosscheck: %d %v", code, m)
	}
}

func TestBadRequests(t *testing.T) {
	srv := testServer(t, newBackend(t), "")
	for path, want := range map[string]int{
		"/api/v1/system?from=yesterday":                    400,
		"/api/v1/system?from=now&to=now-1h":                400,
		"/api/v1/system?step=-5s":                          400,
		"/api/v1/system?step=1ms&from=now-24h":             400,
		"/api/v1/system?from=now-400h":                     200,
		"/api/v1/system?from=now-900h":                     400,
		"/api/v1/containers?all=maybe":                     400,
		"/api/v1/containers/nothere/series":                404,
		"/api/v1/containers/" + "a" + "/series":            400, // ambiguous? no: one match
		"/api/v1/events?limit=0":                           400,
		"/api/v1/events?limit=abc":                         400,
		"/api/v1/events?kind=" + strings.Repeat("x", 65):   400,
		"/api/v1/processes?at=soon":                        400,
		"/api/v1/containers/top":                           400, // by is required
		"/api/v1/containers/top?by=cpu_ns":                 400,
		"/api/v1/containers/top?by=cpu&rank=median":        400,
		"/api/v1/containers/top?by=cpu&n=0":                400,
		"/api/v1/containers/top?by=cpu&n=1001":             400,
		"/api/v1/containers/top?by=ram&from=now&to=now-1h": 400,
		"/api/v1/containers/top?by=ram&from=now-900h":      400,
		"/api/v1/containers/top?by=rss_bytes&n=1000":       200,
		"/api/v1/nope":                                     404,
	} {
		if path == "/api/v1/containers/a/series" {
			want = 200 // "a" is a unique prefix of idA
		}
		code, m, body := get(t, srv, path, "")
		if code != want {
			t.Errorf("%s: %d, want %d (%s)", path, code, want, body)
		}
		if code >= 400 && (m == nil || m["error"] == "") {
			t.Errorf("%s: error without a JSON message: %s", path, body)
		}
	}
	if code, _, _ := get(t, srv, "/api/v1/system", ""); code != 200 {
		t.Errorf("defaults: %d", code)
	}
}

// from, to and step take days and weeks (Grafana sends now-7d), step
// still takes plain seconds, and errors print durations as people type
// them ("31d", not "744h0m0s").
func TestDurationsWithDays(t *testing.T) {
	srv := testServer(t, newBackend(t), "")
	for _, path := range []string{
		"/api/v1/system?from=now-31d",
		"/api/v1/system?from=now-1w&to=now-0d",
		"/api/v1/system?from=now-2d&step=1d",
		"/api/v1/system?from=now-1.5d&step=1h30m",
		"/api/v1/system?from=now-1h&step=15",
		"/api/v1/events?from=now-1w",
		"/api/v1/containers/" + idA + "/series?from=now-31d&step=1w",
		"/api/v1/processes?at=now-1d",
	} {
		if code, m, body := get(t, srv, path, ""); code != 200 {
			t.Errorf("%s: %d %s", path, code, body)
		} else if strings.HasPrefix(path, "/api/v1/system") && len(m["points"].([]any)) == 0 {
			t.Errorf("%s: no points: %s", path, body)
		}
	}
	for path, want := range map[string]string{
		"/api/v1/system?from=now-32d":              "range 32d is longer than 31d",
		"/api/v1/system?from=now-1d&step=1ms":      "over 1d",
		"/api/v1/system?from=now-1x":               "now-7d",
		"/api/v1/system?from=now-1d&step=1%20d":    "1d",
		"/api/v1/system?from=now--1d":              "now-<duration>",
		"/api/v1/system?from=now-1d&step=-1d":      "must be positive",
		"/api/v1/system?from=now-1d&step=0.0":      "must be positive",
		"/api/v1/system?from=now-1d&step=sometime": "want a duration",
	} {
		code, m, body := get(t, srv, path, "")
		if msg, _ := m["error"].(string); code != 400 || !strings.Contains(msg, want) {
			t.Errorf("%s: %d %s, want 400 with %q", path, code, body, want)
		}
	}
}

// A step longer than the longest range is refused with the limit, not
// answered with one point dated 1970-01-01; 31d itself is fine.
func TestStepLongerThanMaxRange(t *testing.T) {
	srv := testServer(t, newBackend(t), "")
	for _, step := range []string{"2562047h", "32d", "31d1ns", "3000000h", "2678401", "1e300"} {
		path := "/api/v1/system?from=now-1h&step=" + step
		code, m, body := get(t, srv, path, "")
		if msg, _ := m["error"].(string); code != 400 || !strings.Contains(msg, "longer than the maximum range 31d") {
			t.Errorf("%s: %d %s, want 400 naming the 31d limit", path, code, body)
		}
	}
	for _, step := range []string{"NaN", "Inf", "-Inf"} {
		if code, _, body := get(t, srv, "/api/v1/system?step="+step, ""); code != 400 {
			t.Errorf("step %s: %d %s", step, code, body)
		}
	}
	for _, path := range []string{"/api/v1/system?from=now-31d&step=31d", "/api/v1/system?from=now-1h&step=2678400",
		"/api/v1/containers/" + idA + "/series?from=now-31d&step=31d"} {
		if code, m, body := get(t, srv, path, ""); code != 200 || len(m["points"].([]any)) == 0 {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
}

// Every route answers a method other than GET and HEAD with 405, an
// Allow header and a JSON error, as docs/api.md promises, not ServeMux's
// plain "Method Not Allowed"; also before the token check.
func TestMethodNotAllowed(t *testing.T) {
	for _, token := range []string{"", "0123456789abcdef-token"} {
		srv := testServer(t, newBackend(t), token)
		for _, path := range []string{"/api/v1/health", "/api/v1/system", "/api/v1/containers",
			"/api/v1/containers/" + idA + "/series", "/api/v1/processes", "/api/v1/events",
			"/api/v1/crosscheck", "/api/v1/stream", "/metrics"} {
			for _, method := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"} {
				req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("x"))
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var m map[string]string
				if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" ||
					resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &m) != nil || m["error"] == "" {
					t.Errorf("%s %s (token %q): %d, Allow %q, %s %q; want 405, Allow GET, HEAD and a JSON error",
						method, path, token, resp.StatusCode, resp.Header.Get("Allow"), resp.Header.Get("Content-Type"), body)
				}
			}
		}
		req, _ := http.NewRequest("HEAD", srv.URL+"/api/v1/health", nil)
		if resp, err := srv.Client().Do(req); err != nil || resp.StatusCode != 200 {
			t.Errorf("HEAD health: %v %v", resp, err)
		}
	}
	srv := testServer(t, newBackend(t), "")
	resp, err := srv.Client().Post(srv.URL+"/api/v1/nope", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("POST to an unknown route: %d %s, want a JSON 404", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

const testToken = "s3cret-0123456789abcdef"

func TestToken(t *testing.T) {
	srv := testServer(t, newBackend(t), testToken)
	if code, _, _ := get(t, srv, "/api/v1/system", ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, _, _ := get(t, srv, "/api/v1/system", "wrong"); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	if code, _, _ := get(t, srv, "/metrics", ""); code != 401 {
		t.Errorf("metrics without token: %d", code)
	}
	if code, _, _ := get(t, srv, "/api/v1/system", testToken); code != 200 {
		t.Errorf("right token: %d", code)
	}
	if code, _, _ := get(t, srv, "/api/v1/health", ""); code != 200 {
		t.Errorf("health needs no token: %d", code)
	}
}

// The scheme matches whatever its case, with one or more spaces before
// the token (RFC 7235); the token itself must match exactly.
func TestTokenScheme(t *testing.T) {
	srv := testServer(t, newBackend(t), testToken)
	for header, want := range map[string]int{
		"Bearer " + testToken:                    200,
		"bearer " + testToken:                    200,
		"BEARER " + testToken:                    200,
		"bEaReR " + testToken:                    200,
		"Bearer    " + testToken:                 200,
		"Bearer " + testToken[:len(testToken)-1]: 401,
		"Bearer " + testToken + "x":              401,
		"Bearer " + strings.ToUpper(testToken):   401,
		"Bearer wrong":                           401,
		testToken:                                401,
		" " + testToken:                          401,
		"Basic " + testToken:                     401,
		"Bearer":                                 401,
		"Bearer ":                                401,
		"Bearer\t" + testToken:                   401,
		"Bearer" + testToken:                     401,
		"Token " + testToken:                     401,
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/containers", nil)
		req.Header.Set("Authorization", header)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Authorization %q: %d, want %d", header, resp.StatusCode, want)
		}
		if want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: 401 without WWW-Authenticate", header)
		}
	}
}

func TestStream(t *testing.T) {
	b := newBackend(t)
	srv := testServer(t, b, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/stream", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var ticks []apiv1.StreamTick
	for sc.Scan() && len(ticks) < 2 {
		line := sc.Text()
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var st apiv1.StreamTick
			if err := json.Unmarshal([]byte(data), &st); err != nil {
				t.Fatal(err)
			}
			ticks = append(ticks, st)
			b.mu.Lock()
			b.st.Tick++ // the next tick
			b.mu.Unlock()
		}
	}
	if len(ticks) != 2 || ticks[0].Tick != 60 || ticks[1].Tick != 61 || len(ticks[0].Containers) != 1 {
		t.Fatalf("stream: %+v", ticks)
	}
}

// No query string makes the API answer 5xx or anything but JSON.
func FuzzQueryParams(f *testing.F) {
	b := newBackend(f)
	h := New(b, Options{now: func() time.Time { return t0.Add(time.Minute) }})
	for _, s := range []string{"from=now-1h&step=1m", "from=1764417600&to=1764417660", "from=1764417600000", "step=0.5", "limit=5&kind=c", "all=1", "at=now-10s"} {
		f.Add("system", s)
		f.Add("events", s)
		f.Add("containers/"+idA[:6]+"/series", s)
		f.Add("containers/top", s+"&by=cpu&n=3&rank=peak")
	}
	f.Fuzz(func(t *testing.T, route, query string) {
		u := &url.URL{Path: "/api/v1/" + route, RawQuery: query}
		req := httptest.NewRequest("GET", "http://x/", nil)
		req.URL = u
		req.RequestURI = u.RequestURI()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s?%s: %d %s", route, query, rec.Code, rec.Body.String())
		}
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			var m map[string]any
			if rec.Header().Get("Content-Type") == "application/json" && json.Unmarshal(rec.Body.Bytes(), &m) != nil {
				t.Fatalf("%s?%s: bad JSON %q", route, query, rec.Body.String())
			}
		}
	})
}
