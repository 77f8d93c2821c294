package metrics

import (
	"log/slog"
	"regexp"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/source"
)

// Collector turns the daemon's state and the scrape's cgroup stats into
// metrics. It is an unchecked collector (Describe sends nothing): the
// container_label_* label names depend on the containers of the moment.
type Collector struct {
	state func() apiv1.State
	stats *source.StatsReader
	log   *slog.Logger
	now   func() time.Time
}

// New collects from state and stats (nil: no scrape-time cgroup figures).
func New(state func() apiv1.State, stats *source.StatsReader, log *slog.Logger) *Collector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Collector{state: state, stats: stats, log: log, now: time.Now}
}

// Describe sends nothing: the collector is unchecked.
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect sends every metric of the last tick.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.state()
	s := &scrape{ch: ch, descs: map[descKey]*prometheus.Desc{}, log: c.log}
	s.daemon(st)
	var running []apiv1.ContainerFigures
	for _, f := range st.Containers {
		if f.Running {
			running = append(running, f)
		}
	}
	stats := map[string]source.CgroupStats{}
	var root source.CgroupStats
	haveRoot := false
	if c.stats != nil {
		var err error
		stats, root, err = c.stats.Read(running)
		if err != nil {
			c.log.Warn("cgroup stats for /metrics", "err", err)
		}
		haveRoot = err == nil || root.MemUsage > 0
	}
	labels := newLabelSet(running)
	now := float64(c.now().Unix())
	for _, f := range running {
		cs, ok := stats[f.ID]
		s.container(labelled(labels.names, labels.values(f)), f, cs, ok, now)
	}
	if haveRoot {
		s.machine(labelled(labels.names, labels.empty()), root, now)
	}
}

// labelSet is cAdvisor's label set: id, name, image, then one
// container_label_<key> for each Docker label key any container has,
// sanitised (two keys that sanitise alike keep the first, sorted).
type labelSet struct {
	names []string
	keys  []string // the Docker label key of each container_label_ name
}

var invalidLabelChars = regexp.MustCompile(`[^a-zA-Z0-9_]`)

func newLabelSet(cs []apiv1.ContainerFigures) labelSet {
	keys := map[string]bool{}
	for _, c := range cs {
		for k := range c.Labels {
			keys[k] = true
		}
	}
	ls := labelSet{names: []string{"id", "name", "image"}}
	seen := map[string]bool{}
	for _, k := range slices.Sorted(mapKeys(keys)) {
		n := "container_label_" + invalidLabelChars.ReplaceAllString(k, "_")
		if seen[n] {
			continue
		}
		seen[n] = true
		ls.names = append(ls.names, n)
		ls.keys = append(ls.keys, k)
	}
	return ls
}

func (ls labelSet) values(c apiv1.ContainerFigures) []string {
	id := c.Cgroups.MemPath
	if id == "" {
		id = c.Cgroups.V2Path
	}
	if id == "" {
		id = "/docker/" + c.ID
	}
	v := []string{id, c.Name, c.Image}
	for _, k := range ls.keys {
		v = append(v, c.Labels[k])
	}
	return v
}

// empty is the root's: id "/", nothing else.
func (ls labelSet) empty() []string {
	v := make([]string, len(ls.names))
	v[0] = "/"
	return v
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// scrape is one Collect: where metrics go, and the descriptions built so
// far. A description is the same for every container (its label names
// are the scrape's); building one validates and hashes every name, and
// building one per series was a third of a scrape's cost.
type scrape struct {
	ch    chan<- prometheus.Metric
	descs map[descKey]*prometheus.Desc
	log   *slog.Logger
}

// descKey tells a scrape's descriptions apart: within one scrape a
// metric's label names are the label set's, plus at most one more.
type descKey struct {
	name, last string
	labels     int
}

// emit sends one value of ls. The registry checks what a Desc would
// (names, UTF-8, duplicates) and leaves out, and logs, what fails.
func (s *scrape) emit(name, help string, t prometheus.ValueType, ls series, v float64) {
	k := descKey{name: name, labels: len(ls.names)}
	if len(ls.names) > 0 {
		k.last = ls.names[len(ls.names)-1]
	}
	d, ok := s.descs[k]
	if !ok {
		d = prometheus.NewDesc(name, help, ls.names, nil)
		s.descs[k] = d
	}
	s.ch <- &sample{desc: d, pairs: ls.pairs, t: t, value: v}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (s *scrape) daemon(st apiv1.State) {
	g, k := prometheus.GaugeValue, prometheus.CounterValue
	none := series{}
	s.emit("kwarden_ticks_total", "Ticks the daemon has recorded since it started.", k, none, float64(st.Tick))
	for _, src := range st.Sources {
		l := labelled([]string{"source"}, []string{src.Name})
		s.emit("kwarden_source_success", "1 when the source's last read succeeded, 0 when it failed or the source is unavailable.", g, l,
			b2f(src.State == apiv1.SourceOK))
		s.emit("kwarden_source_duration_seconds", "How long the source's last read took.", g, l, src.DurationSeconds)
		s.emit("kwarden_source_reads_total", "Reads of the source since the daemon started.", k, l, float64(src.Reads))
		s.emit("kwarden_source_failures_total", "Reads of the source that failed.", k, l, float64(src.Failures))
	}
	s.emit("kwarden_docker_up", "1 when the Docker engine answers.", g, none, b2f(st.Docker.Connected))
	s.emit("kwarden_crosscheck_discrepancies", "Missing processes, drifting fields and duplicates in the last cross-check of the two kernel views.", g, none,
		float64(st.System.Discrepancies))
	if st.ProcView != nil {
		s.emit("kwarden_hidden_processes", "Processes the kernel views list that /proc does not show (the third view's last check).", g, none,
			float64(len(st.ProcView.Hidden)))
	}
	for _, kv := range []struct {
		state string
		v     uint64
	}{{"total", st.System.MemTotalBytes}, {"used", st.System.MemUsedBytes}, {"free", st.System.MemFreeBytes}, {"available", st.System.MemAvailBytes}} {
		s.emit("kwarden_memory_bytes", "The machine's memory by state (used is total − available).", g, none.with("state", kv.state), float64(kv.v))
	}
	s.emit("kwarden_cpu_usage_percent", "The machine's CPU use over the last tick, % of all CPUs.", g, none, st.System.CPUPercent)
	s.emit("kwarden_processes", "Processes (thread groups) the kernel view listed at the last tick.", g, none, float64(st.System.Processes))
}
