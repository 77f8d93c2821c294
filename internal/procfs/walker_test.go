package procfs

import (
	"context"
	"os"
	"slices"
	"testing"
)

// The walker runs against the real /proc of the machine running the test.
func TestWalkFindsSelf(t *testing.T) {
	w := &Walker{Options: Options{Cmdline: true, Schedstat: true}}
	self, err := w.Read(int32(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	p := self.Process(uint64(os.Getpagesize()))
	if !slices.Equal(p.Cmdline, os.Args) {
		t.Errorf("cmdline = %q, want %q", p.Cmdline, os.Args)
	}
	if p.PPID != int32(os.Getppid()) || p.UID != uint32(os.Getuid()) || p.RSSBytes() == 0 || p.Threads == 0 {
		t.Errorf("self = %+v", p)
	}
	if self.SchedNs == 0 {
		t.Error("schedstat sum is zero for a running test")
	}
	snap, err := (&Walker{}).Walk(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, q := range snap.Processes {
		if q.PID == p.PID {
			found = true
		}
		if q.PID == 2 && !q.KThread {
			t.Error("kthreadd not flagged as kernel thread")
		}
	}
	if !found || len(snap.Processes) < 2 {
		t.Fatalf("walk of %d processes misses self", len(snap.Processes))
	}
	if _, err := w.Read(1 << 30); err == nil {
		t.Fatal("read of a pid that cannot exist succeeded")
	}
}
