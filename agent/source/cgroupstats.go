package source

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/internal/rereader"
)

// CgroupStats are the cgroup figures of a container (or of the root
// cgroup, the whole machine) that only /metrics needs, for cAdvisor's
// names with cAdvisor's meanings: memory.stat's rss is
// container_memory_rss, and so on (docs/api.md lists them).
type CgroupStats struct {
	// CPUUsage, CPUUser and CPUSystem are CPU time in seconds. CPUUsage
	// is read for the root only: a container's comes from the kernel
	// views (exited processes included), which match the cgroup's own
	// count within 0.5 %.
	CPUUsage, CPUUser, CPUSystem float64
	// MemUsage and WorkingSet are read for the root only (a container's
	// come with every tick).
	MemUsage, WorkingSet uint64
	// RSS, Cache, MappedFile and Swap are memory.stat's (v1 total_rss …;
	// v2 anon, file, file_mapped, and memory.swap.current).
	RSS, Cache, MappedFile, Swap uint64
	// Failcnt counts the hits of the memory limit; MaxUsage is the peak
	// usage; OOMKills the processes the OOM killer killed in it.
	Failcnt, MaxUsage, OOMKills uint64
	// MemoryLimit is the memory limit, 0 when unlimited.
	MemoryLimit uint64
	// CPUShares, CPUPeriod (µs) and CPUQuota (µs, 0: none) are the CPU
	// spec; HasCPUSpec says they were read.
	CPUShares, CPUPeriod, CPUQuota uint64
	HasCPUSpec                     bool
	// IO is what it read and wrote per block device.
	IO []DeviceIO
	// CPUPressure, MemoryPressure and IOPressure are v2's stall times;
	// nil on v1.
	CPUPressure, MemoryPressure, IOPressure *Pressure
}

// StatsReader reads CgroupStats when /metrics is scraped, not every
// tick: only a scrape wants them, and reading five files of each of 200
// containers every second would cost more than the rest of the tick.
// The files are opened and closed each time (a scrape comes every 15 s
// or so, and keeping eight files open per container would take a few
// thousand descriptors); the spec (limits, shares, quota), which only
// docker update changes, is read again once a minute. A container
// whose tick figures (its processes' CPU time, memory, I/O and number,
// and its cgroup usage and working set) did not change since the last
// scrape keeps that scrape's stats, for up to statsMaxAge: most of a
// course's containers sleep, and their files were most of a scrape's
// cost. (cAdvisor's dynamic housekeeping, its default, likewise reads an
// unchanging container less often, down to once a minute.) Safe for
// concurrent use: scrapes are serialised.
type StatsReader struct {
	*Meter
	root string
	v2   bool

	mu      sync.Mutex
	spec    map[string]specEntry // by cgroup path
	devices map[string]string    // "8:0" → "/dev/sda"
	now     func() time.Time
	buf     []byte                // for read
	last    map[string]statsEntry // by container id
}

// statsEntry is a container's stats at its last read, and its tick
// figures then.
type statsEntry struct {
	stats CgroupStats
	act   activity
	at    time.Time
}

// statsMaxAge bounds how old an idle container's stats may be.
const statsMaxAge = time.Minute

type specEntry struct {
	at                           time.Time
	limit, shares, period, quota uint64
	hasCPU                       bool
}

// specMaxAge is how long a container's spec is trusted.
const specMaxAge = time.Minute

// NewStatsReader reads below root ("" for /sys/fs/cgroup), on the v1
// hierarchies when a v1 memory controller is mounted (a hybrid host),
// else on the unified one.
func NewStatsReader(root string) *StatsReader {
	if root == "" {
		root = "/sys/fs/cgroup"
	}
	_, err := os.Stat(filepath.Join(root, "memory"))
	return &StatsReader{Meter: newMeter("cgroupstats"), root: root, v2: err != nil,
		spec: map[string]specEntry{}, devices: map[string]string{}, last: map[string]statsEntry{}, now: time.Now}
}

// Read returns the stats of each running container of cs (by id) and
// of the root cgroup; cs are the last tick's figures. A container whose
// cgroup is gone is left out; a file that cannot be read for another
// reason fails the read (which says how many), the rest is still
// returned.
func (r *StatsReader) Read(cs []apiv1.ContainerFigures) (map[string]CgroupStats, CgroupStats, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := r.now()
	out := make(map[string]CgroupStats, len(cs))
	var failed int
	var first error
	seen := map[string]bool{}
	ids := map[string]bool{}
	for i := range cs {
		c := &cs[i]
		p := cgroupPath(c.Container)
		if !c.Running || p == "" {
			continue
		}
		seen[p], ids[c.ID] = true, true
		act := activityOf(c)
		if e, ok := r.last[c.ID]; ok && e.act == act && start.Sub(e.at) < statsMaxAge {
			out[c.ID] = e.stats
			continue
		}
		delete(r.last, c.ID)
		st, err := r.container(p)
		switch {
		case err == nil:
			out[c.ID] = st
			r.last[c.ID] = statsEntry{stats: st, act: act, at: start}
		case errors.Is(err, errGone):
		default:
			if failed++; first == nil {
				first = fmt.Errorf("container %.12s: %w", c.ID, err)
			}
		}
	}
	for p := range r.spec {
		if !seen[p] {
			delete(r.spec, p)
		}
	}
	for id := range r.last {
		if !ids[id] {
			delete(r.last, id)
		}
	}
	root, err := r.machine()
	if err != nil && first == nil {
		first = fmt.Errorf("root cgroup: %w", err)
		failed++
	}
	if failed > 0 {
		err = fmt.Errorf("cgroup stats of %d cgroups unreadable: %w", failed, first)
	}
	return out, root, r.observe(start, err)
}

// cgroupPath is the container's cgroup below each controller's root:
// the memory controller's (v1), or the unified one (v2).
func cgroupPath(c apiv1.Container) string {
	if c.Cgroups.MemPath != "" {
		return c.Cgroups.MemPath
	}
	return c.Cgroups.V2Path
}

// read reads one file into the reader's buffer (valid until the next
// read: each is parsed at once), errGone when it (and so the cgroup) is
// not there.
func (r *StatsReader) read(path string) ([]byte, error) {
	b, err := rereader.ReadFile(path, &r.buf)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, os.ErrNotExist) {
		return nil, errGone
	}
	return b, gone(err)
}

// optional reads a file that a kernel may not have (memory.peak before
// 5.19, the pressure files without PSI): absent is nil, nil.
func (r *StatsReader) optional(path string) ([]byte, error) {
	b, err := r.read(path)
	if errors.Is(err, errGone) {
		return nil, nil
	}
	return b, err
}

func (r *StatsReader) container(p string) (CgroupStats, error) {
	if r.v2 {
		return r.v2Stats(filepath.Join(r.root, p), p)
	}
	return r.v1Stats(p)
}

func (r *StatsReader) v1Stats(p string) (CgroupStats, error) {
	var st CgroupStats
	mem := filepath.Join(r.root, "memory", p)
	b, err := r.read(filepath.Join(mem, "memory.stat"))
	if err != nil {
		return st, err
	}
	kv := keyValues(b, "total_rss", "total_cache", "total_mapped_file", "total_swap")
	st.RSS, st.Cache, st.MappedFile, st.Swap = kv["total_rss"], kv["total_cache"], kv["total_mapped_file"], kv["total_swap"]
	for file, dst := range map[string]*uint64{"memory.failcnt": &st.Failcnt, "memory.max_usage_in_bytes": &st.MaxUsage} {
		if b, err = r.read(filepath.Join(mem, file)); err != nil {
			return st, err
		}
		*dst, _ = parseUint(b)
	}
	if b, err = r.optional(filepath.Join(mem, "memory.oom_control")); err != nil {
		return st, err
	}
	st.OOMKills = keyValues(b, "oom_kill")["oom_kill"]
	if b, err = r.read(filepath.Join(r.root, "cpuacct", p, "cpuacct.stat")); err != nil {
		return st, err
	}
	kv = keyValues(b, "user", "system")
	st.CPUUser, st.CPUSystem = float64(kv["user"])/procfs.UserHZ, float64(kv["system"])/procfs.UserHZ
	if b, err = r.optional(filepath.Join(r.root, "blkio", p, "blkio.throttle.io_service_bytes")); err != nil {
		return st, err
	}
	st.IO = r.named(parseBlkioV1(b))
	spec, err := r.specOf(p, func(e *specEntry) error {
		b, err := r.read(filepath.Join(mem, "memory.limit_in_bytes"))
		if err != nil {
			return err
		}
		e.limit, _ = parseUint(b)
		cpu := filepath.Join(r.root, "cpu", p)
		if b, err = r.optional(filepath.Join(cpu, "cpu.shares")); err != nil || b == nil {
			return err
		}
		e.shares, _ = parseUint(b)
		b, _ = r.optional(filepath.Join(cpu, "cpu.cfs_period_us"))
		e.period, _ = parseUint(b)
		b, _ = r.optional(filepath.Join(cpu, "cpu.cfs_quota_us"))
		e.quota, _ = parseUint(b) // -1 (no quota) does not parse: 0
		e.hasCPU = true
		return nil
	})
	if err != nil {
		return st, err
	}
	st.setSpec(spec)
	return st, nil
}

func (r *StatsReader) v2Stats(dir, p string) (CgroupStats, error) {
	var st CgroupStats
	b, err := r.read(filepath.Join(dir, "memory.stat"))
	if err != nil {
		return st, err
	}
	kv := keyValues(b, "anon", "file", "file_mapped")
	st.RSS, st.Cache, st.MappedFile = kv["anon"], kv["file"], kv["file_mapped"]
	if b, err = r.optional(filepath.Join(dir, "memory.swap.current")); err != nil {
		return st, err
	}
	st.Swap, _ = parseUint(b)
	if b, err = r.optional(filepath.Join(dir, "memory.events")); err != nil {
		return st, err
	}
	kv = keyValues(b, "max", "oom_kill")
	st.Failcnt, st.OOMKills = kv["max"], kv["oom_kill"]
	if b, err = r.optional(filepath.Join(dir, "memory.peak")); err != nil {
		return st, err
	}
	st.MaxUsage, _ = parseUint(b)
	if b, err = r.read(filepath.Join(dir, "cpu.stat")); err != nil {
		return st, err
	}
	kv = keyValues(b, "usage_usec", "user_usec", "system_usec")
	st.CPUUsage, st.CPUUser, st.CPUSystem = float64(kv["usage_usec"])/1e6, float64(kv["user_usec"])/1e6, float64(kv["system_usec"])/1e6
	if b, err = r.optional(filepath.Join(dir, "io.stat")); err != nil {
		return st, err
	}
	st.IO = r.named(parseIOStatV2(b))
	for file, dst := range map[string]**Pressure{"cpu.pressure": &st.CPUPressure, "memory.pressure": &st.MemoryPressure, "io.pressure": &st.IOPressure} {
		if b, err = r.optional(filepath.Join(dir, file)); err != nil {
			return st, err
		}
		if p, err := parsePressure(b); err == nil {
			*dst = &p
		}
	}
	if p == "" {
		return st, nil // the root has no spec
	}
	spec, err := r.specOf(p, func(e *specEntry) error {
		b, err := r.optional(filepath.Join(dir, "memory.max"))
		if err != nil {
			return err
		}
		e.limit, _ = parseUint(b) // "max" does not parse: 0, unlimited
		if b, err = r.optional(filepath.Join(dir, "cpu.weight")); err != nil || b == nil {
			return err
		}
		w, _ := parseUint(b)
		e.shares = weightToShares(w)
		b, _ = r.optional(filepath.Join(dir, "cpu.max"))
		e.quota, e.period, _ = parseCPUMax(b)
		e.hasCPU = true
		return nil
	})
	if err != nil {
		return st, err
	}
	st.setSpec(spec)
	return st, nil
}

func (st *CgroupStats) setSpec(e specEntry) {
	// Above 2^62 is the kernel's "unlimited" rounded to pages: 0, as
	// cAdvisor has it.
	if e.limit <= 1<<62 {
		st.MemoryLimit = e.limit
	}
	st.CPUShares, st.CPUPeriod, st.CPUQuota, st.HasCPUSpec = e.shares, e.period, e.quota, e.hasCPU
}

// specOf is p's spec, read again when older than specMaxAge.
func (r *StatsReader) specOf(p string, fill func(*specEntry) error) (specEntry, error) {
	now := r.now()
	if e, ok := r.spec[p]; ok && now.Sub(e.at) < specMaxAge {
		return e, nil
	}
	e := specEntry{at: now}
	if err := fill(&e); err != nil {
		return e, err
	}
	r.spec[p] = e
	return e, nil
}

// machine reads the root cgroup: the whole machine, as cAdvisor's id="/".
func (r *StatsReader) machine() (CgroupStats, error) {
	if r.v2 {
		st, err := r.v2Stats(r.root, "")
		if err != nil {
			return st, err
		}
		// The v2 root has no memory.current: the machine's use from
		// /proc/meminfo, its working set without the inactive file
		// pages memory.stat counts.
		b, err := os.ReadFile("/proc/meminfo")
		if err != nil {
			return st, err
		}
		m, err := procfs.ParseMeminfo(b)
		if err != nil {
			return st, err
		}
		st.MemUsage = m.MemTotal - m.MemFree
		b, _ = r.optional(filepath.Join(r.root, "memory.stat"))
		if inactive := keyValues(b, "inactive_file")["inactive_file"]; inactive < st.MemUsage {
			st.WorkingSet = st.MemUsage - inactive
		}
		return st, nil
	}
	var st CgroupStats
	mem := filepath.Join(r.root, "memory")
	b, err := r.read(filepath.Join(mem, "memory.stat"))
	if err != nil {
		return st, err
	}
	kv := keyValues(b, "total_rss", "total_cache", "total_mapped_file", "total_swap", "total_inactive_file")
	st.RSS, st.Cache, st.MappedFile, st.Swap = kv["total_rss"], kv["total_cache"], kv["total_mapped_file"], kv["total_swap"]
	if b, err = r.read(filepath.Join(mem, "memory.usage_in_bytes")); err != nil {
		return st, err
	}
	st.MemUsage, _ = parseUint(b)
	if inactive := kv["total_inactive_file"]; inactive < st.MemUsage {
		st.WorkingSet = st.MemUsage - inactive
	}
	acct := filepath.Join(r.root, "cpuacct")
	if b, err = r.read(filepath.Join(acct, "cpuacct.usage")); err != nil {
		return st, err
	}
	ns, _ := parseUint(b)
	st.CPUUsage = float64(ns) / 1e9
	if b, err = r.read(filepath.Join(acct, "cpuacct.stat")); err != nil {
		return st, err
	}
	kv = keyValues(b, "user", "system")
	st.CPUUser, st.CPUSystem = float64(kv["user"])/procfs.UserHZ, float64(kv["system"])/procfs.UserHZ
	b, _ = r.optional(filepath.Join(r.root, "blkio", "blkio.throttle.io_service_bytes"))
	st.IO = r.named(parseBlkioV1(b))
	return st, nil
}

// named names each device "/dev/<name>" from sysfs, as cAdvisor does;
// a device sysfs does not know keeps its major:minor.
func (r *StatsReader) named(ios []DeviceIO) []DeviceIO {
	for i := range ios {
		n, ok := r.devices[ios[i].Device]
		if !ok {
			n = ios[i].Device
			if b, err := os.ReadFile(filepath.Join("/sys/dev/block", ios[i].Device, "uevent")); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(line, "DEVNAME="); ok {
						n = "/dev/" + v
					}
				}
			}
			r.devices[ios[i].Device] = n
		}
		ios[i].Device = n
	}
	return ios
}
