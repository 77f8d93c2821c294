package source

import (
	"context"
	"errors"
	"time"

	"github.com/kwarden/kwarden/bpf"
)

// Exits is the eBPF exit stream: the final figures of every process
// that exits. The programs queue records in a ring; Drain takes what
// is queued, Wait blocks until the programs signal a batch.
type Exits struct {
	*Meter
	c *bpf.Collector
}

// ErrClosed is returned once the stream is closed.
var ErrClosed = bpf.ErrClosed

// Wait returns when a batch is queued, ctx ends or the stream closes.
func (x *Exits) Wait(ctx context.Context) error { return x.c.WaitExits(ctx) }

// Drain calls fn with every exit queued so far. A malformed record is
// skipped and counted as a failed read (the drain goes on after it);
// any other failure ends the drain and is returned.
func (x *Exits) Drain(fn func(bpf.Exit)) error {
	start := time.Now()
	var skipped error
	for {
		_, err := x.c.DrainExits(fn)
		switch {
		case err == nil, errors.Is(err, bpf.ErrClosed):
			return x.observe(start, skipped)
		case errors.Is(err, bpf.ErrMalformed):
			skipped = err // consumed: the drain goes on after it
		default:
			return x.observe(start, err)
		}
	}
}
