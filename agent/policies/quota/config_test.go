package quota

import (
	"testing"

	"github.com/kwarden/kwarden/agent/policy"
)

func TestDefaultsValidate(t *testing.T) {
	d := Defaults()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Policy{High: 2, Low: 3, ClassSource: SourceAgent, CPUPercent: 1.3, RAMPercent: 2.0, IOClass: High, DiskClass: High,
		Unkinded: UnkindedLeave, Action: policy.Remove}
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
		{`{"high": 0, "low": 0}`, true, func(p *Policy) bool { return p.High == 0 && p.Low == 0 }},
		{`{"class_source": "measured", "cpu_percent": 20, "ram_percent": 20}`, true,
			func(p *Policy) bool {
				return p.ClassSource == SourceMeasured && p.CPUPercent == 20 && p.RAMPercent == 20
			}},
		{`{"class_source": "kind", "io_class": "low"}`, true, func(p *Policy) bool { return p.IOClass == Low && p.DiskClass == High }},
		{`{"action": "stop"}`, true, func(p *Policy) bool { return p.Action == policy.Stop }},
		{`{"unkinded": "rank", "class_source": "measured"}`, true, func(p *Policy) bool { return p.Unkinded == UnkindedRank }},
		{`{"unkinded": "rank", "class_source": "kind"}`, false, nil},
		{`{"unkinded": "act"}`, false, nil},
		{`{"high": -1}`, false, nil},
		{`{"low": -3}`, false, nil},
		{`{"high": 1.5}`, false, nil},
		{`{"class_source": "label"}`, false, nil},
		{`{"class_source": ""}`, false, nil},
		{`{"cpu_percent": -1}`, false, nil},
		{`{"ram_percent": 101}`, false, nil},
		{`{"cpu_percent": 100.01}`, false, nil},
		{`{"io_class": "medium"}`, false, nil},
		{`{"disk_class": ""}`, false, nil},
		{`{"action": "delete"}`, false, nil},
		{`{"keep": 5}`, false, nil},
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
