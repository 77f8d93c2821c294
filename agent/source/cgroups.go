package source

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/sample"
	"github.com/kwarden/kwarden/internal/rereader"
)

// cgroupMemory reads containers' memory cgroups: usage, and the working
// set as cAdvisor (and so container_memory_working_set_bytes) defines
// it, usage minus inactive file pages.
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
type cgroupMemory struct {
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

func (m *cgroupMemory) root() string {
	if m.CgroupRoot == "" {
		return "/sys/fs/cgroup"
	}
	return m.CgroupRoot
}

// errGone reports a cgroup that went with its container: not a failure
// of the source.
var errGone = errors.New("cgroup gone")

// Of returns the memory of container id, whose cgroups are cg. A cgroup
// that is not there (the container is gone, or its cgroup is not
// mounted here) is errGone; files that cannot be opened or read for
// another reason (EMFILE) are that error, and are tried again next time.
func (m *cgroupMemory) Of(id string, cg containers.Cgroups) (sample.Memory, error) {
	f := m.open[id]
	if f != nil && f.cg != cg {
		m.Forget(id) // the container was restarted into new cgroups
		f = nil
	}
	if f == nil {
		var err error
		if f, err = m.openFiles(cg); err != nil {
			return sample.Memory{}, err
		}
		if m.open == nil {
			m.open = map[string]*cgroupFiles{}
		}
		m.open[id] = f
	}
	usage, err := readUint(f.usage)
	if err == nil && m.statDue(f, usage) {
		f.inactive, err = statValue(f.stat, f.statKey)
		f.statUsage, f.statAt, f.statRead = usage, m.clock(), true
	}
	if err != nil {
		// A removed cgroup answers ENODEV: drop the files and open
		// afresh next time.
		m.Forget(id)
		if errors.Is(err, syscall.ENODEV) || errors.Is(err, fs.ErrNotExist) {
			return sample.Memory{}, errGone
		}
		return sample.Memory{}, err
	}
	mem := sample.Memory{Usage: usage}
	if f.inactive < usage {
		mem.WorkingSet = usage - f.inactive
	}
	return mem, nil
}

// statDue says whether memory.stat must be read again.
func (m *cgroupMemory) statDue(f *cgroupFiles, usage uint64) bool {
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

func (m *cgroupMemory) clock() time.Time {
	if m.now != nil {
		return m.now()
	}
	return time.Now()
}

// openFiles opens the v1 memory controller's files when the container
// has a v1 memory cgroup (this build machine), else the v2 ones (the
// appliance).
func (m *cgroupMemory) openFiles(cg containers.Cgroups) (*cgroupFiles, error) {
	err := errGone
	if cg.MemPath != "" {
		var f *cgroupFiles
		dir := filepath.Join(m.root(), "memory", cg.MemPath)
		if f, err = openPair(dir, "memory.usage_in_bytes", "total_inactive_file", cg); err == nil {
			return f, nil
		}
	}
	// The unified hierarchy only when there is no v1 memory cgroup: a
	// failure to open that one (EMFILE) must not pass for a cgroup gone.
	if cg.V2Path != "" && errors.Is(err, errGone) {
		return openPair(filepath.Join(m.root(), cg.V2Path), "memory.current", "inactive_file", cg)
	}
	return nil, err
}

func openPair(dir, usageFile, statKey string, cg containers.Cgroups) (*cgroupFiles, error) {
	u, err := rereader.Open(filepath.Join(dir, usageFile))
	if err != nil {
		return nil, gone(err)
	}
	s, err := rereader.Open(filepath.Join(dir, "memory.stat"))
	if err != nil {
		u.Close()
		return nil, gone(err)
	}
	return &cgroupFiles{cg: cg, usage: u, stat: s, statKey: statKey}, nil
}

// gone says errGone for a cgroup that is not there.
func gone(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENODEV) {
		return errGone
	}
	return err
}

// Forget closes container id's files, if open.
func (m *cgroupMemory) Forget(id string) {
	if f := m.open[id]; f != nil {
		f.usage.Close()
		f.stat.Close()
		delete(m.open, id)
	}
}

// Close closes every open file.
func (m *cgroupMemory) Close() {
	for id := range m.open {
		m.Forget(id)
	}
}

func readUint(f *rereader.File) (uint64, error) {
	b, err := f.Read()
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
}

// statValue finds key's value in a memory.stat; a missing key is 0 (an
// empty cgroup may omit lines), a missing file is not.
func statValue(f *rereader.File, key string) (uint64, error) {
	b, err := f.Read()
	if err != nil {
		return 0, err
	}
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		k, v, found := bytes.Cut(line, []byte{' '})
		if found && string(k) == key {
			n, _ := strconv.ParseUint(string(v), 10, 64)
			return n, nil
		}
	}
	return 0, nil
}

// Cgroups reads the running containers' memory cgroups each tick: the
// usage, and memory.stat (for the working set) when the usage drifted
// (cgroupMemory). A read fails when a container's files that should be
// there cannot be read (the daemon out of descriptors, say); a container
// whose cgroups are not known yet, or went, is not a failure.
//
// Fill reads a container's usage again only when its processes did
// something since the last read (CPU time, resident memory, I/O or
// their number changed) or the last read is IdleMaxAge old: most of a
// course's containers sleep, and the usage read was a quarter of a
// tick's cost at 200 containers. An idle container's memory can be that
// old; page cache the kernel reclaims from it shows within IdleMaxAge.
type Cgroups struct {
	*Meter
	mem cgroupMemory
	// IdleMaxAge bounds how old an idle container's memory may be; 0
	// means 5 s.
	IdleMaxAge time.Duration
	last       map[string]lastRead
}

// lastRead is a container's memory at its last read, and the activity
// of its processes then.
type lastRead struct {
	mem      sample.Memory
	activity activity
	at       time.Time
}

// activity is what changes when a container's processes do anything,
// and (for the scrape's stats) its memory cgroup as the tick last read
// it, which Fill, setting it, leaves out.
type activity struct {
	cpuNs, rss, read, write uint64
	processes               int
	cg                      containers.Cgroups
	memUsage, workingSet    uint64
}

func activityOf(f *sample.Figures) activity {
	return activity{cpuNs: f.CPUNs, rss: f.RSSBytes, read: f.ReadBytes, write: f.WriteBytes, processes: f.Processes, cg: f.Cgroups,
		memUsage: f.MemUsageBytes, workingSet: f.WorkingSetBytes}
}

// Fill sets the memory of every running container of figs, reading its
// cgroup when it was active or its last read is old (above), and
// forgets the others. Not safe for concurrent use.
func (c *Cgroups) Fill(figs []sample.Figures) error {
	start := time.Now()
	maxAge := c.IdleMaxAge
	if maxAge <= 0 {
		maxAge = 5 * time.Second
	}
	if c.last == nil {
		c.last = map[string]lastRead{}
	}
	running := make(map[string]bool, len(figs))
	var failed, total int
	var first error
	for i := range figs {
		f := &figs[i]
		if !f.Running || f.Cgroups == (containers.Cgroups{}) {
			continue
		}
		total++
		running[f.ID] = true
		act := activityOf(f)
		act.memUsage, act.workingSet = 0, 0 // what Fill sets
		if l, ok := c.last[f.ID]; ok && l.activity == act && start.Sub(l.at) < maxAge {
			f.MemUsageBytes, f.WorkingSetBytes = l.mem.Usage, l.mem.WorkingSet
			continue
		}
		m, err := c.mem.Of(f.ID, f.Cgroups)
		switch {
		case err == nil:
			f.MemUsageBytes, f.WorkingSetBytes = m.Usage, m.WorkingSet
			c.last[f.ID] = lastRead{mem: m, activity: act, at: start}
		case errors.Is(err, errGone):
			delete(c.last, f.ID)
		default:
			delete(c.last, f.ID)
			if failed++; first == nil {
				first = fmt.Errorf("container %.12s: %w", f.ID, err)
			}
		}
	}
	c.forget(running)
	var err error
	if failed > 0 {
		err = fmt.Errorf("memory files of %d of %d running containers unreadable: %w", failed, total, first)
	}
	return c.observe(start, err)
}

// forget closes the files of the containers not running.
func (c *Cgroups) forget(running map[string]bool) {
	for id := range c.mem.open {
		if !running[id] {
			c.mem.Forget(id)
		}
	}
	for id := range c.last {
		if !running[id] {
			delete(c.last, id)
		}
	}
}

// NewCgroups reads below root ("" for /sys/fs/cgroup).
func NewCgroups(root string) *Cgroups {
	return &Cgroups{Meter: newMeter("cgroups"), mem: cgroupMemory{CgroupRoot: root}}
}

// Close closes every open file.
func (c *Cgroups) Close() error {
	c.mem.Close()
	return nil
}
