package load

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/testenv"
)

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestCPUSpins(t *testing.T) {
	var st Stats
	if err := Run(context.Background(), Spec{Kind: CPU, Workers: 2, Duration: 200 * time.Millisecond}, &st); err != nil {
		t.Fatal(err)
	}
	if st.Spins.Load() == 0 {
		t.Error("the cpu workers never spun")
	}
}

func vmRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// The ram kind's memory is resident, not just reserved.
func TestRAMIsResident(t *testing.T) {
	const n = 48 << 20
	before := vmRSS(t)
	var st Stats
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Spec{Kind: RAM, Bytes: n}, &st) }()
	waitFor(t, "the memory to be touched", func() bool { return st.TouchedBytes.Load() == n })
	grown := vmRSS(t) - before
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if grown < n*9/10 {
		t.Errorf("VmRSS grew by %d bytes while holding %d", grown, n)
	}
}

func TestIOSyncsAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	var st Stats
	if err := Run(context.Background(), Spec{Kind: IO, Workers: 2, Duration: 300 * time.Millisecond, Dir: dir}, &st); err != nil {
		t.Fatal(err)
	}
	if st.Fsyncs.Load() == 0 || st.WrittenBytes.Load() != int64(st.Fsyncs.Load())*4096 {
		t.Errorf("fsyncs %d, written %d", st.Fsyncs.Load(), st.WrittenBytes.Load())
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

func TestDiskWritesThenKeepsFile(t *testing.T) {
	const n = 3<<20 + 5
	dir := t.TempDir()
	var st Stats
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Spec{Kind: Disk, Bytes: n, Dir: filepath.Join(dir, "sub")}, &st) }()
	waitFor(t, "the write", func() bool { return st.WrittenBytes.Load() == n })
	files, _ := filepath.Glob(filepath.Join(dir, "sub", "kwarden-disk-*"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Size() != n {
		t.Errorf("file %v size %v, want %d", err, fi, n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(files[0]); !os.IsNotExist(err) {
		t.Errorf("file kept after the end: %v", err)
	}
}

// With Reread the file is read back whole, again and again.
func TestDiskRereads(t *testing.T) {
	const n = 1<<20 + 7
	var st Stats
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Spec{Kind: Disk, Bytes: n, Dir: t.TempDir(), Reread: true}, &st) }()
	waitFor(t, "three reads of the file", func() bool { return st.ReadBytes.Load() >= 3*n })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st.WrittenBytes.Load() != n {
		t.Errorf("wrote %d bytes, want %d", st.WrittenBytes.Load(), n)
	}
}

// A full disk is a clear error, not a hang or a crash.
func TestDiskFull(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "mounting a small tmpfs needs root")
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		testenv.RequireNoErr(t, err, "mount tmpfs")
	}
	defer syscall.Unmount(dir, 0)
	err := Run(context.Background(), Spec{Kind: Disk, Bytes: 4 << 20, Dir: dir, Duration: 10 * time.Second}, nil)
	if err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("disk kind on a full disk: %v", err)
	}
}

func TestLowStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Spec{Kind: Low}, nil) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("low did not stop")
	}
}
