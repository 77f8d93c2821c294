package vm

import (
	"bufio"
	"strings"
)

// problemPatterns are substrings of console lines that show a kernel
// failure.
var problemPatterns = [...]string{
	"BUG:",
	"WARNING:",
	"Oops",
	"Call Trace",
	"soft lockup",
	"hard LOCKUP",
	"rcu_sched self-detected stall",
	"detected stalls",
	"Kernel panic",
	"general protection fault",
	"UBSAN:",
	"KASAN:",
	"kernel BUG",
	"list_del corruption",
}

// IsProblem reports whether a console line shows a kernel failure: a BUG,
// WARNING, Oops, call trace, lockup, RCU stall, panic, general protection
// fault, UBSAN or KASAN report, or list corruption. Only the text before a
// KWTEST marker (record, exit status) is examined, so a record's JSON may
// mention these words freely.
func IsProblem(line string) bool {
	if i := strings.Index(line, "KWTEST-"); i >= 0 {
		line = line[:i]
	}
	for _, p := range problemPatterns {
		if strings.Contains(line, p) {
			return true
		}
	}
	return false
}

// ScanProblems returns the lines of text (for example a console log or
// dmesg output) for which IsProblem is true, without line endings.
func ScanProblems(text string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if IsProblem(line) {
			out = append(out, line)
		}
	}
	return out
}
