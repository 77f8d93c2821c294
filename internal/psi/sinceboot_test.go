package psi

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestSinceBootGuard(t *testing.T) {
	armedAt := time.Unix(1000, 0)
	th := threshold{KindSome, 500 * time.Millisecond, 2 * time.Second}
	g := newSinceBootGuard(false, th, 7*time.Second, armedAt)
	at := func(d time.Duration) time.Time { return armedAt.Add(d) }
	cases := []struct {
		now   time.Time
		total time.Duration
		want  bool
	}{
		{at(time.Second), 7*time.Second + 100*time.Millisecond, true},  // grew less than the stall
		{at(time.Second), 7*time.Second + 500*time.Millisecond, false}, // grew by the stall
		{at(5999 * time.Millisecond), 7 * time.Second, true},           // still within 2 windows + 2 s
		{at(6 * time.Second), 7 * time.Second, false},                  // past the guard
	}
	for _, c := range cases {
		if got := g.falseEvent(c.now, c.total); got != c.want {
			t.Errorf("at %v with total %v: %v, want %v", c.now.Sub(armedAt), c.total, got, c.want)
		}
	}
	if p := newSinceBootGuard(true, th, 7*time.Second, armedAt); p.active(at(time.Second)) || p.falseEvent(at(time.Second), 0) {
		t.Error("a privileged trigger is guarded")
	}
}

// The kernel's false first event, for real: an unprivileged trigger on
// the machine-wide file with a stall below the stall since boot but
// above what a short burst of pressure adds. Wait may return only if
// the stall really grew by the threshold (other load on the machine);
// whether the kernel raised a false event, which Wait dropped, is
// logged.
func TestUnprivilegedTriggerIgnoresSinceBootStall(t *testing.T) {
	requirePSI(t)
	if hasCapSysResource() {
		// Privileged triggers start right in the kernel: the real
		// trigger must then carry no guard at all.
		tr, err := NewTrigger(systemMemory, KindSome, time.Second, MaxWindow)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		if tr.guard.active(time.Now()) {
			t.Error("a privileged trigger is guarded against a false first event it cannot get")
		}
		return
	}
	r, err := OpenReader(SystemFiles("/proc/pressure"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	before, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	stall := time.Second
	tr, err := NewTrigger(systemMemory, KindSome, stall, MaxWindow)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()

	cg := newTestCgroup(t, 64<<20)
	child := startThrash(t, cg, filepath.Join(diskTempDir(t), "working-set"), 96)
	time.AfterFunc(time.Second, func() { child.stdin.Close() }) // some 200 ms of stall
	ctx, cancel := context.WithTimeout(context.Background(), 2*averagingPeriod+time.Second)
	defer cancel()
	err = tr.Wait(ctx)
	after, rerr := r.Read()
	if rerr != nil {
		t.Fatal(rerr)
	}
	grew := after.Memory.Some.Total - before.Memory.Some.Total
	t.Logf("memory stall since boot %v, grew by %v; Wait: %v; false events dropped: %d",
		before.Memory.Some.Total, grew, err, tr.droppedEvents)
	if err == nil && grew < stall {
		t.Errorf("%v fired on %v of real stall", tr, grew)
	}
}
