package api

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// metrics writes the Prometheus text format by hand: a handful of
// gauges and counters with cAdvisor's names where cAdvisor has one, so
// that dashboards written for cAdvisor work unchanged.
func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
	st := s.b.State()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m := &promWriter{w: w}
	m.family("kwarden_tick", "gauge", "Ticks the daemon has run.")
	m.sample("kwarden_tick", nil, float64(st.Tick))
	m.family("kwarden_source_up", "gauge", "1 when a kernel view answers, 0 when missing or failing.")
	for _, src := range st.Sources {
		m.sample("kwarden_source_up", [][2]string{{"source", src.Name}}, b2f(src.State == "ok"))
	}
	m.family("kwarden_docker_up", "gauge", "1 when the Docker engine answers.")
	m.sample("kwarden_docker_up", nil, b2f(st.Docker.Connected))
	m.family("kwarden_crosscheck_discrepancies", "gauge", "Missing processes and drifting fields in the last cross-check.")
	m.sample("kwarden_crosscheck_discrepancies", nil, float64(st.System.Discrepancies))
	m.family("kwarden_memory_bytes", "gauge", "System memory by state (used is total − available).")
	for _, kv := range [][2]any{{"total", st.System.MemTotalBytes}, {"used", st.System.MemUsedBytes},
		{"free", st.System.MemFreeBytes}, {"available", st.System.MemAvailBytes}} {
		m.sample("kwarden_memory_bytes", [][2]string{{"state", kv[0].(string)}}, float64(kv[1].(uint64)))
	}
	m.family("kwarden_cpu_usage_percent", "gauge", "CPU use of the whole machine over the last tick, % of all CPUs.")
	m.sample("kwarden_cpu_usage_percent", nil, st.System.CPUPercent)

	type fam struct{ name, typ, help string }
	fams := []fam{
		{"container_cpu_usage_seconds_total", "counter", "Cumulative CPU time of the container's processes (cAdvisor name)."},
		{"container_memory_working_set_bytes", "gauge", "Memory cgroup usage minus inactive file pages (cAdvisor name)."},
		{"container_memory_usage_bytes", "gauge", "Memory cgroup usage (cAdvisor name)."},
		{"container_memory_rss", "gauge", "RSS of the container's processes (cAdvisor name)."},
		{"container_fs_reads_bytes_total", "counter", "Bytes read from storage by the container's processes."},
		{"container_fs_writes_bytes_total", "counter", "Bytes written to storage by the container's processes."},
		{"kwarden_container_cpu_percent", "gauge", "CPU use over the last tick, % of one core."},
		{"kwarden_container_processes", "gauge", "Processes in the container."},
		{"kwarden_container_high", "gauge", "1 when the container is classed high consumption."},
	}
	for _, f := range fams {
		m.family(f.name, f.typ, f.help)
		for _, c := range st.Containers {
			if !c.Running {
				continue
			}
			labels := [][2]string{{"id", "/docker/" + c.ID}, {"name", c.Name}, {"image", c.Image}, {"kind", c.Kind}}
			var v float64
			switch f.name {
			case "container_cpu_usage_seconds_total":
				v = float64(c.CPUNs) / 1e9
			case "container_memory_working_set_bytes":
				v = float64(c.WorkingSetBytes)
			case "container_memory_usage_bytes":
				v = float64(c.MemUsageBytes)
			case "container_memory_rss":
				v = float64(c.RSSBytes)
			case "container_fs_reads_bytes_total":
				v = float64(c.ReadBytes)
			case "container_fs_writes_bytes_total":
				v = float64(c.WriteBytes)
			case "kwarden_container_cpu_percent":
				v = c.CPUPercent
			case "kwarden_container_processes":
				v = float64(c.Processes)
			case "kwarden_container_high":
				v = b2f(c.Class == "high")
			}
			m.sample(f.name, labels, v)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

type promWriter struct{ w io.Writer }

func (m *promWriter) family(name, typ, help string) {
	fmt.Fprintf(m.w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func (m *promWriter) sample(name string, labels [][2]string, v float64) {
	var b strings.Builder
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l[0])
			b.WriteString(`="`)
			b.WriteString(escapeLabel(l[1]))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	fmt.Fprintf(m.w, "%s %g\n", b.String(), v)
}

// escapeLabel escapes a label value for the text format.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}
