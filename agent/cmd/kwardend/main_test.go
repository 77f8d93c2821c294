package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/dockertest"
	"github.com/kwarden/kwarden/test/policytest"
	"github.com/kwarden/kwarden/test/testenv"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "k.json")
	writeFile(t, file, `{"interval":"10s","sources":"kmod","db":"/tmp/f.db","cpu_high_percent":1.3}`, 0o644)
	c, err := load([]string{"-config", file, "-interval", "20s"}, env(map[string]string{"KWARDEN_DB": "/tmp/e.db"}))
	if err != nil {
		t.Fatal(err)
	}
	// file < env < flags
	if c.Interval != 20*time.Second || c.Sources != "kmod" || c.DB != "/tmp/e.db" || c.CPUHigh != 1.3 || c.RAMHigh != 20 {
		t.Errorf("%+v", c)
	}
	if c, err = load(nil, env(nil)); err != nil || c.Listen != "127.0.0.1:9070" || c.Interval != time.Second {
		t.Errorf("defaults: %+v %v", c, err)
	}
}

func TestConfigRejects(t *testing.T) {
	file := filepath.Join(t.TempDir(), "k.json")
	writeFile(t, file, `{"intervall":"10s"}`, 0o644)
	for name, c := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"beyond loopback, no token": {[]string{"-listen", "0.0.0.0:9070"}, nil, "token"},
		"bad sources":               {[]string{"-sources", "dtrace"}, nil, "sources"},
		"tiny interval":             {[]string{"-interval", "1ms"}, nil, "interval"},
		"bad env":                   {nil, map[string]string{"KWARDEN_INTERVAL": "often"}, "KWARDEN_INTERVAL"},
		"typo in file":              {[]string{"-config", file}, nil, "intervall"},
		"missing file":              {[]string{"-config", file + ".none"}, nil, "read config"},
		"stray argument":            {[]string{"now"}, nil, "unexpected"},
	} {
		_, err := load(c.args, env(c.env))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %q", name, err, c.want)
		}
	}
	if _, err := load([]string{"-listen", "0.0.0.0:9070", "-token", goodToken}, env(nil)); err != nil {
		t.Errorf("beyond loopback with a token: %v", err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	dockertest.StopShared()
	policytest.Cleanup()
	os.Exit(code)
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %q", url, b)
		}
	}
	return resp.StatusCode
}

// kwardend end to end: it serves a running container's figures on
// /metrics, stops on cancel, and after a restart on the same database
// the history of the first run is still there.
func TestKwardendServesAndKeepsHistory(t *testing.T) {
	testenv.RequireNoErr(t, dockertest.Available(), "a Docker engine")
	ctx := context.Background()
	root, _ := filepath.Abs("../../..")
	eng, err := dockertest.Shared(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Docker(ctx, "run", "-d", "--network", "none", "--name", "kwd-e2e", "--label", "kwarden.kind=ram",
		"kwarden/load:ram", "-bytes", "128MiB"); err != nil {
		t.Fatal(err)
	}
	defer eng.Docker(ctx, "rm", "-f", "kwd-e2e")
	db := filepath.Join(t.TempDir(), "history.db")
	args := []string{"-listen", "127.0.0.1:0", "-interval", "200ms", "-sources", "ebpf", "-db", db, "-docker-host", eng.Host}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var firstPoints int
	for round := range 2 {
		rctx, cancel := context.WithCancel(ctx)
		ready := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- run(rctx, args, env(nil), log, ready) }()
		var addr string
		select {
		case addr = <-ready:
		case err := <-done:
			t.Fatalf("kwardend: %v", err)
		}
		base := "http://" + addr
		deadline := time.Now().Add(30 * time.Second)
		var metrics string
		for !strings.Contains(metrics, `name="kwd-e2e"`) || !strings.Contains(metrics, "container_memory_rss{") {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: no kwd-e2e in /metrics:\n%s", round, metrics)
			}
			time.Sleep(100 * time.Millisecond)
			resp, err := http.Get(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			metrics = string(b)
		}
		var series struct {
			Points []struct {
				RSS uint64 `json:"rss_bytes"`
			} `json:"points"`
		}
		time.Sleep(time.Second)
		if code := getJSON(t, base+"/api/v1/containers/kwd-e2e/series?from=now-1h", &series); code != 200 {
			t.Fatalf("round %d: series %d", round, code)
		}
		t.Logf("round %d: %d points of kwd-e2e", round, len(series.Points))
		if round == 0 {
			firstPoints = len(series.Points)
		} else if len(series.Points) <= firstPoints {
			t.Errorf("after a restart %d points, before %d: history lost", len(series.Points), firstPoints)
		}
		// 128 MiB ± 10 %, in the history and in /metrics.
		const want = 128 << 20
		if last := series.Points[len(series.Points)-1].RSS; last < want*9/10 || last > want*11/10 {
			t.Errorf("round %d: history RSS %d, want 128 MiB ± 10 %%", round, last)
		}
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var rss float64
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "container_memory_rss{") && strings.Contains(line, `name="kwd-e2e"`) {
				fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &rss)
			}
		}
		t.Logf("round %d: /metrics container_memory_rss %.0f", round, rss)
		if rss < want*0.9 || rss > want*1.1 {
			t.Errorf("round %d: /metrics RSS %.0f, want 128 MiB ± 10 %%", round, rss)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("round %d: kwardend: %v", round, err)
		}
	}
}
