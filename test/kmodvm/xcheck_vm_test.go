package kmodvm

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/bpf"
	"github.com/kwarden/kwarden/test/kmodvm/report"
	"github.com/kwarden/kwarden/test/vm"
)

// xcheckRecords decodes every cross-check record of a run.
func xcheckRecords(t *testing.T, res *vm.Result) []report.CrossCheck {
	t.Helper()
	var out []report.CrossCheck
	for _, r := range res.RecordsNamed("xcheck") {
		var rep report.CrossCheck
		if err := json.Unmarshal(r.Data, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Error != "" {
			t.Fatalf("%s: %s\n%s", rep.Mode, rep.Error, res.Tail(40))
		}
		out = append(out, rep)
	}
	if len(out) == 0 {
		t.Fatalf("no xcheck records\n%s", res.Tail(40))
	}
	return out
}

func logRound(t *testing.T, r report.CrossCheck) {
	t.Helper()
	t.Logf("%s round %d (%s): kmod %d, ebpf %d, matched %d, %d fields; churn %d, missing %d, drift %d; snapshot %s, hook %s, exact RSS %v, exits seen %d",
		r.Mode, r.Round, r.Order, r.InKmod, r.InEBPF, r.Matched, r.Fields, r.Churn, r.Missing, r.Drift, r.Snapshot, r.ExitHook, r.RSSExact, r.ExitsSeen)
	for _, s := range r.Shown {
		t.Logf("  %s", s)
	}
}

// At steady state with 1,000 processes the two views agree completely:
// every process matched, no field beyond tolerance, in both read orders.
// The eBPF view walks the process list on 6.12 and falls back to the
// task iterator on 6.1, which has no open-coded task iterators.
func TestCrossCheckSteady(t *testing.T) {
	sc := Scenario{Args: []string{"xcheck", "steady", "1000", "4"}, MemoryMB: 1024, Timeout: 4 * time.Minute, Cgroup2: true}
	boot(t, sc, func(t *testing.T, res *vm.Result) {
		wantSnapshot := bpf.SnapshotProcessWalk
		if strings.HasSuffix(t.Name(), "/6.1") {
			wantSnapshot = bpf.SnapshotTaskIterator
		}
		for _, r := range xcheckRecords(t, res) {
			logRound(t, r)
			if r.Snapshot != wantSnapshot {
				t.Errorf("round %d: eBPF snapshot by %q, want %q on this kernel", r.Round, r.Snapshot, wantSnapshot)
			}
			if r.InKmod < 1000 || r.Matched != r.InKmod || r.Matched != r.InEBPF {
				t.Errorf("round %d: matched %d of kmod %d / ebpf %d, want all of ≥ 1,000", r.Round, r.Matched, r.InKmod, r.InEBPF)
			}
			if r.Missing+r.Drift+r.Churn != 0 {
				t.Errorf("round %d: churn %d, missing %d, drift %d at steady state", r.Round, r.Churn, r.Missing, r.Drift)
			}
			if r.Fields < 10*r.Matched {
				t.Errorf("round %d: only %d fields compared for %d processes", r.Round, r.Fields, r.Matched)
			}
			if !r.RSSExact {
				t.Errorf("round %d: eBPF RSS not exact as root", r.Round)
			}
		}
	})
}

// Under fork/exit churn every difference is churn, never a discrepancy.
func TestCrossCheckChurn(t *testing.T) {
	sc := Scenario{Args: []string{"xcheck", "churn", "20"}, MemoryMB: 1024, Timeout: 4 * time.Minute, Cgroup2: true}
	boot(t, sc, func(t *testing.T, res *vm.Result) {
		churn := 0
		recs := xcheckRecords(t, res)
		for _, r := range recs {
			if r.Missing+r.Drift != 0 {
				logRound(t, r)
				t.Errorf("round %d: %d missing, %d drift under churn", r.Round, r.Missing, r.Drift)
			}
			churn += r.Churn
		}
		t.Logf("%d rounds, %d churn absences classified, last round:", len(recs), churn)
		logRound(t, recs[len(recs)-1])
		if len(recs) < 5 || churn < len(recs) {
			t.Errorf("%d rounds with %d churn absences: the workload did not churn", len(recs), churn)
		}
	})
}

// A real missed process: the eBPF reader runs in a child pid namespace,
// so its task iterator only walks that namespace. Processes outside are
// alive in the module's view and must be reported Missing, not churn.
func TestCrossCheckDetectsMissedProcesses(t *testing.T) {
	sc := Scenario{Args: []string{"xcheck", "pidns"}, MemoryMB: 512, Timeout: 3 * time.Minute, Cgroup2: true}
	boot(t, sc, func(t *testing.T, res *vm.Result) {
		recs := xcheckRecords(t, res)
		r := recs[0]
		logRound(t, r)
		if r.InEBPF < 1 || r.Matched < 1 {
			t.Errorf("the namespaced reader sees %d processes, %d matched: want itself", r.InEBPF, r.Matched)
		}
		if r.Missing < r.InKmod-r.InEBPF || r.Churn != 0 {
			t.Errorf("missing %d, churn %d: want all %d processes outside the namespace missing", r.Missing, r.Churn, r.InKmod-r.InEBPF)
		}
		if len(r.OutsideMissed) != len(r.Outside) {
			t.Errorf("outside processes %v, reported missing and alive: %v", r.Outside, r.OutsideMissed)
		}
	})
}

// The exit hook reports each process's final CPU time: no less than the
// process measured of itself just before exiting, no more than wait4's.
func TestExitHookFinalFigures(t *testing.T) {
	sc := Scenario{Args: []string{"xcheck", "exits", "100", "200", "300"}, MemoryMB: 512, Timeout: 3 * time.Minute}
	boot(t, sc, func(t *testing.T, res *vm.Result) {
		recs := res.RecordsNamed("exit")
		if len(recs) != 3 {
			t.Fatalf("%d exit records, want 3\n%s", len(recs), res.Tail(40))
		}
		for _, rec := range recs {
			var e report.Exit
			if err := json.Unmarshal(rec.Data, &e); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: pid %d self %d ≤ event %d ≤ rusage %d ns; code %#x, mm %v, rss %d, threads %d",
				e.Hook, e.PID, e.SelfNs, e.EventNs, e.RusageNs, e.ExitCode, e.HasMM, e.RSSBytes, e.Threads)
			if e.Error != "" {
				t.Fatalf("pid %d: %s", e.PID, e.Error)
			}
			if e.EventNs < e.SelfNs || e.EventNs > e.RusageNs+2000 {
				t.Errorf("pid %d: final CPU %d outside [%d, %d]", e.PID, e.EventNs, e.SelfNs, e.RusageNs+2000)
			}
			if e.ExitCode != 7<<8 {
				t.Errorf("pid %d: exit code %#x", e.PID, e.ExitCode)
			}
			// The Debian kernels can trace taskstats_exit, which runs
			// before exit_mm: the final RSS is there.
			if e.Hook != "fentry/taskstats_exit" || !e.HasMM || e.RSSBytes == 0 {
				t.Errorf("pid %d: hook %s, mm %v, rss %d: want fentry with memory figures", e.PID, e.Hook, e.HasMM, e.RSSBytes)
			}
		}
	})
}
