package newestperkind

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/kwarden/kwarden/agent/policies/internal/reason"
	"github.com/kwarden/kwarden/agent/policy"
)

// Decide asks for every container that is not the newest of its kind to
// go, oldest first. It reads only s; it never fails.
func (p *Policy) Decide(_ context.Context, s *policy.Snapshot) ([]policy.Decision, error) {
	groups := map[string][]*policy.Container{}
	var unkinded []*policy.Container
	for i := range s.Containers {
		c := &s.Containers[i]
		switch {
		case c.Protected:
			// neither a victim nor the newest of its kind
		case c.Kind != "":
			groups[c.Kind] = append(groups[c.Kind], c)
		case p.Unkinded == UnkindedNewest:
			groups[""] = append(groups[""], c)
		case p.Unkinded == UnkindedAct:
			unkinded = append(unkinded, c)
		}
	}

	type victim struct {
		c   *policy.Container
		why string
	}
	var victims []victim
	for kind, cs := range groups {
		newest := slices.MaxFunc(cs, byCreation)
		what := fmt.Sprintf("kind %s", kind)
		if kind == "" {
			what = "no kind"
		}
		for _, c := range cs {
			if c != newest {
				victims = append(victims, victim{c, fmt.Sprintf("%s: not the newest of its kind; %s, created %s, is kept",
					what, reason.Name(newest), newest.Created.UTC().Format(time.RFC3339Nano))})
			}
		}
	}
	for _, c := range unkinded {
		victims = append(victims, victim{c, "no kind: unkinded containers are acted on"})
	}

	slices.SortFunc(victims, func(a, b victim) int { return byCreation(a.c, b.c) })
	out := make([]policy.Decision, 0, len(victims))
	for _, v := range victims {
		out = append(out, policy.Decision{ContainerID: v.c.ID, Action: p.Action, Reason: v.why})
	}
	return out, nil
}

// byCreation orders containers by creation, older first; equal times by id,
// so the newest (the maximum) is the same one every round.
func byCreation(a, b *policy.Container) int {
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}
