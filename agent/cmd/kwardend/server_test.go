package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// request sends one GET on a raw keep-alive connection and reads the
// answer, within a generous deadline.
func request(t *testing.T, c net.Conn, br *bufio.Reader, path string) *http.Response {
	t.Helper()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: kwarden\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// dial opens a raw connection to addr.
func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// An idle keep-alive connection is closed once idle_timeout passes; it
// used to be held forever.
func TestIdleConnectionsClosed(t *testing.T) {
	r := startRun(t, nil, "-idle-timeout", "500ms")
	c, br := dial(t, r.addr)
	if resp := request(t, c, br, "/api/v1/health"); resp.StatusCode != 200 || resp.Close {
		t.Fatalf("health: %d, close %v; want a 200 that keeps the connection", resp.StatusCode, resp.Close)
	}
	// The server closes its end: the read ends with EOF, well before
	// the test's own deadline.
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	start := time.Now()
	_, err := br.ReadByte()
	if !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection after %v: %v, want EOF (closed by the server)", time.Since(start), err)
	}
	t.Logf("closed after %v idle", time.Since(start))
}

// Beyond max_connections a connection is not served until another one
// goes; then it is.
func TestConnectionCap(t *testing.T) {
	r := startRun(t, nil, "-max-connections", "2", "-idle-timeout", "1m")
	c1, br1 := dial(t, r.addr)
	c2, br2 := dial(t, r.addr)
	for _, c := range []struct {
		c  net.Conn
		br *bufio.Reader
	}{{c1, br1}, {c2, br2}} {
		if resp := request(t, c.c, c.br, "/api/v1/health"); resp.StatusCode != 200 {
			t.Fatalf("health: %d", resp.StatusCode)
		}
	}
	// The third connects (the kernel's backlog takes it) but gets no
	// answer while the two others stay.
	c3, br3 := dial(t, r.addr)
	if _, err := io.WriteString(c3, "GET /api/v1/health HTTP/1.1\r\nHost: kwarden\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	c3.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := br3.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("third connection with a cap of 2: %v, want no answer", err)
	}
	c1.Close()
	c3.SetReadDeadline(time.Now().Add(15 * time.Second))
	br3.UnreadByte() // nothing was read; keeps the reader usable
	resp, err := http.ReadResponse(br3, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("third connection once the first closed: %v %v", resp, err)
	}
	resp.Body.Close()
	if !strings.Contains(r.log.String(), `"max_connections":2`) {
		t.Errorf("the cap is not in the start-up log:\n%s", r.log)
	}
}

// The stream outlives write_timeout: kwardend's server cuts ordinary
// answers after it, but the stream moves its deadline per event.
func TestStreamOutlivesWriteTimeout(t *testing.T) {
	const timeout = 500 * time.Millisecond
	r := startRun(t, nil, "-write-timeout", timeout.String(), "-read-timeout", timeout.String())
	c, br := dial(t, r.addr)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, "GET /api/v1/stream HTTP/1.1\r\nHost: kwarden\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", resp, err)
	}
	// No resp.Body.Close: it would read the endless stream to its end;
	// closing the connection (dial's cleanup) ends it.
	start := time.Now()
	sc := bufio.NewScanner(resp.Body)
	events := 0
	for time.Since(start) < 6*timeout {
		if !sc.Scan() {
			t.Fatalf("the stream ended after %v and %d events (%v); write_timeout is %v", time.Since(start), events, sc.Err(), timeout)
		}
		if strings.HasPrefix(sc.Text(), "event: tick") {
			events++
		}
	}
	if events < 2 {
		t.Errorf("%d events in %v", events, time.Since(start))
	}
}
