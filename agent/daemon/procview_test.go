package daemon

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/source"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/test/testenv"
)

// sleeper starts a process that lives until the test ends.
func sleeper(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

func hiddenPID(st State, pid int) *apiv1.Hidden {
	if st.ProcView == nil {
		return nil
	}
	for i := range st.ProcView.Hidden {
		if int(st.ProcView.Hidden[i].PID) == pid {
			return &st.ProcView.Hidden[i]
		}
	}
	return nil
}

func events(t *testing.T, d *Daemon, kind string) []apiv1.Event {
	t.Helper()
	page, err := d.Store().Events(store.EventQuery{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	return page.Events
}

// A sleep with an empty directory bind-mounted over its /proc
// directory: ps and the procfs walker lose it, the eBPF view does not.
// The daemon reports it hidden, with the mount, records one
// crosscheck.hidden event with the evidence, counts it in the tick's
// system point, and records crosscheck.shown once the mount is gone.
func TestHiddenByBindMount(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "bind mounts need root")
	eng := engine(t)
	d := start(t, Config{Interval: 300 * time.Millisecond, Sources: source.EBPFOnly, DockerHost: eng.Host,
		DBPath: filepath.Join(t.TempDir(), "h.db")})
	pid := sleeper(t)
	target := "/proc/" + strconv.Itoa(pid)
	empty := t.TempDir()
	if err := syscall.Mount(empty, target, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind mount over %s: %v", target, err)
	}
	mounted := true
	defer func() {
		if mounted {
			syscall.Unmount(target, syscall.MNT_DETACH)
		}
	}()
	if out, _ := exec.Command("ps", "-p", strconv.Itoa(pid), "-o", "pid=").Output(); strings.TrimSpace(string(out)) != "" {
		t.Errorf("ps still shows %d: %q", pid, out)
	}
	st := waitState(t, d, "the sleep reported hidden", func(st State) bool { return hiddenPID(st, pid) != nil })
	h := hiddenPID(st, pid)
	if h.Comm != "sleep" || !h.Listed || h.Stat != "no such file or directory" || len(h.Mounts) != 1 ||
		h.Mounts[0].MountPoint != target || !strings.HasSuffix(h.Mounts[0].Root, filepath.Base(empty)) ||
		strings.Join(h.SeenBy, ",") != "ebpf" || !strings.Contains(h.Reason, "mounted over "+target) {
		t.Errorf("finding %+v", h)
	}
	if st.System.Hidden < 1 || st.ProcView.Checked < 10 || st.ProcView.Listed < 10 {
		t.Errorf("tick: hidden %d, procview %+v", st.System.Hidden, st.ProcView)
	}
	if s := src(st, "procview"); s.State != apiv1.SourceOK || s.Reads == 0 {
		t.Errorf("procview source %+v", s)
	}
	waitState(t, d, "two more ticks", func(s State) bool { return s.Tick >= st.Tick+2 })
	var hidden []apiv1.Event
	for _, e := range events(t, d, "crosscheck.hidden") {
		if e.Data["pid"] == strconv.Itoa(pid) {
			hidden = append(hidden, e)
		}
	}
	if len(hidden) != 1 || hidden[0].Data["mount0"] == "" || hidden[0].Data["listed"] != "true" || hidden[0].Data["comm"] != "sleep" {
		t.Fatalf("hidden events %+v", hidden)
	}
	t.Logf("%s", hidden[0].Message)
	if err := syscall.Unmount(target, 0); err != nil {
		t.Fatal(err)
	}
	mounted = false
	waitState(t, d, "the sleep shown again", func(st State) bool { return st.ProcView != nil && hiddenPID(st, pid) == nil && st.Tick > 0 })
	waitState(t, d, "a tick recorded after", func(s State) bool { return s.Tick >= st.Tick+4 })
	var shown bool
	for _, e := range events(t, d, "crosscheck.shown") {
		shown = shown || (e.Data["pid"] == strconv.Itoa(pid) && e.Data["why"] == "shown in /proc again")
	}
	if !shown {
		t.Errorf("no crosscheck.shown event; events %+v", events(t, d, "crosscheck."))
	}
}

// mirror serves /proc in dir as symlinks to every entry but the pids in
// hide, and keeps it current until the test ends: the simulation of a
// rootkit that filters /proc's listing, through the daemon's ProcRoot.
func mirror(t *testing.T, dir string, hide map[int]bool) {
	t.Helper()
	refresh := func() error {
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return err
		}
		want := map[string]bool{}
		for _, e := range entries {
			if pid, err := strconv.Atoi(e.Name()); err == nil && hide[pid] {
				continue
			}
			want[e.Name()] = true
			if _, err := os.Lstat(filepath.Join(dir, e.Name())); err == nil {
				continue
			}
			if err := os.Symlink(filepath.Join("/proc", e.Name()), filepath.Join(dir, e.Name())); err != nil && !os.IsExist(err) {
				return err
			}
		}
		have, _ := os.ReadDir(dir)
		for _, e := range have {
			if !want[e.Name()] {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
		return nil
	}
	if err := refresh(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			_ = refresh()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// A listing filter, simulated: the daemon's /proc is a view that lacks
// one running process. It is reported hidden, absent from the listing;
// every other process is shown.
func TestHiddenByListingFilter(t *testing.T) {
	eng := engine(t)
	pid := sleeper(t)
	view := t.TempDir()
	mirror(t, view, map[int]bool{pid: true})
	d := start(t, Config{Interval: 300 * time.Millisecond, Sources: source.EBPFOnly, DockerHost: eng.Host, ProcRoot: view,
		DBPath: filepath.Join(t.TempDir(), "h.db")})
	st := waitState(t, d, "the sleep reported hidden", func(st State) bool { return hiddenPID(st, pid) != nil })
	h := hiddenPID(st, pid)
	if h.Listed || h.Stat != "" || h.Reason != "absent from the /proc listing" || len(st.ProcView.Hidden) != 1 {
		t.Errorf("findings %+v", st.ProcView.Hidden)
	}
}

// Churn is never hidden: for 60 s processes fork and exit as fast as a
// shell loop makes them, and short sleeps come and go, while the daemon
// checks every 100 ms. Processes that exit between the kernel's read and
// /proc's are churn; not one is reported hidden, at any tick.
func TestChurnIsNeverHidden(t *testing.T) {
	eng := engine(t)
	var mu sync.Mutex
	var worst State
	checks, churn := 0, 0
	d := start(t, Config{Interval: 100 * time.Millisecond, Sources: source.EBPFOnly, DockerHost: eng.Host,
		DBPath: filepath.Join(t.TempDir(), "h.db"), AfterTick: func(st State) {
			mu.Lock()
			defer mu.Unlock()
			if st.ProcView == nil {
				return
			}
			checks++
			churn += st.ProcView.Churn
			if worst.ProcView == nil || len(st.ProcView.Hidden) > len(worst.ProcView.Hidden) {
				worst = st
			}
		}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	loops := []*exec.Cmd{
		exec.CommandContext(ctx, "sh", "-c", "while :; do /bin/true; done"),
		exec.CommandContext(ctx, "sh", "-c", "while :; do sleep 0.05 & sleep 0.01; done"),
	}
	for _, c := range loops {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range loops {
		c.Wait()
	}
	waitState(t, d, "a tick after the churn", func(s State) bool { return s.Tick > 0 })
	mu.Lock()
	defer mu.Unlock()
	if worst.ProcView != nil && len(worst.ProcView.Hidden) > 0 {
		t.Errorf("churn reported hidden at tick %d: %+v", worst.Tick, worst.ProcView.Hidden)
	}
	if evs := events(t, d, "crosscheck.hidden"); len(evs) > 0 {
		t.Errorf("crosscheck.hidden events under churn: %+v", evs)
	}
	if checks < 100 || churn == 0 {
		t.Errorf("%d checks saw %d processes exit in between: the churn did not reach the check", checks, churn)
	}
	t.Logf("%d checks in 60 s of churn; %d processes exited between a kernel read and /proc's; none hidden", checks, churn)
}
