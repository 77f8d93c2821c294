package psi

import (
	"fmt"
	"time"
)

// The kinds of stall a trigger can watch: the some or the full line of
// the file (Resource says what each counts).
const (
	KindSome = "some"
	KindFull = "full"
)

// The windows a trigger may use. The kernel takes 500 ms to 10 s
// (Documentation/accounting/psi.rst); since Linux 6.4 it accepts
// shorter windows too, but 6.1, one of the kernels kwarden supports,
// does not, so the floor is kept and a trigger means the same on every
// kernel.
const (
	MinWindow = 500 * time.Millisecond
	MaxWindow = 10 * time.Second
)

// UnprivilegedWindowStep is what a window must be a multiple of for a
// process without CAP_SYS_RESOURCE (Linux 6.5+: such triggers are
// evaluated by the 2 s averaging work, not by a real-time kernel thread;
// before 6.5 they are refused outright).
const UnprivilegedWindowStep = 2 * time.Second

// threshold is what a trigger asks the kernel for: tell me when tasks
// were stalled (kind) for stall in total within any window.
type threshold struct {
	kind          string
	stall, window time.Duration
}

// check applies the kernel's rules (psi_trigger_create) before anything
// is written, so that a bad setting is named with the rule it breaks
// instead of coming back as the kernel's bare EINVAL. privileged is
// whether the process has CAP_SYS_RESOURCE.
func (t threshold) check(privileged bool) error {
	switch {
	case t.kind != KindSome && t.kind != KindFull:
		return fmt.Errorf("trigger kind %q: want %q or %q", t.kind, KindSome, KindFull)
	case t.window < MinWindow || t.window > MaxWindow:
		return fmt.Errorf("trigger window %v: the kernel takes %v to %v", t.window, MinWindow, MaxWindow)
	case t.stall <= 0 || t.stall > t.window:
		return fmt.Errorf("trigger stall %v: want more than 0 and at most the window, %v", t.stall, t.window)
	case t.stall%time.Microsecond != 0 || t.window%time.Microsecond != 0:
		// The kernel counts in microseconds; rounding here would arm a
		// trigger other than the one asked for.
		return fmt.Errorf("trigger %v in %v: the kernel takes whole microseconds", t.stall, t.window)
	case !privileged && t.window%UnprivilegedWindowStep != 0:
		return fmt.Errorf("trigger window %v: without CAP_SYS_RESOURCE the kernel takes only multiples of %v", t.window, UnprivilegedWindowStep)
	}
	return nil
}

// text is what is written to the pressure file, "<kind> <stall µs>
// <window µs>", with a NUL at the end. The NUL is not decoration:
// psi_write copies at most 32 bytes and overwrites the last byte it
// copied with a terminator, so without one the last digit of the window
// would be cut off and a different trigger armed ("some 150000 1000000"
// would become a 100 ms window). The cgroup files (kernfs) terminate the
// buffer themselves and stop at the NUL as well.
func (t threshold) text() []byte {
	return fmt.Appendf(nil, "%s %d %d\x00", t.kind, t.stall.Microseconds(), t.window.Microseconds())
}

func (t threshold) String() string {
	return fmt.Sprintf("%s %v in %v", t.kind, t.stall, t.window)
}
