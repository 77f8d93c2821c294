package enforce

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"

	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/test/dockertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dockertest.StopShared()
	os.Exit(code)
}

type fleet struct {
	d   *dockertest.Daemon
	dc  *client.Client
	ids map[string]string // name → id
}

// start runs low containers with the given names; a name ending in
// "-protected" gets the kwarden.protect=true label.
func start(t *testing.T, names ...string) *fleet {
	t.Helper()
	root, _ := filepath.Abs("../..")
	d := dockertest.ForTest(t, root)
	dc, err := client.NewClientWithOpts(client.WithHost(d.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	f := &fleet{d: d, dc: dc, ids: map[string]string{}}
	ctx := context.Background()
	for _, n := range names {
		args := []string{"run", "-d", "--network", "none", "--name", n, "--label", "kwarden.kind=low"}
		if strings.HasSuffix(n, "-protected") {
			args = append(args, "--label", "kwarden.protect=true")
		}
		out, err := d.Docker(ctx, append(args, "kwarden/load:low")...)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[n] = strings.TrimSpace(string(out))
	}
	t.Cleanup(func() {
		for n := range f.ids {
			d.Docker(context.Background(), "rm", "-f", n)
		}
	})
	return f
}

// snapshot lists the fleet as the daemon would, protected flags unset:
// the enforcer must find the protections itself.
func (f *fleet) snapshot(t *testing.T) *policy.Snapshot {
	s := &policy.Snapshot{Time: time.Now(), Round: 1, Trigger: policy.TriggerTick}
	for n, id := range f.ids {
		js, err := f.dc.ContainerInspect(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		s.Containers = append(s.Containers, policy.Container{ID: id, Name: n, Labels: js.Config.Labels, Kind: "low", Class: "low"})
	}
	return s
}

// state is Docker's state of a container, or "gone".
func (f *fleet) state(name string) string {
	js, err := f.dc.ContainerInspect(context.Background(), f.ids[name])
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return "gone"
		}
		return err.Error()
	}
	return js.State.Status
}

type outcomes struct {
	mu  sync.Mutex
	all []Outcome
}

func (o *outcomes) add(x Outcome) { o.mu.Lock(); o.all = append(o.all, x); o.mu.Unlock() }

func (o *outcomes) byName() map[string]Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := map[string]Outcome{}
	for _, x := range o.all {
		key := x.Victim.Name
		if key == "" {
			key = x.Decision.ContainerID
		}
		m[key] = x
	}
	return m
}

// A lying policy's decisions against a real dockerd: the real containers
// are stopped, killed and removed as asked; protected ones, processes,
// unknown ids and garbage are refused, and every decision has an outcome.
func TestApplyActsAndRefuses(t *testing.T) {
	f := start(t, "kwe-stop", "kwe-kill", "kwe-remove", "kwe-protected", "kwe-grafana", "kwe-twice", "kwe-garbage")
	rec := &outcomes{}
	e, err := New(f.dc, Options{StopTimeout: time.Second, Protect: Protection{Names: []string{"/kwe-graf.*/"}}}, nil, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	s := f.snapshot(t)
	ds := []policy.Decision{
		{ContainerID: f.ids["kwe-stop"], Action: policy.Stop, Reason: "r1"},
		{ContainerID: f.ids["kwe-kill"], Action: policy.Kill, Reason: "r2"},
		{ContainerID: f.ids["kwe-remove"], Action: policy.Remove, Reason: "r3"},
		{ContainerID: f.ids["kwe-protected"], Action: policy.Kill, Reason: "protected label"},
		{ContainerID: f.ids["kwe-grafana"], Action: policy.Kill, Reason: "protected name"},
		{ContainerID: "1", Action: policy.Kill, Reason: "init, a process"},
		{ContainerID: strings.Repeat("f", 64), Action: policy.Kill, Reason: "no such container"},
		{ContainerID: "", Action: policy.Kill, Reason: "no id"},
		{ContainerID: f.ids["kwe-garbage"], Action: policy.Action(42), Reason: "no such action"},
		{ContainerID: f.ids["kwe-stop"], Action: policy.Kill, Reason: "twice"},
	}
	e.Apply(context.Background(), Round{Snapshot: s, Policy: "liar", Version: "1", SHA256: "ab", Decisions: ds})
	e.Wait()
	if len(rec.all) != len(ds) {
		t.Fatalf("%d outcomes for %d decisions", len(rec.all), len(ds))
	}
	got := rec.byName()
	for n, want := range map[string]string{"kwe-kill": Done, "kwe-remove": Done, "kwe-protected": Refused,
		"kwe-grafana": Refused, "1": Refused, strings.Repeat("f", 64): Refused, "": Refused, "kwe-garbage": Refused} {
		if got[n].Outcome != want {
			t.Errorf("%s: %s (%s), want %s", n, got[n].Outcome, got[n].Why, want)
		}
	}
	// kwe-stop has two outcomes: done, and refused as named twice.
	var stopDone, stopTwice bool
	for _, o := range rec.all {
		if o.Victim.Name == "kwe-stop" {
			stopDone = stopDone || o.Outcome == Done
			stopTwice = stopTwice || (o.Outcome == Refused && o.Why == "named twice in one round")
		}
		if o.Policy != "liar" || o.Version != "1" || o.SHA256 != "ab" {
			t.Errorf("outcome without its policy: %+v", o)
		}
	}
	if !stopDone || !stopTwice {
		t.Errorf("kwe-stop outcomes: %+v", rec.all)
	}
	for n, want := range map[string]string{"kwe-stop": "exited", "kwe-kill": "exited", "kwe-remove": "gone",
		"kwe-protected": "running", "kwe-grafana": "running", "kwe-twice": "running", "kwe-garbage": "running"} {
		if st := f.state(n); st != want {
			t.Errorf("%s is %s, want %s", n, st, want)
		}
	}
}

// Dry-run records every decision and touches nothing; the rate limits
// cap a round and a minute.
func TestDryRunAndRateLimits(t *testing.T) {
	var names []string
	for i := range 6 {
		names = append(names, fmt.Sprintf("kwe-rate-%d", i))
	}
	f := start(t, names...)
	s := f.snapshot(t)
	var ds []policy.Decision
	for _, c := range s.Containers {
		ds = append(ds, policy.Decision{ContainerID: c.ID, Action: policy.Kill, Reason: "all"})
	}

	dry := &outcomes{}
	e, _ := New(f.dc, Options{DryRun: true}, nil, dry.add)
	e.Apply(context.Background(), Round{Snapshot: s, Policy: "p", Decisions: ds})
	e.Wait()
	for _, o := range dry.all {
		if o.Outcome != DryRun {
			t.Errorf("dry-run outcome %s", o.Outcome)
		}
	}
	for _, n := range names {
		if st := f.state(n); st != "running" {
			t.Errorf("dry-run: %s is %s", n, st)
		}
	}

	rec := &outcomes{}
	e, _ = New(f.dc, Options{MaxPerRound: 2, MaxPerMinute: 3, StopTimeout: time.Second}, nil, rec.add)
	e.Apply(context.Background(), Round{Snapshot: s, Policy: "p", Decisions: ds})
	e.Wait()
	count := func(out string) (n int) {
		for _, o := range rec.all {
			if o.Outcome == out {
				n++
			}
		}
		return n
	}
	if count(Done) != 2 || count(RateLimited) != 4 {
		t.Errorf("round 1: %d done, %d rate-limited", count(Done), count(RateLimited))
	}
	// The second round may act once more before the minute's 3 are spent;
	// the first round's victims are no longer running, so are refused.
	s2 := f.snapshot(t)
	rec.all = nil
	var running []policy.Decision
	for _, d := range ds {
		if c, _ := s2.Container(d.ContainerID); c != nil && f.state(c.Name) == "running" {
			running = append(running, d)
		}
	}
	e.Apply(context.Background(), Round{Snapshot: s2, Policy: "p", Decisions: running})
	e.Wait()
	if count(Done) != 1 || count(RateLimited) != len(running)-1 {
		t.Errorf("round 2: %d done, %d rate-limited of %d", count(Done), count(RateLimited), len(running))
	}
}

// A flood of decisions is cut at MaxDecisions with one outcome saying so.
func TestFloodIsCut(t *testing.T) {
	s := &policy.Snapshot{Containers: []policy.Container{{ID: "a"}}}
	rec := &outcomes{}
	e, _ := New(nil, Options{DryRun: true, MaxDecisions: 100}, nil, rec.add)
	ds := make([]policy.Decision, 10000)
	for i := range ds {
		ds[i] = policy.Decision{ContainerID: "a", Action: policy.Stop}
	}
	e.Apply(context.Background(), Round{Snapshot: s, Decisions: ds})
	// The one beyond-the-first-100 outcome, the first decision's dry
	// run, 20 refusals (named twice) one by one, and one for the other 79.
	if len(rec.all) != 23 || !strings.Contains(rec.all[0].Why, "9900 decisions beyond the first 100") ||
		rec.all[1].Outcome != DryRun || rec.all[21].Why != "named twice in one round" {
		t.Fatalf("%d outcomes; first %+v", len(rec.all), rec.all[0])
	}
	last := rec.all[22]
	if last.Outcome != Refused || last.Why != "79 more refused decisions, not recorded one by one: 79 named twice in one round" {
		t.Errorf("summary %+v", last)
	}
	// Mixed reasons are counted by reason, in the order first met.
	rec = &outcomes{}
	e, _ = New(nil, Options{DryRun: true}, nil, rec.add)
	ds = ds[:0]
	for i := range 30 {
		ds = append(ds, policy.Decision{ContainerID: fmt.Sprintf("gone-%d", i), Action: policy.Stop},
			policy.Decision{ContainerID: "", Action: policy.Kill})
	}
	e.Apply(context.Background(), Round{Snapshot: s, Decisions: ds})
	if len(rec.all) != 21 || rec.all[20].Why != "40 more refused decisions, not recorded one by one: 20 not a running container of this round; 20 names no container" {
		t.Errorf("%d outcomes; last %+v", len(rec.all), rec.all[len(rec.all)-1])
	}
}

func TestProtection(t *testing.T) {
	p := Protection{Names: []string{"grafana", "/kwarden-.*/"}, IDs: []string{"abcdef012345"}}
	if err := p.Compile(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, name string
		labels   map[string]string
		want     bool
	}{
		{"x", "grafana", nil, true}, {"x", "grafana2", nil, false}, {"x", "kwarden-agent", nil, true},
		{"abcdef0123456789", "w", nil, true}, {"x", "w", map[string]string{"kwarden.protect": "TRUE"}, true},
		{"x", "w", map[string]string{"kwarden.protect": "no"}, false}, {"x", "w", nil, false},
	} {
		if _, got := p.Protects(c.id, c.name, c.labels); got != c.want {
			t.Errorf("%+v: %v", c, got)
		}
	}
	if err := (&Protection{Names: []string{"/(/"}}).Compile(); err == nil {
		t.Error("bad pattern compiled")
	}
	if err := (&Protection{IDs: []string{"abc"}}).Compile(); err == nil {
		t.Error("short id accepted")
	}
}

// A policy that names its victim again every round while the stop is in
// flight, and after, until the view catches up: the audit has one
// outcome of each kind, not one a round. The victim's stop signal is
// one the process ignores, so Docker waits its stop timeout (1 s) and
// the action is in flight that long.
func TestRepeatsAreRecordedOnce(t *testing.T) {
	root, _ := filepath.Abs("../..")
	d := dockertest.ForTest(t, root)
	ctx := context.Background()
	out, err := d.Docker(ctx, "run", "-d", "--network", "none", "--name", "kwe-slow", "--stop-signal", "SIGWINCH",
		"--label", "kwarden.kind=low", "kwarden/load:low")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Docker(context.Background(), "rm", "-f", "kwe-slow") })
	id := strings.TrimSpace(string(out))
	dc, err := client.NewClientWithOpts(client.WithHost(d.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	rec := &outcomes{}
	e, err := New(dc, Options{StopTimeout: time.Second, MaxPerMinute: 100}, nil, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	s := &policy.Snapshot{Round: 1, Containers: []policy.Container{{ID: id, Name: "kwe-slow", Kind: "low"}}}
	round := func() {
		s.Time = time.Now()
		e.Apply(ctx, Round{Snapshot: s, Policy: "p", Decisions: []policy.Decision{{ContainerID: id, Action: policy.Stop}}})
	}
	start := time.Now()
	for time.Since(start) < 2500*time.Millisecond { // in flight ~1 s, then done, the view not caught up
		round()
		time.Sleep(50 * time.Millisecond)
	}
	e.Wait()
	count := map[string]int{}
	rec.mu.Lock()
	for _, o := range rec.all {
		switch {
		case o.Outcome == Done:
			count["done"]++
		case strings.HasPrefix(o.Why, "already being acted on"):
			count["in flight"]++
		case strings.HasPrefix(o.Why, "already acted on"):
			count["acted"]++
		default:
			t.Errorf("outcome %+v", o)
		}
	}
	rec.mu.Unlock()
	if count["done"] != 1 || count["in flight"] != 1 || count["acted"] != 1 {
		t.Errorf("outcomes by kind %v over some 50 rounds, want one of each", count)
	}
	// The view catches up (the container gone from it): a later action
	// on a container of that id would be judged afresh.
	s.Containers = nil
	round()
	if len(e.told) != 0 {
		t.Errorf("still told of %v", e.told)
	}
}
