package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/source"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/internal/snapshot"
)

// The first tick after each start knows Docker's view: its system point
// counts the running containers and it has a frame with each of them.
// (It said containers=0 with no frame, four restarts out of four.)
func TestFirstTickKnowsTheContainers(t *testing.T) {
	eng := engine(t)
	ctx := context.Background()
	for i := range 3 {
		name := fmt.Sprintf("kwd-first-%d", i)
		if _, err := eng.Docker(ctx, "run", "-d", "--network", "none", "--name", name, "kwarden/load:low"); err != nil {
			t.Fatal(err)
		}
		defer eng.Docker(ctx, "rm", "-f", name)
	}
	db := filepath.Join(t.TempDir(), "history.db")
	for round := range 3 {
		started := time.Now()
		d, err := New(ctx, Config{Interval: 100 * time.Millisecond, Sources: source.EBPFOnly, DockerHost: eng.Host, DBPath: db}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- d.Run(rctx) }()
		waitState(t, d, "two recorded ticks", func(s State) bool { return s.Tick >= 2 })
		pts, _, err := d.Store().SystemRange(store.RangeQuery{From: started, To: time.Now()})
		if err != nil || len(pts) == 0 {
			t.Fatalf("round %d: %v, %d points", round, err, len(pts))
		}
		running := 0
		for _, c := range d.State().Containers {
			if c.Running {
				running++
			}
		}
		first := pts[0]
		var ids []string
		for _, c := range d.State().Containers {
			if c.Running {
				ids = append(ids, c.ID)
			}
		}
		withPoint := 0
		for _, id := range ids {
			cp, _, _ := d.Store().ContainerSeries(id, store.RangeQuery{From: first.Time, To: first.Time})
			withPoint += len(cp)
		}
		t.Logf("round %d: first point at +%v: containers=%d (running %d), %d with a point in it",
			round, first.Time.Sub(started).Round(time.Millisecond), first.Containers, running, withPoint)
		if first.Containers != running || running < 3 || withPoint != running {
			t.Errorf("round %d: first point says %d containers, %d have a point; %d run", round, first.Containers, withPoint, running)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// eBPF-only mode (no module: every host that has not installed it)
// keeps no exit oracle, and what it keeps for the sampler is drained
// every tick, under fork/exit churn.
func TestExitsDoNotAccumulateWithoutTheModule(t *testing.T) {
	d := start(t, Config{Interval: 100 * time.Millisecond, Sources: source.EBPFOnly,
		DockerHost: "unix://" + filepath.Join(t.TempDir(), "no-docker.sock"), DBPath: filepath.Join(t.TempDir(), "history.db")})
	st := waitState(t, d, "a tick", func(s State) bool { return s.Tick >= 1 })
	if src(st, "ebpf").State != apiv1.SourceOK {
		t.Fatalf("sources %v", st.Sources)
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	const churn = 3000
	for range churn {
		if err := exec.Command("/bin/true").Run(); err != nil {
			t.Fatal(err)
		}
	}
	tick := d.State().Tick
	waitState(t, d, "two more ticks", func(s State) bool { return s.Tick >= tick+2 })
	if n := d.oracleLen(); n != 0 {
		t.Errorf("exit oracle holds %d entries after %d exits in eBPF-only mode, want 0", n, churn)
	}
	if n := d.pendingLen(); n > churn/10 {
		t.Errorf("%d exits pending after two ticks", n)
	}
}

// The oracle forgets what no cross-check can ask about, and stays under
// its bound in a storm.
func TestExitOracleForgets(t *testing.T) {
	var o exitOracle
	for i := range uint64(100) {
		o.add(snapshot.Key{PID: int32(i), StartTimeNs: i}, 1000+i)
	}
	o.forget(1050)
	if o.len() != 50 {
		t.Fatalf("%d entries after forgetting half", o.len())
	}
	if _, ok := o.exited(snapshot.Key{PID: 10, StartTimeNs: 10}); ok {
		t.Error("a forgotten exit is still known")
	}
	if ns, ok := o.exited(snapshot.Key{PID: 70, StartTimeNs: 70}); !ok || ns != 1070 {
		t.Errorf("a recent exit: %d %v", ns, ok)
	}
	for i := range uint64(3 * maxExitOracle) {
		o.add(snapshot.Key{PID: int32(i), StartTimeNs: i}, 1e6+i)
	}
	if o.len() > maxExitOracle {
		t.Errorf("%d entries, bound %d", o.len(), maxExitOracle)
	}
}

// The pruner bounds its wall clock by the monotonic one: a clock that
// jumps eight days ahead while the daemon runs deletes nothing.
func TestPrunerIgnoresWallClockJump(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "h.db"), store.Options{RawRetention: time.Hour, Retention: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	var ticks []store.Tick
	for i := range 600 {
		ticks = append(ticks, store.Tick{System: store.SystemPoint{Time: now.Add(time.Duration(i-600) * time.Second)}})
	}
	p := newHistoryPruner(s, nil, time.Minute, time.Second)
	// The wall clock jumps 8 days; the daemon writes a tick at that time.
	ticks = append(ticks, store.Tick{System: store.SystemPoint{Time: now.Add(8 * 24 * time.Hour)}})
	if err := s.WriteTicks(ticks...); err != nil {
		t.Fatal(err)
	}
	p.clock = func() (time.Time, time.Duration) {
		t := time.Now()
		return t.Round(0).Add(8 * 24 * time.Hour), t.Sub(p.start)
	}
	jumped := p.trustedNow()
	if d := jumped.Sub(now); d > time.Minute || d < -time.Minute {
		t.Fatalf("trusted time is %v from the start after a jump", d)
	}
	for p.inPass || p.pass.Steps == 0 {
		p.nextDue = time.Time{}
		if err := p.run(time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	pts, _, _ := s.SystemRange(store.RangeQuery{From: now.Add(-time.Hour), To: now.Add(9 * 24 * time.Hour)})
	if len(pts) != 601 {
		t.Errorf("%d points after a pass against a jumped clock, want all 601", len(pts))
	}
}

// A history file truncated under the running daemon stops it with an
// error that names the file, not a crash.
func TestDaemonStopsOnDamagedHistory(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	d, err := New(context.Background(), Config{Interval: 50 * time.Millisecond, Sources: source.Module,
		KmodRoot: filepath.Join(t.TempDir(), "none"), DockerHost: "unix://" + filepath.Join(t.TempDir(), "no.sock"), DBPath: db}, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	waitState(t, d, "a few ticks", func(s State) bool { return s.Tick >= 3 })
	if err := os.Truncate(db, 4096); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		d.Close()
		t.Fatal("the daemon goes on with a truncated history")
	}
	if !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("Run: %v, want ErrDamaged", err)
	}
	t.Log(err)
}

// A container removed while the daemon was down (no event told it) is
// marked removed once Docker's first view is in, so that retention
// takes it in time.
func TestContainersRemovedWhileDown(t *testing.T) {
	eng := engine(t)
	db := filepath.Join(t.TempDir(), "history.db")
	s, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ghost := containers.Container{ID: strings.Repeat("9", 64), Name: "kwd-ghost", State: "running", Running: true,
		Created: time.Now().Add(-time.Hour)}
	if err := s.WriteTick(store.Tick{System: store.SystemPoint{Time: time.Now().Add(-time.Minute)}, Info: []containers.Container{ghost}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	d := start(t, Config{Interval: 100 * time.Millisecond, Sources: source.EBPFOnly, DockerHost: eng.Host, DBPath: db})
	waitState(t, d, "a few ticks", func(s State) bool { return s.Tick >= 3 })
	page, err := d.Store().Removed(10, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range page.Containers {
		if c.ID == ghost.ID && c.State == "removed" && !c.Removed.IsZero() {
			return
		}
	}
	t.Fatalf("the ghost is not marked removed: %+v", page.Containers)
}
