package guard

import (
	"slices"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/policy"
)

// windowTicks is how many ticks the averages and rates span.
const windowTicks = 5

// mark is a container's cumulative figures at one tick.
type mark struct {
	at                 time.Time
	cpuNs, read, write uint64
	workingSet, usage  uint64
}

// history keeps each running container's last windowTicks marks.
type history struct {
	marks map[string][]mark
}

func newHistory() *history { return &history{marks: map[string][]mark{}} }

// observe adds a tick, forgetting containers that no longer run.
func (h *history) observe(st *apiv1.State) {
	seen := make(map[string]bool, len(st.Containers))
	for i := range st.Containers {
		c := &st.Containers[i]
		if !c.Running {
			continue
		}
		seen[c.ID] = true
		ms := h.marks[c.ID]
		if n := len(ms); n > 0 && !st.Time.After(ms[n-1].at) {
			continue // the same tick again
		}
		ms = append(ms, mark{at: st.Time, cpuNs: c.CPUNs, read: c.ReadBytes, write: c.WriteBytes, workingSet: c.WorkingSetBytes, usage: c.MemUsageBytes})
		if len(ms) > windowTicks {
			ms = ms[len(ms)-windowTicks:]
		}
		h.marks[c.ID] = ms
	}
	for id := range h.marks {
		if !seen[id] {
			delete(h.marks, id)
		}
	}
}

// rates are a container's figures over its window.
type rates struct {
	cpuPct, readPS, writePS, wsGrowth, usageGrowth float64
	window                                         time.Duration
}

// rates over a container's window; ok is false with fewer than two marks.
func (h *history) rates(id string) (r rates, ok bool) {
	ms := h.marks[id]
	if len(ms) < 2 {
		return r, false
	}
	a, b := ms[0], ms[len(ms)-1]
	r.window = b.at.Sub(a.at)
	secs := r.window.Seconds()
	if secs <= 0 {
		return r, false
	}
	delta := func(x, y uint64) float64 {
		if y < x {
			return 0 // a counter that went back: a restart
		}
		return float64(y - x)
	}
	r.cpuPct = delta(a.cpuNs, b.cpuNs) / 1e9 / secs * 100
	r.readPS, r.writePS = delta(a.read, b.read)/secs, delta(a.write, b.write)/secs
	r.wsGrowth = (float64(b.workingSet) - float64(a.workingSet)) / secs
	r.usageGrowth = (float64(b.usage) - float64(a.usage)) / secs
	return r, true
}

// snapshot builds a round's input from a tick's state. protects marks
// the containers the enforcer will refuse.
func (h *history) snapshot(st *apiv1.State, round uint64, trig policy.Trigger, interval time.Duration, cpus int,
	pressure *policy.Pressure, protects func(id, name string, labels map[string]string) bool) *policy.Snapshot {
	s := &policy.Snapshot{
		Time: st.Time, Round: round, Trigger: trig, Interval: interval,
		System: policy.System{
			MemTotalBytes: st.System.MemTotalBytes, MemAvailableBytes: st.System.MemAvailBytes,
			MemUsedBytes: st.System.MemUsedBytes, CPUPercent: st.System.CPUPercent, CPUs: cpus, Pressure: pressure,
		},
	}
	for i := range st.Containers {
		c := &st.Containers[i]
		if !c.Running {
			continue
		}
		pc := policy.Container{
			ID: c.ID, Name: c.Name, Image: c.Image, Kind: c.Kind, Class: c.Class, Labels: c.Labels,
			Created: c.Created, Started: c.Started, Age: st.Time.Sub(c.Created),
			Processes: c.Processes, Threads: c.Threads, CPUPercent: c.CPUPercent, CPUPercentAvg: c.CPUPercent,
			RSSBytes: c.RSSBytes, VSZBytes: c.VSZBytes, MemUsageBytes: c.MemUsageBytes, WorkingSetBytes: c.WorkingSetBytes,
			RAMPercent: c.RAMPercent, ReadBytes: c.ReadBytes, WriteBytes: c.WriteBytes,
		}
		if r, ok := h.rates(c.ID); ok {
			pc.CPUPercentAvg, pc.ReadBytesPerSecond, pc.WriteBytesPerSecond = r.cpuPct, r.readPS, r.writePS
			pc.WorkingSetGrowth, pc.MemUsageGrowth = r.wsGrowth, r.usageGrowth
			s.Window = max(s.Window, r.window)
		}
		if protects != nil {
			pc.Protected = protects(c.ID, c.Name, c.Labels)
		}
		s.Containers = append(s.Containers, pc)
	}
	// Oldest first, as the protocol promises.
	sortByCreated(s.Containers)
	return s
}

func sortByCreated(cs []policy.Container) {
	slices.SortStableFunc(cs, func(a, b policy.Container) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
