// Command agentbench compares kwarden's per-container collection with the
// Docker stats API, on a private dockerd with 50 and 200 running
// containers, and measures kwardend's own CPU time per minute at a 1 s
// interval with 200 containers. Part of make bench; needs root.
//
// kwarden's side is one tick's work for the figures: an eBPF snapshot of
// every process, the cgroup memory files of every container, and the
// per-container sums (the Docker view itself is kept current by events,
// not read per tick). Docker's side is what a user would run:
// ContainerStats(stream=false) per container, one after another and 8 at a
// time.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/docker/docker/client"

	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/daemon"
	"github.com/kwarden/kwarden/agent/sample"
	"github.com/kwarden/kwarden/agent/source"
	"github.com/kwarden/kwarden/bpf"
	"github.com/kwarden/kwarden/internal/snapshot"
	"github.com/kwarden/kwarden/test/dockertest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "agentbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	counts := flag.String("counts", "50,200", "running containers to measure at")
	rounds := flag.Int("rounds", 7, "rounds of kwarden's collection (median)")
	cpuFor := flag.Duration("cpu-minute", time.Minute, "how long to run kwardend for its CPU cost (0 skips)")
	withStats := flag.Bool("docker-stats", true, "also time the Docker stats API (minutes at 200 containers)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the daemon loop's run here")
	host := flag.String("host", "", "only measure the daemon's CPU, against this engine's running containers (a developer's loop)")
	soak := flag.Duration("exit-soak", 0, "only run the kwardend binaries of -kwardend side by side under fork/exit churn this long, printing their memory")
	bins := flag.String("kwardend", "", "comma-separated kwardend binaries for -exit-soak")
	flag.Parse()
	if *soak > 0 {
		if *bins == "" {
			return errors.New("-exit-soak needs -kwardend BINARY[,BINARY]")
		}
		return exitSoak(ctx, strings.Split(*bins, ","), *soak)
	}
	if *host != "" {
		return daemonCPU(ctx, *host, *cpuFor, *cpuProfile)
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	eng, err := dockertest.StartWithImages(ctx, root)
	if err != nil {
		return err
	}
	defer eng.Stop()
	dc, err := client.NewClientWithOpts(client.WithHost(eng.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer dc.Close()
	col, err := bpf.Open(bpf.Options{NoExits: true})
	if err != nil {
		return err
	}
	defer col.Close()
	iterCol, err := bpf.Open(bpf.Options{NoExits: true, TaskIterator: true})
	if err != nil {
		return err
	}
	defer iterCol.Close()
	w, err := containers.New(containers.Options{Host: eng.Host})
	if err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go w.Run(wctx)

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "containers\tprocesses\teBPF snapshot ms\tkwarden ms\tdocker stats sequential ms\tdocker stats 8 at a time ms\tsequential/kwarden\t8-at-a-time/kwarden\t")
	started := 0
	var coldRows []string
	for _, s := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		if err := eng.RunLow(ctx, "kwb", started, n); err != nil {
			return err
		}
		started = max(started, n)
		cs, err := ready(ctx, w, n)
		if err != nil {
			return err
		}
		kw, err := kwardenCollect(ctx, col, cs, *rounds)
		if err != nil {
			return err
		}
		cold, err := coldSnapshots(ctx, []*bpf.Collector{col, iterCol}, *rounds)
		if err != nil {
			return err
		}
		coldRows = append(coldRows, fmt.Sprintf("%d\t%d\t%s\t%.2f\t%s\t%.2f\t%.2fx\t", n, kw.processes,
			col.SnapshotMethod(), ms(cold[0]), iterCol.SnapshotMethod(), ms(cold[1]), float64(cold[1])/float64(cold[0])))
		ids := make([]string, 0, len(cs))
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		if !*withStats {
			fmt.Fprintf(tw, "%d\t%d\t%.2f\t%.2f\t-\t-\t-\t-\t\n", n, kw.processes, ms(kw.snapshot), ms(kw.total))
			continue
		}
		seq, err := dockerStats(ctx, dc, ids, 1)
		if err != nil {
			return err
		}
		par, err := dockerStats(ctx, dc, ids, 8)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%d\t%d\t%.2f\t%.2f\t%.0f\t%.0f\t%.0fx\t%.0fx\t\n", n, kw.processes, ms(kw.snapshot), ms(kw.total),
			ms(seq), ms(par), float64(seq)/float64(kw.total), float64(par)/float64(kw.total))
	}
	fmt.Fprintf(tw, "(kwarden: median of %d rounds; docker stats: one pass of ContainerStats(stream=false) per container)\t\t\t\t\t\t\t\t\n", *rounds)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Println()
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "containers\tprocesses\tsnapshot by\tms, once a second\tor by\tms, once a second\tratio\t")
	for _, r := range coldRows {
		fmt.Fprintln(tw, r)
	}
	fmt.Fprintf(tw, "(medians of %d snapshots 1 s apart, the two methods alternating: the caches are as cold as the daemon's)\t\t\t\t\t\t\t\n", *rounds)
	if err := tw.Flush(); err != nil {
		return err
	}
	if *cpuFor > 0 {
		cancel() // the benchmark's own watcher must not count
		return daemonCPU(ctx, eng.Host, *cpuFor, *cpuProfile)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ready waits until the watcher knows n running containers with cgroups.
func ready(ctx context.Context, w *containers.Watcher, n int) ([]containers.Container, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var cs []containers.Container
		for _, c := range w.Containers() {
			if c.Running && c.Cgroups.MemID+c.Cgroups.V2ID != 0 {
				cs = append(cs, c)
			}
		}
		if len(cs) >= n {
			return cs, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("%d of %d containers ready", len(cs), n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// collectTimes are the medians of one tick's figure work.
type collectTimes struct {
	total, snapshot time.Duration
	processes       int
}

// kwardenCollect times one tick's figure work, median of rounds, and
// the eBPF snapshot's share of it.
func kwardenCollect(ctx context.Context, col *bpf.Collector, cs []containers.Container, rounds int) (collectTimes, error) {
	var s sample.Sampler
	cg := source.NewCgroups("")
	defer cg.Close()
	var ps snapshot.Processes
	var total, snap []time.Duration
	for range rounds {
		t0 := time.Now()
		if err := col.ProcessesInto(ctx, &ps); err != nil {
			return collectTimes{}, err
		}
		t1 := time.Now()
		figs := s.Sample(&ps, cs, 1)
		if err := cg.Fill(figs); err != nil {
			return collectTimes{}, err
		}
		total, snap = append(total, time.Since(t0)), append(snap, t1.Sub(t0))
		for _, f := range figs {
			if f.Processes == 0 {
				return collectTimes{}, fmt.Errorf("container %s: no process found", f.Name)
			}
		}
	}
	slices.Sort(total)
	slices.Sort(snap)
	return collectTimes{total: total[len(total)/2], snapshot: snap[len(snap)/2], processes: len(ps.Processes)}, nil
}

// coldSnapshots times snapshots taken once a second, as the daemon takes
// them, by each collector in turn; medians of rounds.
func coldSnapshots(ctx context.Context, cols []*bpf.Collector, rounds int) ([]time.Duration, error) {
	times := make([][]time.Duration, len(cols))
	var ps snapshot.Processes
	for range rounds {
		for i, c := range cols {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Second):
			}
			t0 := time.Now()
			if err := c.ProcessesInto(ctx, &ps); err != nil {
				return nil, err
			}
			times[i] = append(times[i], time.Since(t0))
		}
	}
	out := make([]time.Duration, len(cols))
	for i, ts := range times {
		slices.Sort(ts)
		out[i] = ts[len(ts)/2]
	}
	return out, nil
}

// dockerStats reads every container's stats once with `workers` in
// flight and returns the wall time.
func dockerStats(ctx context.Context, dc *client.Client, ids []string, workers int) (time.Duration, error) {
	t0 := time.Now()
	jobs := make(chan string)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				r, err := dc.ContainerStats(ctx, id, false)
				if err == nil {
					_, err = io.Copy(io.Discard, r.Body)
					r.Body.Close()
				}
				if err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range ids {
		jobs <- id
	}
	close(jobs)
	wg.Wait()
	return time.Since(t0), firstErr
}

// daemonCPU runs the real daemon loop at 1 s for d and reports the
// process's CPU time (user + system) per minute.
func daemonCPU(ctx context.Context, host string, d time.Duration, profile string) error {
	dir, err := os.MkdirTemp("", "kwb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dm, err := daemon.New(ctx, daemon.Config{Interval: time.Second, Sources: source.EBPFOnly, DockerHost: host,
		DBPath: filepath.Join(dir, "h.db")}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- dm.Run(dctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(5 * time.Second) // connected, synced, first ticks
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	before := cpuTime()
	t0 := time.Now()
	time.Sleep(d)
	used, wall := cpuTime()-before, time.Since(t0)
	if profile != "" {
		pprof.StopCPUProfile()
	}
	st := dm.State()
	ticks, n := st.Tick, st.System.Containers
	perMin := time.Duration(float64(used) * float64(time.Minute) / float64(wall))
	fmt.Printf("\nkwardend loop, 1 s interval, %d containers, eBPF view: %v CPU per minute = %.2f %% of one core (%d ticks)\n",
		n, perMin.Round(time.Millisecond), 100*float64(used)/float64(wall), ticks)
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}
