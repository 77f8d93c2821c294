package sample

import (
	"bytes"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/internal/rereader"
)

// Memory reads containers' memory cgroups: usage, and the working set as
// cAdvisor (and so container_memory_working_set_bytes) defines it, usage
// minus inactive file pages.
//
// Two things keep it cheap at 200 containers and 1 s (measured on the
// build machine, where a system call costs microseconds):
//
//   - Each container's files stay open between samples and are read
//     again from the start (internal/rereader).
//   - The usage is read every sample, memory.stat (twice the usage's
//     cost) only when the usage moved by StatDrift since its last read,
//     or when that read is StatMaxAge old: inactive file pages are the
//     slow part of the working set, and a usage that has not moved has
//     rarely been recomposed.
//
// Not safe for concurrent use; Close releases the files.
type Memory struct {
	CgroupRoot string        // default /sys/fs/cgroup
	StatDrift  uint64        // default 1 MiB
	StatMaxAge time.Duration // default 5 s

	open map[string]*cgroupFiles // by container id
	now  func() time.Time        // tests move the clock
}

// cgroupFiles are one container's open memory files.
type cgroupFiles struct {
	cg      containers.Cgroups // what they were opened for
	usage   *rereader.File
	stat    *rereader.File
	statKey string // the inactive-file line of memory.stat

	// The last memory.stat read: the inactive file bytes, and the usage
	// and time it was read at.
	inactive  uint64
	statUsage uint64
	statAt    time.Time
	statRead  bool
}

func (m *Memory) root() string {
	if m.CgroupRoot == "" {
		return "/sys/fs/cgroup"
	}
	return m.CgroupRoot
}

// Of returns the usage and working set in bytes of container id, whose
// cgroups are cg; zeros when unreadable (the container is gone, or its
// cgroup is not mounted here).
func (m *Memory) Of(id string, cg containers.Cgroups) (usage, workingSet uint64) {
	f := m.open[id]
	if f != nil && f.cg != cg {
		m.Forget(id) // the container was restarted into new cgroups
		f = nil
	}
	if f == nil {
		if f = m.openFiles(cg); f == nil {
			return 0, 0
		}
		if m.open == nil {
			m.open = map[string]*cgroupFiles{}
		}
		m.open[id] = f
	}
	usage, ok := readUint(f.usage)
	if ok && m.statDue(f, usage) {
		f.inactive, ok = statValue(f.stat, f.statKey)
		f.statUsage, f.statAt, f.statRead = usage, m.clock(), true
	}
	if !ok {
		// A removed cgroup answers ENODEV: drop the files and open
		// afresh next time.
		m.Forget(id)
		return 0, 0
	}
	if f.inactive < usage {
		workingSet = usage - f.inactive
	}
	return usage, workingSet
}

// statDue says whether memory.stat must be read again.
func (m *Memory) statDue(f *cgroupFiles, usage uint64) bool {
	drift, age := m.StatDrift, m.StatMaxAge
	if drift == 0 {
		drift = 1 << 20
	}
	if age == 0 {
		age = 5 * time.Second
	}
	moved := max(usage, f.statUsage) - min(usage, f.statUsage)
	return !f.statRead || moved >= drift || m.clock().Sub(f.statAt) >= age
}

func (m *Memory) clock() time.Time {
	if m.now != nil {
		return m.now()
	}
	return time.Now()
}

// openFiles opens the v1 memory controller's files when the container
// has a v1 memory cgroup (this build machine), else the v2 ones (the
// appliance).
func (m *Memory) openFiles(cg containers.Cgroups) *cgroupFiles {
	var dir, usageFile, statKey string
	switch {
	case cg.MemPath != "":
		dir, usageFile, statKey = filepath.Join(m.root(), "memory", cg.MemPath), "memory.usage_in_bytes", "total_inactive_file"
		if f := openPair(dir, usageFile, statKey, cg); f != nil {
			return f
		}
		if cg.V2Path == "" {
			return nil
		}
		fallthrough
	case cg.V2Path != "":
		dir, usageFile, statKey = filepath.Join(m.root(), cg.V2Path), "memory.current", "inactive_file"
		return openPair(dir, usageFile, statKey, cg)
	}
	return nil
}

func openPair(dir, usageFile, statKey string, cg containers.Cgroups) *cgroupFiles {
	u, err := rereader.Open(filepath.Join(dir, usageFile))
	if err != nil {
		return nil
	}
	s, err := rereader.Open(filepath.Join(dir, "memory.stat"))
	if err != nil {
		u.Close()
		return nil
	}
	return &cgroupFiles{cg: cg, usage: u, stat: s, statKey: statKey}
}

// Forget closes container id's files, if open.
func (m *Memory) Forget(id string) {
	if f := m.open[id]; f != nil {
		f.usage.Close()
		f.stat.Close()
		delete(m.open, id)
	}
}

// Close closes every open file.
func (m *Memory) Close() {
	for id := range m.open {
		m.Forget(id)
	}
}

func readUint(f *rereader.File) (uint64, bool) {
	b, err := f.Read()
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
	return v, err == nil
}

// statValue finds key's value in a memory.stat; a missing key is 0 (an
// empty cgroup may omit lines), a missing file is not.
func statValue(f *rereader.File, key string) (uint64, bool) {
	b, err := f.Read()
	if err != nil {
		return 0, false
	}
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		k, v, found := bytes.Cut(line, []byte{' '})
		if found && string(k) == key {
			n, _ := strconv.ParseUint(string(v), 10, 64)
			return n, true
		}
	}
	return 0, true
}
