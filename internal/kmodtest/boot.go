package kmodtest

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/kwarden/kwarden/internal/vmtest"
)

// Scenario is one boot: the guest subcommand and the VM it needs.
type Scenario struct {
	Args     []string // kwarden-guest arguments, the scenario name first
	MemoryMB int
	Timeout  time.Duration
	Cgroup2  bool
}

// Boot runs one scenario in kernel k with module ko loaded at boot.
func Boot(ctx context.Context, k vmtest.Kernel, ko string, g *Guests, sc Scenario, dir string, console io.Writer) (*vmtest.Result, error) {
	initrd := filepath.Join(dir, fmt.Sprintf("initrd-%s-%s.gz", k.Release, sc.Args[0]))
	files := []vmtest.File{
		{Path: "/bin/kwarden-guest", Src: g.Guest, Mode: 0o755},
		{Path: "/bin/kwarden-spawn", Src: g.Spawn, Mode: 0o755},
		{Path: "/kwarden.ko", Src: ko, Mode: 0o644},
	}
	init := vmtest.InitOptions{
		Command:      append([]string{"/bin/kwarden-guest"}, sc.Args...),
		Modules:      []string{"/kwarden.ko"},
		MountCgroup2: sc.Cgroup2,
	}
	if err := vmtest.BuildInitramfsFile(initrd, files, init); err != nil {
		return nil, fmt.Errorf("build initramfs: %w", err)
	}
	return vmtest.Run(ctx, vmtest.Config{
		Kernel:    k,
		Initramfs: initrd,
		MemoryMB:  sc.MemoryMB,
		CPUs:      2,
		Timeout:   sc.Timeout,
		Console:   console,
	})
}
