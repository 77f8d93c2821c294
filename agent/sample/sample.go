// Package sample turns one read of a kernel view, Docker's container list
// and the containers' memory cgroups (read by agent/source) into
// per-container figures: CPU % over the last interval, memory (the
// processes' RSS, and the cgroup's usage and working set as cAdvisor
// defines it), I/O, process counts and the course's high/low class. It
// computes; it reads nothing.
//
// CPU % is Δ CPU time ÷ Δ wall time between two samples, never since the
// start (a known bug of earlier course modules). A container's CPU time
// is the sum over its live processes plus the final CPU time of those
// that exited, which the eBPF exit stream reports; without that stream
// the time of processes that exit between two samples is lost and the
// rate is clamped at zero rather than going negative.
package sample

import (
	"slices"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/internal/snapshot"
)

// Thresholds classify containers: high when CPU % or RAM % exceeds its
// threshold (the course used 1.3 % / 2.0 %, and 20 % / 20 %).
type Thresholds struct {
	CPUPercent float64 `json:"cpu_percent"`
	RAMPercent float64 `json:"ram_percent"`
}

// Classes.
const (
	High = apiv1.ClassHigh
	Low  = apiv1.ClassLow
)

// Figures are one container's figures at one sample (the API's wire
// type).
type Figures = apiv1.ContainerFigures

// Exit is a process's final CPU time, from the eBPF exit stream.
type Exit struct {
	Key      snapshot.Key
	CgroupID uint64
	MemcgID  uint64
	CPUNs    uint64
	ExitNs   uint64
}

// Sampler keeps what rates need between samples. Not safe for
// concurrent use: the daemon's loop owns it.
type Sampler struct {
	Thresholds Thresholds

	prev       map[string]point
	pending    []Exit
	exitedCPU  map[string]uint64 // container id → CPU of exited processes
	exitedKeys map[snapshot.Key]bool
	index      index
	// Scratch maps, cleared and reused by every Sample.
	byID   map[string]*Figures
	listed map[snapshot.Key]bool
}

type point struct {
	cpu uint64
	at  uint64 // CLOCK_BOOTTIME ns
}

// index maps cgroup ids to container ids.
type index struct{ v2, mem map[uint64]string }

// build fills ix from cs, reusing its maps.
func (ix *index) build(cs []containers.Container) {
	if ix.v2 == nil {
		ix.v2, ix.mem = map[uint64]string{}, map[uint64]string{}
	}
	clear(ix.v2)
	clear(ix.mem)
	for _, c := range cs {
		if c.Cgroups.V2ID != 0 {
			ix.v2[c.Cgroups.V2ID] = c.ID
		}
		if c.Cgroups.MemID != 0 {
			ix.mem[c.Cgroups.MemID] = c.ID
		}
	}
}

// of returns the container a process (by its cgroup ids) belongs to.
func (ix index) of(v2, mem uint64) (string, bool) {
	if id, ok := ix.v2[v2]; ok && v2 != 0 {
		return id, true
	}
	id, ok := ix.mem[mem]
	return id, ok && mem != 0
}

// Exited records a process's final figures; Sample applies it once the
// snapshot it belongs after has been taken.
func (s *Sampler) Exited(e Exit) { s.pending = append(s.pending, e) }

// Memory is a container's memory cgroup at one read: its usage and
// working set (usage − inactive file pages, cAdvisor's definition).
type Memory struct {
	Usage, WorkingSet uint64
}

// Sample computes the figures of every container in cs from ps;
// memTotal is the machine's memory, for RAM %. The memory cgroup's
// figures (MemUsageBytes, WorkingSetBytes) are left for the caller to
// fill (source.Cgroups.Fill): reading them is I/O, Sample only counts.
func (s *Sampler) Sample(ps *snapshot.Processes, cs []containers.Container, memTotal uint64) []Figures {
	if s.prev == nil {
		s.prev, s.exitedCPU, s.exitedKeys = map[string]point{}, map[string]uint64{}, map[snapshot.Key]bool{}
		s.byID, s.listed = map[string]*Figures{}, map[snapshot.Key]bool{}
	}
	s.index.build(cs)
	// Exits up to the snapshot's start: their final time joins the
	// container's, and their zombies (still listed) are not counted live.
	keep := s.pending[:0]
	for _, e := range s.pending {
		if e.ExitNs > ps.TimeNs {
			keep = append(keep, e)
			continue
		}
		if id, ok := s.index.of(e.CgroupID, e.MemcgID); ok {
			s.exitedCPU[id] += e.CPUNs
		}
		s.exitedKeys[e.Key] = true
	}
	s.pending = keep

	byID := s.byID
	clear(byID)
	out := make([]Figures, len(cs))
	for i, c := range cs {
		out[i].Container = c
		byID[c.ID] = &out[i]
	}
	listed := s.listed
	clear(listed)
	for i := range ps.Processes {
		p := &ps.Processes[i]
		if s.exitedKeys[p.Key()] {
			listed[p.Key()] = true
			continue
		}
		id, ok := s.index.of(p.CgroupID, p.MemCgroupID)
		if !ok {
			continue
		}
		f := byID[id]
		if f == nil {
			continue
		}
		f.Processes++
		f.Threads += int(p.Threads)
		countTasks(&f.Tasks, p)
		f.CPUNs += p.CPUNs
		f.RSSBytes += p.RSSBytes()
		f.VSZBytes += p.VSZBytes
		f.ReadBytes += p.ReadBytes
		f.WriteBytes += p.WriteBytes
	}
	// Reaped zombies leave the list of exited keys.
	for k := range s.exitedKeys {
		if !listed[k] {
			delete(s.exitedKeys, k)
		}
	}
	for i := range out {
		f := &out[i]
		f.CPUNs += s.exitedCPU[f.ID]
		if memTotal > 0 {
			f.RAMPercent = 100 * float64(f.RSSBytes) / float64(memTotal)
		}
		if prev, ok := s.prev[f.ID]; ok && ps.TimeNs > prev.at && f.CPUNs >= prev.cpu {
			f.CPUPercent = 100 * float64(f.CPUNs-prev.cpu) / float64(ps.TimeNs-prev.at)
			f.Class = s.classify(f)
		}
		if f.Running {
			s.prev[f.ID] = point{cpu: f.CPUNs, at: ps.TimeNs}
		}
	}
	// Forget rates of containers no longer listed.
	for id := range s.prev {
		if byID[id] == nil {
			delete(s.prev, id)
			delete(s.exitedCPU, id)
		}
	}
	slices.SortFunc(out, func(a, b Figures) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (s *Sampler) classify(f *Figures) string {
	if f.CPUPercent > s.Thresholds.CPUPercent || f.RAMPercent > s.Thresholds.RAMPercent {
		return High
	}
	return Low
}

// Interval is the wall time between two samples' starts.
func Interval(a, b *snapshot.Processes) time.Duration { return time.Duration(b.TimeNs - a.TimeNs) }

// countTasks adds p's threads to t: those running by the view's count,
// the others in the state of the process.
func countTasks(t *apiv1.TaskStates, p *snapshot.Process) {
	running := min(int(p.Running), int(p.Threads))
	t.Running += running
	rest := int(p.Threads) - running
	switch p.State {
	case "D":
		t.Uninterruptible += rest
	case "T", "t":
		t.Stopped += rest
	case "R":
		// A leader in R whose threads the view did not count as running
		// (the procfs walker counts none): they are running.
		t.Running += rest
	default:
		t.Sleeping += rest
	}
}
