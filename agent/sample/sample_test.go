package sample

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/internal/snapshot"
	"github.com/kwarden/kwarden/internal/testenv"
)

const ms = uint64(1_000_000)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func proc(pid int32, start, cg, cpu, rss uint64) snapshot.Process {
	return snapshot.Process{PID: pid, StartTimeNs: start, MemCgroupID: cg, CPUNs: cpu, RSSAnonBytes: rss, Threads: 1}
}

func ctr(id string, memID uint64) containers.Container {
	return containers.Container{ID: id, Running: true, Cgroups: containers.Cgroups{MemID: memID}}
}

func TestCPUPercentAcrossExits(t *testing.T) {
	s := &Sampler{Thresholds: Thresholds{CPUPercent: 50, RAMPercent: 50}}
	cs := []containers.Container{ctr("a", 10), ctr("b", 20)}
	// t=0: a has two processes (100 ms, 50 ms), b one.
	s1 := &snapshot.Processes{TimeNs: 1000 * ms, Processes: []snapshot.Process{
		proc(1, 1, 10, 100*ms, 1<<20), proc(2, 2, 10, 50*ms, 1<<20), proc(3, 3, 20, 0, 1<<20), proc(4, 4, 99, 500*ms, 0)}}
	f := s.Sample(s1, cs, 100<<20)
	if f[0].CPUPercent != 0 || f[0].Class != "" || f[0].Processes != 2 || f[0].RSSBytes != 2<<20 || f[0].RAMPercent != 2 {
		t.Fatalf("first sample %+v", f[0])
	}
	// Process 2 exits after 80 ms (30 more), its zombie is still listed
	// with its final time; process 1 runs 400 ms more. 1 s later a has
	// used 430 ms: 43 %.
	s.Exited(Exit{Key: snapshot.Key{PID: 2, StartTimeNs: 2}, MemcgID: 10, CPUNs: 80 * ms, ExitNs: 1500 * ms})
	s2 := &snapshot.Processes{TimeNs: 2000 * ms, Processes: []snapshot.Process{
		proc(1, 1, 10, 500*ms, 1<<20), proc(2, 2, 10, 80*ms, 0), proc(3, 3, 20, 900*ms, 1<<20)}}
	f = s.Sample(s2, cs, 100<<20)
	if math.Abs(f[0].CPUPercent-43) > 1e-9 || f[0].Processes != 1 || f[0].Class != Low {
		t.Errorf("a: %.2f %%, %d processes, class %s; want 43 %%, 1, low", f[0].CPUPercent, f[0].Processes, f[0].Class)
	}
	if math.Abs(f[1].CPUPercent-90) > 1e-9 || f[1].Class != High {
		t.Errorf("b: %.2f %% class %s; want 90 %%, high", f[1].CPUPercent, f[1].Class)
	}
	// The zombie is reaped: a's cumulative time stays continuous.
	s3 := &snapshot.Processes{TimeNs: 3000 * ms, Processes: []snapshot.Process{proc(1, 1, 10, 500*ms, 1<<20)}}
	f = s.Sample(s3, cs, 100<<20)
	if f[0].CPUPercent != 0 || f[0].CPUNs != 580*ms {
		t.Errorf("after the reap: %.2f %%, cumulative %d; want 0, 580 ms", f[0].CPUPercent, f[0].CPUNs)
	}
}

// An exit reported after the snapshot started waits for the next one,
// so a process is never counted live and exited at once.
func TestLateExitWaits(t *testing.T) {
	s := &Sampler{}
	cs := []containers.Container{ctr("a", 10)}
	s.Sample(&snapshot.Processes{TimeNs: 1000 * ms, Processes: []snapshot.Process{proc(1, 1, 10, 100*ms, 0)}}, cs, 0)
	s.Exited(Exit{Key: snapshot.Key{PID: 1, StartTimeNs: 1}, MemcgID: 10, CPUNs: 300 * ms, ExitNs: 2500 * ms})
	f := s.Sample(&snapshot.Processes{TimeNs: 2000 * ms, Processes: []snapshot.Process{proc(1, 1, 10, 200*ms, 0)}}, cs, 0)
	if math.Abs(f[0].CPUPercent-10) > 1e-9 {
		t.Errorf("%.2f %%, want 10 %%: the exit after the snapshot was applied early", f[0].CPUPercent)
	}
	f = s.Sample(&snapshot.Processes{TimeNs: 3000 * ms}, cs, 0)
	if math.Abs(f[0].CPUPercent-10) > 1e-9 {
		t.Errorf("%.2f %%, want 10 %% (300 − 200 ms over 1 s)", f[0].CPUPercent)
	}
}

// Without an exit stream, the time of a process that exited is lost:
// the rate is clamped, not negative.
func TestLostExitClamps(t *testing.T) {
	s := &Sampler{}
	cs := []containers.Container{ctr("a", 10)}
	s.Sample(&snapshot.Processes{TimeNs: 1000 * ms, Processes: []snapshot.Process{proc(1, 1, 10, 900*ms, 0)}}, cs, 0)
	f := s.Sample(&snapshot.Processes{TimeNs: 2000 * ms}, cs, 0)
	if f[0].CPUPercent != 0 {
		t.Errorf("%.2f %%", f[0].CPUPercent)
	}
}

func TestMemoryFromCgroupFiles(t *testing.T) {
	root := t.TempDir()
	dir := root + "/memory/docker/abc"
	if err := mkfiles(dir, map[string]string{
		"memory.usage_in_bytes": "1000000\n",
		"memory.stat":           "cache 5\ntotal_inactive_file 250000\ntotal_rss 1\n",
	}); err != nil {
		t.Fatal(err)
	}
	m := &Memory{CgroupRoot: root}
	defer m.Close()
	u, ws := m.Of("abc", containers.Cgroups{MemPath: "/docker/abc"})
	if u != 1000000 || ws != 750000 {
		t.Errorf("usage %d working set %d", u, ws)
	}
	v2 := root + "/system.slice/x.scope"
	if err := mkfiles(v2, map[string]string{"memory.current": "4096\n", "memory.stat": "inactive_file 8192\n"}); err != nil {
		t.Fatal(err)
	}
	u, ws = m.Of("x", containers.Cgroups{V2Path: "/system.slice/x.scope"})
	if u != 4096 || ws != 0 {
		t.Errorf("v2: usage %d working set %d (inactive above usage clamps to 0)", u, ws)
	}
}

// The files stay open between reads, a changed file is read afresh, and
// a container restarted into new cgroups is read from those.
func TestMemoryKeepsFilesOpen(t *testing.T) {
	root := t.TempDir()
	dir := root + "/memory/docker/abc"
	if err := mkfiles(dir, map[string]string{"memory.usage_in_bytes": "1000\n", "memory.stat": "total_inactive_file 10\n"}); err != nil {
		t.Fatal(err)
	}
	clock := t0
	m := &Memory{CgroupRoot: root, StatDrift: 1000, StatMaxAge: 5 * time.Second, now: func() time.Time { return clock }}
	defer m.Close()
	cg := containers.Cgroups{MemPath: "/docker/abc"}
	if u, _ := m.Of("abc", cg); u != 1000 {
		t.Fatalf("usage %d", u)
	}
	if err := mkfiles(dir, map[string]string{"memory.usage_in_bytes": "2000\n"}); err != nil {
		t.Fatal(err)
	}
	if u, ws := m.Of("abc", cg); u != 2000 || ws != 1990 || len(m.open) != 1 {
		t.Fatalf("usage %d working set %d, %d open", u, ws, len(m.open))
	}
	// memory.stat is read again only when the usage moved by the drift
	// or the last read is old. A long one grows the buffer rather than
	// being cut short.
	long := strings.Repeat("padding_line 1\n", 1000) + "total_inactive_file 500\n"
	if err := mkfiles(dir, map[string]string{"memory.stat": long, "memory.usage_in_bytes": "2900\n"}); err != nil {
		t.Fatal(err)
	}
	if _, ws := m.Of("abc", cg); ws != 2890 {
		t.Fatalf("usage moved 900 < drift 1000: working set %d, want 2900-10 (memory.stat not read again)", ws)
	}
	clock = clock.Add(5 * time.Second)
	if _, ws := m.Of("abc", cg); ws != 2400 {
		t.Fatalf("after the max age: working set %d after a %d-byte memory.stat", ws, len(long))
	}
	if err := mkfiles(dir, map[string]string{"memory.stat": "total_inactive_file 1000\n", "memory.usage_in_bytes": "3900\n"}); err != nil {
		t.Fatal(err)
	}
	if _, ws := m.Of("abc", cg); ws != 2900 {
		t.Fatalf("usage moved by the drift: working set %d, want 3900-1000", ws)
	}
	dir2 := root + "/memory/docker/def"
	if err := mkfiles(dir2, map[string]string{"memory.usage_in_bytes": "7\n", "memory.stat": ""}); err != nil {
		t.Fatal(err)
	}
	if u, ws := m.Of("abc", containers.Cgroups{MemPath: "/docker/def"}); u != 7 || ws != 7 {
		t.Fatalf("after a change of cgroup: usage %d", u)
	}
	m.Forget("abc")
	if len(m.open) != 0 {
		t.Fatalf("%d open after Forget", len(m.open))
	}
}

// A real memory cgroup that goes away: the kernel answers ENODEV on the
// open files, Of reads zeros, drops them, and reads the cgroup again once
// it is back.
func TestMemoryRealCgroupRemoved(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "creating a memory cgroup needs root")
	name := fmt.Sprintf("kwarden-test-%d", os.Getpid())
	var cg containers.Cgroups
	var dir string
	switch {
	case dirExists("/sys/fs/cgroup/memory"):
		cg, dir = containers.Cgroups{MemPath: "/" + name}, "/sys/fs/cgroup/memory/"+name
	case fileExists("/sys/fs/cgroup/cgroup.controllers"):
		cg, dir = containers.Cgroups{V2Path: "/" + name}, "/sys/fs/cgroup/"+name
	default:
		testenv.Require(t, false, "no memory cgroup hierarchy mounted")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		testenv.RequireNoErr(t, err, "a memory cgroup")
	}
	defer os.Remove(dir)
	var m Memory
	defer m.Close()
	m.Of("c", cg)
	if len(m.open) != 1 {
		t.Fatalf("%s: not opened", dir)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if u, ws := m.Of("c", cg); u != 0 || ws != 0 || len(m.open) != 0 {
		t.Fatalf("removed cgroup: usage %d working set %d, %d files still open", u, ws, len(m.open))
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m.Of("c", cg)
	if len(m.open) != 1 {
		t.Fatal("recreated cgroup not opened again")
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
