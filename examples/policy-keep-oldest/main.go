// Command policy-keep-oldest is an example kwarden kill policy written
// with the plugin SDK: it keeps the N oldest running containers and asks
// for the rest to be removed, newest first.
//
// Build it, put it in the agent's policy directory with its SHA-256 in
// the catalogue, and select it:
//
//	go build -o /usr/local/lib/kwarden/policies/kwarden-policy-keep-oldest ./examples/policy-keep-oldest
//	kwardenctl policy use keep-oldest --config '{"keep": 5}'
package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/kwarden/kwarden/agent/policy"
)

// keepOldest is the policy and its configuration: Serve decodes the
// operator's JSON over these defaults.
type keepOldest struct {
	Keep int `json:"keep"`
}

func (k *keepOldest) Validate() error {
	if k.Keep < 0 {
		return fmt.Errorf("keep %d: want 0 or more", k.Keep)
	}
	return nil
}

func (k *keepOldest) Description() string {
	return "keeps the N oldest containers and removes the others, newest first"
}

func (k *keepOldest) Decide(_ context.Context, s *policy.Snapshot) ([]policy.Decision, error) {
	var cs []policy.Container
	for _, c := range s.Containers {
		if !c.Protected {
			cs = append(cs, c)
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Created.Before(cs[j].Created) })
	var out []policy.Decision
	for i := len(cs) - 1; i >= k.Keep; i-- {
		out = append(out, policy.Decision{ContainerID: cs[i].ID, Action: policy.Remove,
			Reason: fmt.Sprintf("newer than the %d oldest", k.Keep)})
	}
	return out, nil
}

func main() { policy.Serve("keep-oldest", "1.0.0", &keepOldest{Keep: 3}) }
