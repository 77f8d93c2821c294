package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// procCgroups is the parsed /proc/<pid>/cgroup: the path of each v1
// hierarchy by controller, and the v2 (unified) path.
type procCgroups struct {
	v1      map[string]string // "memory" -> "/docker/<id>"; a joint "cpu,cpuacct" line gives both names
	unified string            // the "0::" line's path; "" when there is none
}

// parseProcCgroup parses the contents of /proc/<pid>/cgroup
// (hierarchy-id:controllers:path per line).
func parseProcCgroup(b []byte) (procCgroups, error) {
	pc := procCgroups{v1: map[string]string{}}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			return pc, fmt.Errorf("parse cgroup: line %q", line)
		}
		if f[0] == "0" && f[1] == "" {
			pc.unified = f[2]
			continue
		}
		for _, c := range strings.Split(f[1], ",") {
			pc.v1[c] = f[2]
		}
	}
	return pc, nil
}

// parseFlatKeyed parses a flat keyed file (memory.stat, cpu.stat: "key
// value" per line) into a map.
func parseFlatKeyed(b []byte) (map[string]uint64, error) {
	m := map[string]uint64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("parse keyed file: line %q", line)
		}
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse keyed file: %s: %w", f[0], err)
		}
		m[f[0]] = v
	}
	return m, nil
}

// cgroupTruth reads a container's own cgroup files: the ground truth
// both daemons are judged against.
type cgroupTruth struct {
	v2        bool
	cpuDir    string // v1: the cpuacct hierarchy's directory; v2: the cgroup's
	memoryDir string
}

// truth is one reading of the cgroup files.
type truth struct {
	cpuNs      uint64 // v1 cpuacct.usage; v2 cpu.stat usage_usec × 1000
	workingSet uint64 // usage − inactive file: v1 memory.usage_in_bytes − total_inactive_file; v2 memory.current − inactive_file
	rss        uint64 // v1 memory.stat total_rss (rss if absent); v2 anon
}

// newCgroupTruth finds the cgroups of process pid (a container's first
// process) below root (/sys/fs/cgroup): the v1 cpuacct and memory
// hierarchies when they are mounted there, as on a hybrid host, else
// the unified hierarchy.
func newCgroupTruth(proc procFS, root string, pid int) (*cgroupTruth, error) {
	b, err := proc.file(pid, "cgroup")
	if err != nil {
		return nil, fmt.Errorf("read cgroup of %d: %w", pid, err)
	}
	pc, err := parseProcCgroup(b)
	if err != nil {
		return nil, err
	}
	if mem, ok := pc.v1["memory"]; ok {
		t := &cgroupTruth{memoryDir: filepath.Join(root, "memory", mem)}
		cpu, ok := pc.v1["cpuacct"]
		if !ok {
			return nil, fmt.Errorf("pid %d: a v1 memory cgroup but no cpuacct one", pid)
		}
		// cpuacct is mounted alone or jointly with cpu, under either name.
		for _, m := range []string{"cpuacct", "cpu,cpuacct", "cpuacct,cpu"} {
			if d := filepath.Join(root, m, cpu); exists(filepath.Join(d, "cpuacct.usage")) {
				t.cpuDir = d
				break
			}
		}
		if t.cpuDir == "" || !exists(filepath.Join(t.memoryDir, "memory.usage_in_bytes")) {
			return nil, fmt.Errorf("pid %d: v1 cgroups cpuacct:%s memory:%s not found below %s", pid, cpu, mem, root)
		}
		return t, nil
	}
	if pc.unified == "" {
		return nil, fmt.Errorf("pid %d: neither a v1 memory cgroup nor a unified one", pid)
	}
	d := filepath.Join(root, pc.unified)
	if !exists(filepath.Join(d, "memory.current")) {
		return nil, fmt.Errorf("pid %d: %s has no memory.current", pid, d)
	}
	return &cgroupTruth{v2: true, cpuDir: d, memoryDir: d}, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// cpu reads the CPU counter now, in ns.
func (c *cgroupTruth) cpu() (uint64, error) {
	if c.v2 {
		cs, err := readKeyed(filepath.Join(c.cpuDir, "cpu.stat"))
		if err != nil {
			return 0, err
		}
		return cs["usage_usec"] * 1000, nil
	}
	return readUint(filepath.Join(c.cpuDir, "cpuacct.usage"))
}

// read reads the figures now.
func (c *cgroupTruth) read() (truth, error) {
	var t truth
	var err error
	if t.cpuNs, err = c.cpu(); err != nil {
		return t, err
	}
	stat, err := readKeyed(filepath.Join(c.memoryDir, "memory.stat"))
	if err != nil {
		return t, err
	}
	usageFile, inactiveKey := "memory.usage_in_bytes", "total_inactive_file"
	if c.v2 {
		usageFile, inactiveKey = "memory.current", "inactive_file"
	}
	usage, err := readUint(filepath.Join(c.memoryDir, usageFile))
	if err != nil {
		return t, err
	}
	t.workingSet = sub(usage, stat[inactiveKey])
	switch rss, ok := stat["total_rss"]; {
	case c.v2:
		t.rss = stat["anon"]
	case ok:
		t.rss = rss
	default:
		t.rss = stat["rss"]
	}
	return t, nil
}

func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

func readKeyed(path string) (map[string]uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read cgroup file: %w", err)
	}
	m, err := parseFlatKeyed(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func readUint(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read cgroup file: %w", err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// cpuPoint is one reading of a cgroup's CPU counter.
type cpuPoint struct {
	at time.Time
	ns uint64
}

// cpuLog is a cgroup's CPU counter read every so often, in time order:
// the truth at a daemon's own sample time is interpolated from it.
type cpuLog []cpuPoint

// at is the counter at t, interpolated linearly between the readings
// around it; false when t is outside the log.
func (l cpuLog) at(t time.Time) (float64, bool) {
	i, _ := slices.BinarySearchFunc(l, t, func(p cpuPoint, t time.Time) int { return p.at.Compare(t) })
	switch {
	case i < len(l) && l[i].at.Equal(t):
		return float64(l[i].ns), true
	case i == 0 || i == len(l):
		return 0, false
	}
	a, b := l[i-1], l[i]
	f := float64(t.Sub(a.at)) / float64(b.at.Sub(a.at))
	return float64(a.ns) + f*(float64(b.ns)-float64(a.ns)), true
}
