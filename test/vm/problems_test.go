package vm

import (
	"strings"
	"testing"
)

func TestIsProblem(t *testing.T) {
	problems := []string{
		"[    1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000",
		"[    1.0] WARNING: CPU: 0 PID: 1 at kernel/foo.c:12 foo+0x1/0x2",
		"[    1.0] Oops: 0000 [#1] PREEMPT SMP NOPTI",
		"[    1.0]  <TASK>Call Trace:",
		"[   22.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [sh:1]",
		"[   22.0] Watchdog detected hard LOCKUP on cpu 1",
		"[   21.0] rcu: INFO: rcu_sched self-detected stall on CPU",
		"[   21.0] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
		"[    3.0] Kernel panic - not syncing: panic_on_warn set ...",
		"[    1.0] general protection fault, probably for non-canonical address",
		"[    1.0] UBSAN: array-index-out-of-bounds in foo.c:3:4",
		"[    1.0] BUG: KASAN: slab-out-of-bounds in foo",
		"[    1.0] kernel BUG at mm/slub.c:1!",
		"[    1.0] list_del corruption. prev->next should be ffff, but was dead",
		"WARNING: before a marker KWTEST-EXIT 0",
	}
	for _, l := range problems {
		if !IsProblem(l) {
			t.Errorf("IsProblem(%q) = false", l)
		}
	}
	fine := []string{
		"[    0.0] Command line: console=ttyS0 panic=-1 panic_on_warn=1 oops=panic softlockup_panic=1",
		"[    0.5] Run /init as init process",
		`KWTEST-RECORD r {"msg":"BUG: only data"}`,
		"[    1.0] KWTEST-RECORD r \"WARNING: via kmsg\"",
		"",
	}
	for _, l := range fine {
		if IsProblem(l) {
			t.Errorf("IsProblem(%q) = true", l)
		}
	}
}

func TestScanProblems(t *testing.T) {
	got := ScanProblems("ok\r\n[ 1.0] WARNING: x\r\nfine\nCall Trace:\n")
	if strings.Join(got, "|") != "[ 1.0] WARNING: x|Call Trace:" {
		t.Errorf("ScanProblems = %q", got)
	}
}
