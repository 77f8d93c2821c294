package grpctest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/test/testenv"
)

// benchHistory writes an hour of 1 s ticks of n containers ending now:
// container i at i % CPU and i MiB of RSS, with I/O counters growing,
// each removed at the last tick so the history lists them all (kwardend
// runs without Docker here).
func benchHistory(path string, n int, span time.Duration) (time.Time, error) {
	s, err := store.Open(path, store.Options{})
	if err != nil {
		return time.Time{}, err
	}
	defer s.Close()
	ticks := int(span / time.Second)
	from := time.Now().Add(-span).Truncate(time.Second)
	info := make([]containers.Container, n)
	for i := range info {
		info[i] = containers.Container{ID: fmt.Sprintf("%064x", i+1), Name: fmt.Sprintf("kw-bench-%02d", i),
			Image: "kwarden/load:low", Kind: []string{"cpu", "ram", "low"}[i%3], State: "running", Running: true,
			Created: from, Labels: map[string]string{"kwarden.kind": "low"}}
	}
	batch := make([]store.Tick, 0, 600)
	for k := range ticks {
		at := from.Add(time.Duration(k) * time.Second)
		pts := make(map[string]store.ContainerPoint, n)
		for i := range n {
			pts[info[i].ID] = store.ContainerPoint{CPUPercent: float64(i) + float64(k%10)/10, CPUNs: uint64(k) * 1e7,
				RSSBytes: uint64(i+1) << 20, MemUsageBytes: uint64(i+1) << 21, WorkingSetBytes: uint64(i+1) << 20,
				RAMPercent: float64(i+1) / 160, ReadBytes: uint64(k) << 12, WriteBytes: uint64(k) << 14, Processes: 2, Threads: 3, Class: "low"}
		}
		tk := store.Tick{System: store.SystemPoint{Time: at, MemTotalBytes: 16 << 30, MemUsedBytes: 4 << 30, MemFreeBytes: 8 << 30,
			MemAvailBytes: 12 << 30, CPUPercent: float64(at.Second()), Processes: 300 + 2*n, Containers: n}, Containers: pts,
			Top: make([]store.ProcessPoint, 10)}
		switch k {
		case 0:
			tk.Info = info
		case ticks - 1:
			gone := slices.Clone(info)
			for i := range gone {
				gone[i].State, gone[i].Running, gone[i].Removed = "removed", false, at
			}
			tk.Info = gone
		}
		batch = append(batch, tk)
		if len(batch) == cap(batch) || k == ticks-1 {
			if err := s.WriteTicks(batch...); err != nil {
				return time.Time{}, err
			}
			batch = batch[:0]
		}
	}
	return from, nil
}

// BenchmarkQueryData measures QueryData through the plugin process, as
// Grafana calls it, over an hour of 1 s history of 50 containers held
// by a real kwardend: each of the container dashboard's queries 200
// times, p50 and p95, then the plugin's resident memory. Run it with
//
//	go test -run '^$' -bench QueryData -benchtime 1x ./grpctest
//
// (make grafana-bench); docs/benchmarks.md has the figures. Each query
// is a panel 1,000 points wide with the interval Grafana gives it for
// an hour (3.6 s, rounded to 5 s).
func BenchmarkQueryData(b *testing.B) {
	testenv.RequireNoErr(b, exec.Command("go", "version").Run(), "the go command")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir := b.TempDir()
	pluginBin, err := buildPlugin(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	bins, err := buildAgent(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	const containersN, span = 50, time.Hour
	agentDir := filepath.Join(dir, "agent")
	if err := os.Mkdir(agentDir, 0o700); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := benchHistory(filepath.Join(agentDir, "history.db"), containersN, span); err != nil {
		b.Fatal(err)
	}
	b.Logf("history: %d containers, %v of 1 s ticks, written in %v", containersN, span, time.Since(start).Round(time.Millisecond))
	k := startBenchAgent(b, bins, agentDir)
	g := launch(b, pluginBin)
	ds := datasource{id: 1, updated: time.Now(), token: testToken, agents: []agentSetting{{Name: "bench", URL: k.url()}}}

	to := time.Now()
	from := to.Add(-span)
	cases := []struct{ name, typ, json string }{
		{"system", "system", `{}`},
		{"containers, 50 series", "containers", `{"includeRemoved":true,"fields":["rss_bytes"],"limit":50}`},
		{"top 5 by CPU, series", "top", `{"by":"cpu_percent","limit":5}`},
		{"top 5 by RAM, table", "top", `{"view":"table","by":"rss_bytes","limit":5}`},
		{"containers removed", "containers", `{"view":"removed"}`},
		{"processes count", "processes", `{}`},
	}
	b.ResetTimer()
	for _, c := range cases {
		q := query{refID: "A", queryType: c.typ, json: c.json, from: from, to: to, maxPoints: 1000, interval: 5 * time.Second}
		if a := g.queryData(b, ds, q)["A"]; a.err != "" || len(a.frames) == 0 {
			b.Fatalf("%s: %q, %d frames", c.name, a.err, len(a.frames))
		}
		var took []time.Duration
		for range 200 {
			t0 := time.Now()
			if a := g.queryData(b, ds, q)["A"]; a.err != "" {
				b.Fatalf("%s: %s", c.name, a.err)
			}
			took = append(took, time.Since(t0))
		}
		slices.Sort(took)
		p50, p95 := took[len(took)/2], took[len(took)*95/100]
		b.Logf("%-24s p50 %6.1f ms  p95 %6.1f ms  max %6.1f ms", c.name, ms(p50), ms(p95), ms(took[len(took)-1]))
		b.ReportMetric(ms(p95), "p95-ms/"+c.typ)
	}
	// The agent's own share of the heaviest query: the same series set
	// asked directly, and decoded, by the test's client.
	var ids []string
	for i := range containersN {
		ids = append(ids, fmt.Sprintf("%064x", i+1))
	}
	var took []time.Duration
	for range 50 {
		t0 := time.Now()
		if _, err := k.c.SeriesSet(ctx, ids, []string{"rss_bytes"}, client.Range{From: client.Time(from), To: client.Time(to), Step: 18 * time.Second}); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
	}
	slices.Sort(took)
	b.Logf("%-24s p50 %6.1f ms  p95 %6.1f ms (the agent's API alone, the same 50 containers by 18 s)", "series set", ms(took[len(took)/2]), ms(took[len(took)*95/100]))
	b.StopTimer()
	b.Logf("plugin RSS after the run: %.1f MiB", float64(g.rssKiB(b))/1024)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// startBenchAgent runs kwardend on the written history without Docker
// or a kernel view: it serves the history, and its own ticks add
// nothing to the range the benchmark reads but the machine's points.
func startBenchAgent(b *testing.B, bins agentBins, dir string) *kwardend {
	b.Helper()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(testToken+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	k := &kwardend{name: "bench", dir: dir, bins: bins}
	k.addr = freeAddr(b)
	var err error
	if k.c, err = newClient(k.addr); err != nil {
		b.Fatal(err)
	}
	k.args = []string{"-sources", "kmod", "-kmod-root", filepath.Join(dir, "no-module"),
		"-docker-host", "unix://" + filepath.Join(dir, "no-docker.sock")}
	k.start(b)
	b.Cleanup(k.stop)
	return k
}
