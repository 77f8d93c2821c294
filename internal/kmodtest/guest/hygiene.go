package main

import (
	"context"
	"fmt"

	"github.com/kwarden/kwarden/internal/vmtest/guest"
)

// hygieneReport is the unreclaimable slab before and after many
// open/read/close cycles of every module file. A leak of one seq_file
// buffer per open (the missing single_release of earlier modules) would
// show as at least 4 KiB per cycle.
type hygieneReport struct {
	Cycles          int   `json:"cycles"`
	KernelDelta     int64 `json:"kernel_used_delta_bytes"`
	SUnreclaimDelta int64 `json:"sunreclaim_delta_bytes"`
	VmallocDelta    int64 `json:"vmalloc_delta_bytes"`
	ReadErrors      int   `json:"read_errors"`
}

func hygiene(ctx context.Context, args []string) error {
	cycles, err := intArg(args, 0, 1000)
	if err != nil {
		return err
	}
	files := []string{"processes", "containers", "system", "version"}
	readAll := func(n int) int {
		errs := 0
		for i := 0; i < n && ctx.Err() == nil; i++ {
			for _, f := range files {
				if _, err := readRaw(f, 4096); err != nil {
					errs++
				}
			}
		}
		return errs
	}
	readAll(50) // warm the slab caches first
	settle()
	before, err := meminfo()
	if err != nil {
		return err
	}
	kBefore, err := kernelUsed()
	if err != nil {
		return err
	}
	rep := &hygieneReport{Cycles: cycles}
	rep.ReadErrors = readAll(cycles)
	settle()
	after, err := meminfo()
	if err != nil {
		return err
	}
	kAfter, err := kernelUsed()
	if err != nil {
		return err
	}
	rep.KernelDelta = kAfter - kBefore
	rep.SUnreclaimDelta = int64(after["SUnreclaim"]) - int64(before["SUnreclaim"])
	rep.VmallocDelta = int64(after["VmallocUsed"]) - int64(before["VmallocUsed"])
	if ctx.Err() != nil {
		return fmt.Errorf("hygiene: %w", ctx.Err())
	}
	return guest.Emit("hygiene", rep)
}
