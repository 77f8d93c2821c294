// Command peerbench compares kwardend side by side with a peer daemon
// that is already running (cAdvisor, the one kwarden's users would
// otherwise run) on one Docker engine: CPU (% of one core, of each
// daemon, and what each costs dockerd), RSS, the time of a /metrics
// scrape, the number of metric names, and the accuracy of a cpu
// container's CPU rate and a ram container's working set and RSS against
// the container's own cgroup files read at the same moments.
//
// It starts kwardend (the binary given: eBPF view, 1 s interval, a
// history in a temporary directory), waits for its third tick, and then
// measures both daemons over the same window. It never starts, stops or
// builds the peer; with -dockerd-pid it pauses it (SIGSTOP, then
// SIGCONT) for two windows, see -dockerd-split. Needs root (kwardend
// loads eBPF programs; the cgroup files and /proc/<pid> of the daemons).
// It reads kwardend through agent/client and /proc through
// internal/procfs; the ground truth (the cgroup files) it reads itself,
// apart from the daemon's code.
//
// The whole measurement, as root, from the repository (here against
// cAdvisor built from its own repository outside this one; never commit
// it or a recipe that builds it):
//
//	go build -o /tmp/kwardend ./agent/cmd/kwardend
//	go run ./test/cmd/dockerup -n 48 &       # prints unix:///tmp/kwd-…/docker.sock; builds kwarden/load:*
//	export DOCKER_HOST=unix:///tmp/kwd-…/docker.sock
//	docker run -d --network none --name kwb-cpu --label kwarden.kind=cpu kwarden/load:cpu -workers 1
//	docker run -d --network none --name kwb-ram --label kwarden.kind=ram kwarden/load:ram -bytes 128MiB
//	cadvisor -docker=$DOCKER_HOST -housekeeping_interval=1s -allow_dynamic_housekeeping=false \
//	    -listen_ip=127.0.0.1 -port=8089 -docker_only &
//	go run ./test/cmd/peerbench -docker-host $DOCKER_HOST -kwardend /tmp/kwardend \
//	    -peer-pid $(pgrep -nx cadvisor) -peer-metrics http://127.0.0.1:8089/metrics \
//	    -dockerd-pid $(cat /tmp/kwd-…/dockerd.pid) -for 60s
//
// (dockerup -n 198 for 200 running containers.) One cpu
// worker, not the image's default two: on a two-core machine two busy
// workers would leave the daemons waiting for a processor.
//
// What is measured, over the window:
//   - CPU: utime+stime deltas of /proc/<pid>/stat (10 ms ticks), as %
//     of one core; the scrapes' cost is included, as Prometheus's would be.
//   - RSS: VmRSS of /proc/<pid>/status at the end, and the highest of
//     that and samples taken every second.
//   - Scrapes: -scrapes GETs of each /metrics spread over the window,
//     alternating which daemon goes first, plain text without gzip; the
//     median time to the last byte, and the distinct metric names.
//   - Accuracy: the container_cpu_usage_seconds_total rate between the
//     first and last scrape (cAdvisor sums one series per CPU), over the
//     samples' own times (cAdvisor's timestamps; for kwardend the time of
//     the tick /metrics showed, from /api/v1/health), against the
//     cgroup's cpuacct.usage (v2: cpu.stat usage_usec) read every 100 ms
//     and interpolated at those times; container_memory_working_set_bytes
//     against usage − inactive file, and container_memory_rss against
//     memory.stat's total_rss (v2: anon), read right after each scrape.
//   - dockerd (with -dockerd-pid): its CPU in the joint window; with
//     -dockerd-split also with the peer paused before kwardend starts,
//     with the peer alone, and with kwardend alone (the peer paused
//     again), so that what each daemon costs dockerd is its own window
//     less the first. About 5 minutes at -for 60s.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "peerbench:", err)
		os.Exit(1)
	}
}

type options struct {
	dockerHost  string
	kwardend    string
	peerPid     int
	peerMetrics string
	dockerdPid  int
	split       bool
	window      time.Duration
	scrapes     int
	cpuName     string
	ramName     string
	cgroupRoot  string
	proc        procFS
}

func parseFlags() (options, error) {
	var o options
	flag.StringVar(&o.dockerHost, "docker-host", os.Getenv("DOCKER_HOST"), "the Docker engine both daemons watch, unix://…")
	flag.StringVar(&o.kwardend, "kwardend", "", "kwardend binary to start")
	flag.IntVar(&o.peerPid, "peer-pid", 0, "pid of the running peer daemon")
	flag.StringVar(&o.peerMetrics, "peer-metrics", "", "the peer's metrics URL, http://127.0.0.1:PORT/metrics")
	flag.IntVar(&o.dockerdPid, "dockerd-pid", 0, "pid of the engine's dockerd, to measure its CPU too (0: not measured)")
	flag.BoolVar(&o.split, "dockerd-split", true, "with -dockerd-pid: also measure dockerd for a window with neither daemon (the peer paused with SIGSTOP), one with the peer alone and one with kwardend alone")
	flag.DurationVar(&o.window, "for", time.Minute, "length of each measuring window")
	flag.IntVar(&o.scrapes, "scrapes", 10, "scrapes of each /metrics over the window (at least 2)")
	flag.StringVar(&o.cpuName, "cpu-container", "kwb-cpu", "name of a container running kwarden/load:cpu")
	flag.StringVar(&o.ramName, "ram-container", "kwb-ram", "name of a container running kwarden/load:ram")
	flag.StringVar(&o.cgroupRoot, "cgroup-root", "/sys/fs/cgroup", "where the cgroup hierarchies are mounted")
	flag.StringVar(&o.proc.Root, "proc", "/proc", "the proc file system")
	flag.Parse()
	switch {
	case flag.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", flag.Args())
	case o.dockerHost == "" || o.kwardend == "" || o.peerPid <= 0 || o.peerMetrics == "":
		return o, errors.New("-docker-host, -kwardend, -peer-pid and -peer-metrics are required (see go doc ./test/cmd/peerbench)")
	case o.scrapes < 2:
		return o, errors.New("-scrapes: at least 2, for a rate")
	case o.window < time.Second:
		return o, errors.New("-for: at least 1s")
	}
	return o, nil
}

func run(ctx context.Context) error {
	o, err := parseFlags()
	if err != nil {
		return err
	}
	dk, err := newDockerAPI(o.dockerHost)
	if err != nil {
		return err
	}
	defer dk.Close()
	// The ground truth: the cgroups of the two named containers.
	var cgs [2]*cgroupTruth
	for i, name := range []string{o.cpuName, o.ramName} {
		pid, err := dk.inspect(ctx, name)
		if err != nil {
			return err
		}
		if cgs[i], err = newCgroupTruth(o.proc, o.cgroupRoot, pid); err != nil {
			return fmt.Errorf("container %s: %w", name, err)
		}
	}
	peer := &side{name: "peer", pid: o.peerPid, url: o.peerMetrics, client: scrapeClient()}
	if _, err := o.proc.cpu(peer.pid); err != nil {
		return fmt.Errorf("peer pid %d: %w", peer.pid, err)
	}
	if err := peer.scrape(ctx, cgs, o); err != nil { // reachable, and its version
		return fmt.Errorf("peer: %w", err)
	}
	rep := report{opts: o, peer: peer, when: time.Now().UTC(), v2: cgs[0].v2, peerVersion: versionOf(peer.last)}
	if rep.peerVersion != "" {
		peer.name = rep.peerVersion
	}
	peer.reset()

	if o.dockerdPid > 0 && o.split {
		v, err := pausedWindow(ctx, o, "no kwardend")
		if err != nil {
			return err
		}
		rep.dockerd.none = v[0]
		// cAdvisor catches up on its housekeeping after SIGCONT.
		if err := sleep(ctx, 5*time.Second); err != nil {
			return err
		}
		if rep.dockerd.peerOnly, rep.peerAlone, err = aloneWindow(ctx, o); err != nil {
			return err
		}
		rep.split = true
	}

	k, err := startKwardend(ctx, o.kwardend, o.dockerHost)
	if err != nil {
		return err
	}
	defer func() {
		if err := k.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "peerbench:", err)
		}
	}()
	kw := &side{name: "kwarden", pid: k.pid(), url: k.base + "/metrics", client: scrapeClient(), kw: k}
	rep.kw = kw
	if rep.split {
		v, err := pausedWindow(ctx, o, "kwardend alone", kw.pid)
		if err != nil {
			return err
		}
		rep.dockerd.kwOnly, rep.kwAlone = v[0], v[1]
		if err := sleep(ctx, 5*time.Second); err != nil {
			return err
		}
	}
	if rep.running, err = dk.running(ctx); err != nil {
		return err
	}
	if err := jointWindow(ctx, o, cgs, kw, peer, &rep); err != nil {
		return err
	}
	rep.print(os.Stdout)
	return nil
}

func scrapeClient() *http.Client {
	// Plain text: kwardend does not compress, so neither side may.
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true}}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
