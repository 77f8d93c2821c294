package main

import (
	"context"

	"github.com/kwarden/kwarden/test/exitbench"
	"github.com/kwarden/kwarden/test/vm/record"
)

// exitBench measures the exit hook's cost to fork+exit throughput:
// ROUNDS alternating rounds of SECONDS each.
func exitBench(ctx context.Context, args []string) error {
	rounds, err := intArg(args, 0, 5)
	if err != nil {
		return err
	}
	secs, err := intArg(args, 1, 2)
	if err != nil {
		return err
	}
	rep, err := exitbench.Run(ctx, taskfarm, rounds, secs)
	if err != nil {
		rep = &exitbench.Result{Error: err.Error()}
	}
	return record.Emit("exitbench", rep)
}
