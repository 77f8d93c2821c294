package policyhost

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/policies/configs"
	"github.com/kwarden/kwarden/agent/policies/newestperkind"
	"github.com/kwarden/kwarden/agent/policies/pressure"
	"github.com/kwarden/kwarden/agent/policies/quota"
	"github.com/kwarden/kwarden/agent/policies/threshold"
	"github.com/kwarden/kwarden/agent/policy"
)

// The built-in policies' binaries, each through the real subprocess as
// kwardend runs them: the name it answers to is its catalogue name, the
// configuration (a shipped profile, or the binary's own defaults)
// crosses Configure, and the decisions cross the protocol. Their logic
// is tested in agent/policies; here, that the binaries serve it.
func TestBuiltinPolicies(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	profile := func(name string) []byte {
		p, err := configs.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		return p.Config
	}
	type round struct {
		s    *policy.Snapshot
		want []string
	}
	for _, tc := range []struct {
		name   string
		config []byte
		action policy.Action
		rounds []round
	}{
		{
			name: newestperkind.Name, config: profile("rule-a"), action: policy.Remove,
			rounds: []round{{&policy.Snapshot{Time: at(0), Trigger: policy.TriggerTick, Containers: []policy.Container{
				{ID: "a", Kind: "cpu", Created: at(-3)}, {ID: "b", Kind: "cpu", Created: at(-2)},
				{ID: "c", Kind: "cpu", Created: at(-1)}, {ID: "d", Kind: "ram", Created: at(-3)},
			}}, []string{"a", "b"}}},
		},
		{
			// By kind: high h (70) and c (20) stay, b and a go; low g, f,
			// e stay, d goes; victims heaviest first.
			name: quota.Name, config: profile("rule-b-kind"), action: policy.Remove,
			rounds: []round{{func() *policy.Snapshot {
				s := &policy.Snapshot{Time: at(0), Trigger: policy.TriggerTick}
				for i, kind := range []string{"cpu", "ram", "cpu", "low", "low", "low", "low", "ram"} {
					s.Containers = append(s.Containers, policy.Container{ID: string(rune('a' + i)), Kind: kind, CPUPercent: float64(10 * i)})
				}
				return s
			}(), []string{"d", "b", "a"}}},
		},
		{
			// The timers live in the plugin process across rounds.
			name: threshold.Name, config: []byte(`{"cpu_percent": 100, "ram_percent": 0, "grace": "20s"}`), action: policy.Stop,
			rounds: func() []round {
				var rs []round
				for _, r := range []struct {
					sec  int
					want []string
				}{{0, nil}, {10, nil}, {20, []string{"busy"}}} {
					rs = append(rs, round{&policy.Snapshot{Time: at(r.sec), Trigger: policy.TriggerTick,
						Containers: []policy.Container{{ID: "busy", CPUPercent: 180}, {ID: "calm", CPUPercent: 40}}}, r.want})
				}
				return rs
			}(),
		},
		{
			// The binary's defaults: nothing without PSI, the hog under
			// pressure.
			name: pressure.Name, action: policy.Kill,
			rounds: func() []round {
				cs := []policy.Container{{ID: "small", MemUsageBytes: 100 << 20}, {ID: "hog", MemUsageBytes: 900 << 20}}
				psi := &policy.Pressure{Memory: policy.PressureResource{Some: policy.PressureFigures{Avg10: 25}}}
				return []round{
					{&policy.Snapshot{Time: at(0), Trigger: policy.TriggerTick, Containers: cs}, nil},
					{&policy.Snapshot{Time: at(1), Trigger: policy.TriggerPressure, Containers: cs, System: policy.System{Pressure: psi}}, []string{"hog"}},
				}
			}(),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := New(catalogue(t, tc.name), Options{})
			defer h.Close()
			info, err := h.Use(context.Background(), tc.name, tc.config)
			if err != nil {
				t.Fatal(err)
			}
			if info.Name != tc.name || info.Version == "" || info.Description == "" {
				t.Errorf("info %+v", info)
			}
			for i, r := range tc.rounds {
				res, err := h.Decide(context.Background(), r.s)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, d := range res.Decisions {
					got = append(got, d.ContainerID)
					if d.Action != tc.action || d.Reason == "" {
						t.Errorf("round %d: decision %+v, want %v with a reason", i, d, tc.action)
					}
				}
				if !slices.Equal(got, r.want) {
					t.Errorf("round %d: victims %q, want %q", i, got, r.want)
				}
			}
		})
	}
}
