package exitbench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kwarden/kwarden/test/testenv"
)

// One pair of rounds on the host kernel: both sides measured, the hook
// attached and its events read, the kernel's run-time count collected.
// Timings are not judged (noise); that the figures exist and add up is.
func TestRunOnHost(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "loading eBPF programs needs root")
	_, err := exec.LookPath("gcc")
	testenv.RequireNoErr(t, err, "gcc builds the churn helper")
	taskfarm := filepath.Join(t.TempDir(), "taskfarm")
	out, err := exec.Command("gcc", "-static", "-O2", "-pthread", "-o", taskfarm, "../kmodvm/taskfarm/taskfarm.c").CombinedOutput()
	if err != nil {
		t.Fatalf("build taskfarm: %v\n%s", err, out)
	}
	rep, err := Run(context.Background(), taskfarm, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *rep)
	if rep.WithoutRate <= 0 || rep.WithRate <= 0 || rep.Hook == "" {
		t.Errorf("rates %.0f / %.0f, hook %q", rep.WithoutRate, rep.WithRate, rep.Hook)
	}
	// Every child's exit is an event: about as many as forks in the
	// hooked second (other processes may add a few).
	if float64(rep.Exits) < 0.9*rep.WithRate {
		t.Errorf("%d exit events for %.0f forks", rep.Exits, rep.WithRate)
	}
	if rep.HookNsPerRun <= 0 || rep.HookSharePct <= 0 {
		t.Errorf("hook run time %.0f ns, share %.2f %%: bpf_stats not collected", rep.HookNsPerRun, rep.HookSharePct)
	}
}
