package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kwarden/kwarden/bpf"
	"github.com/kwarden/kwarden/internal/kmodfmt"
	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/internal/snapshot"
	"github.com/kwarden/kwarden/test/kmodvm/report"
	"github.com/kwarden/kwarden/test/vm/record"
)

// bench takes a list of target process counts and a round count.
func bench(ctx context.Context, args []string) error {
	var g group
	defer g.abandon()
	rounds := 7
	var targets []int
	for _, a := range args {
		if r, ok := strings.CutPrefix(a, "rounds="); ok {
			n, err := strconv.Atoi(r)
			if err != nil {
				return err
			}
			rounds = n
			continue
		}
		n, err := strconv.Atoi(a)
		if err != nil {
			return err
		}
		targets = append(targets, n)
	}
	reader := &kmodfmt.Reader{}
	walker := &procfs.Walker{}
	col, colErr := bpf.Open(bpf.Options{NoExits: true})
	if colErr == nil {
		defer col.Close()
	}
	var modSnap, walkSnap, bpfSnap snapshot.Processes
	for _, target := range targets {
		ps, err := reader.Processes(ctx)
		if err != nil {
			return err
		}
		if missing := target - len(ps.Processes); missing > 0 {
			if _, _, err := g.start(ctx, "kw-bench", "sleepers", strconv.Itoa(missing)); err != nil {
				return err
			}
		}
		settle()
		rep := &report.Bench{Rounds: rounds}
		var mod, raw, walk, ebpf []time.Duration
		for r := 0; r < rounds; r++ {
			t0 := time.Now()
			b, err := readRaw("processes", 1<<20)
			if err != nil {
				return err
			}
			raw = append(raw, time.Since(t0))
			rep.ModuleBytes = len(b)

			t0 = time.Now()
			if err := reader.ProcessesInto(ctx, &modSnap); err != nil {
				return err
			}
			mod = append(mod, time.Since(t0))
			rep.Processes = len(modSnap.Processes)

			if colErr == nil {
				t0 = time.Now()
				if err := col.ProcessesInto(ctx, &bpfSnap); err != nil {
					return err
				}
				ebpf = append(ebpf, time.Since(t0))
				if len(bpfSnap.Processes) < len(modSnap.Processes)*9/10 {
					return fmt.Errorf("eBPF saw %d processes, module %d", len(bpfSnap.Processes), len(modSnap.Processes))
				}
			}

			t0 = time.Now()
			if err := walker.WalkInto(ctx, &walkSnap); err != nil {
				return err
			}
			walk = append(walk, time.Since(t0))
			if len(walkSnap.Processes) < len(modSnap.Processes)*9/10 {
				return fmt.Errorf("procfs walk saw %d processes, module %d", len(walkSnap.Processes), len(modSnap.Processes))
			}
		}
		rep.ModuleMs, rep.ModuleRawMs, rep.WalkMs = median(mod), median(raw), median(walk)
		rep.Ratio = rep.WalkMs / rep.ModuleMs
		if colErr != nil {
			rep.EBPFError = colErr.Error()
		} else {
			rep.EBPFMs = median(ebpf)
			rep.EBPFRatio = rep.WalkMs / rep.EBPFMs
			rep.EBPFMethod = col.SnapshotMethod()
		}
		if err := record.Emit("bench", rep); err != nil {
			return err
		}
	}
	return nil
}

func median(d []time.Duration) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}
