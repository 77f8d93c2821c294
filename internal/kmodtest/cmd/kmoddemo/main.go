// Command kmoddemo boots the newest test kernel (the Debian 13 series by
// default) with the kwarden module, runs a small demo inside, and prints
// the VM's console: what a student sees on the lab VM's serial console.
//
// Usage: go run ./internal/kmodtest/cmd/kmoddemo [-series 6.12]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/kwarden/kwarden/internal/kmodtest"
	"github.com/kwarden/kwarden/internal/vmtest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kmoddemo:", err)
		os.Exit(1)
	}
}

func run() error {
	series := flag.String("series", "6.12", "kernel series to boot")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()

	root, err := kmodtest.RepoRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kwarden-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	kernels, err := vmtest.Kernels(ctx, vmtest.KernelOptions{Series: []string{*series}})
	if err != nil {
		return fmt.Errorf("resolve kernel: %w", err)
	}
	k := kernels[0]
	fmt.Printf("building kwarden.ko for %s and the guest programs...\n", k.Release)
	guests, err := kmodtest.BuildGuests(ctx, root, dir)
	if err != nil {
		return err
	}
	ko, err := kmodtest.BuildModule(ctx, root, k, dir)
	if err != nil {
		return err
	}
	fmt.Printf("booting %s under qemu (TCG)...\n", k.Vmlinuz)
	sc := kmodtest.Scenario{Args: []string{"demo"}, MemoryMB: 1024, Timeout: 5 * time.Minute, Cgroup2: true}
	res, err := kmodtest.Boot(ctx, k, ko, guests, sc, dir, os.Stdout)
	if err != nil {
		return err
	}
	return res.Err()
}
