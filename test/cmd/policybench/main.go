// Command policybench measures the kill-policy machinery through the
// real parts: the decision round trip (snapshot → go-plugin gRPC →
// plugin → decisions) at 50 and 500 containers, and a swap: how long
// from Use to the new policy answering, while rounds run beside it.
//
//	go run ./test/cmd/policybench        # part of make bench
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/agent/policyhost"
	"github.com/kwarden/kwarden/test/policytest"
)

func main() {
	rounds := flag.Int("rounds", 2000, "rounds per fleet size")
	flag.Parse()
	root, _ := filepath.Abs(".")
	if err := run(root, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "policybench:", err)
		os.Exit(1)
	}
}

func snapshot(n int) *policy.Snapshot {
	s := &policy.Snapshot{Time: time.Now(), Trigger: policy.TriggerTick, Interval: time.Second, Window: 5 * time.Second,
		System: policy.System{MemTotalBytes: 24 << 30, MemAvailableBytes: 20 << 30, CPUs: 2}}
	t0 := time.Now().Add(-time.Hour)
	kinds := []string{"cpu", "ram", "low", "io", "disk"}
	for i := range n {
		s.Containers = append(s.Containers, policy.Container{
			ID: fmt.Sprintf("%064x", i+1), Name: fmt.Sprintf("kw-%d", i), Image: "kwarden/load:low", Kind: kinds[i%5], Class: "low",
			Labels: map[string]string{"kwarden.kind": kinds[i%5], "kwarden.profile": "B"}, Created: t0.Add(time.Duration(i) * time.Second),
			Age: time.Hour, Processes: 1, Threads: 2, CPUPercent: float64(i % 100), RSSBytes: uint64(i) << 20, VSZBytes: uint64(i) << 22,
			MemUsageBytes: uint64(i) << 20, WorkingSetBytes: uint64(i) << 20, RAMPercent: float64(i%10) / 10,
		})
	}
	return s
}

func run(root string, rounds int) error {
	defer policytest.Cleanup()
	tmp, err := os.MkdirTemp("", "policybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "policies")
	if err := policytest.Layout(root, dir, "keep-oldest", "threshold"); err != nil {
		return err
	}
	cat, err := policyhost.LoadCatalogue(dir)
	if err != nil {
		return err
	}
	ctx := context.Background()
	h := policyhost.New(cat, policyhost.Options{})
	defer h.Close()
	fmt.Printf("policybench, %s: over go-plugin gRPC, %d rounds per size\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), rounds)
	fmt.Println("| policy | containers | decisions | p50 | p99 | max |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: |")
	// keep-oldest answers a decision for all but 3: the largest answer.
	// threshold with a limit nobody reaches answers none: the snapshot's
	// cost alone.
	for _, p := range []struct{ name, config string }{{"keep-oldest", `{"keep": 3}`}, {"threshold", `{"cpu_percent": 100000}`}} {
		if _, err := h.Use(ctx, p.name, []byte(p.config)); err != nil {
			return err
		}
		for _, n := range []int{50, 500} {
			s := snapshot(n)
			lat := make([]time.Duration, 0, rounds)
			var decisions int
			for range rounds {
				res, err := h.Decide(ctx, s)
				if err != nil {
					return err
				}
				lat = append(lat, res.Latency)
				decisions = len(res.Decisions)
			}
			slices.Sort(lat)
			fmt.Printf("| %s | %d | %d | %s | %s | %s |\n", p.name, n, decisions, ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), ms(lat[len(lat)-1]))
		}
	}
	if _, err := h.Use(ctx, "keep-oldest", []byte(`{"keep": 3}`)); err != nil {
		return err
	}
	// The swap: rounds every 10 ms beside it; how long Use takes, the
	// first round answered by the new policy after it, and the longest
	// round meanwhile (a swap must not hold rounds up).
	s := snapshot(50)
	stop := make(chan struct{})
	var mu sync.Mutex
	var longest time.Duration
	var firstNew time.Time
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			start := time.Now()
			res, err := h.Decide(ctx, s)
			d := time.Since(start)
			mu.Lock()
			longest = max(longest, d)
			if err == nil && string(res.Info.Version) != "" && len(res.Decisions) == 49 && firstNew.IsZero() {
				firstNew = time.Now()
			}
			mu.Unlock()
		}
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if _, err := h.Use(ctx, "keep-oldest", []byte(`{"keep": 1}`)); err != nil {
		return err
	}
	used := time.Since(start)
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	fmt.Printf("\nswap (policy use → new policy answering), rounds every 10 ms beside it: Use took %s; first round of the new policy %s after Use began; longest round meanwhile %s\n",
		ms(used), ms(firstNew.Sub(start)), ms(longest))
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d.Microseconds())/1000) }
