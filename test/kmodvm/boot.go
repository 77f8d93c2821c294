package kmodvm

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/kwarden/kwarden/test/vm"
)

// Scenario is one boot: the guest subcommand and the VM it needs.
type Scenario struct {
	Args     []string // kwarden-scenarios arguments, the scenario name first
	MemoryMB int
	Timeout  time.Duration
	Cgroup2  bool
}

// Boot runs one scenario in kernel k with module ko loaded at boot.
func Boot(ctx context.Context, k vm.Kernel, ko string, g *Guests, sc Scenario, dir string, console io.Writer) (*vm.Result, error) {
	initrd := filepath.Join(dir, fmt.Sprintf("initrd-%s-%s.gz", k.Release, sc.Args[0]))
	files := []vm.File{
		{Path: "/bin/kwarden-scenarios", Src: g.Scenarios, Mode: 0o755},
		{Path: "/bin/taskfarm", Src: g.TaskFarm, Mode: 0o755},
		{Path: "/kwarden.ko", Src: ko, Mode: 0o644},
	}
	init := vm.InitOptions{
		Command:      append([]string{"/bin/kwarden-scenarios"}, sc.Args...),
		Modules:      []string{"/kwarden.ko"},
		MountCgroup2: sc.Cgroup2,
	}
	if err := vm.BuildInitramfsFile(initrd, files, init); err != nil {
		return nil, fmt.Errorf("build initramfs: %w", err)
	}
	return vm.Run(ctx, vm.Config{
		Kernel:    k,
		Initramfs: initrd,
		MemoryMB:  sc.MemoryMB,
		CPUs:      2,
		Timeout:   sc.Timeout,
		Console:   console,
	})
}
