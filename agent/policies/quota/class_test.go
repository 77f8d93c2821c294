package quota

import (
	"testing"

	"github.com/kwarden/kwarden/agent/policy"
)

func TestClass(t *testing.T) {
	measured := func(cpu, ram float64) *Policy {
		p := Defaults()
		p.ClassSource, p.CPUPercent, p.RAMPercent = SourceMeasured, cpu, ram
		return p
	}
	kind := Defaults()
	kind.ClassSource = SourceKind
	kindIOLow := Defaults()
	kindIOLow.ClassSource, kindIOLow.IOClass, kindIOLow.DiskClass = SourceKind, Low, Low

	for _, tc := range []struct {
		name string
		p    *Policy
		c    policy.Container
		want string
	}{
		{"agent high", Defaults(), policy.Container{Class: "high"}, High},
		{"agent low", Defaults(), policy.Container{Class: "low"}, Low},
		{"agent: no rate yet", Defaults(), policy.Container{Class: "", CPUPercent: 99}, ""},
		{"agent: a class it does not know", Defaults(), policy.Container{Class: "medium"}, ""},
		{"measured: CPU above", measured(1.3, 2.0), policy.Container{Class: "low", CPUPercent: 1.31}, High},
		{"measured: RAM above", measured(1.3, 2.0), policy.Container{Class: "low", RAMPercent: 2.01}, High},
		{"measured: both at the threshold is low", measured(1.3, 2.0), policy.Container{Class: "high", CPUPercent: 1.3, RAMPercent: 2.0}, Low},
		{"measured: 20/20 makes a 128 MiB container low", measured(20, 20), policy.Container{Class: "high", CPUPercent: 0.2, RAMPercent: 3.2}, Low},
		{"measured: no rate yet", measured(1.3, 2.0), policy.Container{CPUPercent: 0, RAMPercent: 50}, ""},
		{"kind cpu", kind, policy.Container{Kind: "cpu", Class: "low"}, High},
		{"kind ram", kind, policy.Container{Kind: "ram"}, High},
		{"kind low", kind, policy.Container{Kind: "low", Class: "high"}, Low},
		{"kind io by default", kind, policy.Container{Kind: "io"}, High},
		{"kind disk by default", kind, policy.Container{Kind: "disk"}, High},
		{"kind io set low", kindIOLow, policy.Container{Kind: "io"}, Low},
		{"kind disk set low", kindIOLow, policy.Container{Kind: "disk"}, Low},
		{"no kind", kind, policy.Container{Class: "high"}, ""},
		{"unknown kind", kind, policy.Container{Kind: "gpu", Class: "high"}, ""},
	} {
		if got := tc.p.class(&tc.c); got != tc.want {
			t.Errorf("%s: class %q, want %q", tc.name, got, tc.want)
		}
	}
}
