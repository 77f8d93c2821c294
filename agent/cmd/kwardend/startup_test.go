package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/store"
)

// bpfFDs counts this process's eBPF programs, maps and links.
func bpfFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.HasPrefix(l, "anon_inode:bpf") {
			n++
		}
	}
	return n
}

// A start-up that fails after the daemon is made (the listen address is
// in use) releases what the daemon took: the same history opens again
// at once, and no eBPF object stays loaded (as root, where -sources ebpf
// loads them).
func TestFailedStartReleasesDaemon(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	args := append(quietArgs(dir), "-listen", busy.Addr().String(), "-sources", "ebpf")
	before := bpfFDs(t)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = run(ctx, args, env(nil), slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.Contains(err.Error(), "listen") || !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Fatalf("run on a used port: %v, want an error naming the listen", err)
	}
	after := bpfFDs(t)
	t.Logf("eBPF descriptors: %d before the start, %d after it failed", before, after)
	if after != before {
		t.Errorf("%d eBPF descriptors after the failed start, %d before", after, before)
	}
	s, err := store.Open(filepath.Join(dir, "history.db"), store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("the history is still held after the failed start: %v", err)
	}
	s.Close()
}
