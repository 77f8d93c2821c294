// Package exitbench measures what the eBPF exit hook costs a fork-heavy
// workload: fork+exit throughput of taskfarm's churn mode (a
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
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/kwarden/kwarden/bpf"
)

// Run measures rounds pairs of secs-second rounds, one without and one
// with the hook, in ABBA order so that a drift of the machine's speed
// over the run does not favour either side.
func Run(ctx context.Context, taskfarm string, rounds, secs int) (*Result, error) {
	rep := &Result{Rounds: rounds, Seconds: float64(secs)}
	var without, with, costs []float64
	var runs uint64
	var hookTime time.Duration
	for i := range rounds {
		var pair [2]float64 // without, with
		for _, hooked := range [][2]bool{{false, true}, {true, false}}[i%2] {
			if !hooked {
				r, err := churn(ctx, taskfarm, secs)
				if err != nil {
					return nil, err
				}
				pair[0] = r
				continue
			}
			r, exits, err := hookedRound(ctx, taskfarm, secs)
			if err != nil {
				return nil, err
			}
			pair[1] = r.rate
			rep.Hook = r.hook
			rep.Exits += exits
			runs += r.runs
			hookTime += r.runtime
		}
		without, with = append(without, pair[0]), append(with, pair[1])
		costs = append(costs, 100*(pair[0]-pair[1])/pair[0])
	}
	rep.WithoutRate, rep.WithRate = median(without), median(with)
	// The cost of each adjacent pair, then the median: the machine's
	// speed drifts more between pairs than within one.
	rep.CostPct = median(costs)
	rep.CostMinPct, rep.CostMaxPct = slices.Min(costs), slices.Max(costs)
	if runs > 0 && rep.Exits > 0 {
		rep.HookNsPerRun = float64(hookTime.Nanoseconds()) / float64(runs)
		// The hook may run more often than processes exit (fentry runs
		// for every exiting thread), so charge its whole time to the
		// process exits it reported.
		perExit := float64(hookTime.Nanoseconds()) / float64(rep.Exits)
		rep.HookSharePct = 100 * perExit / (1e9 / rep.WithoutRate)
	}
	return rep, nil
}

type hookedResult struct {
	rate    float64
	hook    string
	runs    uint64
	runtime time.Duration
}

// hookedRound runs one round with the collector open and a reader
// draining its exit events, as the agent does.
func hookedRound(ctx context.Context, taskfarm string, secs int) (hookedResult, int, error) {
	col, err := bpf.Open(bpf.Options{})
	if err != nil {
		return hookedResult{}, 0, fmt.Errorf("open eBPF collector: %w", err)
	}
	defer col.Close()
	// Open parses the kernel's BTF (tens of MB of garbage): collect it
	// now, or the GC would take a CPU during the measurement.
	runtime.GC()
	debug.FreeOSMemory()
	time.Sleep(200 * time.Millisecond)
	// The program's own run time, counted by the kernel (5.8+): a
	// measure of the hook that the machine's noise does not blur.
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		return hookedResult{}, 0, fmt.Errorf("enable eBPF run-time statistics: %w", err)
	}
	defer stats.Close()

	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	exits := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if _, err := col.ReadExit(rctx); err != nil && (rctx.Err() != nil || !errors.Is(err, bpf.ErrMalformed)) {
				return
			}
			exits++
		}
	}()
	rate, err := churn(ctx, taskfarm, secs)
	// Let the reader collect the last batch before counting.
	time.Sleep(300 * time.Millisecond)
	cancel()
	wg.Wait()
	res := hookedResult{rate: rate, hook: col.ExitHook()}
	if err == nil {
		res.runs, res.runtime, err = col.ExitHookRuntime()
	}
	return res, exits, err
}

// churn runs the helper for secs seconds and returns forks per second.
// The helper and its children are pinned to CPU 0: a fork+exit cycle
// that wanders between CPUs varies by ±20 % from one second to the next,
// pinned by about ±2 %, which is what lets a few per cent be measured.
// The collector's reader stays free to run on the other CPUs.
func churn(ctx context.Context, taskfarm string, secs int) (float64, error) {
	out, err := exec.CommandContext(ctx, taskfarm, "churn", strconv.Itoa(secs), "0").Output()
	if err != nil {
		return 0, fmt.Errorf("run %s churn: %w", taskfarm, err)
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
