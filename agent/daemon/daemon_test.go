package daemon

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/sample"
	"github.com/kwarden/kwarden/agent/source"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/test/dockertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dockertest.StopShared()
	os.Exit(code)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func engine(t *testing.T) *dockertest.Daemon {
	t.Helper()
	root, _ := filepath.Abs("../..")
	return dockertest.ForTest(t, root)
}

func start(t *testing.T, cfg Config) *Daemon {
	t.Helper()
	d, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return d
}

// src is the named source of st.
func src(st State, name string) apiv1.SourceStatus {
	for _, s := range st.Sources {
		if s.Name == name {
			return s
		}
	}
	return apiv1.SourceStatus{}
}

// waitState polls the daemon's state for up to 30 s.
func waitState(t *testing.T, d *Daemon, what string, cond func(State) bool) State {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := d.State()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last state: tick %d, docker %+v, sources %v, error %q",
				what, st.Tick, st.Docker, st.Sources, st.TickError)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The whole loop on the eBPF view and a real dockerd: a cpu container's
// CPU % reaches the history; dockerd stops and returns, and the daemon
// reports the outage and is connected again within two ticks.
func TestDaemonEndToEnd(t *testing.T) {
	eng := engine(t)
	ctx := context.Background()
	if _, err := eng.Docker(ctx, "run", "-d", "--network", "none", "--name", "kwd-cpu", "--label", "kwarden.kind=cpu",
		"kwarden/load:cpu", "-workers", "1"); err != nil {
		t.Fatal(err)
	}
	defer eng.Docker(ctx, "rm", "-f", "kwd-cpu")
	const interval = 250 * time.Millisecond
	d := start(t, Config{Interval: interval, Sources: source.EBPFOnly, DockerHost: eng.Host,
		DBPath: filepath.Join(t.TempDir(), "history.db"), Thresholds: sample.Thresholds{CPUPercent: 20, RAMPercent: 20}})
	st := waitState(t, d, "the cpu container measured", func(s State) bool {
		for _, c := range s.Containers {
			if c.Name == "kwd-cpu" && c.CPUPercent > 0 {
				return true
			}
		}
		return false
	})
	if src(st, "ebpf").State != apiv1.SourceOK {
		t.Fatalf("sources %v", st.Sources)
	}
	var id string
	for _, c := range st.Containers {
		if c.Name == "kwd-cpu" {
			id = c.ID
		}
	}
	time.Sleep(2 * time.Second)
	pts, _, err := d.Store().ContainerSeries(id, store.RangeQuery{From: time.Now().Add(-time.Minute), To: time.Now()})
	if err != nil || len(pts) < 5 {
		t.Fatalf("history of kwd-cpu: %v, %d points", err, len(pts))
	}
	// Average the last points: one 250 ms tick is a few scheduler ticks.
	var sum float64
	last := pts[len(pts)-4:]
	for _, p := range last {
		sum += p.CPUPercent
	}
	avg := sum / float64(len(last))
	t.Logf("kwd-cpu: %d points, CPU %.1f %% over the last %d, class %s", len(pts), avg, len(last), last[len(last)-1].Class)
	if avg < 85 || avg > 115 || last[len(last)-1].Class != "high" {
		t.Errorf("cpu container: %.1f %%, class %s; want 100 ± 15 %%, high", avg, last[len(last)-1].Class)
	}

	eng.Down()
	waitState(t, d, "the outage", func(s State) bool { return !s.Docker.Connected })
	if err := eng.Up(ctx); err != nil {
		t.Fatal(err)
	}
	back := d.State().Tick
	st = waitState(t, d, "the reconnection", func(s State) bool { return s.Docker.Connected })
	t.Logf("connected again %d ticks after dockerd answered", st.Tick-back)
	if st.Tick-back > 2 {
		t.Errorf("reconnected %d ticks after dockerd's return, want ≤ 2", st.Tick-back)
	}
	// The tick after reconnecting writes the event; a loaded machine may
	// take a few ticks to run it, so poll rather than sleep a fixed time.
	var kinds []string
	for deadline := time.Now().Add(10 * time.Second); ; {
		evs, err := d.Store().Events(store.EventQuery{From: time.Now().Add(-time.Minute), To: time.Now(), Kind: "docker."})
		if err != nil {
			t.Fatal(err)
		}
		kinds = kinds[:0]
		for _, e := range evs.Events {
			kinds = append(kinds, e.Kind)
		}
		if strings.Contains(strings.Join(kinds, " "), "docker.outage docker.connected") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker events %v, want an outage then a connection", kinds)
		}
		time.Sleep(interval)
	}
}

// Without the module and without eBPF the daemon still runs, says so,
// and serves Docker's view.
func TestDaemonWithoutKernelViews(t *testing.T) {
	eng := engine(t)
	ctx := context.Background()
	if _, err := eng.Docker(ctx, "run", "-d", "--network", "none", "--name", "kwd-low", "kwarden/load:low"); err != nil {
		t.Fatal(err)
	}
	defer eng.Docker(ctx, "rm", "-f", "kwd-low")
	d := start(t, Config{Interval: 100 * time.Millisecond, Sources: source.Module, KmodRoot: filepath.Join(t.TempDir(), "none"),
		DockerHost: eng.Host, DBPath: filepath.Join(t.TempDir(), "history.db")})
	st := waitState(t, d, "a tick with the container", func(s State) bool {
		for _, c := range s.Containers {
			if c.Name == "kwd-low" && c.Running {
				return true
			}
		}
		return false
	})
	if k := src(st, "kmod"); k.State != apiv1.SourceUnavailable || !strings.Contains(k.Error, "not loaded") {
		t.Errorf("sources %v: want kmod unavailable, not loaded", st.Sources)
	}
	if st.System.MemTotalBytes == 0 {
		t.Errorf("no system figures without the module: %+v", st.System)
	}
}

// The loop folds and trims history as it goes: with a one-second raw
// retention, the older ticks become minute points.
func TestDaemonPrunesHistory(t *testing.T) {
	d := start(t, Config{Interval: 50 * time.Millisecond, Sources: source.Module, KmodRoot: filepath.Join(t.TempDir(), "none"),
		DockerHost: "unix://" + filepath.Join(t.TempDir(), "no-docker.sock"), DBPath: filepath.Join(t.TempDir(), "history.db"),
		RawRetention: time.Second, PruneEvery: 200 * time.Millisecond})
	from := time.Now().Add(-time.Hour)
	deadline := time.Now().Add(30 * time.Second)
	for {
		pts, _, err := d.Store().SystemRange(store.RangeQuery{From: from, To: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		folded := 0
		for _, p := range pts {
			folded += p.Samples
		}
		if folded >= 10 {
			t.Logf("%d points, %d ticks folded into minute points", len(pts), folded)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ticks folded after 30 s: %d points, tick %d", len(pts), d.State().Tick)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
