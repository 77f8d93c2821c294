package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// What each answer means for the batch, and what a POST carries.
func TestPostVerdicts(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	answer := func(w http.ResponseWriter) {}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		answer(w)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL + "/in")
	p := newPoster(u, "t0ken", 5*time.Second)
	defer p.close()
	for _, tc := range []struct {
		name    string
		answer  func(http.ResponseWriter)
		verdict verdict
		wait    time.Duration
		errHas  string
	}{
		{"200", func(w http.ResponseWriter) {}, delivered, 0, ""},
		{"204", func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }, delivered, 0, ""},
		{"500", func(w http.ResponseWriter) { http.Error(w, "disk\x00 full", 500) }, retry, 0, "500 Internal Server Error: disk  full"},
		{"503 Retry-After", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(503)
		}, retry, 3 * time.Second, "503"},
		{"429 Retry-After", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "9")
			w.WriteHeader(429)
		}, retry, 9 * time.Second, "429"},
		{"408", func(w http.ResponseWriter) { w.WriteHeader(408) }, retry, 0, "408"},
		{"502 Retry-After ignored", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "9")
			w.WriteHeader(502)
		}, retry, 0, "502"},
		{"302", func(w http.ResponseWriter) {
			w.Header().Set("Location", "https://elsewhere.example/in")
			w.WriteHeader(302)
		}, retry, 0, `redirected to "https://elsewhere.example/in"`},
		{"400", func(w http.ResponseWriter) { http.Error(w, "bad event: "+strings.Repeat("x", 2000), 400) }, refused, 0, "400 Bad Request: bad event: xxx"},
		{"413", func(w http.ResponseWriter) { w.WriteHeader(413) }, refused, 0, "413"},
		{"401", func(w http.ResponseWriter) { w.WriteHeader(401) }, refused, 0, "401"},
	} {
		answer = tc.answer
		a := p.post(context.Background(), []byte(`{"events":[]}`))
		if a.verdict != tc.verdict || a.wait != tc.wait {
			t.Errorf("%s: verdict %d wait %v, want %d %v (%v)", tc.name, a.verdict, a.wait, tc.verdict, tc.wait, a.err)
		}
		if tc.errHas == "" && a.err != nil || tc.errHas != "" && (a.err == nil || !strings.Contains(a.err.Error(), tc.errHas)) {
			t.Errorf("%s: error %v, want one with %q", tc.name, a.err, tc.errHas)
		}
		if a.err != nil && len(a.err.Error()) > answerQuoted+200 {
			t.Errorf("%s: an error of %d bytes", tc.name, len(a.err.Error()))
		}
		if got.Method != http.MethodPost || got.URL.Path != "/in" || got.Header.Get("Content-Type") != "application/json" ||
			got.Header.Get("Authorization") != "Bearer t0ken" || string(gotBody) != `{"events":[]}` {
			t.Errorf("%s: request %s %s %v %q", tc.name, got.Method, got.URL, got.Header, gotBody)
		}
	}
	// No token, no Authorization.
	p2 := newPoster(u, "", 5*time.Second)
	defer p2.close()
	answer = func(http.ResponseWriter) {}
	if a := p2.post(context.Background(), nil); a.verdict != delivered || got.Header.Get("Authorization") != "" {
		t.Errorf("without a token: %+v, Authorization %q", a, got.Header.Get("Authorization"))
	}
}

// A sink that does not answer within the timeout is a failure to retry,
// and so is one that is not there.
func TestPostTimeoutAndRefusedConnection(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	u, _ := url.Parse(srv.URL)
	p := newPoster(u, "", 200*time.Millisecond)
	defer p.close()
	start := time.Now()
	if a := p.post(context.Background(), nil); a.verdict != retry || a.err == nil || a.status != 0 {
		t.Errorf("hung sink: %+v", a)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the timeout did not end the POST: %v", took)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	cu, _ := url.Parse(closed.URL)
	closed.Close()
	if a := newPoster(cu, "", time.Second).post(context.Background(), nil); a.verdict != retry || a.err == nil {
		t.Errorf("closed sink: %+v", a)
	}
}
