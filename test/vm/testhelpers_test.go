package vm

import (
	"testing"

	"github.com/kwarden/kwarden/test/testenv"
)

// skipOrFail skips the test with the reason, or fails it when CI=true: on
// CI every prerequisite must be installed.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	testenv.Require(t, false, format, args...)
}

// requireBusybox returns DefaultBusybox if it is a static binary.
func requireBusybox(t testing.TB) string {
	t.Helper()
	if err := checkStaticELF(DefaultBusybox); err != nil {
		skipOrFail(t, "need busybox-static: %v", err)
	}
	return DefaultBusybox
}
