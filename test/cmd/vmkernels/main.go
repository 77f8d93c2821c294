// Command vmkernels resolves the test kernels the way the VM tests do,
// fetching and caching any image that is not installed, and prints them.
// `make deps` runs it so that the first test run does not download.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/kwarden/kwarden/test/vm"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "vmkernels:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	kernels, err := vm.Kernels(ctx, vm.KernelOptions{Logger: log})
	if err != nil {
		return err
	}
	for _, k := range kernels {
		headers := k.BuildDir
		if headers == "" {
			headers = "(no headers: install linux-headers-" + k.Release + ")"
		}
		fmt.Printf("%-6s %-28s %s %s\n", k.Series, k.Release, k.Vmlinuz, headers)
	}
	return nil
}
