package guard

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/kwarden/kwarden/agent/daemon"
	"github.com/kwarden/kwarden/agent/enforce"
	"github.com/kwarden/kwarden/agent/policyhost"
	"github.com/kwarden/kwarden/agent/source"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/test/dockertest"
	"github.com/kwarden/kwarden/test/policytest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dockertest.StopShared()
	policytest.Cleanup()
	os.Exit(code)
}

type events struct {
	mu  sync.Mutex
	all []store.Event
}

func (e *events) add(evs ...store.Event) error {
	e.mu.Lock()
	e.all = append(e.all, evs...)
	e.mu.Unlock()
	return nil
}

func (e *events) kind(k string) []store.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []store.Event
	for _, ev := range e.all {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

// The whole loop on real parts: kwardend's daemon on this machine's eBPF
// view and a private dockerd, the example policy as a real subprocess,
// the enforcer on the Docker API. keep-oldest with keep 2 on six
// containers, the oldest protected: within two ticks only the protected
// one and the two oldest others are left, and every decision is in the
// audit log with the policy that made it.
func TestGuardKeepsTheOldest(t *testing.T) {
	root, _ := filepath.Abs("../..")
	eng := dockertest.ForTest(t, root)
	ctx := context.Background()
	names := policytest.Fleet(t, eng, "kwg", 6)

	r := startRig(t, eng, 500*time.Millisecond, "keep-oldest")
	g, dc, ev := r.g, r.dc, r.ev
	if _, err := r.host.Use(ctx, "keep-oldest", []byte(`{"keep": 2}`)); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && len(g.doneFor()) < 3 {
		time.Sleep(100 * time.Millisecond)
	}
	running := map[string]bool{}
	for _, n := range names {
		js, err := dc.ContainerInspect(ctx, n)
		running[n] = err == nil && js.State.Running
	}
	for n, want := range map[string]bool{"kwg-0": true, "kwg-1": true, "kwg-2": true, "kwg-3": false, "kwg-4": false, "kwg-5": false} {
		if running[n] != want {
			t.Errorf("%s running %v, want %v", n, running[n], want)
		}
	}
	// The removals run side by side: they finish in any order.
	done := g.doneFor()
	slices.Sort(done)
	if strings.Join(done, ",") != "kwg-3,kwg-4,kwg-5" {
		t.Errorf("removed %v, want the three newest", done)
	}
	decisions := ev.kind(KindDecision)
	if len(decisions) < 3 {
		t.Fatalf("%d decision events", len(decisions))
	}
	for _, e := range decisions {
		if e.Data["policy"] != "keep-oldest" || e.Data["version"] != "1.0.0" || len(e.Data["sha256"]) != 64 {
			t.Errorf("event without its policy: %+v", e)
		}
	}
	if len(ev.kind("policy.started")) != 1 {
		t.Errorf("policy events: %+v", ev.all)
	}
	t.Logf("%d decision events; first: %s", len(decisions), decisions[0].Message)
}

// rig is the policy loop on real parts: the daemon on this kernel's
// eBPF view and the private dockerd, the named policies' real binaries,
// the enforcer on the Docker API; the audit events in ev.
type rig struct {
	g    *Guard
	host *policyhost.Host
	d    *daemon.Daemon
	dc   *client.Client
	ev   *events
}

func startRig(t *testing.T, eng *dockertest.Daemon, interval time.Duration, policies ...string) *rig {
	t.Helper()
	root, _ := filepath.Abs("../..")
	dc, err := client.NewClientWithOpts(client.WithHost(eng.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{dc: dc, ev: &events{}}
	cat, err := policyhost.LoadCatalogue(policytest.Dir(t, root, policies...))
	if err != nil {
		t.Fatal(err)
	}
	r.host = policyhost.New(cat, policyhost.Options{OnEvent: func(e policyhost.Event) { r.g.HostEvent(e) }})
	enf, err := enforce.New(dc, enforce.Options{StopTimeout: time.Second, MaxPerRound: 20, MaxPerMinute: 100}, nil,
		func(o enforce.Outcome) { r.g.Report(o) })
	if err != nil {
		t.Fatal(err)
	}
	r.g = New(r.host, enf, Options{Interval: interval, AddEvents: r.ev.add,
		Past: func(at time.Time, n int) (store.Past, error) { return r.d.Store().PastTicks(at, n) }})
	r.d, err = daemon.New(context.Background(), daemon.Config{Interval: interval, Sources: source.EBPFOnly, DockerHost: eng.Host,
		DBPath: filepath.Join(t.TempDir(), "h.db"), AfterTick: r.g.OnTick}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r.d.Run(ctx) }()
	go func() { defer wg.Done(); r.g.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait(); r.host.Close() })
	return r
}

// doneFor lists the victims acted on, as their actions finished.
func (g *Guard) doneFor() []string {
	var out []string
	for _, o := range g.Recent() {
		if o.Outcome == enforce.Done {
			out = append(out, o.Victim.Name)
		}
	}
	return out
}
