package kmodtest

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/kwarden/kwarden/internal/testenv"
	"github.com/kwarden/kwarden/internal/vmtest"
)

// vmEnv is built once per test binary: the guests, the kernels and a
// module for each kernel.
type vmEnv struct {
	dir     string
	guests  *Guests
	kernels []vmtest.Kernel
	modules map[string]string // release → .ko
	err     error
	what    string
}

var (
	envOnce sync.Once
	env     vmEnv
)

func TestMain(m *testing.M) {
	code := m.Run()
	if env.dir != "" {
		os.RemoveAll(env.dir)
	}
	os.Exit(code)
}

func setup(t *testing.T) *vmEnv {
	t.Helper()
	envOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		for _, tool := range []string{"qemu-system-x86_64", "gcc", "make"} {
			if _, err := exec.LookPath(tool); err != nil {
				env.err, env.what = err, "find "+tool+" (run make deps)"
				return
			}
		}
		root, err := RepoRoot()
		if err != nil {
			env.err, env.what = err, "find repository"
			return
		}
		env.dir, err = os.MkdirTemp("", "kwarden-kmodtest-")
		if err != nil {
			env.err, env.what = err, "make temp dir"
			return
		}
		env.kernels, err = vmtest.Kernels(ctx, vmtest.KernelOptions{})
		if err != nil {
			env.err, env.what = err, "resolve test kernels (run make deps)"
			return
		}
		env.guests, err = BuildGuests(ctx, root, env.dir)
		if err != nil {
			env.err, env.what = err, "build guest programs"
			return
		}
		env.modules = map[string]string{}
		for _, k := range env.kernels {
			ko, err := BuildModule(ctx, root, k, env.dir)
			if err != nil {
				env.err, env.what = err, "build kwarden.ko"
				return
			}
			env.modules[k.Release] = ko
		}
	})
	testenv.RequireNoErr(t, env.err, env.what)
	return &env
}

// boot runs a scenario on every test kernel, each as a subtest, and hands
// each successful result to check.
func boot(t *testing.T, sc Scenario, check func(t *testing.T, res *vmtest.Result)) {
	e := setup(t)
	for _, k := range e.kernels {
		t.Run(k.Series, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), sc.Timeout+time.Minute)
			defer cancel()
			res, err := Boot(ctx, k, e.modules[k.Release], e.guests, sc, e.dir, nil)
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

func decode(t *testing.T, res *vmtest.Result, name string, v any) {
	t.Helper()
	if err := res.DecodeRecord(name, v); err != nil {
		t.Fatalf("record %s: %v\n%s", name, err, res.Tail(40))
	}
}
