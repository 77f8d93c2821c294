package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log destination tests read while run writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a kwardend started in-process by startRun.
type running struct {
	addr   string
	log    *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// quietArgs run kwardend with no kernel view and no Docker engine: it
// still ticks, serves the API and keeps history (in dir), which is all
// the API's connection handling needs, and it needs no root.
func quietArgs(dir string) []string {
	return []string{"-listen", "127.0.0.1:0", "-interval", "200ms", "-sources", "kmod",
		"-kmod-root", filepath.Join(dir, "no-module"), "-db", filepath.Join(dir, "history.db"),
		"-docker-host", "unix://" + filepath.Join(dir, "no-docker.sock")}
}

// startRun starts run with quietArgs plus args and waits until it
// listens; the test's cleanup stops it.
func startRun(t *testing.T, vars map[string]string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{log: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	all := append(quietArgs(t.TempDir()), args...)
	go func() {
		r.done <- run(ctx, all, env(vars), slog.New(slog.NewJSONHandler(r.log, nil)), ready)
	}()
	select {
	case r.addr = <-ready:
	case err := <-r.done:
		cancel()
		t.Fatalf("kwardend %q: %v\n%s", args, err, r.log)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("kwardend %q did not listen within 30 s\n%s", args, r.log)
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels run's context and waits for it (once; later calls return
// at once).
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("kwardend did not stop within 60 s\n%s", r.log)
		return nil
	}
}
