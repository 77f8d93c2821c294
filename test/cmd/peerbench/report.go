package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// report is everything one run measured.
type report struct {
	opts        options
	when        time.Time
	running     int
	v2          bool
	wall        time.Duration
	cpuLog      cpuLog // the cpu container's counter every 100 ms over the window
	kw, peer    *side
	peerVersion string

	split     bool    // the windows of one daemon at a time were run
	peerAlone float64 // the peer's CPU in its window alone
	kwAlone   float64 // kwardend's in its window alone
	dockerd   struct {
		// % of one core: neither daemon (the peer paused); the peer
		// alone; kwardend alone (the peer paused); both
		none, peerOnly, kwOnly, both float64
	}
}

// cpuRate is the cpu container's CPU rate in cores between the first and
// the last observation that has the series, over the daemon's own sample
// times: the daemon's figure, and the cgroup's counter interpolated at
// those times from log (or, outside it, read right after the scrapes).
func cpuRate(obs []observation, log cpuLog) (daemon, cgroup float64, ok bool) {
	var have []observation
	for _, o := range obs {
		if o.cpuN > 0 {
			have = append(have, o)
		}
	}
	if len(have) < 2 {
		return 0, 0, false
	}
	a, b := have[0], have[len(have)-1]
	dt := b.cpuAt.Sub(a.cpuAt).Seconds()
	if dt <= 0 {
		return 0, 0, false
	}
	daemon = (b.cpuSec - a.cpuSec) / dt
	ta, okA := log.at(a.cpuAt)
	tb, okB := log.at(b.cpuAt)
	if okA && okB {
		return daemon, (tb - ta) / 1e9 / dt, true
	}
	tt := b.truthAt.Sub(a.truthAt).Seconds()
	if tt <= 0 {
		return 0, 0, false
	}
	return daemon, float64(b.cpuTruth.cpuNs-a.cpuTruth.cpuNs) / 1e9 / tt, true
}

// memoryFit is a memory figure at the last observation that has it,
// the cgroup's at that moment, and the worst relative error (%) over
// all observations.
type memoryFit struct {
	daemon, cgroup float64
	worst          float64
	ok             bool
}

func fitMemory(obs []observation, pick func(observation) (daemon float64, n int, cgroup float64)) memoryFit {
	var f memoryFit
	for _, o := range obs {
		d, n, c := pick(o)
		if n == 0 || c == 0 {
			continue
		}
		f.daemon, f.cgroup, f.ok = d, c, true
		if e := relErr(d, c); math.Abs(e) > math.Abs(f.worst) {
			f.worst = e
		}
	}
	return f
}

func workingSetOf(o observation) (float64, int, float64) {
	return o.workingSet, o.wsN, float64(o.ramTruth.workingSet)
}

func rssOf(o observation) (float64, int, float64) {
	return o.rss, o.rssN, float64(o.ramTruth.rss)
}

func relErr(got, want float64) float64 { return 100 * (got - want) / want }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// spread is the median and the range of some durations.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (%.1f–%.1f)", ms(median(ds)), float64(slices.Min(ds))/1e6, float64(slices.Max(ds))/1e6)
}

func ratio(peer, kw float64) string {
	if kw <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f×", peer/kw)
}

func size(b int) string {
	if b >= 1<<20 {
		return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
}

// thousands writes n with commas, as the project's tables do.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (r *report) print(w io.Writer) {
	peerShort := "peer"
	if strings.HasPrefix(r.peerVersion, "cAdvisor") {
		peerShort = "cAdvisor"
	}
	cg := "v1"
	if r.v2 {
		cg = "v2"
	}
	fmt.Fprintf(w, "peerbench, %s: %d running containers; a %.1f s window, %d scrapes of each /metrics; cgroup %s\n",
		r.when.Format("2006-01-02 15:04 UTC"), r.running, r.wall.Seconds(), r.opts.scrapes, cg)
	fmt.Fprintf(w, "kwarden: %s, pid %d; peer: %s, pid %d, %s\n\n", r.opts.kwardend, r.kw.pid, r.peer.name, r.peer.pid, r.peer.url)

	fmt.Fprintf(w, "| figure | kwarden | %s | %s ÷ kwarden | the cgroup's own files |\n", r.peer.name, peerShort)
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: |")
	row := func(figure, kw, peer, rat, truth string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", figure, kw, peer, rat, truth)
	}
	k, p := r.kw, r.peer
	row("CPU, % of one core", fmt.Sprintf("%.2f %%", k.cpu), fmt.Sprintf("%.2f %%", p.cpu), ratio(p.cpu, k.cpu), "")
	if k.childCPU > 0 || p.childCPU > 0 {
		row("CPU of children it reaped, % of one core", fmt.Sprintf("%.2f %%", k.childCPU), fmt.Sprintf("%.2f %%", p.childCPU), "", "")
	}
	row("RSS at the end", mib(float64(k.rssEnd)), mib(float64(p.rssEnd)), ratio(float64(p.rssEnd), float64(k.rssEnd)), "")
	row("RSS, peak (every 1 s and at the end)", mib(float64(k.rssPeak)), mib(float64(p.rssPeak)), ratio(float64(p.rssPeak), float64(k.rssPeak)), "")
	km, pm := median(k.scrapes), median(p.scrapes)
	row(fmt.Sprintf("/metrics scrape, median of %d (min–max)", len(k.scrapes)), spread(k.scrapes), spread(p.scrapes), ratio(float64(pm), float64(km)), "")
	row("/metrics answer", fmt.Sprintf("%s, %s series", size(k.bytes), thousands(len(k.last.samples))),
		fmt.Sprintf("%s, %s series", size(p.bytes), thousands(len(p.last.samples))), ratio(float64(p.bytes), float64(k.bytes)), "")
	row("metric names", thousands(k.last.names()), thousands(p.last.names()), "", "")
	if r.split {
		row("dockerd CPU it causes, % of one core (its window alone less neither)",
			fmt.Sprintf("%+.2f %%", r.dockerd.kwOnly-r.dockerd.none), fmt.Sprintf("%+.2f %%", r.dockerd.peerOnly-r.dockerd.none), "", "")
	}

	cpuFile, wsFile, rssFile := "cpuacct.usage", "usage_in_bytes − total_inactive_file", "total_rss"
	if r.v2 {
		cpuFile, wsFile, rssFile = "cpu.stat usage_usec", "memory.current − inactive_file", "anon"
	}
	kd, kc, kok := cpuRate(k.obs, r.cpuLog)
	pd, pc, pok := cpuRate(p.obs, r.cpuLog)
	rate := func(d, c float64, ok bool) string {
		if !ok {
			return "absent"
		}
		return fmt.Sprintf("%.4f (%+.2f %%)", d, relErr(d, c))
	}
	truthCell := "–"
	if kok {
		truthCell = fmt.Sprintf("%.4f (%s)", kc, cpuFile)
	}
	row(r.opts.cpuName+" CPU rate, cores", rate(kd, kc, kok), rate(pd, pc, pok), "", truthCell)
	for _, m := range []struct {
		figure, file string
		pick         func(observation) (float64, int, float64)
	}{
		{r.opts.ramName + " working set", wsFile, workingSetOf},
		{r.opts.ramName + " RSS", rssFile, rssOf},
	} {
		kf, pf := fitMemory(k.obs, m.pick), fitMemory(p.obs, m.pick)
		cell := func(f memoryFit) string {
			if !f.ok {
				return "absent"
			}
			return fmt.Sprintf("%s (%+.2f %%; worst %+.2f %%)", mib(f.daemon), relErr(f.daemon, f.cgroup), f.worst)
		}
		truthCell := "–"
		if kf.ok {
			truthCell = fmt.Sprintf("%s (%s)", mib(kf.cgroup), m.file)
		}
		row(m.figure, cell(kf), cell(pf), "", truthCell)
	}
	fmt.Fprintf(w, "\nAccuracy: memory at the last scrape (in brackets the error there and the worst of all %d), against the cgroup files "+
		"read right after that daemon's scrape (the last column: after kwarden's). CPU rates between the first and the last scrape, "+
		"over each daemon's own sample times, against the cgroup's counter read every 100 ms and interpolated at those times "+
		"(the last column: at kwarden's).\n", r.opts.scrapes)
	if r.opts.dockerdPid > 0 {
		fmt.Fprintf(w, "dockerd (pid %d), %% of one core:", r.opts.dockerdPid)
		if r.split {
			fmt.Fprintf(w, " neither daemon (peer paused) %.2f %%; peer alone %.2f %%; kwardend alone (peer paused) %.2f %%;",
				r.dockerd.none, r.dockerd.peerOnly, r.dockerd.kwOnly)
		}
		fmt.Fprintf(w, " both running %.2f %%.\n", r.dockerd.both)
	}
	if r.split {
		fmt.Fprintf(w, "Each daemon alone, in its own window without scrapes: kwarden %.2f %%, %s %.2f %% of one core.\n",
			r.kwAlone, r.peer.name, r.peerAlone)
	}
}
