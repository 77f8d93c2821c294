package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kwarden/kwarden/internal/dockertest"
	"github.com/kwarden/kwarden/internal/testenv"
)

// freePort asks the kernel for a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// A real Prometheus (Debian's package) scrapes kwardend's /metrics, and a
// PromQL query returns the container's series.
func TestPrometheusScrapes(t *testing.T) {
	testenv.RequireNoErr(t, dockertest.Available(), "a Docker engine")
	prom, err := exec.LookPath("prometheus")
	testenv.RequireNoErr(t, err, "prometheus (apt-get install prometheus)")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root, _ := filepath.Abs("../../..")
	eng, err := dockertest.Shared(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Docker(ctx, "run", "-d", "--network", "none", "--name", "kwd-prom", "--label", "kwarden.kind=cpu",
		"kwarden/load:cpu", "-workers", "1"); err != nil {
		t.Fatal(err)
	}
	defer eng.Docker(context.Background(), "rm", "-f", "kwd-prom")

	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-interval", "500ms", "-sources", "ebpf",
			"-db", filepath.Join(t.TempDir(), "h.db"), "-docker-host", eng.Host}, env(nil),
			slog.New(slog.NewTextHandler(io.Discard, nil)), ready)
	}()
	defer func() { cancel(); <-done }()
	addr := <-ready

	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: kwarden\n    static_configs:\n      - targets: ['%s']\n", addr)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.CommandContext(ctx, prom, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port))
	logf, _ := os.Create(filepath.Join(dir, "prometheus.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()

	query := `rate(container_cpu_usage_seconds_total{name="kwd-prom"}[5s])`
	u := fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=%s", port, url.QueryEscape(query))
	deadline := time.Now().Add(60 * time.Second)
	var firstSeen time.Time
	for {
		var res struct {
			Status string `json:"status"`
			Data   struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
					Value  [2]any            `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if resp, err := http.Get(u); err == nil {
			json.NewDecoder(resp.Body).Decode(&res)
			resp.Body.Close()
		}
		// Judge the rate once the 5 s window holds only samples of the
		// running container.
		if len(res.Data.Result) > 0 && firstSeen.IsZero() {
			firstSeen = time.Now()
		}
		if len(res.Data.Result) > 0 && time.Since(firstSeen) > 7*time.Second {
			r := res.Data.Result[0]
			t.Logf("%s = %v %v", query, r.Metric, r.Value[1])
			if r.Metric["kind"] != "cpu" || r.Metric["image"] != "kwarden/load:cpu" {
				t.Errorf("labels %v", r.Metric)
			}
			// One busy worker uses at most a core. How much of one it
			// gets on a loaded 2-core machine varies; the agent's own
			// accuracy is TestContainersFromEBPF's and TestDaemonEndToEnd's.
			var cores float64
			fmt.Sscan(fmt.Sprint(r.Value[1]), &cores)
			if cores < 0.5 || cores > 1.15 {
				t.Errorf("PromQL rate %.2f cores, want between 0.5 and 1.15", cores)
			}
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("no series from Prometheus; last answer %+v\n%s", res, b)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
