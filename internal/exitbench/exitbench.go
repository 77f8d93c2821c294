// Package exitbench measures what the eBPF exit hook costs a fork-heavy
// workload: fork+exit throughput of the kwarden-spawn churn helper (a
// static C loop of fork, _exit, waitpid) with and without the hook
// attached and its events drained, in alternating rounds so that both
// sides share the machine's state. Used by make bench on the host and
// inside the test VMs.
package exitbench

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kwarden/kwarden/bpf"
	"github.com/kwarden/kwarden/internal/kmodtest/report"
)

// Run alternates rounds of secs seconds without and with the hook.
func Run(ctx context.Context, spawn string, rounds, secs int) (*report.ExitBench, error) {
	rep := &report.ExitBench{Rounds: rounds, Seconds: float64(secs)}
	var without, with []float64
	for range rounds {
		r, err := churn(ctx, spawn, secs)
		if err != nil {
			return nil, err
		}
		without = append(without, r)

		col, err := bpf.Open(bpf.Options{})
		if err != nil {
			return nil, fmt.Errorf("open eBPF collector: %w", err)
		}
		rep.Hook = col.ExitHook()
		rctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		var exits int
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, err := col.ReadExit(rctx); err != nil {
					if rctx.Err() != nil || !errors.Is(err, bpf.ErrMalformed) {
						return
					}
				}
				exits++
			}
		}()
		r, err = churn(ctx, spawn, secs)
		// Let the reader collect the last batch before counting.
		time.Sleep(300 * time.Millisecond)
		cancel()
		wg.Wait()
		col.Close()
		if err != nil {
			return nil, err
		}
		with = append(with, r)
		rep.Exits += exits
	}
	rep.WithoutRate, rep.WithRate = median(without), median(with)
	rep.CostPct = 100 * (rep.WithoutRate - rep.WithRate) / rep.WithoutRate
	return rep, nil
}

// churn runs the helper for secs seconds and returns forks per second.
func churn(ctx context.Context, spawn string, secs int) (float64, error) {
	out, err := exec.CommandContext(ctx, spawn, "churn", strconv.Itoa(secs)).Output()
	if err != nil {
		return 0, fmt.Errorf("run %s churn: %w", spawn, err)
	}
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(string(out)), "forks "))
	if err != nil {
		return 0, fmt.Errorf("churn helper said %q", out)
	}
	return float64(n) / float64(secs), nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
