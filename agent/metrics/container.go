package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/source"
)

const (
	gauge   = prometheus.GaugeValue
	counter = prometheus.CounterValue
)

// container sends one running container's metrics: f is its tick, s its
// scrape-time cgroup stats (ok false: none, the cgroup went or could not
// be read, and the names that need them are left out for it).
func (sc *scrape) container(ls series, f apiv1.ContainerFigures, s source.CgroupStats, ok bool, now float64) {
	cpu := ls.with("cpu", "total")
	sc.emit("container_cpu_usage_seconds_total", "CPU time the container's processes used, exited ones included.", counter, cpu,
		float64(f.CPUNs)/1e9)
	sc.emit("container_memory_usage_bytes", "The container's memory cgroup usage, page cache included.", gauge, ls,
		float64(f.MemUsageBytes))
	sc.emit("container_memory_working_set_bytes", "Memory cgroup usage less its inactive file pages: what the kernel would not reclaim first.",
		gauge, ls, float64(f.WorkingSetBytes))
	started := f.Started
	if started.IsZero() {
		started = f.Created
	}
	sc.emit("container_start_time_seconds", "When the container last started, Unix seconds.", gauge, ls, float64(started.Unix()))
	sc.emit("container_last_seen", "When the exporter last saw the container, Unix seconds.", gauge, ls, now)
	for _, t := range []struct {
		state string
		n     int
	}{{"running", f.Tasks.Running}, {"sleeping", f.Tasks.Sleeping}, {"uninterruptible", f.Tasks.Uninterruptible},
		{"stopped", f.Tasks.Stopped}, {"iowait", 0}} {
		st := ls.with("state", t.state)
		sc.emit("container_tasks_state", "The container's threads by state.", gauge, st, float64(t.n))
	}
	if ok {
		sc.cgroup(ls, s)
		sc.spec(ls, s)
	}
	own := []struct {
		name, help string
		t          prometheus.ValueType
		v          float64
	}{
		{"kwarden_container_cpu_percent", "CPU use over the last tick, % of one core.", gauge, f.CPUPercent},
		{"kwarden_container_processes", "Processes (thread groups) in the container.", gauge, float64(f.Processes)},
		{"kwarden_container_threads", "Threads in the container.", gauge, float64(f.Threads)},
		{"kwarden_container_high", "1 when the container is classed high consumption.", gauge, b2f(f.Class == apiv1.ClassHigh)},
		{"kwarden_container_ram_percent", "The processes' resident memory, % of the machine's.", gauge, f.RAMPercent},
		{"kwarden_container_processes_rss_bytes", "The processes' resident memory (VmRSS summed: anonymous, file and shared pages).", gauge, float64(f.RSSBytes)},
		{"kwarden_container_processes_read_bytes_total", "Bytes the processes read from storage (their I/O counters), exited ones not included.", counter, float64(f.ReadBytes)},
		{"kwarden_container_processes_write_bytes_total", "Bytes the processes wrote to storage (their I/O counters), exited ones not included.", counter, float64(f.WriteBytes)},
	}
	for _, m := range own {
		sc.emit(m.name, m.help, m.t, ls, m.v)
	}
}

// cgroup sends the figures of a cgroup's files, for a container or the
// root.
func (sc *scrape) cgroup(ls series, s source.CgroupStats) {
	for _, m := range []struct {
		name, help string
		t          prometheus.ValueType
		v          float64
	}{
		{"container_cpu_user_seconds_total", "CPU time in user mode, by the cgroup's account.", counter, s.CPUUser},
		{"container_cpu_system_seconds_total", "CPU time in kernel mode, by the cgroup's account.", counter, s.CPUSystem},
		{"container_memory_rss", "Anonymous memory (memory.stat's rss, or anon on cgroup v2): not file pages.", gauge, float64(s.RSS)},
		{"container_memory_cache", "Page cache memory (memory.stat's cache, or file).", gauge, float64(s.Cache)},
		{"container_memory_mapped_file", "Memory-mapped file pages (memory.stat's mapped_file, or file_mapped).", gauge, float64(s.MappedFile)},
		{"container_memory_swap", "Swap in use.", gauge, float64(s.Swap)},
		// A counter without _total: a gauge, so that promtool's rules hold
		// (cAdvisor types it a counter; rate() reads either).
		{"container_memory_failcnt", "Times the memory usage hit the limit.", gauge, float64(s.Failcnt)},
		{"container_memory_max_usage_bytes", "The highest memory usage the cgroup recorded.", gauge, float64(s.MaxUsage)},
		{"container_oom_events_total", "Processes the OOM killer killed in the cgroup.", counter, float64(s.OOMKills)},
	} {
		sc.emit(m.name, m.help, m.t, ls, m.v)
	}
	for _, d := range s.IO {
		dev := ls.with("device", d.Device)
		sc.emit("container_fs_reads_bytes_total", "Bytes the cgroup read from a block device.", counter, dev, float64(d.Read))
		sc.emit("container_fs_writes_bytes_total", "Bytes the cgroup wrote to a block device (buffered writes are charged to the cgroup that writes them back, on cgroup v1 the root).",
			counter, dev, float64(d.Write))
	}
	for _, p := range []struct {
		res string
		p   *source.Pressure
	}{{"cpu", s.CPUPressure}, {"memory", s.MemoryPressure}, {"io", s.IOPressure}} {
		if p.p == nil {
			continue
		}
		sc.emit("container_pressure_"+p.res+"_waiting_seconds_total", "Time at least one task waited for "+p.res+" (pressure, some).",
			counter, ls, p.p.Waiting)
		sc.emit("container_pressure_"+p.res+"_stalled_seconds_total", "Time all tasks were stalled on "+p.res+" (pressure, full).",
			counter, ls, p.p.Stalled)
	}
}

// spec sends a container's limits.
func (sc *scrape) spec(ls series, s source.CgroupStats) {
	sc.emit("container_spec_memory_limit_bytes", "The memory limit, 0 when unlimited.", gauge, ls, float64(s.MemoryLimit))
	if !s.HasCPUSpec {
		return
	}
	sc.emit("container_spec_cpu_shares", "The CPU shares (cgroup v1's scale; v2's weight converted).", gauge, ls, float64(s.CPUShares))
	sc.emit("container_spec_cpu_period", "The CPU quota's period, µs.", gauge, ls, float64(s.CPUPeriod))
	if s.CPUQuota > 0 {
		sc.emit("container_spec_cpu_quota", "The CPU quota per period, µs.", gauge, ls, float64(s.CPUQuota))
	}
}

// machine sends the root cgroup's series, id="/": the whole machine.
func (sc *scrape) machine(ls series, s source.CgroupStats, now float64) {
	cpu := ls.with("cpu", "total")
	sc.emit("container_cpu_usage_seconds_total", "CPU time the container's processes used, exited ones included.", counter, cpu,
		s.CPUUsage)
	sc.emit("container_memory_usage_bytes", "The container's memory cgroup usage, page cache included.", gauge, ls, float64(s.MemUsage))
	sc.emit("container_memory_working_set_bytes", "Memory cgroup usage less its inactive file pages: what the kernel would not reclaim first.",
		gauge, ls, float64(s.WorkingSet))
	sc.emit("container_last_seen", "When the exporter last saw the container, Unix seconds.", gauge, ls, now)
	sc.cgroup(ls, s)
}
