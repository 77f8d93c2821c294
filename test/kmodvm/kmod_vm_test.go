package kmodvm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/testenv"
	"github.com/kwarden/kwarden/test/vm"
)

// The workspace is built once per test binary and shared by every test.
var (
	wsOnce sync.Once
	ws     *Workspace
	wsErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if ws != nil {
		ws.Close()
	}
	os.Exit(code)
}

func setup(t *testing.T) *Workspace {
	t.Helper()
	wsOnce.Do(func() {
		for _, tool := range []string{"qemu-system-x86_64", "gcc", "make"} {
			if _, err := exec.LookPath(tool); err != nil {
				wsErr = fmt.Errorf("find %s (run make deps): %w", tool, err)
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		ws, wsErr = NewWorkspace(ctx, nil)
	})
	testenv.RequireNoErr(t, wsErr, "prepare the module's VM workspace")
	return ws
}

// boot runs a scenario on every test kernel, each as a subtest, and hands
// each successful result to check.
func boot(t *testing.T, sc Scenario, check func(t *testing.T, res *vm.Result)) {
	e := setup(t)
	for _, k := range e.Kernels {
		t.Run(k.Series, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), sc.Timeout+time.Minute)
			defer cancel()
			res, err := e.Boot(ctx, k, sc, nil)
			if err != nil {
				t.Fatalf("boot %s: %v", k.Release, err)
			}
			t.Logf("%s: %s in %v", k.Release, sc.Args[0], res.Duration.Round(time.Millisecond))
			if err := res.Err(); err != nil {
				t.Fatalf("%s: %v", k.Release, err)
			}
			check(t, res)
		})
	}
}

func decode(t *testing.T, res *vm.Result, name string, v any) {
	t.Helper()
	if err := res.DecodeRecord(name, v); err != nil {
		t.Fatalf("record %s: %v\n%s", name, err, res.Tail(40))
	}
}
