package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kwarden/kwarden/internal/kmodfmt"
	"github.com/kwarden/kwarden/internal/snapshot"
)

// demo shows what the module publishes: it starts two container-like
// workloads in Docker-named cgroups, samples twice to derive CPU %, and
// prints the course's console summary.
func demo(ctx context.Context, _ []string) error {
	var g group
	defer g.stop()
	work := []struct {
		id   string
		argv []string
	}{
		{strings.Repeat("c0ffee", 10) + "c0de", []string{"kwarden-load", "spin"}},
		{strings.Repeat("0badf00d", 8), []string{"kwarden-load", "mem", "96", "0"}},
	}
	for _, w := range work {
		dir := filepath.Join(cgroupRoot, "system.slice", "docker-"+w.id+".scope")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		pid, _, err := g.start(ctx, w.argv...)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return err
		}
	}
	r := &kmodfmt.Reader{}
	v, err := r.Version(ctx)
	if err != nil {
		return err
	}
	first, err := r.Processes(ctx)
	if err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	second, err := r.Processes(ctx)
	if err != nil {
		return err
	}
	sys, err := r.System(ctx)
	if err != nil {
		return err
	}
	ctrs, err := r.Containers(ctx)
	if err != nil {
		return err
	}

	const mib = 1 << 20
	fmt.Printf("\nkwarden %s on Linux %s, schema %d\n", v.Module, v.Kernel, kmodfmt.Schema)
	m := sys.Memory
	fmt.Printf("memory: total %d MiB, free %d MiB, available %d MiB, used %d MiB; %d processes, %d threads, load %s\n",
		m.TotalBytes/mib, m.FreeBytes/mib, m.AvailableBytes/mib, m.UsedBytes/mib, sys.Tasks.Processes, sys.Tasks.Threads, sys.Load.Avg1)

	prev := map[snapshot.Key]uint64{}
	for _, p := range first.Processes {
		prev[p.Key()] = p.CPUNs
	}
	wall := float64(second.TimeNs - first.TimeNs)
	procs := slices.Clone(second.Processes)
	cpuPct := func(p *snapshot.Process) float64 {
		before, ok := prev[p.Key()]
		if !ok || wall <= 0 {
			return 0
		}
		return 100 * float64(p.CPUNs-before) / wall
	}
	slices.SortFunc(procs, func(a, b snapshot.Process) int { return int(b.RSSBytes()>>10) - int(a.RSSBytes()>>10) })
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nPID\tCOMM\tSTATE\tCPU%\tRSS MiB\tMEM%\tCONTAINER")
	for _, p := range procs[:min(8, len(procs))] {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.1f\t%.1f\t%.1f\t%.12s\n", p.PID, p.Comm, p.State, cpuPct(&p),
			float64(p.RSSBytes())/mib, 100*float64(p.RSSBytes())/float64(m.TotalBytes), p.ContainerID)
	}
	fmt.Fprintln(tw, "\nCONTAINER\tRUNTIME\tPROCS\tRSS MiB\tCGROUP")
	for _, c := range ctrs.Containers {
		fmt.Fprintf(tw, "%.12s\t%s\t%d\t%.1f\t%s\n", c.ID, c.Runtime, c.Processes,
			float64(c.RSSAnonBytes+c.RSSFileBytes+c.RSSShmemBytes)/mib, c.CgroupPath)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return demoCrossCheck(ctx)
}

// demoCrossCheck reads the eBPF view right after the module's and prints
// what the cross-check makes of the pair.
func demoCrossCheck(ctx context.Context) error {
	v, err := openViews(ctx)
	if err != nil {
		fmt.Printf("\ncross-check: eBPF view unavailable: %v\n", err)
		return nil
	}
	defer v.col.Close()
	r, err := v.compare(ctx, true)
	if err != nil {
		return err
	}
	fmt.Printf("\ncross-check, module vs eBPF (%s, exit hook %s): %d and %d processes, %d matched, "+
		"%d fields compared; churn %d, missing %d, drift %d\n",
		r.Order, v.col.ExitHook(), r.InA, r.InB, r.Matched, r.FieldsCompared, len(r.Churn), len(r.Missing), len(r.Drift))
	for _, d := range r.Drift {
		fmt.Printf("  drift: pid %d %s %s: module %s, eBPF %s (%s)\n", d.PID, d.Comm, d.Field, d.A, d.B, d.Rule)
	}
	for _, m := range r.Missing {
		fmt.Printf("  missing: pid %d %s only in %s: %s\n", m.PID, m.Comm, m.OnlyIn, m.Reason)
	}
	return nil
}
