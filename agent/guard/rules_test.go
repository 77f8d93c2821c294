package guard

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/kwarden/kwarden/agent/enforce"
	"github.com/kwarden/kwarden/agent/policies/configs"
	"github.com/kwarden/kwarden/agent/spawn"
	"github.com/kwarden/kwarden/test/dockertest"
)

// spawned lists the generator's running containers: name → kind.
func (r *rig) spawned(t *testing.T) map[string]string {
	t.Helper()
	cs, err := r.dc.ContainerList(context.Background(), container.ListOptions{
		Filters: filters.NewArgs(filters.Arg("label", "kwarden.spawned=true"))})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cs {
		out[strings.TrimPrefix(c.Names[0], "/")] = c.Labels["kwarden.kind"]
	}
	return out
}

func cleanSpawned(t *testing.T, eng *dockertest.Daemon) {
	t.Cleanup(func() {
		ids, _ := eng.Docker(context.Background(), "ps", "-aq", "--filter", "label=kwarden.spawned=true")
		if f := strings.Fields(string(ids)); len(f) > 0 {
			eng.Docker(context.Background(), append([]string{"rm", "-f"}, f...)...)
		}
	})
}

// useProfile selects a course profile's policy and configuration.
func (r *rig) useProfile(t *testing.T, name string) {
	t.Helper()
	p, err := configs.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.host.Use(context.Background(), p.Policy, p.Config); err != nil {
		t.Fatal(err)
	}
}

// measured waits until the daemon has classed every running spawned
// container (two ticks of figures), as a manager meets a fleet that
// has been running: the policy is selected after that.
func (r *rig) measured(t *testing.T, want int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		n := 0
		for _, c := range r.d.State().Containers {
			if c.Running && c.Labels["kwarden.spawned"] == "true" && c.Class != "" {
				n++
			}
		}
		if n >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d spawned containers measured", n, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// measuredName waits until the daemon has classed the named container.
func (r *rig) measuredName(t *testing.T, name string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, c := range r.d.State().Containers {
			if c.Name == name && c.Running && c.Class != "" {
				return
			}
		}
	}
	t.Fatalf("%s never measured", name)
}

// converge selects a profile's policy, then waits until done says the
// fleet is as the rule wants, and returns the ticks that took.
func (r *rig) converge(t *testing.T, profile string, done func(map[string]string) bool) (map[string]string, uint64) {
	t.Helper()
	first := r.d.State().Tick
	r.useProfile(t, profile)
	for deadline := time.Now().Add(30 * time.Second); ; {
		cur := r.spawned(t)
		if done(cur) {
			return cur, r.d.State().Tick - first
		}
		if time.Now().After(deadline) {
			for _, o := range r.g.Recent() {
				t.Logf("%s %s %s: %s (%s)", o.Decision.Action, o.Victim.Name, o.Outcome, o.Decision.Reason, o.Why)
			}
			t.Fatalf("did not converge: %v", cur)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Course rule A: after a profile A round (10 containers of 4 kinds),
// newest-per-kind leaves only the newest container of each kind.
func TestRuleANewestPerKind(t *testing.T) {
	root, _ := filepath.Abs("../..")
	eng := dockertest.ForTest(t, root)
	cleanSpawned(t, eng)
	r := startRig(t, eng, time.Second, "newest-per-kind")
	started, err := spawn.Run(context.Background(), r.dc, spawn.Profiles["A"])
	if err != nil {
		t.Fatal(err)
	}
	r.measured(t, len(started))
	kinds := map[string]bool{}
	for _, s := range started {
		kinds[s.Kind] = true
	}
	// The newest of each kind: spawn.Run creates them one after another.
	newest := map[string]string{}
	for _, s := range started {
		newest[s.Kind] = s.Name
	}
	left, ticks := r.converge(t, "rule-a", func(cur map[string]string) bool { return len(cur) == len(kinds) })
	for name, kind := range left {
		if newest[kind] != name {
			t.Errorf("kind %s: %s left, the newest is %s", kind, name, newest[kind])
		}
	}
	t.Logf("profile A: %d containers of %d kinds; %d left after %d ticks: %v", len(started), len(kinds), len(left), ticks, left)
	if ticks > 2 {
		t.Errorf("%d ticks to apply rule A, want at most 2 (the round after the next tick, and Docker's removal)", ticks)
	}
}

// Course rule B: a profile B round (10 random containers of high CPU,
// high RAM and low) shrinks to 2 high and 3 low under quota, classes
// from the kind label; of the highs, the ones the ranking (CPU first)
// keeps stay.
func TestRuleBQuota(t *testing.T) {
	root, _ := filepath.Abs("../..")
	eng := dockertest.ForTest(t, root)
	cleanSpawned(t, eng)
	r := startRig(t, eng, time.Second, "quota")
	started, err := spawn.Run(context.Background(), r.dc, spawn.Profiles["B"])
	if err != nil {
		t.Fatal(err)
	}
	r.measured(t, len(started))
	n := map[string]int{}
	for _, s := range started {
		n[s.Kind]++
	}
	t.Logf("profile B started %v", n)
	wantHigh, wantLow := min(2, n["cpu"]+n["ram"]), min(3, n["low"])
	count := func(cur map[string]string) (high, low int) {
		for _, k := range cur {
			if k == "low" {
				low++
			} else {
				high++
			}
		}
		return high, low
	}
	left, ticks := r.converge(t, "rule-b-kind", func(cur map[string]string) bool {
		h, l := count(cur)
		return h == wantHigh && l == wantLow
	})
	// CPU ranks first: with two cpu containers or more, both highs kept
	// are cpu ones.
	if n["cpu"] >= 2 {
		for name, kind := range left {
			if kind == "ram" {
				t.Errorf("%s (ram) kept over a cpu container", name)
			}
		}
	}
	var done int
	for _, o := range r.g.Recent() {
		if o.Outcome == enforce.Done {
			done++
			if !strings.Contains(o.Decision.Reason, "beyond the") {
				t.Errorf("reason %q", o.Decision.Reason)
			}
		}
	}
	t.Logf("profile B: %v; %d left after %d ticks (%d removed): %v", n, len(left), ticks, done, left)
	if ticks > 2 {
		t.Errorf("%d ticks to apply rule B, want at most 2", ticks)
	}
}

// Swap under load: quota → threshold → quota while the generator starts
// a profile C round every second and the daemon ticks every second. No
// tick is missed, every decision has its audit event, and every event
// names the policy that made it.
func TestSwapUnderLoad(t *testing.T) {
	root, _ := filepath.Abs("../..")
	eng := dockertest.ForTest(t, root)
	cleanSpawned(t, eng)
	const interval = time.Second
	r := startRig(t, eng, interval, "quota", "threshold")
	// A cpu container that runs from the start: quota keeps it (CPU
	// ranks first), and threshold then has one container sure to be
	// over its limit for its grace, whatever kinds the generator draws.
	if _, err := eng.Docker(context.Background(), "run", "-d", "--network", "none", "--name", "kws-cpu",
		"--label", "kwarden.kind=cpu", "kwarden/load:cpu", "-workers", "1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Docker(context.Background(), "rm", "-f", "kws-cpu") })
	r.measuredName(t, "kws-cpu")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	genDone := make(chan struct{})
	go func() {
		defer close(genDone)
		for ctx.Err() == nil {
			if _, err := spawn.Run(ctx, r.dc, spawn.Profiles["C"]); err != nil && ctx.Err() == nil {
				t.Errorf("generator: %v", err)
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(interval):
			}
		}
	}()
	start := time.Now()
	firstTick := r.d.State().Tick
	steps := []struct {
		policy, config string
	}{{"quota", `{"high": 2, "low": 3, "class_source": "kind"}`}, {"threshold", `{"cpu_percent": 15, "ram_percent": 0.2, "grace": "1s"}`},
		{"quota", `{"high": 1, "low": 1, "class_source": "kind"}`}}
	for _, s := range steps {
		if _, err := r.host.Use(ctx, s.policy, []byte(s.config)); err != nil {
			t.Fatalf("use %s: %v", s.policy, err)
		}
		time.Sleep(5 * time.Second)
	}
	cancel()
	<-genDone
	elapsed := time.Since(start)
	ticks := r.d.State().Tick - firstTick
	// A tick every second: the loop must not have lost one to the swaps.
	if want := uint64(elapsed/interval) - 1; ticks < want {
		t.Errorf("%d ticks in %v, want at least %d", ticks, elapsed.Round(time.Millisecond), want)
	}
	r.g.enf.Wait()
	decisions := r.ev.kind(KindDecision)
	byPolicy := map[string]int{}
	for _, e := range decisions {
		byPolicy[e.Data["policy"]]++
		if e.Data["policy"] != "quota" && e.Data["policy"] != "threshold" {
			t.Errorf("event without its policy: %+v", e)
		}
	}
	// Every outcome the guard saw was recorded (Recent keeps the last 50).
	outcomes := r.g.Recent()
	if len(decisions) < len(outcomes) {
		t.Errorf("%d decision events for %d outcomes", len(decisions), len(outcomes))
	}
	swaps := len(r.ev.kind("policy.swapped")) + len(r.ev.kind("policy.started"))
	if swaps != len(steps) {
		t.Errorf("%d start and swap events for %d selections", swaps, len(steps))
	}
	// Several cpu containers share two cores, so each gets well under a
	// core: the threshold's limits are low enough for kws-cpu (and the
	// ram containers) to cross them.
	if byPolicy["quota"] == 0 || byPolicy["threshold"] == 0 {
		t.Errorf("a policy decided nothing: %v", byPolicy)
	}
	t.Logf("%d ticks in %v; %d decisions by policy %v; %d swaps", ticks, elapsed.Round(time.Millisecond), len(decisions), byPolicy, swaps)
}
