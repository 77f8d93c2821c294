package metrics

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/source"
	"github.com/kwarden/kwarden/test/testenv"
)

// hostile is what a container's name (through the API) or a label can
// hold.
const hostile = "a\"b\\c\nd\x1b[31m\u202e"

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// v1tree is a cgroup v1 tree with one container, /docker/aaa.
func v1tree(t testing.TB) string {
	root := t.TempDir()
	for name, body := range map[string]string{
		"memory/memory.stat":                               "total_rss 10\ntotal_cache 20\ntotal_inactive_file 5\n",
		"memory/memory.usage_in_bytes":                     "1000\n",
		"cpuacct/cpuacct.usage":                            "7000000000\n",
		"cpuacct/cpuacct.stat":                             "user 500\nsystem 200\n",
		"memory/docker/aaa/memory.stat":                    "total_rss 134217728\ntotal_cache 4096\ntotal_mapped_file 0\n",
		"memory/docker/aaa/memory.failcnt":                 "0\n",
		"memory/docker/aaa/memory.max_usage_in_bytes":      "140000000\n",
		"memory/docker/aaa/memory.limit_in_bytes":          "268435456\n",
		"cpuacct/docker/aaa/cpuacct.stat":                  "user 150\nsystem 50\n",
		"cpu/docker/aaa/cpu.shares":                        "512\n",
		"cpu/docker/aaa/cpu.cfs_period_us":                 "100000\n",
		"cpu/docker/aaa/cpu.cfs_quota_us":                  "50000\n",
		"blkio/docker/aaa/blkio.throttle.io_service_bytes": "8:0 Read 4096\n8:0 Write 8192\n",
	} {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	return root
}

func state() apiv1.State {
	a := apiv1.ContainerFigures{Container: apiv1.Container{ID: "aaa", Name: hostile, Image: "kwarden/load:ram", Running: true,
		Created: t0, Started: t0.Add(time.Second), Cgroups: apiv1.Cgroups{MemPath: "/docker/aaa"},
		Labels: map[string]string{"kwarden.kind": "ram", "a.b": hostile, "a-b": "collides with a.b", "ünï": "x"}},
		CPUNs: 59e9, CPUPercent: 99.5, RSSBytes: 135 << 20, MemUsageBytes: 130 << 20, WorkingSetBytes: 129 << 20,
		Processes: 1, Threads: 3, Class: apiv1.ClassHigh, Tasks: apiv1.TaskStates{Running: 1, Sleeping: 2}}
	b := apiv1.ContainerFigures{Container: apiv1.Container{ID: "bbb", Name: "kw-b", Running: true, Created: t0,
		Cgroups: apiv1.Cgroups{MemPath: "/docker/bbb"}}}
	gone := apiv1.ContainerFigures{Container: apiv1.Container{ID: "ccc", Name: "kw-gone", State: "removed"}}
	return apiv1.State{Tick: 42, Containers: []apiv1.ContainerFigures{a, b, gone},
		Sources: []apiv1.SourceStatus{{Name: "ebpf", State: apiv1.SourceOK, DurationSeconds: 0.002, Reads: 42}, {Name: "kmod", State: apiv1.SourceUnavailable}},
		Docker:  apiv1.DockerStatus{Connected: true},
		System:  apiv1.SystemPoint{MemTotalBytes: 8 << 30, MemUsedBytes: 2 << 30}}
}

func scrapeBody(t *testing.T, h http.Handler, accept string) (string, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("scrape: %d %s", w.Code, w.Body)
	}
	return w.Body.String(), w.Header().Get("Content-Type")
}

func TestCollector(t *testing.T) {
	stats := source.NewStatsReader(v1tree(t))
	reg := NewRegistry(state, stats, "v-test", nil)
	body, ctype := scrapeBody(t, Handler(reg, nil), "")
	if !strings.HasPrefix(ctype, "text/plain") {
		t.Errorf("content type %q", ctype)
	}
	// Labels sorted by name, as client_golang writes them; a.b and a-b
	// sanitise alike: the first sorted (a-b) is kept; ü and ï are one
	// _ each.
	name := `name="a\"b\\c\nd` + "\x1b[31m\u202e" + `"`
	pre := `container_label__n_="x",container_label_a_b="collides with a.b",container_label_kwarden_kind="ram",`
	post := `id="/docker/aaa",image="kwarden/load:ram",` + name
	lbl := pre + post
	for _, want := range []string{
		`container_cpu_usage_seconds_total{` + pre + `cpu="total",` + post + `} 59`,
		`container_memory_rss{` + lbl + `} 1.34217728e+08`,
		`container_memory_working_set_bytes{` + lbl + `} 1.35266304e+08`,
		`container_cpu_user_seconds_total{` + lbl + `} 1.5`,
		`container_spec_memory_limit_bytes{` + lbl + `} 2.68435456e+08`,
		`container_spec_cpu_quota{` + lbl + `} 50000`,
		`container_fs_writes_bytes_total{` + pre + `device=`,
		`container_tasks_state{` + lbl + `,state="sleeping"} 2`,
		`kwarden_container_processes_rss_bytes{` + lbl + `} 1.4155776e+08`,
		`container_cpu_usage_seconds_total{container_label__n_="",container_label_a_b="",container_label_kwarden_kind="",cpu="total",id="/",image="",name=""} 7`,
		`kwarden_source_success{source="ebpf"} 1`,
		`kwarden_source_success{source="kmod"} 0`,
		`kwarden_build_info{goversion="go`,
		`process_resident_memory_bytes `,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(body, "kw-gone") {
		t.Error("a removed container is exported")
	}
	// kw-b has no cgroup files: its tick's figures, none of the cgroup's.
	if !strings.Contains(body, `name="kw-b"`) || strings.Contains(body, `container_memory_rss{container_label__n_="",container_label_a_b="",container_label_kwarden_kind="",id="/docker/bbb"`) {
		t.Errorf("kw-b without cgroup files")
	}
	if stats.Status().State != apiv1.SourceOK {
		t.Errorf("stats source: %+v", stats.Status())
	}
	om, ctype := scrapeBody(t, Handler(reg, nil), "application/openmetrics-text; version=1.0.0")
	if !strings.HasPrefix(ctype, "application/openmetrics-text") || !strings.HasSuffix(om, "# EOF\n") {
		t.Errorf("OpenMetrics: %q, ends %q", ctype, om[max(0, len(om)-20):])
	}
	promtool(t, body)
}

// promtool checks the exposition as Prometheus reads it.
func promtool(t *testing.T, body string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	testenv.RequireNoErr(t, err, "promtool (Debian's prometheus)")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
	io.Copy(io.Discard, &out)
}
