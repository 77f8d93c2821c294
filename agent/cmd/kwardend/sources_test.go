package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/test/dockertest"
)

// sourceOf is the named source of a health answer.
func sourceOf(h apiv1.Health, name string) apiv1.SourceStatus {
	for _, s := range h.Sources {
		if s.Name == name {
			return s
		}
	}
	return apiv1.SourceStatus{}
}

// scrapeText fetches /metrics.
func scrapeText(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// waitHealth polls health until cond holds, for up to 30 s.
func waitHealth(t *testing.T, base, what string, cond func(apiv1.Health) bool) apiv1.Health {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var h apiv1.Health
		if getJSONQuiet(base+"/api/v1/health", &h) == 200 && cond(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: health %+v", what, h)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A source that fails shows in health and in kwarden_source_success,
// and the ticks go on: the module's processes file vanishes (and comes
// back), the cgroup files of a container cannot be read, Docker is
// down.
func TestFailingSourcesAreReported(t *testing.T) {
	eng := dockertest.ForTest(t, mustAbs(t, "../../.."))
	ctx := context.Background()
	if _, err := eng.Docker(ctx, "run", "-d", "--network", "none", "--name", "kwd-src", "kwarden/load:low"); err != nil {
		t.Fatal(err)
	}
	defer eng.Docker(ctx, "rm", "-f", "kwd-src")
	id, err := eng.Docker(ctx, "inspect", "-f", "{{.Id}}", "kwd-src")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The module's files, from the parser's fixtures.
	kmod := filepath.Join(dir, "kwarden")
	os.Mkdir(kmod, 0o755)
	for _, f := range []string{"version", "processes", "system", "containers"} {
		b, err := os.ReadFile(filepath.Join("../../../internal/kmodfmt/testdata", f+".json"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(kmod, f), b, 0o644)
	}
	// A cgroup tree in which the container's usage file cannot be read
	// (it is a directory).
	cgroups := filepath.Join(dir, "cgroup")
	ctr := filepath.Join(cgroups, "memory", "docker", strings.TrimSpace(string(id)))
	os.MkdirAll(filepath.Join(ctr, "memory.usage_in_bytes"), 0o755)
	os.WriteFile(filepath.Join(ctr, "memory.stat"), nil, 0o644)
	os.MkdirAll(filepath.Join(cgroups, "unified"), 0o755)

	r := startRun(t, nil, "-sources", "kmod", "-kmod-root", kmod, "-cgroup-root", cgroups, "-docker-host", eng.Host)
	base := "http://" + r.addr
	h := waitHealth(t, base, "the cgroups source failing", func(h apiv1.Health) bool {
		return h.Tick >= 2 && sourceOf(h, "cgroups").State == apiv1.SourceFailing
	})
	t.Logf("cgroups: %+v", sourceOf(h, "cgroups"))
	if k := sourceOf(h, "kmod"); k.State != apiv1.SourceOK || k.Reads == 0 || k.DurationSeconds <= 0 {
		t.Errorf("kmod: %+v", k)
	}
	if h.Status != apiv1.HealthDegraded || !strings.Contains(sourceOf(h, "cgroups").Error, "memory files of 1 of 1") {
		t.Errorf("health: %s, cgroups %+v", h.Status, sourceOf(h, "cgroups"))
	}
	m := scrapeText(t, base)
	for _, want := range []string{`kwarden_source_success{source="cgroups"} 0`, `kwarden_source_success{source="kmod"} 1`,
		`kwarden_source_success{source="docker"} 1`, `kwarden_source_duration_seconds{source="kmod"} `} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// The module's processes file vanishes: kmod fails, ticks go on.
	os.Rename(filepath.Join(kmod, "processes"), filepath.Join(kmod, "processes.away"))
	h = waitHealth(t, base, "kmod failing", func(h apiv1.Health) bool { return sourceOf(h, "kmod").State == apiv1.SourceFailing })
	tick := h.Tick
	h = waitHealth(t, base, "ticks going on", func(h apiv1.Health) bool { return h.Tick >= tick+3 })
	if !strings.Contains(scrapeText(t, base), `kwarden_source_success{source="kmod"} 0`) {
		t.Error("/metrics: kmod not failing")
	}
	t.Logf("kmod while its file is away: %+v", sourceOf(h, "kmod"))
	os.Rename(filepath.Join(kmod, "processes.away"), filepath.Join(kmod, "processes"))
	waitHealth(t, base, "kmod back", func(h apiv1.Health) bool { return sourceOf(h, "kmod").State == apiv1.SourceOK })

	// Docker down: its source fails, the rest ticks on.
	eng.Down()
	defer eng.Up(ctx)
	h = waitHealth(t, base, "docker failing", func(h apiv1.Health) bool { return sourceOf(h, "docker").State == apiv1.SourceFailing })
	tick = h.Tick
	waitHealth(t, base, "ticks going on without Docker", func(h apiv1.Health) bool { return h.Tick >= tick+3 })
	if !strings.Contains(scrapeText(t, base), `kwarden_source_success{source="docker"} 0`) {
		t.Error("/metrics: docker not failing")
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
