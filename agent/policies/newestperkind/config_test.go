package newestperkind

import (
	"testing"

	"github.com/kwarden/kwarden/agent/policy"
)

func TestDefaultsValidate(t *testing.T) {
	d := Defaults()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Action != policy.Remove || d.Unkinded != UnkindedLeave {
		t.Errorf("defaults %+v: want remove, leave (rule A)", d)
	}
}

// Configurations go through the SDK's decoding, as the plugin does.
func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		json string
		want *Policy // nil: refused
	}{
		{``, &Policy{Action: policy.Remove, Unkinded: UnkindedLeave}},
		{`{}`, &Policy{Action: policy.Remove, Unkinded: UnkindedLeave}},
		{`{"action": "stop"}`, &Policy{Action: policy.Stop, Unkinded: UnkindedLeave}},
		{`{"action": "kill", "unkinded": "newest"}`, &Policy{Action: policy.Kill, Unkinded: UnkindedNewest}},
		{`{"unkinded": "act"}`, &Policy{Action: policy.Remove, Unkinded: UnkindedAct}},
		{`{"action": "explode"}`, nil},
		{`{"action": "unspecified"}`, nil},
		{`{"action": 3}`, nil},
		{`{"unkinded": "ignore"}`, nil},
		{`{"unkinded": ""}`, nil},
		{`{"kinds": ["cpu"]}`, nil},
	} {
		p, err := policy.DecodeConfig(Defaults(), []byte(tc.json))
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s accepted: %+v", tc.json, p)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.json, err)
			continue
		}
		if got := p.(*Policy); *got != *tc.want {
			t.Errorf("%s: %+v, want %+v", tc.json, got, tc.want)
		}
	}
}
