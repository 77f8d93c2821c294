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

// Outside CI a missing prerequisite skips; the subtest must end skipped,
// not failed and not passed.
func TestRequireSkipsOutsideCI(t *testing.T) {
	t.Setenv("CI", "false")
	var ranPast bool
	t.Run("missing", func(t *testing.T) {
		Require(t, false, "no %s", "qemu")
		ranPast = true
	})
	if ranPast {
		t.Fatal("Require(false) did not stop the test")
	}
	t.Run("present", func(t *testing.T) {
		Require(t, true, "unused")
		ranPast = true
	})
	if !ranPast {
		t.Fatal("Require(true) stopped the test")
	}
}
