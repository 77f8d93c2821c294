package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kwarden/kwarden/internal/kmodfmt"
	"github.com/kwarden/kwarden/internal/snapshot"
	"github.com/kwarden/kwarden/test/kmodvm/report"
	"github.com/kwarden/kwarden/test/vm/record"
)

// churn runs 8 concurrent readers of the module's files while forkers
// create and reap processes as fast as they can.
func churn(ctx context.Context, args []string) error {
	secs, err := intArg(args, 0, 30)
	if err != nil {
		return err
	}
	forkers, err := intArg(args, 1, 2)
	if err != nil {
		return err
	}
	dur := time.Duration(secs) * time.Second
	rep := &report.Churn{Seconds: dur.Seconds(), Reads: map[string]int{}}
	var mu sync.Mutex
	fail := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		rep.Failf(format, a...)
	}

	var wg sync.WaitGroup
	forkCounts := make(chan int, forkers)
	for i := 0; i < forkers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := exec.CommandContext(ctx, taskfarm, "churn", strconv.Itoa(secs)).Output()
			if err != nil {
				fail("forker: %v", err)
				return
			}
			n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(string(out)), "forks "))
			if err != nil {
				fail("forker output %q", out)
			}
			forkCounts <- n
		}()
	}

	// Readers: five of the process view with different read sizes, one
	// each of the containers, system and version files.
	type reader struct {
		file  string
		chunk int
	}
	readers := []reader{{"processes", 1 << 20}, {"processes", 1 << 16}, {"processes", 4096},
		{"processes", 509}, {"processes", 13}, {"containers", 4096}, {"system", 4096}, {"version", 64}}
	deadline := time.Now().Add(dur)
	for _, r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				raw, err := readRaw(r.file, r.chunk)
				if err != nil {
					fail("%s/%d: read: %v", r.file, r.chunk, err)
					return
				}
				if !json.Valid(raw) {
					fail("%s/%d: invalid JSON: %.200q", r.file, r.chunk, raw)
					continue
				}
				n := 0
				switch r.file {
				case "processes":
					var ps *snapshot.Processes
					if ps, err = kmodfmt.ParseProcesses(raw); err == nil {
						n = len(ps.Processes)
					}
				case "containers":
					_, err = kmodfmt.ParseContainers(raw)
				case "system":
					_, err = kmodfmt.ParseSystem(raw)
				case "version":
					_, err = kmodfmt.ParseVersion(raw)
				}
				if err != nil {
					fail("%s/%d: %v", r.file, r.chunk, err)
				}
				mu.Lock()
				rep.Reads[r.file]++
				rep.ReadBytes += int64(len(raw))
				rep.MaxProcs = max(rep.MaxProcs, n)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(forkCounts)
	for n := range forkCounts {
		rep.Forks += n
	}
	return record.Emit("churn", rep)
}
