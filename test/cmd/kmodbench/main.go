// Command kmodbench boots each test kernel with the kwarden module and
// compares, in one VM run per kernel, a full read of every process's
// figures through the eBPF task iterator, through the module (read and
// parse) and through a procfs walk that reads stat, statm, status, io and
// cgroup of every process. It then measures the eBPF exit hook's cost to
// fork+exit throughput, in each VM and on the host kernel.
//
// Usage: go run ./test/cmd/kmodbench [-counts 1000,10000] [-rounds 7]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kwarden/kwarden/test/exitbench"
	"github.com/kwarden/kwarden/test/kmodvm"
	"github.com/kwarden/kwarden/test/kmodvm/report"
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
	exitRounds := flag.Int("exit-rounds", 10, "pairs of rounds (without, with the hook) of the exit-hook benchmark")
	exitSecs := flag.Int("exit-seconds", 1, "seconds per exit-hook round")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()

	w, err := kmodvm.NewWorkspace(ctx, strings.Split(*series, ","))
	if err != nil {
		return err
	}
	defer w.Close()
	args := append([]string{"bench", fmt.Sprintf("rounds=%d", *rounds)}, strings.Split(*counts, ",")...)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kernel\tprocesses\teBPF ms\tmodule read+parse ms\tmodule read ms\tprocfs walk ms\twalk/eBPF\twalk/module\tmodule bytes\teBPF snapshot by\t")
	var exitRows []string
	for _, k := range w.Kernels {
		sc := kmodvm.Scenario{Args: args, MemoryMB: 3072, Timeout: 20 * time.Minute}
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
			if b.EBPFError != "" {
				return fmt.Errorf("%s: eBPF: %s", k.Release, b.EBPFError)
			}
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1fx\t%.1fx\t%d\t%s\t\n",
				k.Release, b.Processes, b.EBPFMs, b.ModuleMs, b.ModuleRawMs, b.WalkMs, b.EBPFRatio, b.Ratio, b.ModuleBytes, b.EBPFMethod)
		}
		sc = kmodvm.Scenario{Args: []string{"exitbench", strconv.Itoa(*exitRounds), strconv.Itoa(*exitSecs)},
			MemoryMB: 1024, Timeout: 10 * time.Minute}
		if res, err = w.Boot(ctx, k, sc, nil); err != nil {
			return err
		}
		if err := res.Err(); err != nil {
			return fmt.Errorf("%s: %w", k.Release, err)
		}
		var e exitbench.Result
		if err := res.DecodeRecord("exitbench", &e); err != nil {
			return fmt.Errorf("%s: %w", k.Release, err)
		}
		exitRows = append(exitRows, exitRow(k.Release+" (VM)", &e))
	}
	fmt.Fprintf(tw, "(medians of %d alternating rounds in one qemu TCG VM per kernel, 2 vCPUs)\t\t\t\t\t\t\t\t\t\n", *rounds)
	if err := tw.Flush(); err != nil {
		return err
	}

	host, err := exitbench.Run(ctx, w.Guests.TaskFarm, *exitRounds, *exitSecs)
	if err != nil {
		return fmt.Errorf("host exit bench: %w", err)
	}
	rel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	exitRows = append(exitRows, exitRow(strings.TrimSpace(string(rel))+" (host)", host))
	fmt.Println()
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kernel\texit hook\tfork+exit/s without\twith\tthroughput cost (pair min … max)\thook µs/run\thook share of a cycle\texit events\t")
	for _, r := range exitRows {
		fmt.Fprintln(tw, r)
	}
	fmt.Fprintf(tw, "(medians over %d ABBA-ordered pairs of %d s rounds of a fork, _exit, waitpid loop)\t\t\t\t\t\t\t\t\n", *exitRounds, *exitSecs)
	return tw.Flush()
}

func exitRow(kernel string, e *exitbench.Result) string {
	if e.Error != "" {
		return fmt.Sprintf("%s\terror: %s\t\t\t\t\t\t\t", kernel, e.Error)
	}
	return fmt.Sprintf("%s\t%s\t%.0f\t%.0f\t%.1f%% (%.1f … %.1f)\t%.2f\t%.2f%%\t%d\t",
		kernel, e.Hook, e.WithoutRate, e.WithRate, e.CostPct, e.CostMinPct, e.CostMaxPct, e.HookNsPerRun/1000, e.HookSharePct, e.Exits)
}
