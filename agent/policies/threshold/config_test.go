package threshold

import (
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/internal/duration"
)

func TestDefaultsValidate(t *testing.T) {
	d := Defaults()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.CPUPercent != 90 || d.RAMPercent != 25 || time.Duration(d.Grace) != time.Minute ||
		time.Duration(d.Transition) != 5*time.Minute || d.Action != policy.Stop {
		t.Errorf("defaults %+v", d)
	}
}

// Configurations go through the SDK's decoding, as the plugin does.
func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		json  string
		ok    bool
		check func(*Policy) bool
	}{
		{`{}`, true, func(p *Policy) bool { return p.CPUPercent == 90 }},
		{`{"cpu_percent": 250, "ram_percent": 0, "grace": "2m", "transition": "1d"}`, true, func(p *Policy) bool {
			return p.CPUPercent == 250 && p.RAMPercent == 0 && p.Grace == duration.Value(2*time.Minute) && p.Transition == duration.Value(24*time.Hour)
		}},
		{`{"cpu_percent": 0, "ram_percent": 0, "working_set_bytes": 536870912}`, true, func(p *Policy) bool { return p.WorkingSetBytes == 512<<20 }},
		{`{"machine_memory_percent": 80, "minimum_reclaim_bytes": 1073741824, "grace": "0", "transition": "0s"}`, true,
			func(p *Policy) bool {
				return p.MachineMemoryPercent == 80 && p.MinimumReclaimBytes == 1<<30 && p.Grace == 0
			}},
		{`{"action": "remove"}`, true, func(p *Policy) bool { return p.Action == policy.Remove }},
		{`{"cpu_percent": 0, "ram_percent": 0}`, false, nil},
		{`{"cpu_percent": -5}`, false, nil},
		{`{"cpu_percent": 900000}`, false, nil},
		{`{"ram_percent": 100.5}`, false, nil},
		{`{"machine_memory_percent": -1}`, false, nil},
		{`{"minimum_reclaim_bytes": 1024}`, false, nil},
		{`{"working_set_bytes": -1}`, false, nil},
		{`{"grace": "-1m"}`, false, nil},
		{`{"transition": "-5s"}`, false, nil},
		{`{"grace": "soon"}`, false, nil},
		{`{"grace": 60}`, false, nil},
		{`{"action": "evict"}`, false, nil},
		{`{"eviction_max_pod_grace_period": 30}`, false, nil},
	} {
		p, err := policy.DecodeConfig(Defaults(), []byte(tc.json))
		if !tc.ok {
			if err == nil {
				t.Errorf("%s accepted: %+v", tc.json, p)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.json, err)
		} else if !tc.check(p.(*Policy)) {
			t.Errorf("%s: %+v", tc.json, p)
		}
	}
}
