package psi

import (
	"strings"
	"testing"
	"time"
)

func TestThresholdCheck(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		th         threshold
		privileged bool
		want       string // "" when accepted
	}{
		{threshold{KindSome, 150 * ms, time.Second}, true, ""},
		{threshold{KindFull, 500 * ms, 500 * ms}, true, ""},
		{threshold{KindSome, 10 * time.Second, 10 * time.Second}, true, ""},
		{threshold{KindSome, time.Microsecond, 2 * time.Second}, false, ""},
		{threshold{KindSome, 100 * ms, 4 * time.Second}, false, ""},
		{threshold{"Some", 100 * ms, time.Second}, true, `trigger kind "Some": want "some" or "full"`},
		{threshold{"", 100 * ms, time.Second}, true, "trigger kind"},
		{threshold{KindSome, 100 * ms, 499 * ms}, true, "trigger window 499ms: the kernel takes 500ms to 10s"},
		{threshold{KindSome, 100 * ms, 10*time.Second + time.Microsecond}, true, "trigger window 10.000001s"},
		{threshold{KindSome, 0, time.Second}, true, "trigger stall 0s: want more than 0"},
		{threshold{KindSome, -ms, time.Second}, true, "trigger stall -1ms"},
		{threshold{KindSome, time.Second + time.Microsecond, time.Second}, true, "at most the window, 1s"},
		{threshold{KindSome, 1500 * time.Nanosecond, time.Second}, true, "whole microseconds"},
		{threshold{KindSome, ms, time.Second + time.Nanosecond}, true, "whole microseconds"},
		{threshold{KindSome, 100 * ms, time.Second}, false, "without CAP_SYS_RESOURCE the kernel takes only multiples of 2s"},
		{threshold{KindSome, 100 * ms, 3 * time.Second}, false, "multiples of 2s"},
	}
	for _, c := range cases {
		err := c.th.check(c.privileged)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v (privileged %v): %v", c.th, c.privileged, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v (privileged %v): error %v, want one with %q", c.th, c.privileged, err, c.want)
		}
	}
}

// The text is the kernel's "<kind> <stall µs> <window µs>" and a NUL,
// and fits psi_write's 32-byte buffer at the largest values.
func TestThresholdText(t *testing.T) {
	if got := string((threshold{KindSome, 150 * time.Millisecond, time.Second}).text()); got != "some 150000 1000000\x00" {
		t.Errorf("text %q", got)
	}
	if got := (threshold{KindFull, MaxWindow, MaxWindow}).text(); len(got) > 32 {
		t.Errorf("%q is %d bytes, more than psi_write reads", got, len(got))
	}
	if got := (threshold{KindFull, 50 * time.Millisecond, 2 * time.Second}).String(); got != "full 50ms in 2s" {
		t.Errorf("String %q", got)
	}
}
