package bpf

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kwarden/kwarden/internal/snapshot"
	"github.com/kwarden/kwarden/test/burn"
	"github.com/kwarden/kwarden/test/testenv"
)

// openCollector opens the real collector on the host kernel, or skips
// (fails in CI) where that is impossible.
func openCollector(t *testing.T, opts Options) *Collector {
	t.Helper()
	testenv.Require(t, os.Geteuid() == 0, "the eBPF tests need root")
	_, err := os.Stat(DefaultBTFPath)
	testenv.RequireNoErr(t, err, "kernel BTF")
	opts.Logger = testLogger(t)
	c, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func findProcess(t *testing.T, ps *snapshot.Processes, pid int) snapshot.Process {
	t.Helper()
	for _, p := range ps.Processes {
		if int(p.PID) == pid {
			return p
		}
	}
	t.Fatalf("pid %d not in the eBPF snapshot of %d processes", pid, len(ps.Processes))
	return snapshot.Process{}
}

// schedstatSum is Σ sum_exec_runtime over /proc/<pid>/task/*/schedstat.
func schedstatSum(t *testing.T, pid int) uint64 {
	t.Helper()
	dirs, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("list threads of %d: %v", pid, err)
	}
	var sum uint64
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // thread exited
		}
		v, err := strconv.ParseUint(strings.Fields(string(b))[0], 10, 64)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		sum += v
	}
	return sum
}

func TestOwnProcessCPUMatchesSchedstat(t *testing.T) {
	c := openCollector(t, Options{NoExits: true})
	// Enough CPU time that 1 % is far above the scheduler's granularity.
	spin(300 * time.Millisecond)
	ctx := context.Background()
	before := schedstatSum(t, os.Getpid())
	ps, err := c.Processes(ctx)
	if err != nil {
		t.Fatalf("Processes: %v", err)
	}
	after := schedstatSum(t, os.Getpid())
	p := findProcess(t, ps, os.Getpid())
	t.Logf("schedstat before %d, eBPF %d, after %d ns (%d processes)", before, p.CPUNs, after, len(ps.Processes))
	// The snapshot lies between the two sums, give or take 1 %: Go's
	// runtime threads are all alive, so no time sits in the signal struct.
	lo, hi := float64(before)*0.99, float64(after)*1.01
	if float64(p.CPUNs) < lo || float64(p.CPUNs) > hi {
		t.Errorf("eBPF CPU %d ns outside [%.0f, %.0f] (schedstat ±1 %%)", p.CPUNs, lo, hi)
	}
	if p.Comm != "bpf.test" {
		t.Errorf("comm %q, want bpf.test", p.Comm)
	}
	if int(p.PPID) != os.Getppid() || p.UID != uint32(os.Getuid()) || p.KThread {
		t.Errorf("identity: ppid %d uid %d kthread %v", p.PPID, p.UID, p.KThread)
	}
	if ps.EndTimeNs < ps.TimeNs || p.StartTimeNs > ps.TimeNs {
		t.Errorf("times: read %d..%d, own start %d", ps.TimeNs, ps.EndTimeNs, p.StartTimeNs)
	}
	if p.Threads < 2 || p.VSZBytes == 0 || p.RSSAnonBytes == 0 {
		t.Errorf("threads %d vsz %d rss_anon %d: expected a live Go process", p.Threads, p.VSZBytes, p.RSSAnonBytes)
	}
}

func spin(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
	}
}

// vmRSS reads VmRSS of pid in bytes.
func vmRSS(t *testing.T, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS for %d", pid)
	return 0
}

func TestChildRSSMatchesVmRSS(t *testing.T) {
	c := openCollector(t, Options{NoExits: true})
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=alloc")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("child said %q", line)
	}
	pid := cmd.Process.Pid
	before := vmRSS(t, pid)
	ps, err := c.Processes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	after := vmRSS(t, pid)
	p := findProcess(t, ps, pid)
	t.Logf("VmRSS %d / %d, eBPF RSS %d (anon %d file %d shmem %d), exact=%v",
		before, after, p.RSSBytes(), p.RSSAnonBytes, p.RSSFileBytes, p.RSSShmemBytes, c.RSSExact())
	if p.RSSAnonBytes < 256<<20 {
		t.Errorf("anon RSS %d < the 256 MiB the child touched", p.RSSAnonBytes)
	}
	ref := float64(before+after) / 2
	if d := float64(p.RSSBytes()) - ref; d > ref*0.05 || -d > ref*0.05 {
		t.Errorf("eBPF RSS %d differs from VmRSS %.0f by more than 5 %%", p.RSSBytes(), ref)
	}
	if !c.RSSExact() {
		t.Errorf("RSS not exact as root: the per-CPU sum did not load")
	}
}

// TestMemcgIDIsCgroupInode checks the cgroup ids against the cgroup
// filesystems: the v2 id (where a unified hierarchy is mounted) and the
// memory controller's (v1 or v2) are the inode numbers of the
// directories.
func TestMemcgIDIsCgroupInode(t *testing.T) {
	c := openCollector(t, Options{NoExits: true})
	ps, err := c.Processes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p := findProcess(t, ps, os.Getpid())
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir string
		var got uint64
		switch {
		case parts[1] == "memory":
			dir, got = filepath.Join("/sys/fs/cgroup/memory", parts[2]), p.MemCgroupID
		case parts[0] == "0" && parts[1] == "":
			if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
				continue // no unified hierarchy mounted here
			}
			dir, got = filepath.Join("/sys/fs/cgroup", parts[2]), p.CgroupID
		default:
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Stat(dir, &st); err != nil {
			t.Fatalf("stat %s: %v", dir, err)
		}
		if got != st.Ino {
			t.Errorf("%s: eBPF id %d, inode %d", dir, got, st.Ino)
		}
		checked++
	}
	if checked == 0 {
		t.Fatalf("no memory or unified cgroup line in /proc/self/cgroup:\n%s", b)
	}
}

func TestExitEventsCarryFinalCPU(t *testing.T) {
	c := openCollector(t, Options{ExitPoll: 20 * time.Millisecond})
	if c.ExitHook() == "" {
		t.Fatal("no exit hook attached")
	}
	t.Logf("exit hook: %s", c.ExitHook())

	type child struct {
		selfNs, rusageNs uint64
		exitCode         int
	}
	children := map[int]child{}
	for i := range 4 {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), childEnv+"=burn", fmt.Sprintf("BURN_MS=%d", 50+50*i))
		out, err := cmd.Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != burn.ExitCode {
			t.Fatalf("burn child: %v", err)
		}
		self, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			t.Fatalf("child output %q", out)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		children[cmd.Process.Pid] = child{
			selfNs:   self,
			rusageNs: uint64(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)),
			exitCode: burn.ExitCode,
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for len(children) > 0 {
		e, err := c.ReadExit(ctx)
		if err != nil {
			t.Fatalf("ReadExit with %d children unseen: %v", len(children), err)
		}
		ch, ok := children[int(e.Process.PID)]
		if !ok {
			continue // some other process on the machine
		}
		delete(children, int(e.Process.PID))
		p := e.Process
		t.Logf("pid %d: self-reported %d ns ≤ exit event %d ns ≤ rusage %d ns; threads %d, code %#x, rss %d",
			p.PID, ch.selfNs, p.CPUNs, ch.rusageNs, p.Threads, e.ExitCode, p.RSSBytes())
		// The hook runs after the child's last clock read and before the
		// end of its exit; rusage is the final total, in microseconds.
		if p.CPUNs < ch.selfNs || p.CPUNs > ch.rusageNs+2000 {
			t.Errorf("pid %d: final CPU %d not within [%d, %d]", p.PID, p.CPUNs, ch.selfNs, ch.rusageNs+2000)
		}
		if e.ExitCode != int32(ch.exitCode<<8) {
			t.Errorf("pid %d: exit code %#x, want %#x", p.PID, e.ExitCode, ch.exitCode<<8)
		}
		if p.Comm != "bpf.test" || e.ExitNs < p.StartTimeNs {
			t.Errorf("pid %d: comm %q, exit %d before start %d", p.PID, p.Comm, e.ExitNs, p.StartTimeNs)
		}
	}
	st, err := c.ExitStats()
	if err != nil || st.Lost != 0 || st.Malformed != 0 {
		t.Errorf("exit stats %+v, %v", st, err)
	}
}

func TestReadExitHonoursContextAndClose(t *testing.T) {
	c := openCollector(t, Options{ExitPoll: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// Drain whatever the machine produces until the deadline hits: the
	// hour-long poll proves the cancel wakes the reader.
	start := time.Now()
	for {
		_, err := c.ReadExit(ctx)
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("ReadExit: %v, want deadline exceeded", err)
			}
			break
		}
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("cancel took %v", time.Since(start))
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadExit(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("ReadExit after Close: %v, want ErrClosed", err)
	}
	if _, err := c.Processes(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Processes after Close: %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestOpenWithoutBTF(t *testing.T) {
	for _, path := range []string{filepath.Join(t.TempDir(), "missing"), "/proc/self/status"} {
		_, err := Open(Options{KernelBTF: path})
		if !errors.Is(err, ErrNoBTF) {
			t.Errorf("Open with BTF %s: %v, want ErrNoBTF", path, err)
		}
	}
}

// TestOpenWithoutPrivilege runs Open as nobody: a clean ErrPermission,
// no crash.
func TestOpenWithoutPrivilege(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "dropping privileges needs root")
	// t.TempDir's parent is private to root: nobody could not exec.
	dir, err := os.MkdirTemp("", "kwarden-bpf-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "bpf.test")
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=open")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("unprivileged child: %v\n%s", err, out)
	}
	t.Logf("unprivileged Open: %s", out)
	if !strings.HasPrefix(string(out), "permission=true ") {
		t.Errorf("want ErrPermission, got: %s", out)
	}
}

// Close from another goroutine interrupts a ReadExit that waits for the
// next exit, which then reports ErrClosed; the race detector watches the
// collector's fields meanwhile.
func TestCloseInterruptsReadExit(t *testing.T) {
	c := openCollector(t, Options{ExitPoll: time.Hour})
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := c.ReadExit(context.Background()); err != nil {
				done <- err
				return
			}
		}
	}()
	go func() {
		for range 20 {
			_, _ = c.Processes(context.Background())
		}
	}()
	time.Sleep(200 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("ReadExit after a concurrent Close: %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not interrupt ReadExit")
	}
}
