package quota

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/kwarden/kwarden/agent/policies/internal/reason"
	"github.com/kwarden/kwarden/agent/policy"
)

// Decide keeps the first High of the high class and the first Low of
// the low class, in the course's ranking, and asks for the others to go,
// the most consuming first. It reads only s; it never fails.
func (p *Policy) Decide(_ context.Context, s *policy.Snapshot) ([]policy.Decision, error) {
	classes := map[string][]*policy.Container{}
	for i := range s.Containers {
		c := &s.Containers[i]
		if c.Protected || (c.Kind == "" && p.Unkinded == UnkindedLeave) {
			continue
		}
		if cl := p.class(c); cl != "" {
			classes[cl] = append(classes[cl], c)
		}
	}

	type victim struct {
		c   *policy.Container
		why string
	}
	var victims []victim
	for _, cl := range []string{High, Low} {
		cs := classes[cl]
		slices.SortFunc(cs, heavierFirst)
		keep := p.High
		if cl == Low {
			keep = p.Low
		}
		for i := keep; i < len(cs); i++ {
			c := cs[i]
			victims = append(victims, victim{c, fmt.Sprintf(
				"class %s, rank %d of %d by CPU %%, RAM %%, RSS, VSZ (%.1f %%, %.1f %%, %s, %s): beyond the %d %s kept",
				cl, i+1, len(cs), c.CPUPercent, c.RAMPercent, reason.Bytes(float64(c.RSSBytes)), reason.Bytes(float64(c.VSZBytes)), keep, cl)})
		}
	}

	slices.SortFunc(victims, func(a, b victim) int { return heavierFirst(a.c, b.c) })
	out := make([]policy.Decision, 0, len(victims))
	for _, v := range victims {
		out = append(out, policy.Decision{ContainerID: v.c.ID, Action: p.Action, Reason: v.why})
	}
	return out, nil
}

// heavierFirst is the course's ranking: CPU %, RAM %, RSS, VSZ, each
// descending. Equal figures rank the older first, then by id, so that
// the same container is kept every round.
func heavierFirst(a, b *policy.Container) int {
	if c := cmp.Compare(b.CPUPercent, a.CPUPercent); c != 0 {
		return c
	}
	if c := cmp.Compare(b.RAMPercent, a.RAMPercent); c != 0 {
		return c
	}
	if c := cmp.Compare(b.RSSBytes, a.RSSBytes); c != 0 {
		return c
	}
	if c := cmp.Compare(b.VSZBytes, a.VSZBytes); c != 0 {
		return c
	}
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}
