package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/internal/psi"
	"github.com/kwarden/kwarden/test/dockertest"
	"github.com/kwarden/kwarden/test/policytest"
	"github.com/kwarden/kwarden/test/testenv"
)

// betweenTicks is kwardend as the course ran it, a tick every 10 s, with
// the pressure policy and the PSI trigger at their defaults (200 ms of
// stall in 2 s): what happens between two ticks is what is tested.
type betweenTicks struct {
	eng  *dockertest.Daemon
	base string
}

const slowTick = 10 * time.Second

func startBetweenTicks(t *testing.T, policyConfig string) *betweenTicks {
	t.Helper()
	_, err := os.Stat("/proc/pressure/memory")
	testenv.RequireNoErr(t, err, "PSI in the running kernel")
	root, _ := filepath.Abs("../../..")
	eng := dockertest.ForTest(t, root)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`{"listen": "127.0.0.1:0", "interval": "10s", "sources": "ebpf", "db": %q, "docker_host": %q,
		"policy": {"dir": %q, "use": "pressure", "config": %s, "stop_timeout": "1s"}}`,
		filepath.Join(dir, "h.db"), eng.Host, policytest.Dir(t, root, "pressure"), policyConfig)
	writeFile(t, filepath.Join(dir, "kwardend.json"), cfg, 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-config", filepath.Join(dir, "kwardend.json")}, env(nil),
			slog.New(slog.NewTextHandler(io.Discard, nil)), ready)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("kwardend: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return &betweenTicks{eng: eng, base: "http://" + addr}
	case err := <-done:
		t.Fatalf("kwardend: %v", err)
	}
	return nil
}

// afterTick waits for a regular tick and returns its time: what the test
// starts next has a whole interval before the next one.
func (b *betweenTicks) afterTick(t *testing.T) time.Time {
	t.Helper()
	var h apiv1.Health
	getJSON(t, b.base+"/api/v1/health", &h)
	first := h.Tick
	for deadline := time.Now().Add(3 * slowTick); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		getJSON(t, b.base+"/api/v1/health", &h)
		if h.Tick > first && h.Tick > 1 {
			return h.Time
		}
	}
	t.Fatal("no tick in three intervals")
	return time.Time{}
}

func (b *betweenTicks) events(t *testing.T, kind string) []apiv1.Event {
	t.Helper()
	var ans apiv1.EventsAnswer
	getJSON(t, b.base+"/api/v1/events?from=now-10m&kind="+kind, &ans)
	return ans.Events
}

func (b *betweenTicks) run(t *testing.T, args ...string) {
	t.Helper()
	name := args[0]
	t.Cleanup(func() { b.eng.Docker(context.Background(), "rm", "-f", name) })
	if out, err := b.eng.Docker(context.Background(), append([]string{"run", "-d", "--network", "none", "--name"}, args...)...); err != nil {
		t.Fatalf("docker run %s: %v\n%s", name, err, out)
	}
}

// finished is when Docker saw the container's process end, or zero
// while it runs.
func (b *betweenTicks) finished(t *testing.T, name string) (time.Time, int) {
	t.Helper()
	out, err := b.eng.Docker(context.Background(), "inspect", "-f", "{{json .State}}", name)
	if err != nil {
		t.Fatalf("inspect %s: %v", name, err)
	}
	var st struct {
		Running    bool
		ExitCode   int
		FinishedAt time.Time
	}
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatal(err)
	}
	if st.Running {
		return time.Time{}, 0
	}
	return st.FinishedAt, st.ExitCode
}

// Memory pressure between ticks: a container that thrashes its page
// cache in a memory limit smaller than its file drives the machine's
// memory PSI over the trigger; the pressure policy (on some_recent, which
// sees the stall at once) kills it well before the next 10 s tick. The
// round is a pressure round on a tick taken for it (the container was
// not there at the last regular tick), and the idle and protected
// containers are left alone.
func TestPressureBetweenTicks(t *testing.T) {
	b := startBetweenTicks(t, `{"figure": "some_recent", "threshold_percent": 10, "cooldown": "1m"}`)
	b.run(t, "kwpr-protected", "--label", "kwarden.protect=true", "--label", "kwarden.kind=low", "kwarden/load:low")
	b.run(t, "kwpr-idle", "--label", "kwarden.kind=low", "kwarden/load:low")
	// The test's own trigger, armed as kwardend's, times the pressure.
	trig, err := psi.NewTrigger("/proc/pressure/memory", psi.KindSome, 200*time.Millisecond, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer trig.Close()
	tick := b.afterTick(t)
	started := time.Now()
	b.run(t, "kwpr-thrash", "--memory", "32m", "--memory-swap", "32m", "--label", "kwarden.kind=disk",
		"kwarden/load:disk", "-bytes", "96MiB", "-reread")
	fired := make(chan time.Time, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if trig.Wait(ctx) == nil {
			fired <- time.Now()
		}
		close(fired)
	}()
	var end time.Time
	var code int
	for deadline := time.Now().Add(30 * time.Second); end.IsZero(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("kwpr-thrash still runs 30 s on; events: %+v", b.events(t, "policy."))
		}
		end, code = b.finished(t, "kwpr-thrash")
	}
	pressureAt, ok := <-fired
	if !ok {
		t.Fatal("the test's PSI trigger never fired")
	}
	var decision *apiv1.Event
	for deadline := time.Now().Add(5 * time.Second); decision == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, e := range b.events(t, "policy.decision") {
			if e.Data["name"] == "kwpr-thrash" && e.Data["outcome"] == "done" {
				decision = &e
			}
		}
	}
	if decision == nil {
		t.Fatalf("no done decision on kwpr-thrash; events: %+v", b.events(t, "policy."))
	}
	if decision.Data["trigger"] != "pressure" || decision.Data["action"] != "kill" || code != 137 {
		t.Errorf("kwpr-thrash ended with %d by %+v, want a kill by a pressure round", code, decision.Data)
	}
	if !strings.Contains(decision.Data["reason"], "some_recent") {
		t.Errorf("reason %q", decision.Data["reason"])
	}
	for _, name := range []string{"kwpr-idle", "kwpr-protected"} {
		if at, _ := b.finished(t, name); !at.IsZero() {
			t.Errorf("%s ended at %v", name, at)
		}
	}
	triggered := b.events(t, "policy.triggered")
	if len(triggered) == 0 {
		t.Error("no policy.triggered event")
	}
	for _, e := range triggered {
		t.Logf("%s %s", e.Time.Format("15:04:05.000"), e.Message)
	}
	// Before the tick after the one it started behind: the round did
	// not wait for the tick.
	if next := tick.Add(slowTick); !end.Before(next) {
		t.Errorf("killed at %v, after the next tick at %v", end, next)
	}
	t.Logf("the PSI trigger fired %v after the container started; kwardend killed it %v after that (decide %s ms, act %s ms), %v before the next tick",
		pressureAt.Sub(started).Round(time.Millisecond), end.Sub(pressureAt).Round(time.Millisecond),
		decision.Data["decide_ms"], decision.Data["act_ms"], tick.Add(slowTick).Sub(end).Round(time.Millisecond))
}

// An OOM kill between ticks starts a round at once: the kernel kills a
// container that outgrows its limit, Docker reports it, and the round
// (on a tick taken for it) is recorded well before the next tick, with
// the policy that answered it.
func TestOOMBetweenTicks(t *testing.T) {
	b := startBetweenTicks(t, `{}`)
	tick := b.afterTick(t)
	b.run(t, "kwpr-oom", "--memory", "32m", "--memory-swap", "32m", "--label", "kwarden.kind=ram",
		"kwarden/load:ram", "-bytes", "128MiB")
	var ev *apiv1.Event
	for deadline := time.Now().Add(slowTick); ev == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, e := range b.events(t, "policy.triggered") {
			if e.Data["trigger"] == "oom" {
				ev = &e
				break
			}
		}
	}
	end, code := b.finished(t, "kwpr-oom")
	if end.IsZero() || code != 137 {
		t.Fatalf("kwpr-oom: finished %v, exit %d", end, code)
	}
	if ev == nil {
		t.Fatalf("no round for the OOM kill within a tick; events: %+v", b.events(t, "policy."))
	}
	if ev.Data["policy"] != "pressure" || !ev.Time.Before(tick.Add(slowTick)) {
		t.Errorf("the OOM round: %+v, at %v (ticks at %v)", ev, ev.Time, tick)
	}
	t.Logf("OOM kill at %v, its round recorded %v after it: %s", end.Format(time.TimeOnly),
		ev.Time.Sub(end).Round(time.Millisecond), ev.Message)
}
