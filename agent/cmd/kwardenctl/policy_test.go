package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/kwarden/kwarden/agent/api"
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/daemon"
	"github.com/kwarden/kwarden/agent/enforce"
	"github.com/kwarden/kwarden/agent/guard"
	"github.com/kwarden/kwarden/agent/policyhost"
	"github.com/kwarden/kwarden/agent/source"
	"github.com/kwarden/kwarden/test/dockertest"
	"github.com/kwarden/kwarden/test/policytest"
)

// kwardenctl policy against the real loop: a daemon on this kernel's
// eBPF view and a private dockerd, real plugin subprocesses, the
// enforcer on the Docker API. ls, show, a dry run that kills nothing,
// refused swaps that keep the old policy, and a swap that acts.
func TestPolicyCommands(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root, _ := filepath.Abs("../../..")
	eng := dockertest.ForTest(t, root)
	names := policytest.Fleet(t, eng, "kwp", 4)
	dc, err := client.NewClientWithOpts(client.WithHost(eng.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	cat, err := policyhost.LoadCatalogue(policytest.Dir(t, root, "keep-oldest", "hostile-garbage"))
	if err != nil {
		t.Fatal(err)
	}
	var g *guard.Guard
	host := policyhost.New(cat, policyhost.Options{OnEvent: func(e policyhost.Event) { g.HostEvent(e) }})
	defer host.Close()
	enf, err := enforce.New(dc, enforce.Options{StopTimeout: time.Second}, nil, func(o enforce.Outcome) { g.Report(o) })
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(ctx, daemon.Config{Interval: 300 * time.Millisecond, Sources: source.EBPFOnly, DockerHost: eng.Host,
		DBPath: filepath.Join(t.TempDir(), "h.db"), AfterTick: func(st daemon.State) { g.OnTick(st) }},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	g = guard.New(host, enf, guard.Options{Interval: 300 * time.Millisecond, AddEvents: d.Store().AddEvents,
		Past: d.Store().PastTicks})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); d.Run(ctx) }()
	go func() { defer wg.Done(); g.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	srv := httptest.NewServer(api.New(d, api.Options{Policies: g}))
	defer srv.Close()
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"KWARDEN_ADDR": srv.URL}[k]
		return v, ok
	}
	ctl := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, env, &out, io.Discard)
		return out.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := ctl(args...)
		if err != nil {
			t.Fatalf("kwardenctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	running := func() (n []string) {
		for _, name := range names {
			if js, err := dc.ContainerInspect(ctx, name); err == nil && js.State.Running {
				n = append(n, name)
			}
		}
		return n
	}
	// Wait for the daemon to see the four.
	for deadline := time.Now().Add(20 * time.Second); ; {
		st := d.State()
		seen := 0
		for _, c := range st.Containers {
			if strings.HasPrefix(c.Name, "kwp-") && c.Running {
				seen++
			}
		}
		if seen == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon sees %d of the 4 containers", seen)
		}
		time.Sleep(100 * time.Millisecond)
	}

	if out := must("policy", "ls"); !strings.Contains(out, "keep-oldest") || !strings.Contains(out, "hostile-garbage") {
		t.Errorf("policy ls:\n%s", out)
	}
	if out := must("policy", "show"); !strings.Contains(out, "no policy selected") {
		t.Errorf("policy show before any:\n%s", out)
	}
	// A dry run: two would be removed, none is.
	out := must("-o", "json", "policy", "dry-run", "keep-oldest", "-config-json", `{"keep": 1}`)
	var dry apiv1.PolicyDryRunAnswer
	if err := json.Unmarshal([]byte(out), &dry); err != nil {
		t.Fatal(err)
	}
	var victims []string
	for _, dd := range dry.Decisions {
		if dd.Outcome != "dry-run" {
			t.Errorf("dry-run decision %+v", dd)
		}
		victims = append(victims, dd.Name)
	}
	if strings.Join(victims, ",") != "kwp-3,kwp-2" || len(running()) != 4 {
		t.Errorf("dry run: victims %v, running %v", victims, running())
	}
	beforeKills := time.Now()
	// Refused swaps: unknown, bad configuration; the first policy stays.
	must("policy", "use", "keep-oldest", "-config-json", `{"keep": 9}`)
	if _, err := ctl("policy", "use", "nope"); err == nil || !strings.Contains(err.Error(), "404") && !strings.Contains(err.Error(), "not in the catalogue") {
		t.Errorf("use nope: %v", err)
	}
	if _, err := ctl("policy", "use", "keep-oldest", "-config-json", `{"keep": -1}`); err == nil || !strings.Contains(err.Error(), "old policy stays") {
		t.Errorf("use with a bad config: %v", err)
	}
	if out := must("policy", "show"); !strings.Contains(out, "policy keep-oldest 1.0.0, healthy") || !strings.Contains(out, `{"keep":9}`) {
		t.Errorf("policy show after refused swaps:\n%s", out)
	}
	// The swap that acts: keep one; kwp-0 is protected, kwp-1 the oldest.
	must("policy", "use", "keep-oldest", "-config-json", `{"keep": 1}`)
	for deadline := time.Now().Add(20 * time.Second); strings.Join(running(), ",") != "kwp-0,kwp-1" && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	if r := running(); strings.Join(r, ",") != "kwp-0,kwp-1" {
		t.Errorf("running after keep 1: %v", r)
	}
	// The removals' outcomes arrive when Docker has removed them.
	for deadline := time.Now().Add(20 * time.Second); ; {
		out = must("policy", "show")
		if strings.Count(out, " done ") >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Count(out, " done ") < 2 || !strings.Contains(out, "kwp-3") {
		t.Errorf("policy show after the kills:\n%s", out)
	}
	t.Logf("kwardenctl policy show:\n%s", out)

	// Replay the moment before the kills: the same two, though removed
	// since, and nothing acted on. -at takes RFC 3339 or a duration ago.
	out = must("policy", "dry-run", "keep-oldest", "-config-json", `{"keep": 1}`, "-at", beforeKills.Format(time.RFC3339Nano))
	if !strings.Contains(out, "on the tick recorded at") || !strings.Contains(out, "2 decisions") ||
		!strings.Contains(out, "kwp-3") || !strings.Contains(out, "kwp-2") {
		t.Errorf("replay before the kills:\n%s", out)
	}
	if r := running(); strings.Join(r, ",") != "kwp-0,kwp-1" {
		t.Errorf("running after the replay: %v", r)
	}
	ago := time.Since(beforeKills).Round(time.Millisecond) + time.Millisecond
	out = must("-o", "json", "policy", "dry-run", "keep-oldest", "-config-json", `{"keep": 1}`, "-at", ago.String())
	if err := json.Unmarshal([]byte(out), &dry); err != nil || dry.Tick.After(beforeKills) || len(dry.Decisions) != 2 {
		t.Errorf("replay %v ago: %v %+v", ago, err, dry)
	}
	if _, err := ctl("policy", "dry-run", "keep-oldest", "-at", "1w"); err == nil || !strings.Contains(err.Error(), "no tick recorded") {
		t.Errorf("replay before the history: %v", err)
	}
	if _, err := ctl("policy", "dry-run", "-at", "yesterday"); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
		t.Errorf("-at yesterday: %v", err)
	}
	if _, err := ctl("policy", "use", "keep-oldest", "-at", "1h"); err == nil {
		t.Error("use -at accepted")
	}
}

// -at takes a duration ago, or any time the API reads.
func TestParseAt(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"90m":                  now.Add(-90 * time.Minute),
		"1d":                   now.Add(-24 * time.Hour),
		"now-1d":               now.Add(-24 * time.Hour),
		"2026-11-29T11:00:00Z": now.Add(-time.Hour),
		"1795950000.5":         now.Add(-time.Hour + 500*time.Millisecond),
	} {
		if got, err := parseAt(in, now); err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "-5m", "0s", "now+1h"} {
		if got, err := parseAt(in, now); err == nil {
			t.Errorf("%q read as %v", in, got)
		}
	}
}

// -profile takes a shipped profile by name, or a file of the same shape:
// the policy's name and configuration come from it.
func TestPolicyProfileArgs(t *testing.T) {
	now := time.Now()
	req, prof, err := policyArgs("use", []string{"-profile", "rule-a"}, true, now)
	if err != nil || req.Name != "newest-per-kind" || !strings.Contains(string(req.Config), `"action": "remove"`) ||
		prof == nil || prof.Interval != 10*time.Second {
		t.Fatalf("rule-a: %+v %+v %v", req, prof, err)
	}
	file := filepath.Join(t.TempDir(), "mine.json")
	os.WriteFile(file, []byte(`{"policy": "quota", "interval": "30s", "config": {"high": 1, "low": 1}}`), 0o644)
	if req, prof, err = policyArgs("dry-run", []string{"quota", "-profile", file, "-at", "1h"}, false, now); err != nil ||
		req.Name != "quota" || prof.Interval != 30*time.Second || req.At.IsZero() {
		t.Errorf("a profile file: %+v %+v %v", req, prof, err)
	}
	for _, args := range [][]string{
		{"quota", "-profile", "rule-a"},                          // another policy's profile
		{"-profile", "rule-a", "-config-json", `{}`},             // two configurations
		{"-profile", "rule-z"},                                   // neither shipped nor a file
		{"-profile", filepath.Join(t.TempDir(), "missing.json")}, // likewise
	} {
		if req, _, err := policyArgs("use", args, true, now); err == nil {
			t.Errorf("%q accepted: %+v", args, req)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"policy", "profiles"}, func(string) (string, bool) { return "", false }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"rule-a  ", "newest-per-kind", "rule-b-measured-1.3-2.0", "20s", `"cpu_percent":1.3`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("policy profiles lacks %q:\n%s", want, out.String())
		}
	}
}
