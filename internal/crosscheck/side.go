package crosscheck

import (
	"cmp"
	"slices"
	"sort"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// side is one view prepared for the merge join: its records in key order
// and its read window made well-formed.
type side struct {
	name       string
	start, end uint64
	slack      uint64
	ps         []snapshot.Process
	// order indexes ps in (PID, StartTimeNs) order, ties in input order
	// so that the first of duplicated records wins. It is nil when ps is already in
	// key order, which both sources produce (they walk pids upwards), so
	// the common case allocates nothing.
	order []int
}

func newSide(v *View) *side {
	s := &side{
		name:  v.Name,
		start: v.StartNs,
		end:   max(v.StartNs, v.EndNs),
		slack: v.RSSSlackBytes,
		ps:    v.Processes,
	}
	if !sortedByKey(s.ps) {
		s.order = make([]int, len(s.ps))
		for i := range s.order {
			s.order[i] = i
		}
		// Ties broken by position: stable, and faster than a stable sort.
		slices.SortFunc(s.order, func(i, j int) int {
			if c := cmpKey(&s.ps[i], &s.ps[j]); c != 0 {
				return c
			}
			return cmp.Compare(i, j)
		})
	}
	return s
}

// cmpKey orders processes by pid, then start time: the order of the merge
// and of every list in a Result.
func cmpKey(x, y *snapshot.Process) int {
	if c := cmp.Compare(x.PID, y.PID); c != 0 {
		return c
	}
	return cmp.Compare(x.StartTimeNs, y.StartTimeNs)
}

func sortedByKey(ps []snapshot.Process) bool {
	for i := 1; i < len(ps); i++ {
		if cmpKey(&ps[i-1], &ps[i]) > 0 {
			return false
		}
	}
	return true
}

func (s *side) len() int { return len(s.ps) }

// at returns the i-th record in key order.
func (s *side) at(i int) *snapshot.Process {
	if s.order == nil {
		return &s.ps[i]
	}
	return &s.ps[s.order[i]]
}

// runEnd returns the position after the records that share the key at i.
func (s *side) runEnd(i int) int {
	j := i + 1
	for j < s.len() && cmpKey(s.at(i), s.at(j)) == 0 {
		j++
	}
	return j
}

// byPID returns the record with this pid, or nil. If the view lists the
// pid more than once (reused during the read) it returns the latest start,
// the process that holds the pid now.
func (s *side) byPID(pid int32) *snapshot.Process {
	i := sort.Search(s.len(), func(k int) bool { return s.at(k).PID > pid })
	if i == 0 || s.at(i-1).PID != pid {
		return nil
	}
	return s.at(i - 1)
}
