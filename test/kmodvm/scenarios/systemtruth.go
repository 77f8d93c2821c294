package main

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/kwarden/kwarden/internal/kmodfmt"
	"github.com/kwarden/kwarden/internal/snapshot"
	"github.com/kwarden/kwarden/test/kmodvm/report"
)

// procStat is the cpu lines of /proc/stat, in clock ticks, and the
// number of per-CPU lines.
type procStat struct {
	total [10]uint64
	cpus  int
}

func readProcStat() (procStat, error) {
	var st procStat
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 11 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		if f[0] != "cpu" {
			st.cpus++
			continue
		}
		for i := range st.total {
			if st.total[i], err = strconv.ParseUint(f[i+1], 10, 64); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

// checkSystem compares /proc/kwarden/system with /proc/meminfo, /proc/stat
// and /proc/loadavg read before and after it. Memory moves a little while
// the guest runs, so free, available and cache figures may differ by
// 4 MiB beyond the before/after range; CPU times may differ by one clock
// tick per state, the truncation of /proc/stat; the total and the
// structure must be exact.
func checkSystem(ctx context.Context, rep *report.GroundTruth) error {
	m0, err := meminfo()
	if err != nil {
		return err
	}
	s0, err := readProcStat()
	if err != nil {
		return err
	}
	l0, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return err
	}
	sys, err := (&kmodfmt.Reader{}).System(ctx)
	if err != nil {
		return err
	}
	m1, err := meminfo()
	if err != nil {
		return err
	}
	s1, err := readProcStat()
	if err != nil {
		return err
	}
	l1, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return err
	}

	rep.Fields += 12
	if sys.Memory.TotalBytes != m0["MemTotal"] {
		rep.Failf("system memory.total_bytes %d, MemTotal %d", sys.Memory.TotalBytes, m0["MemTotal"])
	}
	const slack = 4 << 20
	near := func(name string, got, a, b uint64) {
		rep.Fields++
		if got+slack < min(a, b) || got > max(a, b)+slack {
			rep.Failf("system %s %d, /proc/meminfo %d..%d", name, got, a, b)
		}
	}
	near("free_bytes", sys.Memory.FreeBytes, m0["MemFree"], m1["MemFree"])
	near("available_bytes", sys.Memory.AvailableBytes, m0["MemAvailable"], m1["MemAvailable"])
	near("buffers_bytes", sys.Memory.BuffersBytes, m0["Buffers"], m1["Buffers"])
	near("cached_bytes", sys.Memory.CachedBytes, m0["Cached"], m1["Cached"])
	near("shmem_bytes", sys.Memory.ShmemBytes, m0["Shmem"], m1["Shmem"])
	mem := sys.Memory
	if mem.UsedBytes != mem.TotalBytes-mem.FreeBytes-mem.BuffersBytes-mem.CachedBytes {
		rep.Failf("system used_bytes %d is not total - free - buffers - cached", mem.UsedBytes)
	}
	if sys.PageSize != uint64(os.Getpagesize()) || sys.CPUs != runtime.NumCPU() || len(sys.CPU) != s0.cpus {
		rep.Failf("system page_size %d cpus %d per-cpu %d; want %d, %d, %d", sys.PageSize, sys.CPUs, len(sys.CPU), os.Getpagesize(), runtime.NumCPU(), s0.cpus)
	}
	t := sys.CPUTotal
	got := [10]uint64{t.UserNs, t.NiceNs, t.SystemNs, t.IdleNs, t.IOWaitNs, t.IRQNs, t.SoftIRQNs, t.StealNs, t.GuestNs, t.GuestNice}
	names := []string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"}
	for i := range got {
		rep.Fields++
		// iowait may go backwards in /proc/stat (it is an estimate on
		// NO_HZ), so it gets the same range check without ordering.
		lo, hi := min(s0.total[i], s1.total[i]), max(s0.total[i], s1.total[i])
		ticks := got[i] / tickNs
		if ticks+uint64(s0.cpus) < lo || ticks > hi+uint64(s0.cpus) {
			rep.Failf("system cpu_total %s %d ticks, /proc/stat %d..%d", names[i], ticks, lo, hi)
		}
	}
	var sum snapshot.CPUTimes
	for _, c := range sys.CPU {
		sum.UserNs += c.UserNs
		sum.IdleNs += c.IdleNs
	}
	rep.Fields++
	if diff := int64(sum.UserNs+sum.IdleNs) - int64(t.UserNs+t.IdleNs); diff < -int64(tickNs)*4 || diff > int64(tickNs)*4 {
		rep.Failf("system per-CPU user+idle sum %d differs from cpu_total by %d ns", sum.UserNs+sum.IdleNs, diff)
	}
	rep.Fields++
	if f := strings.Fields(string(l0)); string(l0) == string(l1) &&
		(sys.Load.Avg1 != f[0] || sys.Load.Avg5 != f[1] || sys.Load.Avg15 != f[2]) {
		rep.Failf("system load %+v, /proc/loadavg %q", sys.Load, l0)
	}
	pids, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	n := 0
	for _, d := range pids {
		if _, err := strconv.Atoi(d.Name()); err == nil {
			n++
		}
	}
	rep.Fields++
	if diff := int(sys.Tasks.Processes) - n; diff < -3 || diff > 3 || sys.Tasks.Threads < sys.Tasks.Processes {
		rep.Failf("system tasks %+v, /proc has %d processes", sys.Tasks, n)
	}
	return nil
}
