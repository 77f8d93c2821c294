// Command kmoddemo boots the newest test kernel (the Debian 13 series by
// default) with the kwarden module, runs a small demo inside, and prints
// the VM's console: what a student sees on the lab VM's serial console.
//
// Usage: go run ./test/cmd/kmoddemo [-series 6.12]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/kwarden/kwarden/test/kmodvm"
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

	fmt.Printf("building kwarden.ko for the %s kernel and the guest programs...\n", *series)
	w, err := kmodvm.NewWorkspace(ctx, []string{*series})
	if err != nil {
		return err
	}
	defer w.Close()
	k := w.Kernels[0]
	fmt.Printf("booting %s under qemu (TCG)...\n", k.Vmlinuz)
	sc := kmodvm.Scenario{Args: []string{"demo"}, MemoryMB: 1024, Timeout: 5 * time.Minute, Cgroup2: true}
	res, err := w.Boot(ctx, k, sc, os.Stdout)
	if err != nil {
		return err
	}
	return res.Err()
}
