package source

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/sample"
	"github.com/kwarden/kwarden/test/testenv"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// of is Of's figures, whatever its error.
func of(m *cgroupMemory, id string, cg containers.Cgroups) (usage, workingSet uint64) {
	mem, _ := m.Of(id, cg)
	return mem.Usage, mem.WorkingSet
}

func mkfiles(dir string, files map[string]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// A fill of every running container: one whose cgroup is gone is no
// failure; one whose files exist but cannot be read is, counted and
// named, and the others are still read.
func TestCgroupsFill(t *testing.T) {
	root := t.TempDir()
	if err := mkfiles(root+"/memory/docker/a", map[string]string{"memory.usage_in_bytes": "100\n", "memory.stat": "total_inactive_file 10\n"}); err != nil {
		t.Fatal(err)
	}
	// b's usage file is a directory: it opens, and its read fails.
	os.MkdirAll(root+"/memory/docker/b/memory.usage_in_bytes", 0o755)
	os.WriteFile(root+"/memory/docker/b/memory.stat", nil, 0o644)
	c := NewCgroups(root)
	defer c.Close()
	cs := []containers.Container{
		{ID: "a", Running: true, Cgroups: containers.Cgroups{MemPath: "/docker/a"}},
		{ID: "b", Running: true, Cgroups: containers.Cgroups{MemPath: "/docker/b"}},
		{ID: "gone", Running: true, Cgroups: containers.Cgroups{MemPath: "/docker/gone"}},
		{ID: "unresolved", Running: true},
		{ID: "stopped", Cgroups: containers.Cgroups{MemPath: "/docker/a"}},
	}
	fill := func() (map[string]sample.Memory, error) {
		figs := make([]sample.Figures, len(cs))
		for i, ct := range cs {
			figs[i].Container = ct
		}
		err := c.Fill(figs)
		mem := map[string]sample.Memory{}
		for _, f := range figs {
			if f.MemUsageBytes != 0 {
				mem[f.ID] = sample.Memory{Usage: f.MemUsageBytes, WorkingSet: f.WorkingSetBytes}
			}
		}
		return mem, err
	}
	mem, err := fill()
	if mem["a"].Usage != 100 || mem["a"].WorkingSet != 90 || len(mem) != 1 {
		t.Errorf("figures: %+v", mem)
	}
	if err == nil || !strings.Contains(err.Error(), "1 of 3 running containers") || !strings.Contains(err.Error(), "container b") {
		t.Errorf("error: %v", err)
	}
	if st := c.Status(); st.State != "failing" || st.Reads != 1 || st.Failures != 1 {
		t.Errorf("status: %+v", st)
	}
	// b fixed: the next read is ok, and a stopped container's files go.
	os.Remove(root + "/memory/docker/b/memory.usage_in_bytes")
	os.WriteFile(root+"/memory/docker/b/memory.usage_in_bytes", []byte("7\n"), 0o644)
	cs[0].Running = false
	mem, err = fill()
	if err != nil || mem["b"].Usage != 7 || len(c.mem.open) != 1 || c.Status().State != "ok" {
		t.Errorf("second read: %+v %v, %d open, %+v", mem, err, len(c.mem.open), c.Status())
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
	m := &cgroupMemory{CgroupRoot: root}
	defer m.Close()
	u, ws := of(m, "abc", containers.Cgroups{MemPath: "/docker/abc"})
	if u != 1000000 || ws != 750000 {
		t.Errorf("usage %d working set %d", u, ws)
	}
	v2 := root + "/system.slice/x.scope"
	if err := mkfiles(v2, map[string]string{"memory.current": "4096\n", "memory.stat": "inactive_file 8192\n"}); err != nil {
		t.Fatal(err)
	}
	u, ws = of(m, "x", containers.Cgroups{V2Path: "/system.slice/x.scope"})
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
	m := &cgroupMemory{CgroupRoot: root, StatDrift: 1000, StatMaxAge: 5 * time.Second, now: func() time.Time { return clock }}
	defer m.Close()
	cg := containers.Cgroups{MemPath: "/docker/abc"}
	if u, _ := of(m, "abc", cg); u != 1000 {
		t.Fatalf("usage %d", u)
	}
	if err := mkfiles(dir, map[string]string{"memory.usage_in_bytes": "2000\n"}); err != nil {
		t.Fatal(err)
	}
	if u, ws := of(m, "abc", cg); u != 2000 || ws != 1990 || len(m.open) != 1 {
		t.Fatalf("usage %d working set %d, %d open", u, ws, len(m.open))
	}
	// memory.stat is read again only when the usage moved by the drift
	// or the last read is old. A long one grows the buffer rather than
	// being cut short.
	long := strings.Repeat("padding_line 1\n", 1000) + "total_inactive_file 500\n"
	if err := mkfiles(dir, map[string]string{"memory.stat": long, "memory.usage_in_bytes": "2900\n"}); err != nil {
		t.Fatal(err)
	}
	if _, ws := of(m, "abc", cg); ws != 2890 {
		t.Fatalf("usage moved 900 < drift 1000: working set %d, want 2900-10 (memory.stat not read again)", ws)
	}
	clock = clock.Add(5 * time.Second)
	if _, ws := of(m, "abc", cg); ws != 2400 {
		t.Fatalf("after the max age: working set %d after a %d-byte memory.stat", ws, len(long))
	}
	if err := mkfiles(dir, map[string]string{"memory.stat": "total_inactive_file 1000\n", "memory.usage_in_bytes": "3900\n"}); err != nil {
		t.Fatal(err)
	}
	if _, ws := of(m, "abc", cg); ws != 2900 {
		t.Fatalf("usage moved by the drift: working set %d, want 3900-1000", ws)
	}
	dir2 := root + "/memory/docker/def"
	if err := mkfiles(dir2, map[string]string{"memory.usage_in_bytes": "7\n", "memory.stat": ""}); err != nil {
		t.Fatal(err)
	}
	if u, ws := of(m, "abc", containers.Cgroups{MemPath: "/docker/def"}); u != 7 || ws != 7 {
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
	m := &cgroupMemory{}
	defer m.Close()
	of(m, "c", cg)
	if len(m.open) != 1 {
		t.Fatalf("%s: not opened", dir)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Of("c", cg); !errors.Is(err, errGone) {
		t.Errorf("removed cgroup: %v, want errGone", err)
	}
	if u, ws := of(m, "c", cg); u != 0 || ws != 0 || len(m.open) != 0 {
		t.Fatalf("removed cgroup: usage %d working set %d, %d files still open", u, ws, len(m.open))
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	of(m, "c", cg)
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

// Fill reads an active container every time, an idle one once per
// IdleMaxAge.
func TestCgroupsFillSkipsIdle(t *testing.T) {
	root := t.TempDir()
	dir := root + "/memory/docker/a"
	if err := mkfiles(dir, map[string]string{"memory.usage_in_bytes": "100\n", "memory.stat": "total_inactive_file 0\n"}); err != nil {
		t.Fatal(err)
	}
	c := NewCgroups(root)
	c.IdleMaxAge = time.Hour
	defer c.Close()
	figs := []sample.Figures{{Container: containers.Container{ID: "a", Running: true, Cgroups: containers.Cgroups{MemPath: "/docker/a"}},
		CPUNs: 1, Processes: 1}}
	if err := c.Fill(figs); err != nil || figs[0].MemUsageBytes != 100 {
		t.Fatalf("first: %+v %v", figs[0], err)
	}
	mkfiles(dir, map[string]string{"memory.usage_in_bytes": "200\n"})
	figs[0].MemUsageBytes = 0
	c.Fill(figs)
	if figs[0].MemUsageBytes != 100 {
		t.Errorf("idle: read again (%d), want the last read kept", figs[0].MemUsageBytes)
	}
	figs[0].CPUNs = 2 // it ran
	c.Fill(figs)
	if figs[0].MemUsageBytes != 200 {
		t.Errorf("active: %d, want read again", figs[0].MemUsageBytes)
	}
	c.IdleMaxAge = time.Nanosecond
	mkfiles(dir, map[string]string{"memory.usage_in_bytes": "300\n"})
	c.Fill(figs)
	if figs[0].MemUsageBytes != 300 {
		t.Errorf("idle past the age: %d, want read again", figs[0].MemUsageBytes)
	}
	figs[0].Running = false
	c.Fill(figs)
	if len(c.mem.open) != 0 || len(c.last) != 0 {
		t.Errorf("a stopped container's files kept: %d open, %d remembered", len(c.mem.open), len(c.last))
	}
}
