package guard

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/enforce"
	"github.com/kwarden/kwarden/test/dockertest"
	"github.com/kwarden/kwarden/test/policytest"
)

// Every hostile plugin, a real binary, selected in turn on the whole
// loop over real containers: the one that panics, hangs, answers
// garbage, names protected or unknown containers, floods, speaks
// another protocol version, or exits after the handshake. The daemon
// ticks on, nothing is acted on (the fleet's only targets are a
// protected container and ones the plugins never name rightly), and
// each misbehaviour leaves the record it should.
func TestHostilePoliciesKillNothingWrongly(t *testing.T) {
	root, _ := filepath.Abs("../..")
	eng := dockertest.ForTest(t, root)
	ctx := context.Background()
	names := policytest.Fleet(t, eng, "kwh", 3) // kwh-0 protected and oldest
	var catalogue []string
	for _, m := range policytest.HostileModes {
		catalogue = append(catalogue, "hostile-"+m)
	}
	const interval = 300 * time.Millisecond
	r := startRig(t, eng, interval, catalogue...)
	r.measuredName(t, "kwh-2")

	const ok, fails, either = "ok", "fails", "either"
	for _, c := range []struct {
		mode   string
		swap   string   // whether selecting it succeeds
		record []string // what the misbehaviour leaves in the history (any of)
		stay   time.Duration
	}{
		{"panic", ok, []string{"policy.crashed"}, 2 * time.Second},
		{"hang", ok, []string{"policy.hung"}, 4 * time.Second},
		{"garbage", ok, []string{"names no container"}, time.Second},
		{"protected", ok, []string{"labelled kwarden.protect=true"}, time.Second},
		{"unknown", ok, []string{"not a running container of this round"}, time.Second},
		{"flood", ok, []string{"decisions beyond the first"}, time.Second},
		{"wrong-version", fails, []string{"policy.swap-failed"}, time.Second},
		// It exits 200 ms after the handshake: the swap fails at the
		// ping, or succeeds and a round finds it gone.
		{"exit", either, []string{"policy.swap-failed", "policy.crashed"}, 2 * time.Second},
	} {
		name := "hostile-" + c.mode
		before := r.d.State().Tick
		_, err := r.host.Use(ctx, name, nil)
		if (c.swap == ok && err != nil) || (c.swap == fails && err == nil) {
			t.Errorf("%s: selecting it gave %v, want it to %s", c.mode, err, c.swap)
		}
		time.Sleep(c.stay)
		if after := r.d.State().Tick; after <= before {
			t.Errorf("%s: no tick while it was selected (%d → %d)", c.mode, before, after)
		}
		found := false
		for _, rec := range c.record {
			found = found || r.recorded(rec, name)
		}
		if !found {
			t.Errorf("%s: nothing recorded as %q; events: %s", c.mode, c.record, r.ev.summary())
		}
	}
	r.g.enf.Wait()
	for _, n := range names {
		if js, err := r.dc.ContainerInspect(ctx, n); err != nil || !js.State.Running {
			t.Errorf("%s does not run after the hostile policies: %v", n, err)
		}
	}
	for _, o := range r.g.Recent() {
		if o.Outcome == enforce.Done || o.Outcome == enforce.Failed {
			t.Errorf("acted on: %+v", o)
		}
	}
	// The flood left a bounded record: a round's refusals beyond 20 are
	// counted in one event.
	var flood int
	for _, e := range r.ev.kind(KindDecision) {
		if e.Data["policy"] == "hostile-flood" {
			flood++
		}
	}
	rounds := 0
	for _, e := range r.ev.kind(KindDecision) {
		if e.Data["policy"] == "hostile-flood" && strings.Contains(e.Data["why"], "more refused decisions") {
			rounds++
		}
	}
	if rounds == 0 || flood > rounds*23 {
		t.Errorf("the flood: %d decision events over %d rounds", flood, rounds)
	}
	t.Logf("%d events in all; the flood's %d rounds left %d", len(r.ev.all), rounds, flood)
}

// recorded says whether the history holds an event of kind want for
// policy, or a decision of policy refused with want in its why.
func (r *rig) recorded(want, policy string) bool {
	r.ev.mu.Lock()
	defer r.ev.mu.Unlock()
	for _, e := range r.ev.all {
		if e.Data["policy"] != policy {
			continue
		}
		if e.Kind == want || (e.Kind == KindDecision && e.Data["outcome"] == enforce.Refused && strings.Contains(e.Data["why"], want)) {
			return true
		}
	}
	return false
}

// summary is the events' kinds and policies, for a failure's message.
func (e *events) summary() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, ev := range e.all {
		b.WriteString(ev.Kind + "(" + ev.Data["policy"] + ": " + ev.Data["why"] + ") ")
	}
	return b.String()
}
