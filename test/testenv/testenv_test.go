package testenv

import "testing"

func TestInCI(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "1": true, "TRUE": true, "false": false, "": false, "yes": false} {
		t.Setenv("CI", v)
		if got := InCI(); got != want {
			t.Errorf("CI=%q: InCI() = %v, want %v", v, got, want)
		}
	}
}

func TestDecide(t *testing.T) {
	cases := []struct {
		ok, ci bool
		want   Outcome
	}{{true, false, Continue}, {true, true, Continue}, {false, false, Skip}, {false, true, Fail}}
	for _, c := range cases {
		if got := Decide(c.ok, c.ci); got != c.want {
			t.Errorf("Decide(ok=%v, ci=%v) = %v, want %v", c.ok, c.ci, got, c.want)
		}
	}
}
