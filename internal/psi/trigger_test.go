package psi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/testenv"
)

// testWindow is the shortest window this process may use: 1 s with
// CAP_SYS_RESOURCE, else 2 s (root in a container may lack it; the build
// machine's root does).
func testWindow(t *testing.T) time.Duration {
	if hasCapSysResource() {
		return time.Second
	}
	t.Log("no CAP_SYS_RESOURCE: triggers with 2 s windows")
	return UnprivilegedWindowStep
}

// A trigger that cannot fire in the test's time: every task stalled for
// the whole of a 10 s window.
func quietTrigger(t *testing.T, path string) *Trigger {
	t.Helper()
	tr, err := NewTrigger(path, KindFull, MaxWindow, MaxWindow)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// A child that reads a file half again as large as its cgroup's memory
// limit stalls in reclaim and refaults; the system-wide trigger and the
// child's own cgroup trigger must both fire. The time from the child's
// start is logged, not judged: it includes writing the file.
func TestTriggerFiresUnderMemoryPressure(t *testing.T) {
	requirePSI(t)
	const limitMiB, fileMiB = 64, 96
	cg := newTestCgroup(t, limitMiB<<20)
	dir := diskTempDir(t)
	stall, window := 100*time.Millisecond, testWindow(t)

	triggers := map[string]*Trigger{}
	for _, path := range []string{systemMemory, filepath.Join(cg.pressureDir, "memory.pressure")} {
		if path == "memory.pressure" {
			t.Log("no cgroup2 mounted: the system-wide trigger only")
			continue
		}
		tr, err := NewTrigger(path, KindSome, stall, window)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		triggers[path] = tr
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	startThrash(t, cg, filepath.Join(dir, "working-set"), fileMiB)
	type fired struct {
		path  string
		after time.Duration
		err   error
	}
	results := make(chan fired, len(triggers))
	for path, tr := range triggers {
		go func() {
			err := tr.Wait(ctx)
			results <- fired{path, time.Since(start), err}
		}()
	}
	for range triggers {
		r := <-results
		if r.err != nil {
			t.Fatalf("%s: %v after %v (child's memory stall so far: %s)", r.path, r.err, r.after.Round(time.Millisecond),
				memoryStallTotal(cg.pressureDir))
		}
		t.Logf("%v fired %v after the child started (%d MiB read in a %d MiB cgroup)",
			triggers[r.path], r.after.Round(time.Millisecond), fileMiB, limitMiB)
	}
	if cg.pressureDir != "" {
		r, err := OpenReader(CgroupFiles(cg.pressureDir))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		p, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		if p.Memory.Some.Total < stall {
			t.Errorf("the child's cgroup counts %v of memory stall, less than the %v that fired its trigger", p.Memory.Some.Total, stall)
		}
		t.Logf("the child's cgroup: memory some %+v, full %+v", p.Memory.Some, p.Memory.Full)
	}
}

// Wait ends promptly when its context ends, with the context's error,
// and the trigger can be waited on again after.
func TestWaitEndsWithContext(t *testing.T) {
	requirePSI(t)
	tr := quietTrigger(t, systemMemory)
	for _, c := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, context.DeadlineExceeded},
		{"already done", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
	} {
		ctx, cancel := c.ctx()
		start := time.Now()
		err := tr.Wait(ctx)
		took := time.Since(start)
		cancel()
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if took > time.Second {
			t.Errorf("%s: Wait returned %v after the context was set to end at 100 ms", c.name, took)
		}
		t.Logf("%s: Wait returned after %v", c.name, took.Round(time.Microsecond))
	}
}

// Close ends a Wait in progress; then Wait and a second Close behave.
// A second concurrent Wait is refused, not queued.
func TestCloseEndsWait(t *testing.T) {
	requirePSI(t)
	tr := quietTrigger(t, systemMemory)
	waited := make(chan error, 1)
	go func() { waited <- tr.Wait(context.Background()) }()
	time.Sleep(50 * time.Millisecond) // let it block in poll
	if err := tr.Wait(context.Background()); err == nil || !strings.Contains(err.Error(), "another goroutine is waiting") {
		t.Errorf("a second Wait: %v", err)
	}
	start := time.Now()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-waited:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Wait ended by Close: %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Close returned but Wait did not")
	}
	t.Logf("Close ended Wait within %v", time.Since(start).Round(time.Microsecond))
	if err := tr.Wait(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Wait after Close: %v", err)
	}
	if err := tr.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Removing a cgroup ends a Wait on its pressure file with ErrGone: the
// kernel reports POLLERR once the file is gone.
func TestWaitReportsRemovedCgroup(t *testing.T) {
	requirePSI(t)
	testenv.Require(t, os.Geteuid() == 0, "root, to make a cgroup")
	_, v2 := cgroupMounts(t)
	testenv.Require(t, v2 != "", "a cgroup2 mount")
	dir := filepath.Join(v2, ownCgroup(t, ""), fmt.Sprintf("kwarden-psi-gone-%d", os.Getpid()))
	testenv.RequireNoErr(t, os.Mkdir(dir, 0o755), "a writable cgroup2")
	defer os.Remove(dir)
	tr := quietTrigger(t, filepath.Join(dir, "memory.pressure"))
	waited := make(chan error, 1)
	go func() { waited <- tr.Wait(context.Background()) }()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-waited:
		if !errors.Is(err, ErrGone) || !strings.Contains(err.Error(), dir) {
			t.Errorf("Wait on a removed cgroup: %v", err)
		}
		t.Logf("Wait reported the removal after %v: %v", time.Since(start).Round(time.Microsecond), err)
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return within 5 s of the cgroup's removal")
	}
}

// Paths that are not pressure files are refused before the threshold is
// written: a regular file (even one that looks like a pressure file)
// stays as it was, a missing one is ErrUnsupported.
func TestTriggerRefusesNonPressureFiles(t *testing.T) {
	window := UnprivilegedWindowStep
	lookalike := filepath.Join(t.TempDir(), "memory")
	contents := fixture(t, "6.18/memory")
	if err := os.WriteFile(lookalike, contents, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewTrigger(lookalike, KindSome, time.Second, window); err == nil || !strings.Contains(err.Error(), "on neither procfs nor cgroup2") {
		t.Errorf("a regular file: %v", err)
	}
	if b, _ := os.ReadFile(lookalike); string(b) != string(contents) {
		t.Errorf("the regular file was written to: %q", b)
	}

	_, err := NewTrigger("/nonexistent/pressure/memory", KindSome, time.Second, window)
	if !errors.Is(err, ErrUnsupported) || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "/nonexistent/pressure/memory") {
		t.Errorf("a missing file: %v", err)
	}

	// procfs and cgroupfs files that are not pressure files: refused by
	// their contents (or, without root, by their mode).
	others := []string{"/proc/meminfo", "/proc/self/stat"}
	if _, v2 := cgroupMounts(t); v2 != "" {
		others = append(others, filepath.Join(v2, "cgroup.stat"))
	}
	for _, p := range others {
		if _, err := NewTrigger(p, KindSome, time.Second, window); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", p, err)
		} else {
			t.Logf("%s: %v", p, err)
		}
	}
}

// The kernel itself refuses what check refuses: a sample of settings,
// written raw, bypassing check.
func TestKernelAgreesWithCheck(t *testing.T) {
	requirePSI(t)
	for _, th := range []threshold{
		{KindSome, 3 * time.Second, 2 * time.Second}, // stall above window
		{KindSome, time.Second, 12 * time.Second},    // window above 10 s
		{"half", time.Second, 2 * time.Second},       // no such kind
	} {
		if th.check(true) == nil {
			t.Fatalf("check passes %v", th)
		}
		err := writeRaw(t, systemMemory, th.text())
		if err == nil {
			t.Errorf("the kernel took %q, which check refuses", th.text())
		}
	}
	// And it takes what check passes.
	th := threshold{KindSome, time.Second, UnprivilegedWindowStep}
	if err := th.check(hasCapSysResource()); err != nil {
		t.Fatal(err)
	}
	if err := writeRaw(t, systemMemory, th.text()); err != nil {
		t.Errorf("the kernel refused %q: %v", th.text(), err)
	}
}

// psi_write overwrites the last byte it is given with a terminator: the
// threshold text without its NUL loses a digit of the window. Here that
// makes the stall (2 s) exceed the window (200 ms), which every kernel
// refuses; with the NUL the same text is taken.
func TestKernelCutsTheLastByte(t *testing.T) {
	requirePSI(t)
	if err := writeRaw(t, systemMemory, []byte("some 2000000 2000000")); err == nil {
		t.Error("the kernel took the text without a NUL: the last byte was not cut")
	}
	if err := writeRaw(t, systemMemory, []byte("some 2000000 2000000\x00")); err != nil {
		t.Errorf("with the NUL: %v", err)
	}
}

func writeRaw(t *testing.T, path string, b []byte) error {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = f.Write(b)
	return err
}
