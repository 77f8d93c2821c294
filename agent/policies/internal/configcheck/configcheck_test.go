package configcheck

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
)

func TestChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		ok   bool
	}{
		{"stop", Action("action", policy.Stop), true},
		{"kill", Action("action", policy.Kill), true},
		{"remove", Action("action", policy.Remove), true},
		{"unspecified", Action("action", policy.ActionUnspecified), false},
		{"action 9", Action("action", policy.Action(9)), false},
		{"0 %", Percent("p", 0), true},
		{"100 %", Percent("p", 100), true},
		{"-0.1 %", Percent("p", -0.1), false},
		{"100.5 %", Percent("p", 100.5), false},
		{"NaN %", Percent("p", math.NaN()), false},
		{"250 % CPU", CPUPercent("c", 250), true},
		{"max CPU", CPUPercent("c", 100*MaxCPUs), true},
		{"beyond max CPU", CPUPercent("c", 100*MaxCPUs+1), false},
		{"negative CPU", CPUPercent("c", -1), false},
		{"NaN CPU", CPUPercent("c", math.NaN()), false},
		{"count 0", Count("n", 0), true},
		{"count -1", Count("n", -1), false},
		{"duration 0", Duration("d", 0), true},
		{"duration -1s", Duration("d", -time.Second), false},
		{"one of", OneOf("f", "b", "a", "b"), true},
		{"none of", OneOf("f", "c", "a", "b"), false},
	} {
		if (tc.err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.name, tc.err, tc.ok)
		}
	}
	// The message names the field and what it wants.
	if err := OneOf("class_source", "cpu", "agent", "kind"); err == nil ||
		!strings.Contains(err.Error(), "class_source") || !strings.Contains(err.Error(), `"agent"`) {
		t.Errorf("OneOf's message: %v", err)
	}
}
