package main

import (
	"math"
	"os"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
)

func readExposition(t *testing.T, path string) *exposition {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := parseExposition(b)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestExpositionCAdvisorShape(t *testing.T) {
	e := readExposition(t, "testdata/cadvisor.txt")
	// cadvisor_version_info, container_cpu_usage_seconds_total,
	// container_memory_working_set_bytes, container_memory_rss,
	// container_scrape_error, three go_gc_duration_seconds_*,
	// process_start_time_seconds.
	if got := e.names(); got != 9 {
		t.Errorf("names = %d, want 9", got)
	}
	// The two per-CPU series of kwb-cpu, not kwb-cpu-not nor the root.
	sum, n, ts := e.series(metricCPU, "name", "kwb-cpu")
	if sum != 19.75 || n != 2 {
		t.Errorf("kwb-cpu CPU = %v over %d series, want 19.75 over 2", sum, n)
	}
	if want := time.UnixMilli(1764630000456); !ts.Equal(want) {
		t.Errorf("kwb-cpu timestamp = %v, want the latest, %v", ts, want)
	}
	if ws, n, _ := e.series(metricWorkingSet, "name", "kwb-ram"); ws != 1.3468e8 || n != 1 {
		t.Errorf("kwb-ram working set = %v (%d series), want 1.3468e8", ws, n)
	}
	if _, n, _ := e.series(metricRSS, "name", "absent"); n != 0 {
		t.Errorf("an absent container matched %d series", n)
	}
	for i := range e.samples {
		s := &e.samples[i]
		if s.name != metricWorkingSet {
			continue
		}
		if v, _ := s.get("container_label_note"); v != "a \"quoted\", {braced} value\\ with\nlines" {
			t.Errorf("escaped label = %q", v)
		}
	}
	if v, ok := e.value("process_start_time_seconds"); !ok || !math.IsNaN(v) {
		t.Errorf("NaN sample = %v, %v", v, ok)
	}
	if got := versionOf(e); got != "cAdvisor v9.9.9 (abcdef12)" {
		t.Errorf("version = %q", got)
	}
}

func TestExpositionKwardenShape(t *testing.T) {
	e := readExposition(t, "testdata/kwarden.txt")
	if got := e.names(); got != 3 {
		t.Errorf("names = %d, want 3", got)
	}
	if tick, ok := kwardenTick(e); !ok || tick != 42 {
		t.Errorf("kwarden_tick = %v, %v", tick, ok)
	}
	renamed := &exposition{samples: []sample{{name: "kwarden_ticks_total", value: 43}}}
	if tick, ok := kwardenTick(renamed); !ok || tick != 43 {
		t.Errorf("kwarden_ticks_total = %v, %v", tick, ok)
	}
	sum, n, ts := e.series(metricCPU, "name", "kwb-cpu")
	if sum != 19.75 || n != 1 || !ts.IsZero() {
		t.Errorf("kwb-cpu CPU = %v, %d series, time %v; want 19.75, 1, none", sum, n, ts)
	}
	if got := versionOf(e); got != "" {
		t.Errorf("version of kwarden's metrics = %q, want none", got)
	}
}

func TestExpositionErrors(t *testing.T) {
	for _, in := range []string{
		"novalue\n",
		"m{a=\"x\"\n",
		"m{a=x} 1\n",
		"m{a=\"x} 1\n",
		"m 1 2 3\n",
		"m abc\n",
		"m 1 1.5\n",
	} {
		if _, err := parseExposition([]byte(in)); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

func TestTickTime(t *testing.T) {
	t1, t2 := time.Unix(100, 0), time.Unix(101, 0)
	b, a := apiv1.Health{Tick: 7, Time: t1}, apiv1.Health{Tick: 8, Time: t2}
	if got := tickTime(7, b, a); !got.Equal(t1) {
		t.Errorf("tick 7 at %v, want %v", got, t1)
	}
	if got := tickTime(8, b, a); !got.Equal(t2) {
		t.Errorf("tick 8 at %v, want %v", got, t2)
	}
	if got := tickTime(9, b, a); !got.IsZero() {
		t.Errorf("tick 9 at %v, want unknown", got)
	}
}
