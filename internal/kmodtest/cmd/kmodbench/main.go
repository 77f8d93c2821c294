// Command kmodbench boots each test kernel with the kwarden module and
// compares, in one VM run per kernel, a full read of every process's
// figures through the module (read and parse) with a procfs walk that
// reads stat, statm, status, io and cgroup of every process.
//
// Usage: go run ./internal/kmodtest/cmd/kmodbench [-counts 1000,10000] [-rounds 7]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kwarden/kwarden/internal/kmodtest"
	"github.com/kwarden/kwarden/internal/kmodtest/report"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kmodbench:", err)
		os.Exit(1)
	}
}

func run() error {
	counts := flag.String("counts", "1000,10000", "process counts to measure at")
	rounds := flag.Int("rounds", 7, "alternating rounds per count (median reported)")
	series := flag.String("series", "6.1,6.12", "kernel series to measure")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()

	w, err := kmodtest.NewWorkspace(ctx, strings.Split(*series, ","))
	if err != nil {
		return err
	}
	defer w.Close()
	args := append([]string{"bench", fmt.Sprintf("rounds=%d", *rounds)}, strings.Split(*counts, ",")...)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kernel\tprocesses\tmodule read+parse ms\tmodule read ms\tprocfs walk ms\twalk/module\tmodule bytes\t")
	for _, k := range w.Kernels {
		sc := kmodtest.Scenario{Args: args, MemoryMB: 3072, Timeout: 20 * time.Minute}
		res, err := w.Boot(ctx, k, sc, nil)
		if err != nil {
			return err
		}
		if err := res.Err(); err != nil {
			return fmt.Errorf("%s: %w", k.Release, err)
		}
		for _, r := range res.RecordsNamed("bench") {
			var b report.Bench
			if err := json.Unmarshal(r.Data, &b); err != nil {
				return err
			}
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1fx\t%d\t\n",
				k.Release, b.Processes, b.ModuleMs, b.ModuleRawMs, b.WalkMs, b.Ratio, b.ModuleBytes)
		}
	}
	fmt.Fprintf(tw, "(medians of %d alternating rounds in one qemu TCG VM per kernel, 2 vCPUs)\t\t\t\t\t\t\t\n", *rounds)
	return tw.Flush()
}
