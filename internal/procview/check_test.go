package procview

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/internal/snapshot"
	"github.com/kwarden/kwarden/test/testenv"
)

// served lays out a /proc view in a directory: pid directories with a
// stat file for the given processes, and nothing else.
func served(t *testing.T, procs ...snapshot.Process) string {
	t.Helper()
	root := t.TempDir()
	for _, p := range procs {
		dir := filepath.Join(root, strconv.Itoa(int(p.PID)))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		stat := fmt.Sprintf("%d (%s) S 1 %d %d 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %d 1000 10 0\n",
			p.PID, p.Comm, p.PID, p.PID, p.StartTimeNs/procfs.NsPerTick)
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func proc(pid int32, comm string, startSec uint64) snapshot.Process {
	return snapshot.Process{PID: pid, PPID: 1, Comm: comm, StartTimeNs: startSec * 1e9}
}

// A listing filter, simulated: the view lacks pid 30. It is a candidate
// at the first check and hidden from the second on, with both kernel
// views named; shown again, it is forgotten. A process that exited, by
// the exit stream or gone from the kernel, is churn at every check.
func TestCheckServedView(t *testing.T) {
	a, b, c := proc(10, "init", 1), proc(30, "hidden", 5), proc(40, "leaving", 6)
	root := served(t, a)
	gone := map[int32]bool{}
	exited := map[snapshot.Key]bool{}
	ck, err := New(Options{Root: root, MountInfo: filepath.Join(root, "no-mountinfo"),
		Exists: func(pid int32) bool { return !gone[pid] },
		Now:    func() time.Time { return time.Unix(100, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	views := []View{{"kmod", []snapshot.Process{a, b, c}}, {"ebpf", []snapshot.Process{a, b}}}
	ex := func(k snapshot.Key) bool { return exited[k] }
	exited[snapshot.Key{PID: 40, StartTimeNs: 6e9}] = true
	r, err := ck.Check(ex, views...)
	if err != nil {
		t.Fatal(err)
	}
	if r.Listed != 1 || r.Checked != 3 || r.Candidates != 1 || r.Churn != 1 || len(r.Hidden) != 0 || r.MountInfoErr == "" {
		t.Fatalf("first check: %+v", r)
	}
	r, _ = ck.Check(ex, views...)
	if len(r.Hidden) != 1 {
		t.Fatalf("second check: %+v", r)
	}
	f := r.Hidden[0]
	if f.Key.PID != 30 || f.Comm != "hidden" || f.Listed || f.Checks != 2 || !f.Since.Equal(time.Unix(100, 0)) ||
		strings.Join(f.SeenBy, ",") != "kmod,ebpf" || f.Reason() != "absent from the /proc listing" {
		t.Errorf("finding %+v (%s)", f, f.Reason())
	}
	// Gone from the kernel between the read and the check: churn.
	gone[30] = true
	if r, _ = ck.Check(ex, views...); len(r.Hidden) != 0 || r.Churn != 2 {
		t.Errorf("gone from the kernel: %+v", r)
	}
	gone[30] = false
	if r, _ = ck.Check(ex, views...); r.Candidates != 1 || len(r.Hidden) != 0 {
		t.Errorf("a churned candidate starts over: %+v", r)
	}
	// Shown again: no finding, and none at the next failure either.
	served2 := filepath.Join(root, "30")
	if err := os.Mkdir(served2, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(served2, "stat"), []byte("30 (hidden) S 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r, _ = ck.Check(ex, views...); r.Candidates != 0 || len(r.Hidden) != 0 || r.Listed != 2 {
		t.Errorf("shown again: %+v", r)
	}
	// Listed, but its stat file gone.
	os.Remove(filepath.Join(served2, "stat"))
	ck.Check(ex, views...)
	if r, _ = ck.Check(ex, views...); len(r.Hidden) != 1 || !r.Hidden[0].Listed || r.Hidden[0].Stat != "no such file or directory" {
		t.Errorf("no stat: %+v", r)
	}
}

// A mount over a pid's directory is evidence, and makes the check read
// stat: one that names another process is a mask too.
func TestCheckMountedOver(t *testing.T) {
	a := proc(77, "real", 9)
	root := served(t, proc(77, "decoy", 3))
	mi := filepath.Join(t.TempDir(), "mountinfo")
	line := fmt.Sprintf("500 22 0:55 /decoys/77 %s/77 rw - tmpfs tmpfs rw\n", root)
	if err := os.WriteFile(mi, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	ck, err := New(Options{Root: root, MountInfo: mi, Confirm: 1, Exists: func(int32) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	r, err := ck.Check(nil, View{"ebpf", []snapshot.Process{a}})
	if err != nil || len(r.Hidden) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	f := r.Hidden[0]
	if !f.Listed || !strings.Contains(f.Stat, "names pid 77 (decoy) started at 300 ticks, not real started at 900") ||
		len(f.Mounts) != 1 || f.Mounts[0].Root != "/decoys/77" {
		t.Errorf("finding %+v", f)
	}
	if !strings.Contains(f.Reason(), "/decoys/77 mounted over "+root+"/77 (mount 500, tmpfs from tmpfs)") {
		t.Errorf("reason %q", f.Reason())
	}
	// The same view without the mount: stat is not read, the pid is shown.
	os.WriteFile(mi, nil, 0o644)
	if r, _ = ck.Check(nil, View{"ebpf", []snapshot.Process{a}}); len(r.Hidden) != 0 || r.Candidates != 0 {
		t.Errorf("without the mount: %+v", r)
	}
}

// The real thing: a sleep whose /proc directory has an empty directory
// bind-mounted over it. ps cannot see it; the check, given the kernel's
// key for it, reports it with the mount as evidence, and forgets it once
// the mount is gone.
func TestCheckBindMountMask(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "bind mounts need root")
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pid := int32(cmd.Process.Pid)
	w := procfs.Walker{}
	s, err := w.Read(pid)
	if err != nil {
		t.Fatal(err)
	}
	me := snapshot.Process{PID: pid, Comm: "sleep", StartTimeNs: s.Stat.StartTicks * procfs.NsPerTick}
	empty := t.TempDir()
	target := "/proc/" + strconv.Itoa(int(pid))
	if err := syscall.Mount(empty, target, "", syscall.MS_BIND, ""); err != nil {
		testenv.RequireNoErr(t, err, "bind mount over "+target)
	}
	mounted := true
	defer func() {
		if mounted {
			syscall.Unmount(target, syscall.MNT_DETACH)
		}
	}()
	if _, err := w.Read(pid); err == nil {
		t.Fatal("the procfs walker still reads the masked process")
	}
	ck, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	ck.Check(nil, View{"ebpf", []snapshot.Process{me}})
	r, err := ck.Check(nil, View{"ebpf", []snapshot.Process{me}})
	if err != nil || len(r.Hidden) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	f := r.Hidden[0]
	if !f.Listed || f.Stat != "no such file or directory" || len(f.Mounts) != 1 || f.Mounts[0].MountPoint != target || f.Mounts[0].Root == "" {
		t.Errorf("finding %+v", f)
	}
	t.Logf("%s: %s", target, f.Reason())
	if err := syscall.Unmount(target, 0); err != nil {
		t.Fatal(err)
	}
	mounted = false
	if r, _ = ck.Check(nil, View{"ebpf", []snapshot.Process{me}}); len(r.Hidden) != 0 || r.Candidates != 0 {
		t.Errorf("unmounted: %+v", r)
	}
}
