package pressure

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/kwarden/kwarden/agent/policies/internal/reason"
	"github.com/kwarden/kwarden/agent/policy"
)

// candidate is a container the ranking chose, and why.
type candidate struct {
	c   *policy.Container
	why string
}

// measure is how a container's size is counted: its figure, its growth
// and the words for it.
type measure struct {
	name   string
	size   func(*policy.Container) uint64
	growth func(*policy.Container) float64
	words  string
}

var measures = []measure{
	{"usage", func(c *policy.Container) uint64 { return c.MemUsageBytes },
		func(c *policy.Container) float64 { return c.MemUsageGrowth }, "memory usage"},
	{"working_set", func(c *policy.Container) uint64 { return c.WorkingSetBytes },
		func(c *policy.Container) float64 { return c.WorkingSetGrowth }, "working set"},
}

func measureNamed(name string) (measure, bool) {
	for _, m := range measures {
		if m.name == name {
			return m, true
		}
	}
	return measure{}, false
}

// rank is oomd's order over the unprotected containers: those larger
// than SizeThresholdPercent of their total size, largest first; then,
// of the others at or above the GrowingSizePercentile-th percentile of
// sizes, those growing faster than MinGrowthBytesPerSecond, fastest
// first. Equal figures rank by id. Containers in neither group are not
// in the list.
func (p *Policy) rank(cs []policy.Container) []candidate {
	m, _ := measureNamed(p.Size) // Validate refused the others
	var pool []*policy.Container
	var total float64
	for i := range cs {
		if !cs[i].Protected {
			pool = append(pool, &cs[i])
			total += float64(m.size(&cs[i]))
		}
	}
	if len(pool) == 0 {
		return nil
	}

	bigLine := p.SizeThresholdPercent / 100 * total
	var big, rest []*policy.Container
	for _, c := range pool {
		if total > 0 && float64(m.size(c)) > bigLine {
			big = append(big, c)
		} else {
			rest = append(rest, c)
		}
	}
	slices.SortFunc(big, func(a, b *policy.Container) int {
		if c := cmp.Compare(m.size(b), m.size(a)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	var out []candidate
	for _, c := range big {
		out = append(out, candidate{c, fmt.Sprintf("%s %s is %.1f %% of the containers' %s, above %g %%: the largest",
			m.words, reason.Bytes(float64(m.size(c))), float64(m.size(c))/total*100, reason.Bytes(total), p.SizeThresholdPercent)})
	}

	cut := percentile(pool, m.size, p.GrowingSizePercentile)
	var growers []*policy.Container
	for _, c := range rest {
		if m.size(c) >= cut && m.growth(c) > p.MinGrowthBytesPerSecond {
			growers = append(growers, c)
		}
	}
	slices.SortFunc(growers, func(a, b *policy.Container) int {
		if c := cmp.Compare(m.growth(b), m.growth(a)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for _, c := range growers {
		out = append(out, candidate{c, fmt.Sprintf("%s %s growing %s/s, the fastest of those at or above the %gth percentile by size (%s); none above %g %% of the containers' %s",
			m.words, reason.Bytes(float64(m.size(c))), reason.Bytes(m.growth(c)), p.GrowingSizePercentile, reason.Bytes(float64(cut)),
			p.SizeThresholdPercent, reason.Bytes(total))})
	}
	return out
}

// percentile is the pct-th percentile of the containers' sizes by
// nearest rank: the smallest size that at least pct % of them do not
// exceed (at 0, the smallest).
func percentile(cs []*policy.Container, size func(*policy.Container) uint64, pct float64) uint64 {
	sizes := make([]uint64, len(cs))
	for i, c := range cs {
		sizes[i] = size(c)
	}
	slices.Sort(sizes)
	k := int(math.Ceil(pct / 100 * float64(len(sizes))))
	return sizes[max(k, 1)-1]
}
