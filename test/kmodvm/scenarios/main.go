// Command kwarden-scenarios runs inside the test VM (see package kmodvm). Each
// subcommand is one scenario: it drives the kwarden module through its
// /proc files, checks what it can check inside the guest, and reports its
// findings as test/vm records for the host test to judge.
//
// It exits 0 when the scenario ran to the end, whatever it found; the host
// decides pass or fail from the records, so that a failure carries data.
// It exits non-zero only when the scenario could not run.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

type scenario func(ctx context.Context, args []string) error

var scenarios = map[string]scenario{
	"reload":      reload,
	"groundtruth": groundTruth,
	"hostile":     hostile,
	"churn":       churn,
	"scale":       scale,
	"containers":  containers,
	"hygiene":     hygiene,
	"bench":       bench,
	"demo":        demo,
	"xcheck":      xcheck,
	"exitbench":   exitBench,
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kwarden-scenarios:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) < 2 {
		return fmt.Errorf("usage: kwarden-scenarios SCENARIO [ARGS...]")
	}
	sc, ok := scenarios[os.Args[1]]
	if !ok {
		return fmt.Errorf("unknown scenario %q", os.Args[1])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	return sc(ctx, os.Args[2:])
}

// intArg returns args[i] as an int, or def when absent.
func intArg(args []string, i, def int) (int, error) {
	if len(args) <= i {
		return def, nil
	}
	n, err := strconv.Atoi(args[i])
	if err != nil {
		return 0, fmt.Errorf("argument %d: %w", i+1, err)
	}
	return n, nil
}
