package main

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// With a stream client connected, stopping kwardend ends the stream and
// run returns at once, not after the shutdown timeout (60 s here, so
// that waiting for it cannot pass for stopping).
func TestShutdownClosesStreams(t *testing.T) {
	r := startRun(t, nil, "-shutdown-timeout", "60s")
	c, br := dial(t, r.addr)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, "GET /api/v1/stream HTTP/1.1\r\nHost: kwarden\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", resp, err)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "event: tick") {
	}
	if sc.Err() != nil {
		t.Fatalf("no event: %v", sc.Err())
	}

	r.cancel()
	select {
	case err := <-r.done:
		close(r.done)
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("run still stopping 15 s after cancel, with a stream open\n%s", r.log)
	}
	// The client sees the stream end: the rest of the body, then EOF.
	for sc.Scan() {
	}
	if err := sc.Err(); err != nil {
		t.Errorf("the stream did not end cleanly: %v", err)
	}
}
