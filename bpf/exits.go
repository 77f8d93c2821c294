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
// error wrapping ErrMalformed; the next call reads on. Records the
// programs queue without a wakeup are collected every Options.ExitPoll.
func (c *Collector) ReadExit(ctx context.Context) (Exit, error) {
	for {
		e, ok, err := c.nextExit()
		if err != nil || ok {
			return e, err
		}
		if err := c.waitExits(ctx, c.poll); err != nil {
			return Exit{}, err
		}
	}
}

// DrainExits hands fn every exit the ring holds now, without waiting,
// and returns how many. A daemon calls it right after a snapshot: every
// process missing from the snapshot has by then queued its exit. A
// malformed record stops the drain with an error wrapping ErrMalformed;
// the next call goes on after it.
func (c *Collector) DrainExits(fn func(Exit)) (int, error) {
	n := 0
	for {
		e, ok, err := c.nextExit()
		if err != nil || !ok {
			return n, err
		}
		fn(e)
		n++
	}
}

// WaitExits returns at once if exits are queued, else blocks until the
// programs wake the reader (they do once 64 KiB of exits are queued),
// ctx is done or the collector is closed.
// With DrainExits after every snapshot and after every return of
// WaitExits, no exit waits longer than a snapshot interval and the ring
// cannot fill between two snapshots.
func (c *Collector) WaitExits(ctx context.Context) error { return c.waitExits(ctx, 0) }

// nextExit reads one record if the ring has one, skipping duplicates.
func (c *Collector) nextExit() (Exit, bool, error) {
	if c.closed.Load() {
		return Exit{}, false, fmt.Errorf("read exit: %w", ErrClosed)
	}
	if c.ring == nil {
		return Exit{}, false, errors.New("read exit: no exit hook attached")
	}
	c.readMu.Lock()
	defer c.readMu.Unlock()
	for {
		// A deadline in the past: look, do not wait.
		c.ring.SetDeadline(time.Unix(1, 0))
		err := c.ring.ReadInto(&c.rec)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, ringbuf.ErrFlushed):
			return Exit{}, false, nil
		case errors.Is(err, ringbuf.ErrClosed), c.closed.Load():
			return Exit{}, false, fmt.Errorf("read exit: %w", ErrClosed)
		case err != nil:
			return Exit{}, false, fmt.Errorf("read exit: %w", err)
		}
		e, dup, err := c.decodeExit(c.rec.RawSample)
		if err != nil {
			return Exit{}, false, err
		}
		if !dup {
			return e, true, nil
		}
	}
}

// waitExits parks the calling goroutine until the ring is readable, poll
// passes (0: no limit), ctx is done or the collector closes. It waits in
// Go's network poller, never in a blocking epoll_wait: a goroutine in a
// system call keeps the runtime's sysmon thread waking up to a thousand
// times a second to reclaim its processor, which on the build machine
// cost the daemon more CPU than reading the exits themselves.
func (c *Collector) waitExits(ctx context.Context, poll time.Duration) error {
	if c.closed.Load() {
		return fmt.Errorf("wait for exits: %w", ErrClosed)
	}
	if c.ringWait == nil {
		return errors.New("wait for exits: no exit hook attached")
	}
	c.waitMu.Lock()
	defer c.waitMu.Unlock()
	var deadline time.Time
	if poll > 0 {
		deadline = time.Now().Add(poll)
	}
	if err := c.ringWait.SetReadDeadline(deadline); err != nil {
		return fmt.Errorf("wait for exits: %w", ErrClosed)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.ringWait.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	rc, err := c.ringWait.SyscallConn()
	if err != nil {
		return fmt.Errorf("wait for exits: %w", err)
	}
	err = rc.Read(func(uintptr) bool { return c.ring.AvailableBytes() > 0 })
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil // the poll interval: the caller reads what is queued
	case errors.Is(err, os.ErrClosed), c.closed.Load():
		return fmt.Errorf("wait for exits: %w", ErrClosed)
	case err != nil:
		return fmt.Errorf("wait for exits: %w", err)
	}
	return nil
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
