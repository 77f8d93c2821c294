package pressure

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
	want := Policy{Figure: "some_avg10", Size: "usage", ThresholdPercent: 10, SizeThresholdPercent: 50, GrowingSizePercentile: 80,
		Victims: 1, Cooldown: duration.Value(15 * time.Second), Action: policy.Kill}
	if *d != want {
		t.Errorf("defaults %+v, want %+v", *d, want)
	}
}

// Configurations go through the SDK's decoding, as the plugin does.
func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		json  string
		ok    bool
		check func(*Policy) bool
	}{
		{`{}`, true, func(p *Policy) bool { return *p == *Defaults() }},
		{`{"figure": "full_avg60", "threshold_percent": 5}`, true, func(p *Policy) bool { return p.Figure == "full_avg60" && p.ThresholdPercent == 5 }},
		{`{"figure": "some_avg300"}`, true, func(p *Policy) bool { return p.Figure == "some_avg300" }},
		{`{"victims": 3, "cooldown": "0", "action": "stop"}`, true, func(p *Policy) bool { return p.Victims == 3 && p.Cooldown == 0 && p.Action == policy.Stop }},
		{`{"size_threshold_percent": 100, "growing_size_percentile": 0, "min_growth_bytes_per_second": 1048576}`, true,
			func(p *Policy) bool {
				return p.SizeThresholdPercent == 100 && p.GrowingSizePercentile == 0 && p.MinGrowthBytesPerSecond == 1<<20
			}},
		{`{"figure": "some_recent", "size": "working_set"}`, true, func(p *Policy) bool { return p.Figure == "some_recent" && p.Size == "working_set" }},
		{`{"size": "rss"}`, false, nil},
		{`{"figure": "some_avg30"}`, false, nil},
		{`{"figure": "some avg10"}`, false, nil},
		{`{"figure": ""}`, false, nil},
		{`{"threshold_percent": -1}`, false, nil},
		{`{"threshold_percent": 101}`, false, nil},
		{`{"size_threshold_percent": 150}`, false, nil},
		{`{"growing_size_percentile": -10}`, false, nil},
		{`{"min_growth_bytes_per_second": -1}`, false, nil},
		{`{"victims": 0}`, false, nil},
		{`{"victims": -1}`, false, nil},
		{`{"cooldown": "-15s"}`, false, nil},
		{`{"action": "oom"}`, false, nil},
		{`{"resource": "io"}`, false, nil},
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
