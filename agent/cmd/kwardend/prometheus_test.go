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
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/dockertest"
	"github.com/kwarden/kwarden/test/testenv"
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

// promQuery asks a Prometheus for an instant vector.
func promQuery(t *testing.T, port int, query string) []promSample {
	t.Helper()
	u := fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=%s", port, url.QueryEscape(query))
	var res struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	resp, err := http.Get(u)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(&res)
	var out []promSample
	for _, r := range res.Data.Result {
		var v float64
		fmt.Sscan(fmt.Sprint(r.Value[1]), &v)
		out = append(out, promSample{r.Metric, v})
	}
	return out
}

type promSample struct {
	labels map[string]string
	value  float64
}

// cgroupFile reads a number, or a memory.stat key, of a container's
// cgroup v1 controller on this host.
func cgroupFile(t *testing.T, controller, id, file, key string) float64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", controller, "docker", id, file))
	if err != nil {
		t.Fatal(err)
	}
	if key == "" {
		var v float64
		fmt.Sscan(string(b), &v)
		return v
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			var n float64
			fmt.Sscan(v, &n)
			return n
		}
	}
	t.Fatalf("%s has no %s", file, key)
	return 0
}

// A real Prometheus (Debian's package) scrapes kwardend, and PromQL
// written for cAdvisor returns the same figures the cgroups count
// themselves: a cpu container's CPU rate, a 128 MiB ram container's
// working set and rss (memory.stat's). promtool accepts the scrape,
// with a container whose labels are hostile.
func TestPrometheusScrapes(t *testing.T) {
	testenv.RequireNoErr(t, dockertest.Available(), "a Docker engine")
	prom, err := exec.LookPath("prometheus")
	testenv.RequireNoErr(t, err, "prometheus (apt-get install prometheus)")
	testenv.Require(t, dirExists("/sys/fs/cgroup/memory/docker") || !testenv.InCI(), "cgroup v1 (this test reads the v1 files)")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root, _ := filepath.Abs("../../..")
	eng, err := dockertest.Shared(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	const hostile = "a\"b\\c\nd\x1b[31m\u202e"
	runs := map[string][]string{
		"kwd-prom-cpu":     {"--label", "kwarden.kind=cpu", "kwarden/load:cpu", "-workers", "1"},
		"kwd-prom-ram":     {"--label", "kwarden.kind=ram", "kwarden/load:ram", "-bytes", "128MiB"},
		"kwd-prom-hostile": {"--label", "a.b=" + hostile, "--label", "ünï=" + hostile, "--label", "kwarden.kind=" + hostile, "kwarden/load:low"},
	}
	ids := map[string]string{}
	for name, args := range runs {
		out, err := eng.Docker(ctx, append([]string{"run", "-d", "--network", "none", "--name", name}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = strings.TrimSpace(string(out))
		defer eng.Docker(context.Background(), "rm", "-f", name)
	}

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

	// Twelve seconds of scrapes: a 10 s rate needs them.
	deadline := time.Now().Add(90 * time.Second)
	for len(promQuery(t, port, `container_last_seen{name="kwd-prom-cpu"}`)) == 0 {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("no series from Prometheus\n%s", b)
		}
		time.Sleep(500 * time.Millisecond)
	}
	cpuID := ids["kwd-prom-cpu"]
	before := cgroupFile(t, "cpuacct", cpuID, "cpuacct.usage", "")
	time.Sleep(12 * time.Second)
	after := cgroupFile(t, "cpuacct", cpuID, "cpuacct.usage", "")
	cgroupRate := (after - before) / 1e9 / 12

	q := `sum(rate(container_cpu_usage_seconds_total{name="kwd-prom-cpu"}[10s]))`
	r := promQuery(t, port, q)
	if len(r) != 1 {
		t.Fatalf("%s: %v", q, r)
	}
	t.Logf("%s = %.3f cores; the cgroup's own cpuacct.usage over 12 s: %.3f", q, r[0].value, cgroupRate)
	if d := r[0].value - cgroupRate; d > 0.15*cgroupRate || -d > 0.15*cgroupRate {
		t.Errorf("PromQL rate %.3f, cgroup %.3f: more than 15 %% apart", r[0].value, cgroupRate)
	}
	s := promQuery(t, port, `container_cpu_usage_seconds_total{name="kwd-prom-cpu"}`)
	if len(s) != 1 || s[0].labels["cpu"] != "total" || s[0].labels["id"] != "/docker/"+cpuID ||
		s[0].labels["image"] != "kwarden/load:cpu" || s[0].labels["container_label_kwarden_kind"] != "cpu" {
		t.Errorf("cAdvisor's labels: %v", s)
	}

	ramID := ids["kwd-prom-ram"]
	for _, c := range []struct {
		query string
		want  func() float64
	}{
		{`container_memory_working_set_bytes{name="kwd-prom-ram"}`, func() float64 {
			return cgroupFile(t, "memory", ramID, "memory.usage_in_bytes", "") - cgroupFile(t, "memory", ramID, "memory.stat", "total_inactive_file")
		}},
		{`container_memory_rss{name="kwd-prom-ram"}`, func() float64 { return cgroupFile(t, "memory", ramID, "memory.stat", "total_rss") }},
	} {
		r := promQuery(t, port, c.query)
		want := c.want()
		if len(r) != 1 {
			t.Errorf("%s: %v", c.query, r)
			continue
		}
		t.Logf("%s = %.0f; the cgroup's own: %.0f", c.query, r[0].value, want)
		if d := r[0].value - want; d > 1<<20 || -d > 1<<20 {
			t.Errorf("%s = %.0f, the cgroup says %.0f: more than 1 MiB apart", c.query, r[0].value, want)
		}
	}

	h := promQuery(t, port, `container_last_seen{name="kwd-prom-hostile"}`)
	if len(h) != 1 || h[0].labels["container_label_a_b"] != hostile || h[0].labels["container_label_kwarden_kind"] != hostile ||
		h[0].labels["container_label__n_"] != hostile {
		t.Errorf("hostile labels through Prometheus: %v", h)
	}

	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	promtool, err := exec.LookPath("promtool")
	testenv.RequireNoErr(t, err, "promtool (apt-get install prometheus)")
	check := exec.CommandContext(ctx, promtool, "check", "metrics")
	check.Stdin = strings.NewReader(string(body))
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics on a real scrape: %v\n%s", err, out)
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
