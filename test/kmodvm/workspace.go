package kmodvm

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/kwarden/kwarden/test/vm"
)

// Workspace is everything a VM run of the module needs, built once: the
// test kernels, the guest programs and a kwarden.ko per kernel, in a
// private temporary directory.
type Workspace struct {
	Dir     string
	Kernels []vm.Kernel
	Guests  *Guests
	Modules map[string]string // kernel release → kwarden.ko
}

// NewWorkspace resolves the kernels of the given series (nil: the default
// ones) and builds everything for them. Close removes the directory.
func NewWorkspace(ctx context.Context, series []string) (*Workspace, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	kernels, err := vm.Kernels(ctx, vm.KernelOptions{Series: series})
	if err != nil {
		return nil, fmt.Errorf("resolve test kernels (run make deps): %w", err)
	}
	dir, err := os.MkdirTemp("", "kwarden-kmodvm-")
	if err != nil {
		return nil, err
	}
	w := &Workspace{Dir: dir, Kernels: kernels, Modules: map[string]string{}}
	if w.Guests, err = BuildGuests(ctx, root, dir); err != nil {
		w.Close()
		return nil, err
	}
	for _, k := range kernels {
		ko, err := BuildModule(ctx, root, k, dir)
		if err != nil {
			w.Close()
			return nil, err
		}
		w.Modules[k.Release] = ko
	}
	return w, nil
}

// Boot runs one scenario on kernel k.
func (w *Workspace) Boot(ctx context.Context, k vm.Kernel, sc Scenario, console io.Writer) (*vm.Result, error) {
	return Boot(ctx, k, w.Modules[k.Release], w.Guests, sc, w.Dir, console)
}

// Close removes the workspace's files.
func (w *Workspace) Close() error { return os.RemoveAll(w.Dir) }
