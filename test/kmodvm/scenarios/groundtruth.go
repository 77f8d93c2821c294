package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/internal/snapshot"
	"github.com/kwarden/kwarden/test/kmodvm/report"
	"github.com/kwarden/kwarden/test/vm/record"
)

// Tolerances of the ground-truth comparison. The module and procfs cannot
// be read at the same instant, so every module read is sandwiched between
// two procfs walks ("before" and "after"):
//
//   - Identity (ppid, uids, comm, kthread, cgroup, cmdline) must be equal:
//     it cannot change without an exec or a prctl, which nothing does here.
//   - start_time_ns truncated to clock ticks must equal stat field 22
//     exactly: /proc computes that field by the same truncation.
//   - Gauges (threads, state, memory) must equal the procfs value when
//     before == after, else lie between the two.
//   - Counters (I/O) must lie in [before, after].
//   - CPU: stat's utime+stime is the same scheduler runtime cut into two
//     fields and each truncated to 10 ms, so module ≤ (after+2 ticks);
//     the module reads se.sum_exec_runtime without folding in the time
//     a thread has run since the last scheduler tick, so it may lag the
//     before-walk by one tick (1/CONFIG_HZ ≤ 4 ms at HZ=250) per CPU that
//     was running a thread of the process. Σ schedstat, which reads the
//     same field, is a lower bound that must hold exactly.
const (
	tickNs       = procfs.NsPerTick
	runningLagNs = 4_000_000 // one scheduler tick at HZ=250
)

func groundTruth(ctx context.Context, _ []string) error {
	var g group
	defer g.stop()
	rep := &report.GroundTruth{}
	starts := [][]string{
		{"kw-threads", "threads", "6", "150"},
		{"kw-mem", "mem", "64", "16"},
		{"kw-io", "io", "8", "/tmp/kw-io.dat"},
		{"kw-zombie", "zombie"},
		{"kw-spin", "spin"},
		{"kw-stopped", "sleepers", "3"},
	}
	for _, argv := range starts {
		pid, _, err := g.start(ctx, argv...)
		if err != nil {
			return err
		}
		rep.Workloads = append(rep.Workloads, pid)
		if argv[1] == "sleepers" {
			if err := syscall.Kill(-pid, syscall.SIGSTOP); err != nil {
				return err
			}
		}
	}

	walker := &procfs.Walker{Options: procfs.Options{Cmdline: true, Schedstat: true}}
	pageSize := uint64(os.Getpagesize())
	for round := 0; round < 3; round++ {
		before, err := walk(walker)
		if err != nil {
			return err
		}
		mod, _, err := readProcesses()
		if err != nil {
			return fmt.Errorf("read module: %w", err)
		}
		after, err := walk(walker)
		if err != nil {
			return err
		}
		if mod.PageSize != pageSize {
			rep.Failf("page_size %d, getpagesize %d", mod.PageSize, pageSize)
		}
		compareAll(rep, mod, before, after, pageSize)
	}
	mod, _, err := readProcesses()
	if err != nil {
		return err
	}
	checkWorkloads(rep, byPID(mod), rep.Workloads)
	if err := checkSystem(ctx, rep); err != nil {
		return err
	}
	return record.Emit("groundtruth", rep)
}

func walk(w *procfs.Walker) (map[int32]*procfs.Sample, error) {
	pids, err := w.PIDs()
	if err != nil {
		return nil, err
	}
	m := make(map[int32]*procfs.Sample, len(pids))
	for _, pid := range pids {
		s, err := w.Read(pid)
		if errors.Is(err, procfs.ErrGone) {
			continue // exited meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("procfs read of %d: %w", pid, err)
		}
		m[pid] = s
	}
	return m, nil
}

func compareAll(rep *report.GroundTruth, mod *snapshot.Processes, before, after map[int32]*procfs.Sample, pageSize uint64) {
	rep.Processes = len(mod.Processes)
	seen := map[int32]bool{}
	for i := range mod.Processes {
		m := &mod.Processes[i]
		seen[m.PID] = true
		b, a := before[m.PID], after[m.PID]
		startTicks := m.StartTimeNs / tickNs
		if b == nil || a == nil || b.Stat.StartTicks != startTicks || a.Stat.StartTicks != startTicks {
			// Started or exited around the read: churn, not a
			// discrepancy, but only if procfs also lacks it at one end.
			if b != nil && a != nil && b.Stat.StartTicks == a.Stat.StartTicks {
				rep.Failf("pid %d: start_time_ns %d is %d ticks, procfs says %d", m.PID, m.StartTimeNs, startTicks, b.Stat.StartTicks)
			}
			continue
		}
		rep.Compared++
		compareOne(rep, m, b, a, pageSize)
	}
	for pid, b := range before {
		if a := after[pid]; a != nil && a.Stat.StartTicks == b.Stat.StartTicks && !seen[pid] {
			rep.Failf("pid %d (%s) in procfs before and after, missing from the module", pid, b.Stat.Comm)
		}
	}
}

func compareOne(rep *report.GroundTruth, m *snapshot.Process, b, a *procfs.Sample, pageSize uint64) {
	pid := m.PID
	eq := func(field string, got, want any) {
		rep.Fields++
		if got != want {
			rep.Failf("pid %d %s: module %v, procfs %v", pid, field, got, want)
		}
	}
	between := func(field string, got, x, y uint64) {
		rep.Fields++
		lo, hi := min(x, y), max(x, y)
		if got < lo || got > hi {
			rep.Failf("pid %d %s: module %d outside procfs [%d, %d]", pid, field, got, lo, hi)
		}
	}
	eq("ppid", m.PPID, b.Stat.PPID)
	eq("uid", m.UID, b.Status.UID)
	eq("euid", m.EUID, b.Status.EUID)
	if b.Stat.KThread() {
		// For kernel threads /proc prints the full kthread name and a
		// kworker's current workqueue (fs/proc/array.c,
		// proc_task_name()); task->comm is its first 15 bytes.
		rep.Fields++
		if !strings.HasPrefix(b.Stat.Comm, m.Comm) || m.Comm == "" {
			rep.Failf("pid %d comm: module %q is not a prefix of procfs %q", pid, m.Comm, b.Stat.Comm)
		}
	} else {
		eq("comm", m.Comm, jsonText(b.Stat.Comm))
	}
	eq("kthread", m.KThread, b.Stat.KThread())
	eq("cgroup_path", m.CgroupPath, b.CgroupPath)
	rep.Fields++
	if want := procfsArgs(b.Cmdline); !m.CmdlineTruncated && !slices.Equal(m.Cmdline, want) {
		rep.Failf("pid %d cmdline: module %q, procfs %q", pid, m.Cmdline, want)
	}

	ran := b.SchedNs != a.SchedNs
	if !ran {
		eq("state", m.State, string(rune(b.Stat.State)))
	}
	between("threads", uint64(m.Threads), uint64(b.Stat.Threads), uint64(a.Stat.Threads))
	between("vsz_bytes", m.VSZBytes, b.Statm.Size*pageSize, a.Statm.Size*pageSize)
	between("rss_anon_bytes", m.RSSAnonBytes, b.Status.RssAnon, a.Status.RssAnon)
	between("rss_file_bytes", m.RSSFileBytes, b.Status.RssFile, a.Status.RssFile)
	between("rss_shmem_bytes", m.RSSShmemBytes, b.Status.RssShmem, a.Status.RssShmem)
	if b.HasIO && a.HasIO {
		between("rchar", m.RChar, b.IO.RChar, a.IO.RChar)
		between("wchar", m.WChar, b.IO.WChar, a.IO.WChar)
		between("syscr", m.SyscR, b.IO.SyscR, a.IO.SyscR)
		between("syscw", m.SyscW, b.IO.SyscW, a.IO.SyscW)
		between("read_bytes", m.ReadBytes, b.IO.ReadBytes, a.IO.ReadBytes)
		between("write_bytes", m.WriteBytes, b.IO.WriteBytes, a.IO.WriteBytes)
		between("cancelled_write_bytes", m.CancelledWriteBytes, b.IO.CancelledWriteBytes, a.IO.CancelledWriteBytes)
	}

	// CPU, see the tolerance comment at the top of the file.
	rep.Fields += 2
	statBefore := (b.Stat.UTimeTicks + b.Stat.STimeTicks) * tickNs
	statAfter := (a.Stat.UTimeTicks + a.Stat.STimeTicks + 2) * tickNs
	lag := uint64(0)
	if ran {
		lag = runningLagNs * uint64(min(m.Threads, 2))
	}
	if m.CPUNs+lag < statBefore || m.CPUNs > statAfter {
		rep.Failf("pid %d cpu_ns: module %d outside stat [%d, %d] (lag %d)", pid, m.CPUNs, statBefore, statAfter, lag)
	}
	if m.CPUNs+lag < b.SchedNs {
		rep.Failf("pid %d cpu_ns: module %d below Σ schedstat %d", pid, m.CPUNs, b.SchedNs)
	}
}

func procfsArgs(raw []byte) []string {
	args := procfs.SplitCmdline(raw)
	for i, a := range args {
		args[i] = jsonText(a)
	}
	return args
}

// checkWorkloads checks figures that are known from what the workloads
// did, independently of procfs.
func checkWorkloads(rep *report.GroundTruth, mod map[int32]*snapshot.Process, pids []int) {
	get := func(i int) *snapshot.Process {
		p := mod[int32(pids[i])]
		if p == nil {
			rep.Failf("workload %d (pid %d) missing from the module", i, pids[i])
			return &snapshot.Process{}
		}
		return p
	}
	const mib = 1 << 20
	if p := get(0); p.Threads != 1 || p.CPUNs < 6*150_000_000 {
		rep.Failf("threads workload: %d threads, cpu_ns %d; want 1 thread and >= 900 ms from exited threads", p.Threads, p.CPUNs)
	}
	if p := get(1); p.RSSAnonBytes < 64*mib || p.RSSShmemBytes < 16*mib || p.VSZBytes < 80*mib {
		rep.Failf("mem workload: anon %d shmem %d vsz %d; want >= 64 MiB, 16 MiB, 80 MiB", p.RSSAnonBytes, p.RSSShmemBytes, p.VSZBytes)
	}
	if p := get(2); p.WChar < 8*mib || p.RChar < 8*mib {
		rep.Failf("io workload: wchar %d rchar %d; want >= 8 MiB each", p.WChar, p.RChar)
	}
	zombies := 0
	for _, p := range mod {
		if p.PPID == int32(pids[3]) && p.State == "Z" {
			zombies++
		}
	}
	if zombies != 1 {
		rep.Failf("zombie workload: %d zombie children, want 1", zombies)
	}
	if p := get(4); p.CPUNs == 0 {
		rep.Failf("spin workload: no CPU time")
	}
	if p := get(5); p.State != "T" {
		rep.Failf("stopped workload: state %q, want T", p.State)
	}
}
