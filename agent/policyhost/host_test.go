package policyhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/internal/safefile"
	"github.com/kwarden/kwarden/test/policytest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	policytest.Cleanup()
	os.Exit(code)
}

// catalogue makes a policy directory holding the named real binaries.
func catalogue(t *testing.T, names ...string) *Catalogue {
	t.Helper()
	c, err := LoadCatalogue(policytest.Dir(t, "../..", names...))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) add(e Event) { r.mu.Lock(); r.events = append(r.events, e); r.mu.Unlock() }

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Kind)
	}
	return out
}

func (r *recorder) has(kind string) bool {
	for _, k := range r.kinds() {
		if k == kind {
			return true
		}
	}
	return false
}

func snapshotOf(n int) *policy.Snapshot {
	s := &policy.Snapshot{Time: time.Now(), Trigger: policy.TriggerTick, Interval: time.Second}
	t0 := time.Now().Add(-time.Hour)
	for i := range n {
		s.Containers = append(s.Containers, policy.Container{
			ID: fmt.Sprintf("%064x", i+1), Name: fmt.Sprintf("c%d", i), Kind: "low", Class: "low",
			Created: t0.Add(time.Duration(i) * time.Minute), Protected: i == 0,
		})
	}
	return s
}

// The SDK example, through the real subprocess: configured, it keeps the
// N oldest unprotected containers and asks to remove the rest.
func TestExamplePolicyRoundTrip(t *testing.T) {
	rec := &recorder{}
	h := New(catalogue(t, "keep-oldest"), Options{OnEvent: rec.add})
	defer h.Close()
	info, err := h.Use(context.Background(), "keep-oldest", []byte(`{"keep": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "keep-oldest" || info.Version != "1.0.0" {
		t.Errorf("info %+v", info)
	}
	res, err := h.Decide(context.Background(), snapshotOf(6))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range res.Decisions {
		if d.Action != policy.Remove {
			t.Errorf("action %v", d.Action)
		}
		got = append(got, d.ContainerID[60:])
	}
	// Containers 2..6, the first protected: keep 2 and 3, remove 6, 5, 4.
	if want := []string{"0006", "0005", "0004"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("decisions for %v, want %v", got, want)
	}
	if res.SHA256 == "" || res.Policy != "keep-oldest" {
		t.Errorf("result %+v", res)
	}
	st, ok := h.Status()
	if !ok || !st.Healthy || st.Protocol != policy.ProtocolVersion || string(st.Config) != `{"keep": 2}` {
		t.Errorf("status %+v", st)
	}
	if !rec.has("policy.started") {
		t.Errorf("events %v", rec.kinds())
	}
}

// A configuration the policy refuses fails the swap and keeps the old
// policy answering.
func TestBadConfigKeepsOldPolicy(t *testing.T) {
	rec := &recorder{}
	h := New(catalogue(t, "keep-oldest"), Options{OnEvent: rec.add})
	defer h.Close()
	if _, err := h.Use(context.Background(), "keep-oldest", []byte(`{"keep": 1}`)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"keep": -1}`, `{"kepe": 3}`, `{"keep": "x"}`, `[`} {
		_, err := h.Use(context.Background(), "keep-oldest", []byte(bad))
		if err == nil || !strings.Contains(err.Error(), "configure") {
			t.Errorf("config %s: %v", bad, err)
		}
	}
	res, err := h.Decide(context.Background(), snapshotOf(4))
	if err != nil || len(res.Decisions) != 2 {
		t.Errorf("after refused configs: %v, %d decisions (want keep 1 of 3: 2)", err, len(res.Decisions))
	}
	if !rec.has("policy.swap-failed") {
		t.Errorf("events %v", rec.kinds())
	}
}

// A binary whose checksum is not the catalogue's, or that sits in a
// directory others can write, is never run.
func TestTamperedBinariesAreRefused(t *testing.T) {
	c := catalogue(t, "keep-oldest")
	e, _ := c.Lookup("keep-oldest")
	f, err := os.OpenFile(e.Path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("tampered"))
	f.Close()
	h := New(c, Options{})
	if _, err := h.Use(context.Background(), "keep-oldest", nil); !errors.Is(err, ErrChecksum) {
		t.Errorf("tampered binary: %v", err)
	}
	if _, ok := h.Status(); ok {
		t.Error("a policy is active after a refused swap")
	}

	c = catalogue(t, "keep-oldest")
	e, _ = c.Lookup("keep-oldest")
	for _, tc := range []struct {
		path string
		mode os.FileMode
	}{{filepath.Dir(e.Path), 0o777}, {e.Path, 0o775}} {
		orig, _ := os.Stat(tc.path)
		os.Chmod(tc.path, tc.mode)
		_, err := New(c, Options{}).Use(context.Background(), "keep-oldest", nil)
		if !errors.Is(err, safefile.ErrUntrusted) {
			t.Errorf("%s mode %v: %v", tc.path, tc.mode, err)
		}
		if _, err := LoadCatalogue(c.Dir); tc.mode == 0o777 && !errors.Is(err, safefile.ErrUntrusted) {
			t.Errorf("catalogue in a world-writable directory: %v", err)
		}
		os.Chmod(tc.path, orig.Mode().Perm())
	}
	if _, err := New(c, Options{}).Use(context.Background(), "nope", nil); err == nil || !strings.Contains(err.Error(), "not in the catalogue") {
		t.Errorf("unknown policy: %v", err)
	}
}

// A plugin that crashes mid-round is restarted with backoff; until it
// answers, rounds have no decisions.
func TestCrashingPluginIsRestartedWithBackoff(t *testing.T) {
	rec := &recorder{}
	h := New(catalogue(t, "hostile-panic"), Options{OnEvent: rec.add, MinBackoff: 200 * time.Millisecond, MaxBackoff: time.Second})
	defer h.Close()
	if _, err := h.Use(context.Background(), "hostile-panic", nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		res, err := h.Decide(context.Background(), snapshotOf(3))
		if err == nil || len(res.Decisions) != 0 {
			t.Fatalf("round %d: %v, %d decisions", i, err, len(res.Decisions))
		}
		// Down: the next round within the backoff does not restart.
		if _, err := h.Decide(context.Background(), snapshotOf(3)); !errors.Is(err, ErrNoPolicy) {
			t.Errorf("round %d, within the backoff: %v", i, err)
		}
		time.Sleep(time.Duration(1<<i) * 250 * time.Millisecond)
	}
	st, _ := h.Status()
	if st.Restarts < 2 || st.Healthy {
		t.Errorf("status %+v", st)
	}
	if !rec.has("policy.crashed") || !rec.has("policy.restarted") {
		t.Errorf("events %v", rec.kinds())
	}
}

// A plugin that never answers is cut off at the round's deadline, killed
// and marked down.
func TestHungPluginIsCutOff(t *testing.T) {
	rec := &recorder{}
	h := New(catalogue(t, "hostile-hang"), Options{OnEvent: rec.add, DecideTimeout: 300 * time.Millisecond, MinBackoff: time.Hour})
	defer h.Close()
	if _, err := h.Use(context.Background(), "hostile-hang", nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := h.Decide(context.Background(), snapshotOf(3))
	if err == nil {
		t.Fatal("a hung plugin answered")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the round took %v", d)
	}
	if !rec.has("policy.hung") {
		t.Errorf("events %v", rec.kinds())
	}
	if _, err := h.Decide(context.Background(), snapshotOf(3)); !errors.Is(err, ErrNoPolicy) {
		t.Errorf("after the hang: %v", err)
	}
}

// A plugin that speaks another protocol version, or exits right after
// the handshake, never becomes the active policy; the old one stays.
func TestPluginsThatFailTheSwapLeaveTheOldPolicy(t *testing.T) {
	rec := &recorder{}
	h := New(catalogue(t, "keep-oldest", "hostile-wrong-version", "hostile-exit"), Options{OnEvent: rec.add, MinBackoff: time.Hour})
	defer h.Close()
	if _, err := h.Use(context.Background(), "keep-oldest", nil); err != nil {
		t.Fatal(err)
	}
	_, err := h.Use(context.Background(), "hostile-wrong-version", nil)
	if err == nil || !strings.Contains(err.Error(), "handshake") {
		t.Errorf("wrong version: %v", err)
	}
	if st, _ := h.Status(); st.Name != "keep-oldest" {
		t.Errorf("after a wrong-version swap the active policy is %q", st.Name)
	}
	// Exiting 200 ms after the handshake: the swap fails at the ping, or
	// succeeds and the first round after the exit finds it gone.
	if _, err := h.Use(context.Background(), "hostile-exit", nil); err == nil {
		time.Sleep(500 * time.Millisecond)
		if res, err := h.Decide(context.Background(), snapshotOf(3)); err == nil {
			t.Errorf("a round on an exited plugin succeeded: %+v; events %v", res, rec.kinds())
		}
		if !rec.has("policy.crashed") {
			t.Errorf("events %v", rec.kinds())
		}
	} else if st, _ := h.Status(); st.Name != "keep-oldest" {
		t.Errorf("after a failed swap the active policy is %q", st.Name)
	}
}

// The host passes on what a lying plugin answers; the enforcer refuses
// it. Here: the answers arrive intact and bounded in time.
func TestLyingPluginsAnswersArrive(t *testing.T) {
	h := New(catalogue(t, "hostile-garbage", "hostile-flood", "hostile-protected"), Options{})
	defer h.Close()
	for name, want := range map[string]int{"hostile-garbage": 3, "hostile-flood": 10000, "hostile-protected": 1} {
		if _, err := h.Use(context.Background(), name, nil); err != nil {
			t.Fatal(err)
		}
		res, err := h.Decide(context.Background(), snapshotOf(5))
		if err != nil || len(res.Decisions) != want {
			t.Errorf("%s: %v, %d decisions, want %d", name, err, len(res.Decisions), want)
		}
	}
}

// Swapping while rounds run: every round is answered by one policy or
// the other, none fails.
func TestSwapBetweenRounds(t *testing.T) {
	h := New(catalogue(t, "keep-oldest", "hostile-garbage"), Options{})
	defer h.Close()
	if _, err := h.Use(context.Background(), "keep-oldest", nil); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var rounds, failed int
	var seen sync.Map
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := h.Decide(context.Background(), snapshotOf(5))
			rounds++
			if err != nil {
				failed++
			}
			seen.Store(res.Policy, true)
		}
	}()
	for _, n := range []string{"hostile-garbage", "keep-oldest", "hostile-garbage", "keep-oldest"} {
		if _, err := h.Use(context.Background(), n, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if failed != 0 || rounds < 10 {
		t.Errorf("%d rounds, %d failed", rounds, failed)
	}
	for _, n := range []string{"keep-oldest", "hostile-garbage"} {
		if _, ok := seen.Load(n); !ok {
			t.Errorf("no round answered by %s", n)
		}
	}
}
