package api

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The stream outlives the server's WriteTimeout (and ReadTimeout),
// which are for ordinary answers: it moves its write deadline forward
// before each event. Without that, the first WriteTimeout ended it.
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	const timeout = 300 * time.Millisecond
	b := newBackend(t)
	h := New(b, Options{StreamEvery: 10 * time.Millisecond, EventWriteTimeout: timeout, now: func() time.Time { return t0 }})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = timeout, timeout
	srv.Start()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/stream", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start := time.Now()
	sc := bufio.NewScanner(resp.Body)
	events := 0
	for time.Since(start) < 8*timeout {
		if !sc.Scan() {
			t.Fatalf("the stream ended after %v and %d events (%v); the server's timeouts are %v", time.Since(start), events, sc.Err(), timeout)
		}
		if strings.HasPrefix(sc.Text(), "data: ") {
			events++
			time.Sleep(20 * time.Millisecond) // the next tick, not at once
			b.mu.Lock()
			b.st.Tick++
			b.mu.Unlock()
		}
	}
	t.Logf("%d events over %v", events, time.Since(start))
}
