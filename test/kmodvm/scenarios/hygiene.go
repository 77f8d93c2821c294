package main

import (
	"context"
	"fmt"

	"github.com/kwarden/kwarden/test/kmodvm/report"
	"github.com/kwarden/kwarden/test/vm/record"
)

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
	rep := &report.Hygiene{Cycles: cycles}
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
	return record.Emit("hygiene", rep)
}
