package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// The metrics both daemons export under cAdvisor's names, by which the
// accuracy is judged (the series is found by its name label).
const (
	metricCPU        = "container_cpu_usage_seconds_total"
	metricWorkingSet = "container_memory_working_set_bytes"
	metricRSS        = "container_memory_rss"
)

// side is one daemon under measurement and what its scrapes found.
type side struct {
	name   string
	pid    int
	url    string
	client *http.Client
	kw     *kwardend // kwardend's side: its tick times come from /api/v1/health

	scrapes []time.Duration
	last    *exposition
	bytes   int
	obs     []observation

	cpu, childCPU   float64 // % of one core over the window
	rssEnd, rssPeak uint64
}

// observation is one scrape's figures for the two containers, and the
// cgroup files read right after it.
type observation struct {
	cpuSec     float64   // the cpu container's CPU counter, seconds
	cpuN       int       // series summed into it (0: absent)
	cpuAt      time.Time // the time the figure is of
	workingSet float64
	wsN        int
	rss        float64
	rssN       int

	cpuTruth, ramTruth truth
	truthAt            time.Time
}

func (s *side) reset() { s.scrapes, s.obs, s.last, s.bytes = nil, nil, nil, 0 }

// scrape GETs the side's /metrics once, times it to the last byte,
// reads the two containers' cgroups, and records the figures.
func (s *side) scrape(ctx context.Context, cgs [2]*cgroupTruth, o options) error {
	var before, after apiv1.Health
	if s.kw != nil {
		before, _ = s.kw.health(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	t0 := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("scrape: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(t0)
	if err != nil {
		return fmt.Errorf("scrape: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("scrape %s: %s", s.url, resp.Status)
	}
	if s.kw != nil {
		after, _ = s.kw.health(ctx)
	}
	var ob observation
	if ob.cpuTruth, err = cgs[0].read(); err != nil {
		return fmt.Errorf("container %s: %w", o.cpuName, err)
	}
	if ob.ramTruth, err = cgs[1].read(); err != nil {
		return fmt.Errorf("container %s: %w", o.ramName, err)
	}
	ob.truthAt = time.Now()
	e, err := parseExposition(body)
	if err != nil {
		return err
	}
	var ts time.Time
	ob.cpuSec, ob.cpuN, ts = e.series(metricCPU, "name", o.cpuName)
	switch {
	case !ts.IsZero():
	case s.kw != nil:
		if tick, ok := kwardenTick(e); ok {
			ts = tickTime(tick, before, after)
		}
	}
	if ts.IsZero() {
		ts = t0
	}
	ob.cpuAt = ts
	ob.workingSet, ob.wsN, _ = e.series(metricWorkingSet, "name", o.ramName)
	ob.rss, ob.rssN, _ = e.series(metricRSS, "name", o.ramName)
	s.scrapes = append(s.scrapes, took)
	s.obs = append(s.obs, ob)
	s.last, s.bytes = e, len(body)
	return nil
}

// kwardenTick is the tick whose figures kwardend's /metrics shows:
// kwarden_ticks_total, kwarden_tick before the metrics moved to
// client_golang.
func kwardenTick(e *exposition) (float64, bool) {
	if v, ok := e.value("kwarden_ticks_total"); ok {
		return v, true
	}
	return e.value("kwarden_tick")
}

// versionOf names the peer from cAdvisor's cadvisor_version_info, or "".
func versionOf(e *exposition) string {
	if e == nil {
		return ""
	}
	v := e.label("cadvisor_version_info", "cadvisorVersion")
	if v == "" {
		return ""
	}
	if r := e.label("cadvisor_version_info", "cadvisorRevision"); r != "" {
		v += " (" + r + ")"
	}
	return "cAdvisor " + v
}
