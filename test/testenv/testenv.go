// Package testenv decides what a test does when a real prerequisite (root,
// qemu, kernel packages, a Docker engine) is missing: on a developer's
// machine it skips with the reason, in CI (CI=true) it fails, because a CI
// run that silently skips its real-part tests proves nothing.
package testenv

import (
	"os"
	"strconv"
	"testing"
)

// InCI reports whether the environment variable CI is set to a true value.
func InCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Outcome is what Require does with a test.
type Outcome int

const (
	Continue Outcome = iota // the prerequisite is there
	Skip                    // missing on a developer's machine
	Fail                    // missing in CI
)

// Decide says what happens to a test whose prerequisite is (not) ok.
func Decide(ok, inCI bool) Outcome {
	switch {
	case ok:
		return Continue
	case inCI:
		return Fail
	}
	return Skip
}

// Require stops the test when ok is false: Skip outside CI, Fatal in CI.
func Require(tb testing.TB, ok bool, format string, args ...any) {
	tb.Helper()
	switch Decide(ok, InCI()) {
	case Fail:
		tb.Fatalf("prerequisite missing in CI: "+format, args...)
	case Skip:
		tb.Skipf("prerequisite missing: "+format, args...)
	}
}

// RequireNoErr is Require for a failed probe: the error is the reason.
func RequireNoErr(tb testing.TB, err error, what string) {
	tb.Helper()
	if err != nil {
		Require(tb, false, "%s: %v", what, err)
	}
}
