package bpf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cilium/ebpf/ringbuf"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// Exit is the final account of a process whose last thread is exiting,
// taken by the exit hook with the same counters as a snapshot.
type Exit struct {
	Process snapshot.Process
	// ExitNs is CLOCK_BOOTTIME when the hook ran.
	ExitNs uint64
	// ExitCode is the wait status: the exit code shifted left by 8, or
	// the number of the signal that ended the process.
	ExitCode int32
	// HasMM is false where the hook ran after the memory was released
	// (the tracepoint fallback on 6.1 and 6.12): RSS and VSZ are then 0.
	HasMM bool
}

// ExitStats counts what the exit stream could not deliver.
type ExitStats struct {
	// Lost exits: the ring buffer was full when the hook ran.
	Lost uint64
	// Malformed records received and dropped.
	Malformed uint64
	// Duplicates dropped: with the tracepoint fallback, two threads
	// exiting at once may both report the group's exit.
	Duplicates uint64
}

// exitState is ReadExit's bookkeeping, guarded by mu.
type exitState struct {
	mu         sync.Mutex
	malformed  uint64
	duplicates uint64
	recent     map[snapshot.Key]struct{}
	order      []snapshot.Key
}

// recentExits bounds the duplicate filter: duplicates arrive within
// microseconds of each other, far fewer exits apart than this.
const recentExits = 4096

// seen records k and reports whether it was already there.
func (s *exitState) seen(k snapshot.Key) bool {
	if s.recent == nil {
		s.recent = make(map[snapshot.Key]struct{}, recentExits)
	}
	if _, ok := s.recent[k]; ok {
		return true
	}
	if len(s.order) == recentExits {
		delete(s.recent, s.order[0])
		s.order = s.order[1:]
	}
	s.recent[k] = struct{}{}
	s.order = append(s.order, k)
	return false
}

// ReadExit blocks until a process exits, ctx is done, or the collector
// is closed. A record that fails to decode is consumed and reported as an
// error wrapping ErrMalformed; the next call reads on. Call it from one
// goroutine at a time.
func (c *Collector) ReadExit(ctx context.Context) (Exit, error) {
	if c.closed.Load() {
		return Exit{}, fmt.Errorf("read exit: %w", ErrClosed)
	}
	if c.ring == nil {
		return Exit{}, errors.New("read exit: no exit hook attached")
	}
	// The programs wake the reader only for large batches; the deadline
	// collects smaller ones, and Flush interrupts the wait on cancel.
	stop := context.AfterFunc(ctx, func() { _ = c.ring.Flush() })
	defer stop()
	var rec ringbuf.Record
	for {
		if err := ctx.Err(); err != nil {
			return Exit{}, err
		}
		c.ring.SetDeadline(time.Now().Add(c.poll))
		err := c.ring.ReadInto(&rec)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, ringbuf.ErrFlushed):
			continue
		case errors.Is(err, ringbuf.ErrClosed):
			return Exit{}, fmt.Errorf("read exit: %w", ErrClosed)
		case err != nil:
			return Exit{}, fmt.Errorf("read exit: %w", err)
		}
		e, dup, err := c.decodeExit(rec.RawSample)
		if err != nil {
			return Exit{}, err
		}
		if !dup {
			return e, nil
		}
	}
}

// decodeExit checks one ring record; dup reports a repeat of an exit
// already delivered.
func (c *Collector) decodeExit(b []byte) (e Exit, dup bool, err error) {
	r, err := decodeRecord(b, c.pageSize, &e.Process)
	if err == nil && r.kind != kindExit {
		err = fmt.Errorf("%w: kind %d on the exit ring", ErrMalformed, r.kind)
	}
	c.exits.mu.Lock()
	defer c.exits.mu.Unlock()
	if err != nil {
		c.exits.malformed++
		return Exit{}, false, fmt.Errorf("read exit: %w", err)
	}
	if c.exits.seen(e.Process.Key()) {
		c.exits.duplicates++
		return Exit{}, true, nil
	}
	e.ExitNs, e.ExitCode, e.HasMM = r.exitNs, r.exitCode, r.flags&flagHasMM != 0
	return e, false, nil
}

// ExitStats reports lost, malformed and duplicate exit records so far.
func (c *Collector) ExitStats() (ExitStats, error) {
	c.exits.mu.Lock()
	s := ExitStats{Malformed: c.exits.malformed, Duplicates: c.exits.duplicates}
	c.exits.mu.Unlock()
	if c.closed.Load() {
		return s, fmt.Errorf("exit stats: %w", ErrClosed)
	}
	if c.lost == nil {
		return s, errors.New("exit stats: no exit hook attached")
	}
	if err := c.lost.Get(&s.Lost); err != nil {
		return s, fmt.Errorf("read lost exit count: %w", err)
	}
	return s, nil
}
