package psi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kwarden/kwarden/test/testenv"
)

// testCgroup is where a thrashing child runs: a memory limit, from cgroup
// v1's memory controller where v1 holds it (a hybrid host) or else from
// v2's, and a cgroup v2 directory, if cgroup2 is mounted, whose
// memory.pressure counts the child's stalls and nothing else.
type testCgroup struct {
	procs       []string // the cgroup.procs files the child's pid goes to
	pressureDir string   // the child's cgroup v2 directory, or ""
	dirs        []string // what was made, removed in reverse order
}

// newTestCgroup makes the child's cgroups with a memory limit of limit
// bytes and no swap. They sit below this process's own cgroups, so the
// machine's accounting keeps the child under its parent's, except for a
// v2-only host, where the new cgroup is made at the root: the v2 rule
// that a cgroup with processes cannot delegate controllers exempts only
// the root. Cleanup removes them once the child has left.
func newTestCgroup(t *testing.T, limit int64) *testCgroup {
	t.Helper()
	testenv.Require(t, os.Geteuid() == 0, "root, to make cgroups")
	v1, v2 := cgroupMounts(t)
	name := fmt.Sprintf("kwarden-psi-test-%d", os.Getpid())
	cg := &testCgroup{}
	t.Cleanup(func() { cg.remove(t) })
	limitText := strconv.FormatInt(limit, 10)
	switch {
	case v1 != "":
		dir := cg.mkdir(t, filepath.Join(v1, ownCgroup(t, "memory"), name))
		writeCgroupFile(t, dir, "memory.limit_in_bytes", limitText, false)
		// No swap on top of the limit; absent without swap accounting.
		writeCgroupFile(t, dir, "memory.memsw.limit_in_bytes", limitText, true)
		if v2 != "" {
			cg.pressureDir = cg.mkdir(t, filepath.Join(v2, ownCgroup(t, ""), name))
		}
	case v2 != "":
		ctl, err := os.ReadFile(filepath.Join(v2, "cgroup.subtree_control"))
		testenv.Require(t, err == nil && slices.Contains(strings.Fields(string(ctl)), "memory"),
			"the memory controller enabled at the cgroup v2 root (%s/cgroup.subtree_control: %q, %v)", v2, ctl, err)
		dir := cg.mkdir(t, filepath.Join(v2, name))
		writeCgroupFile(t, dir, "memory.max", limitText, false)
		writeCgroupFile(t, dir, "memory.swap.max", "0", true)
		cg.pressureDir = dir
	default:
		testenv.Require(t, false, "a memory cgroup controller (no cgroup v1 memory or cgroup2 mount)")
	}
	return cg
}

func (cg *testCgroup) mkdir(t *testing.T, dir string) string {
	t.Helper()
	err := os.Mkdir(dir, 0o755)
	testenv.RequireNoErr(t, err, "a writable cgroup file system")
	cg.dirs = append(cg.dirs, dir)
	cg.procs = append(cg.procs, filepath.Join(dir, "cgroup.procs"))
	return dir
}

func writeCgroupFile(t *testing.T, dir, name, value string, optional bool) {
	t.Helper()
	err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0)
	if optional && errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
}

// enter moves pid, a whole process, into every cgroup.
func (cg *testCgroup) enter(t *testing.T, pid int) {
	t.Helper()
	for _, p := range cg.procs {
		if err := os.WriteFile(p, []byte(strconv.Itoa(pid)), 0); err != nil {
			t.Fatalf("move %d into %s: %v", pid, p, err)
		}
	}
}

// remove removes the cgroups, deepest first. A v1 memory cgroup can
// answer EBUSY for a moment after its last process exited, while the
// exit is still being accounted, so EBUSY is retried for a while.
func (cg *testCgroup) remove(t *testing.T) {
	for i := len(cg.dirs) - 1; i >= 0; i-- {
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := syscall.Rmdir(cg.dirs[i])
			if err == nil || err == syscall.ENOENT {
				break
			}
			if err != syscall.EBUSY || time.Now().After(deadline) {
				t.Errorf("remove cgroup %s: %v", cg.dirs[i], err)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// diskTempDir is a temporary directory on a file system with a backing
// store. The child's file must be evictable page cache: on tmpfs its
// pages are shared memory, which without swap cannot be reclaimed, so
// the child would be OOM-killed instead of stalling.
func diskTempDir(t *testing.T) string {
	t.Helper()
	for _, base := range []string{os.TempDir(), "/var/tmp"} {
		var st unix.Statfs_t
		if err := unix.Statfs(base, &st); err != nil || st.Type == unix.TMPFS_MAGIC || st.Type == unix.RAMFS_MAGIC {
			continue
		}
		dir, err := os.MkdirTemp(base, "kwarden-psi-")
		if err != nil {
			continue
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	testenv.Require(t, false, "a temporary directory on a disk, not tmpfs (tried %s and /var/tmp)", os.TempDir())
	return ""
}

// thrashChild is a started child in the thrash mode (main_test.go).
type thrashChild struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	errs  bytes.Buffer
}

// startThrash starts the child, moves it into cg and lets it begin; it
// returns when the child is running in the cgroup. Cleanup stops it.
func startThrash(t *testing.T, cg *testCgroup, file string, mib int) *thrashChild {
	t.Helper()
	c := &thrashChild{cmd: exec.Command(os.Args[0], "-test.run=^$")}
	c.cmd.Env = append(os.Environ(), childEnv+"=thrash", "THRASH_FILE="+file, "THRASH_MIB="+strconv.Itoa(mib))
	c.cmd.Stderr = &c.errs
	stdin, err := c.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.stdin = stdin
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.stop(t) })
	cg.enter(t, c.cmd.Process.Pid)
	if _, err := c.stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	return c
}

// stop ends the child (closing stdin asks it to; a kill makes sure) and
// reports how it ended if it did not end as asked.
func (c *thrashChild) stop(t *testing.T) {
	_ = c.stdin.Close()
	exited := make(chan error, 1)
	go func() { exited <- c.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("thrash child: %v; stderr:\n%s", err, c.errs.String())
		}
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-exited
	}
}

// memoryStallTotal is the some total of dir's memory.pressure, for logs.
func memoryStallTotal(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "memory.pressure"))
	if err != nil {
		return err.Error()
	}
	r, err := ParseResource(b)
	if err != nil {
		return err.Error()
	}
	return r.Some.Total.String()
}
