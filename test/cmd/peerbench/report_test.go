package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestCPURate(t *testing.T) {
	t0 := time.Unix(1000, 0)
	obs := []observation{
		{cpuN: 0}, // the series was not there yet
		{cpuSec: 10, cpuN: 2, cpuAt: t0, cpuTruth: truth{cpuNs: 10.1e9}, truthAt: t0.Add(100 * time.Millisecond)},
		{cpuSec: 30, cpuN: 1, cpuAt: t0.Add(20 * time.Second), cpuTruth: truth{cpuNs: 30.3e9}, truthAt: t0.Add(20*time.Second + 200*time.Millisecond)},
	}
	// Without a log: the readings after the scrapes.
	d, c, ok := cpuRate(obs, nil)
	if !ok || d != 1 || math.Abs(c-20.2/20.1) > 1e-12 {
		t.Errorf("rate %v, cgroup %v, %v; want 1, %v", d, c, ok, 20.2/20.1)
	}
	// With one: the counter at the daemon's own times.
	log := cpuLog{{t0.Add(-time.Second), 9e9}, {t0.Add(59 * time.Second), 70.5e9}}
	if d, c, ok := cpuRate(obs, log); !ok || d != 1 || math.Abs(c-1.025) > 1e-12 {
		t.Errorf("rate %v, cgroup %v, %v; want 1, 1.025", d, c, ok)
	}
	if _, _, ok := cpuRate(obs[:2], nil); ok {
		t.Error("a rate from one observation")
	}
}

func TestFitMemory(t *testing.T) {
	obs := []observation{
		{workingSet: 110, wsN: 1, ramTruth: truth{workingSet: 100}},
		{workingSet: 99, wsN: 1, ramTruth: truth{workingSet: 100}},
		{wsN: 0, ramTruth: truth{workingSet: 100}},
	}
	f := fitMemory(obs, workingSetOf)
	if !f.ok || f.daemon != 99 || f.cgroup != 100 || f.worst != 10 {
		t.Errorf("got %+v", f)
	}
	if f := fitMemory(obs[2:], workingSetOf); f.ok {
		t.Errorf("a fit without the series: %+v", f)
	}
}

func TestMedianAndFormats(t *testing.T) {
	if got := median([]time.Duration{3, 1, 2, 10}); got != 2 {
		t.Errorf("median %v", got)
	}
	if got := thousands(1234567); got != "1,234,567" {
		t.Errorf("thousands %q", got)
	}
	if got := thousands(999); got != "999" {
		t.Errorf("thousands %q", got)
	}
}

func TestPrint(t *testing.T) {
	t0 := time.Unix(1000, 0)
	obs := func(rate float64) []observation {
		var o []observation
		for i := range 3 {
			at := t0.Add(time.Duration(i) * 10 * time.Second)
			o = append(o, observation{cpuSec: rate * 10 * float64(i), cpuN: 1, cpuAt: at,
				cpuTruth: truth{cpuNs: uint64(i) * 10e9}, ramTruth: truth{workingSet: 100 << 20, rss: 99 << 20}, truthAt: at,
				workingSet: 100 << 20, wsN: 1, rss: 100 << 20, rssN: 1})
		}
		return o
	}
	exp := &exposition{samples: []sample{{name: "a"}, {name: "b"}, {name: "a"}}}
	r := report{
		opts:        options{scrapes: 3, cpuName: "kwb-cpu", ramName: "kwb-ram", dockerdPid: 9, kwardend: "/tmp/kwardend"},
		running:     50,
		wall:        20 * time.Second,
		peerVersion: "cAdvisor v9",
		kw:          &side{name: "kwarden", cpu: 0.5, rssEnd: 30 << 20, rssPeak: 40 << 20, scrapes: []time.Duration{time.Millisecond}, last: exp, bytes: 1000, obs: obs(1)},
		peer:        &side{name: "cAdvisor v9", cpu: 5, rssEnd: 60 << 20, rssPeak: 60 << 20, scrapes: []time.Duration{10 * time.Millisecond}, last: exp, bytes: 10000, obs: obs(0.99)},
		split:       true,
	}
	var b strings.Builder
	r.print(&b)
	out := b.String()
	for _, want := range []string{
		"| figure | kwarden | cAdvisor v9 | cAdvisor ÷ kwarden |",
		"| CPU, % of one core | 0.50 % | 5.00 % | 10.0× |",
		"| kwb-cpu CPU rate, cores | 1.0000 (+0.00 %) | 0.9900 (-1.00 %) |  | 1.0000 (cpuacct.usage) |",
		"| kwb-ram RSS | 100.0 MiB (+1.01 %; worst +1.01 %) |",
		"| metric names | 2 | 2 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}
