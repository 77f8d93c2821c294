package kmodvm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kwarden/kwarden/test/vm"
)

// RepoRoot finds the repository root: the nearest parent of the working
// directory that holds go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Guests are the static programs the VM runs.
type Guests struct {
	Scenarios string // kwarden-scenarios, Go
	TaskFarm  string // taskfarm, C
}

// BuildGuests compiles the guest programs into dir.
func BuildGuests(ctx context.Context, root, dir string) (*Guests, error) {
	g := &Guests{Scenarios: filepath.Join(dir, "kwarden-scenarios"), TaskFarm: filepath.Join(dir, "taskfarm")}
	goCmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", g.Scenarios, "./test/kmodvm/scenarios")
	goCmd.Dir = root
	goCmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if err := run(goCmd, 5*time.Minute); err != nil {
		return nil, fmt.Errorf("build scenarios program: %w", err)
	}
	cc := exec.CommandContext(ctx, "gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread",
		"-o", g.TaskFarm, filepath.Join(root, "test/kmodvm/taskfarm/taskfarm.c"))
	if err := run(cc, 2*time.Minute); err != nil {
		return nil, fmt.Errorf("build taskfarm: %w", err)
	}
	return g, nil
}

// BuildModule builds kwarden.ko for kernel k from the sources in
// root/kmod, in a private copy under dir so that builds for several
// kernels never share objects. It returns the path of the .ko.
func BuildModule(ctx context.Context, root string, k vm.Kernel, dir string) (string, error) {
	if k.BuildDir == "" {
		return "", fmt.Errorf("build module for %s: no headers (install linux-headers-%s)", k.Release, k.Release)
	}
	src := filepath.Join(root, "kmod")
	out := filepath.Join(dir, "kmod-"+k.Release)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return "", fmt.Errorf("build module: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".c") || strings.HasSuffix(name, ".h") || name == "Kbuild") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			return "", err
		}
	}
	mk := exec.CommandContext(ctx, "make", "-s", "-C", k.BuildDir, "M="+out, "W=1", "modules")
	if err := run(mk, 5*time.Minute); err != nil {
		return "", fmt.Errorf("build module for %s: %w", k.Release, err)
	}
	return filepath.Join(out, "kwarden.ko"), nil
}

func run(cmd *exec.Cmd, timeout time.Duration) error {
	timer := time.AfterFunc(timeout, func() {
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
		}
	})
	defer timer.Stop()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	if len(strings.TrimSpace(string(out))) > 0 && strings.Contains(string(out), "warning:") {
		return fmt.Errorf("%s: compiler warnings:\n%s", strings.Join(cmd.Args, " "), out)
	}
	return nil
}
