package configs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/policies/newestperkind"
	"github.com/kwarden/kwarden/agent/policies/pressure"
	"github.com/kwarden/kwarden/agent/policies/quota"
	"github.com/kwarden/kwarden/agent/policies/threshold"
	"github.com/kwarden/kwarden/agent/policy"
)

// builtins are the defaults each built-in binary serves, by name.
var builtins = map[string]func() policy.Policy{
	newestperkind.Name: func() policy.Policy { return newestperkind.Defaults() },
	quota.Name:         func() policy.Policy { return quota.Defaults() },
	threshold.Name:     func() policy.Policy { return threshold.Defaults() },
	pressure.Name:      func() policy.Policy { return pressure.Defaults() },
}

func TestList(t *testing.T) {
	want := []string{"rule-a", "rule-b-kind", "rule-b-measured-1.3-2.0", "rule-b-measured-20-20"}
	if got := List(); !slices.Equal(got, want) {
		t.Errorf("List() = %q, want %q", got, want)
	}
}

func TestLoadUnknown(t *testing.T) {
	for _, name := range []string{"rule-c", "", ".", "../configs/rule-a", "rule-a.json", "./rule-a"} {
		if _, err := Load(name); !errors.Is(err, ErrUnknown) {
			t.Errorf("Load(%q): %v, want ErrUnknown", name, err)
		}
	}
}

func TestParse(t *testing.T) {
	if p, err := Parse([]byte(`{"policy": "quota", "interval": "1m", "config": {}}`)); err != nil ||
		p.Policy != "quota" || p.Interval != time.Minute || string(p.Config) != "{}" {
		t.Errorf("parse: %+v, %v", p, err)
	}
	for _, bad := range []string{
		`{"interval": "10s", "config": {}}`,
		`{"policy": "quota", "config": {}}`,
		`{"policy": "quota", "interval": "0s", "config": {}}`,
		`{"policy": "quota", "interval": "-10s", "config": {}}`,
		`{"policy": "quota", "interval": 10, "config": {}}`,
		`{"policy": "quota", "interval": "10s"}`,
		`{"policy": "quota", "interval": "10s", "config": null}`,
		`{"policy": "quota", "interval": "10s", "config": [1]}`,
		`{"policy": "quota", "interval": "10s", "config": {}, "cohort": 2024}`,
		`{"policy": "quota", "interval": "10s", "config": {}} {}`,
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

// The machine of the course's lab VM: 4 GiB, 2 CPUs.
const (
	memTotal = 4 << 30
	mib      = 1 << 20
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// load is a container of the course's generator as the agent reports
// it: a Docker id, the kind label, figures of that kind's workload, and
// the agent's class by its default thresholds (1.3 % CPU, 2.0 % RAM).
func load(name, kind string, created time.Duration, cpu float64, rss uint64) policy.Container {
	sum := sha256.Sum256([]byte(name))
	ram := float64(rss) / memTotal * 100
	class := "low"
	if cpu > 1.3 || ram > 2.0 {
		class = "high"
	}
	return policy.Container{
		ID: hex.EncodeToString(sum[:]), Name: name, Image: "kwarden/load:" + kind, Kind: kind, Class: class,
		Labels:  map[string]string{"kwarden.kind": kind, "kwarden.spawned": "true"},
		Created: t0.Add(created), Started: t0.Add(created + 300*time.Millisecond),
		Processes: 1, Threads: 2, CPUPercent: cpu, CPUPercentAvg: cpu, RAMPercent: ram,
		RSSBytes: rss, VSZBytes: rss + 700*mib, MemUsageBytes: rss + mib, WorkingSetBytes: rss,
	}
}

// The two containers of the lab that are no workload: the log sink,
// which the agent protects, and Grafana, which it does not (a teacher's
// protections may miss one) and which is busier than a low workload.
func others() []policy.Container {
	sink := load("sink", "", -time.Hour, 0.5, 30*mib)
	sink.Image, sink.Labels, sink.Kind, sink.Protected = "kwarden/sink", nil, "", true
	grafana := load("grafana", "", -time.Hour, 2.5, 180*mib)
	grafana.Image, grafana.Labels, grafana.Kind = "grafana/grafana", nil, ""
	return []policy.Container{sink, grafana}
}

// profileA is a tick of rule A's cohorts: one round of profile A (10
// containers, 200 ms apart, of the four kinds) and the two others.
func profileA() *policy.Snapshot {
	ms := func(n int) time.Duration { return time.Duration(n) * 200 * time.Millisecond }
	return &policy.Snapshot{
		Time: t0.Add(12 * time.Second), Trigger: policy.TriggerTick, Interval: 10 * time.Second, Window: 10 * time.Second,
		System: policy.System{MemTotalBytes: memTotal, MemUsedBytes: 1500 * mib, MemAvailableBytes: memTotal - 1500*mib, CPUs: 2},
		Containers: append(others(),
			load("ram1", "ram", ms(0), 2.0, 65*mib), load("cpu1", "cpu", ms(1), 66, 2*mib), load("io1", "io", ms(2), 8, 3*mib),
			load("cpu2", "cpu", ms(3), 66, 2*mib), load("disk1", "disk", ms(4), 12, 4*mib), load("ram2", "ram", ms(5), 2.1, 65*mib),
			load("io2", "io", ms(6), 7, 3*mib), load("cpu3", "cpu", ms(7), 65, 2*mib), load("disk2", "disk", ms(8), 11, 4*mib),
			load("ram3", "ram", ms(9), 1.9, 65*mib),
		),
	}
}

// profileB is a tick of rule B's cohorts: one round of profile B (10
// containers: 3 cpu, one busy worker each sharing 2 CPUs; 3 ram, two
// holding their 128 MiB (3.1 % of the machine) and one still at 40 MiB;
// 4 low, asleep) and the two others.
func profileB() *policy.Snapshot {
	s := time.Second
	return &policy.Snapshot{
		Time: t0.Add(25 * time.Second), Trigger: policy.TriggerTick, Interval: 20 * time.Second, Window: 20 * time.Second,
		System: policy.System{MemTotalBytes: memTotal, MemUsedBytes: 1900 * mib, MemAvailableBytes: memTotal - 1900*mib, CPUs: 2},
		Containers: append(others(),
			load("low1", "low", 0, 0.02, 1*mib), load("cpu1", "cpu", 1*s, 67.5, 2*mib), load("ram1", "ram", 2*s, 0.4, 129*mib),
			load("low2", "low", 3*s, 0.01, 1*mib), load("cpu2", "cpu", 4*s, 66.1, 2*mib), load("ram2", "ram", 5*s, 0.3, 130*mib),
			load("low3", "low", 6*s, 0.01, 1*mib+512*1024), load("cpu3", "cpu", 7*s, 63.9, 2*mib), load("ram3", "ram", 8*s, 0.015, 40*mib),
			load("low4", "low", 9*s, 0, 1*mib),
		),
	}
}

// Every shipped profile names a built-in policy, passes that policy's
// own decoding and Validate over the defaults its binary serves, and
// decides a round of the course's generator as the cohort's manager did.
func TestProfilesDecideTheCourse(t *testing.T) {
	var tested []string
	for _, tc := range []struct {
		profile  string
		policy   string
		interval time.Duration
		snapshot func() *policy.Snapshot
		victims  []string // in rank order
		kept     []string // the workload containers left, in the snapshot's order
	}{
		{
			// The newest of each kind stays; the rest go, oldest first.
			profile: "rule-a", policy: newestperkind.Name, interval: 10 * time.Second, snapshot: profileA,
			victims: []string{"ram1", "cpu1", "io1", "cpu2", "disk1", "ram2"},
			kept:    []string{"io2", "cpu3", "disk2", "ram3"},
		},
		{
			// High: cpu1..3 (CPU), ram1 and ram2 (RAM 3.1 % > 2.0 %);
			// ranked by CPU, cpu1 and cpu2 stay. Low: ram3 (0.98 %
			// RAM) and low1..4; by CPU, low1 (0.02), ram3 (0.015) and
			// low3 (0.01, more RAM than low2) stay.
			profile: "rule-b-measured-1.3-2.0", policy: quota.Name, interval: 20 * time.Second, snapshot: profileB,
			victims: []string{"cpu3", "ram1", "ram2", "low2", "low4"},
			kept:    []string{"low1", "cpu1", "cpu2", "low3", "ram3"},
		},
		{
			// High: cpu1..3 only. Low: the ram ones with the lows; by
			// CPU, ram1 (0.4), ram2 (0.3) and low1 (0.02) stay.
			profile: "rule-b-measured-20-20", policy: quota.Name, interval: 20 * time.Second, snapshot: profileB,
			victims: []string{"cpu3", "ram3", "low3", "low2", "low4"},
			kept:    []string{"low1", "cpu1", "ram1", "cpu2", "ram2"},
		},
		{
			// By label: cpu and ram are high, cpu1 and cpu2 stay (ram3,
			// still filling, is high all the same); low1, low3, low2 stay.
			profile: "rule-b-kind", policy: quota.Name, interval: 20 * time.Second, snapshot: profileB,
			victims: []string{"cpu3", "ram1", "ram2", "ram3", "low4"},
			kept:    []string{"low1", "cpu1", "low2", "cpu2", "low3"},
		},
	} {
		tested = append(tested, tc.profile)
		t.Run(tc.profile, func(t *testing.T) {
			prof, err := Load(tc.profile)
			if err != nil {
				t.Fatal(err)
			}
			if prof.Policy != tc.policy || prof.Interval != tc.interval {
				t.Errorf("policy %q at %v, want %q at %v", prof.Policy, prof.Interval, tc.policy, tc.interval)
			}
			defaults, ok := builtins[prof.Policy]
			if !ok {
				t.Fatalf("policy %q is not a built-in one", prof.Policy)
			}
			p, err := policy.DecodeConfig(defaults(), prof.Config)
			if err != nil {
				t.Fatal(err)
			}
			s := tc.snapshot()
			ds, err := p.Decide(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			gone := map[string]bool{}
			var got []string
			for _, d := range ds {
				c, ok := s.Container(d.ContainerID)
				if !ok {
					t.Fatalf("decision for %s, not in the snapshot", d.ContainerID)
				}
				got = append(got, c.Name)
				gone[c.Name] = true
				if d.Action != policy.Remove || d.Reason == "" {
					t.Errorf("decision %+v: want remove, with a reason", d)
				}
			}
			if !slices.Equal(got, tc.victims) {
				t.Errorf("victims %q, want %q", got, tc.victims)
			}
			var kept []string
			for _, c := range s.Containers {
				if c.Kind != "" && !gone[c.Name] {
					kept = append(kept, c.Name)
				}
			}
			if !slices.Equal(kept, tc.kept) {
				t.Errorf("kept %q, want %q", kept, tc.kept)
			}
			if gone["sink"] || gone["grafana"] {
				t.Error("a container that is no workload was chosen")
			}
		})
	}
	// Every shipped file is covered above.
	slices.Sort(tested)
	if !slices.Equal(tested, List()) {
		t.Errorf("profiles tested %q, shipped %q", tested, List())
	}
}
