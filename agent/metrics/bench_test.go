package metrics

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/source"
)

// fleet is n running containers with a course's labels, and a cgroup v1
// tree holding their files (root "" when files is false).
func fleet(b *testing.B, n int, files bool) (func() apiv1.State, string) {
	st := state()
	st.Containers = nil
	root := ""
	if files {
		root = v1tree(b)
	}
	for i := range n {
		id := fmt.Sprintf("%064x", i)
		st.Containers = append(st.Containers, apiv1.ContainerFigures{
			Container: apiv1.Container{ID: id, Name: fmt.Sprintf("kwu-%03d", i), Image: "kwarden/load:low", Running: true,
				Created: t0, Started: t0, Cgroups: apiv1.Cgroups{MemPath: "/docker/" + id},
				Labels: map[string]string{"kwarden.kind": "low", "com.docker.compose.project": "lab"}},
			CPUNs: uint64(i) * 1e9, CPUPercent: 1, RSSBytes: 4 << 20, MemUsageBytes: 5 << 20, WorkingSetBytes: 4 << 20,
			Processes: 1, Threads: 2, Tasks: apiv1.TaskStates{Sleeping: 2}})
		if !files {
			continue
		}
		for name, body := range map[string]string{
			"memory/docker/%s/memory.stat":                    "total_rss 4194304\ntotal_cache 4096\ntotal_mapped_file 0\ntotal_swap 0\n",
			"memory/docker/%s/memory.failcnt":                 "0\n",
			"memory/docker/%s/memory.max_usage_in_bytes":      "6000000\n",
			"memory/docker/%s/memory.limit_in_bytes":          "9223372036854771712\n",
			"cpuacct/docker/%s/cpuacct.stat":                  "user 150\nsystem 50\n",
			"cpu/docker/%s/cpu.shares":                        "1024\n",
			"cpu/docker/%s/cpu.cfs_period_us":                 "100000\n",
			"cpu/docker/%s/cpu.cfs_quota_us":                  "-1\n",
			"blkio/docker/%s/blkio.throttle.io_service_bytes": "8:0 Read 4096\n8:0 Write 8192\n",
		} {
			p := filepath.Join(root, fmt.Sprintf(name, id))
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(body), 0o644)
		}
	}
	return func() apiv1.State { return st }, root
}

// One scrape of 200 containers, text format: the collector, the
// registry's gathering and the encoding; with the cgroup files (in a
// temporary directory, not cgroupfs) and without them.
func BenchmarkScrape(b *testing.B) {
	for _, files := range []bool{false, true} {
		b.Run(fmt.Sprintf("cgroupfiles=%v", files), func(b *testing.B) {
			st, root := fleet(b, 200, files)
			var stats *source.StatsReader
			if files {
				stats = source.NewStatsReader(root)
			}
			h := Handler(NewRegistry(st, stats, "bench", nil), nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
				if w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
