package guard

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/test/dockertest"
	"github.com/kwarden/kwarden/test/policytest"
)

// A teacher replays a lab that is over under another policy: the
// containers are gone, the history is not. Run with no policy, so
// nothing is killed; then remove everything and replay a moment of it.
// threshold, whose grace only the ticks before that moment can satisfy,
// names the cpu container; with a grace longer than the history it
// names nothing. keep-oldest names the newest two. Every outcome is a
// dry run on the containers of that tick, recorded with trigger replay.
func TestReplayRunsThePastUnderAnotherPolicy(t *testing.T) {
	root, _ := filepath.Abs("../..")
	eng := dockertest.ForTest(t, root)
	ctx := context.Background()
	policytest.Fleet(t, eng, "kwr", 3) // kwr-0 protected
	if _, err := eng.Docker(ctx, "run", "-d", "--network", "none", "--name", "kwr-cpu",
		"--label", "kwarden.kind=cpu", "kwarden/load:cpu", "-workers", "1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Docker(context.Background(), "rm", "-f", "kwr-cpu") })
	const interval = 500 * time.Millisecond
	r := startRig(t, eng, interval, "threshold", "keep-oldest")
	r.measuredName(t, "kwr-cpu")
	time.Sleep(8 * interval)
	then := time.Now()
	for _, n := range []string{"kwr-0", "kwr-1", "kwr-2", "kwr-cpu"} {
		if _, err := eng.Docker(ctx, "rm", "-f", n); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		gone := !slices.ContainsFunc(r.d.State().Containers, func(c apiv1.ContainerFigures) bool {
			return strings.HasPrefix(c.Name, "kwr-") && c.Running
		})
		if gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the daemon still lists the removed containers")
		}
	}

	replay := func(name, config string) apiv1.PolicyDryRunAnswer {
		t.Helper()
		ans, err := r.g.DryRunPolicy(ctx, apiv1.PolicyRequest{Name: name, Config: []byte(config), At: then})
		if err != nil {
			t.Fatalf("replay %s %s: %v", name, config, err)
		}
		if ans.Tick.After(then) || then.Sub(ans.Tick) > interval*2 || ans.Replayed < 8 || ans.Folded {
			t.Errorf("replayed the tick of %v (%d before it, folded %v) for %v", ans.Tick, ans.Replayed, ans.Folded, then)
		}
		for _, d := range ans.Decisions {
			if d.Outcome != "dry-run" || d.Trigger != "replay" || d.Policy != name {
				t.Errorf("replayed decision %+v", d)
			}
		}
		return ans
	}
	victims := func(ans apiv1.PolicyDryRunAnswer) string {
		var v []string
		for _, d := range ans.Decisions {
			v = append(v, d.Name)
		}
		slices.Sort(v)
		return strings.Join(v, ",")
	}
	ans := replay("threshold", `{"cpu_percent": 20, "grace": "2s"}`)
	if got := victims(ans); got != "kwr-cpu" {
		t.Errorf("threshold with a 2 s grace named %q, want kwr-cpu", got)
	}
	if len(ans.Decisions) == 1 && (ans.Decisions[0].Action != "stop" || ans.Decisions[0].CPUPercent < 20) {
		t.Errorf("threshold's decision: %+v", ans.Decisions[0])
	}
	if got := victims(replay("threshold", `{"cpu_percent": 20, "grace": "1m"}`)); got != "" {
		t.Errorf("threshold with a grace longer than the history named %q", got)
	}
	if got := victims(replay("keep-oldest", `{"keep": 1}`)); got != "kwr-2,kwr-cpu" {
		t.Errorf("keep-oldest 1 named %q, want kwr-2,kwr-cpu", got)
	}
	var replayed int
	for _, e := range r.ev.kind(KindDecision) {
		if e.Data["trigger"] == "replay" {
			replayed++
			if tick, err := time.Parse(time.RFC3339Nano, e.Data["tick"]); err != nil || tick.After(then) {
				t.Errorf("replay event's tick %q: %v", e.Data["tick"], err)
			}
		}
	}
	if replayed != 3 {
		t.Errorf("%d replay events, want 3", replayed)
	}
	// Before the history began, there is nothing to replay.
	_, err := r.g.DryRunPolicy(ctx, apiv1.PolicyRequest{Name: "keep-oldest", At: then.Add(-time.Hour)})
	if !errors.Is(err, store.ErrNoTick) {
		t.Errorf("replay before the history: %v", err)
	}
	// With no active policy and no name, there is none to replay.
	if _, err := r.g.DryRunPolicy(ctx, apiv1.PolicyRequest{At: then}); err == nil || !strings.Contains(err.Error(), "no active policy") {
		t.Errorf("replay of no policy: %v", err)
	}
}
