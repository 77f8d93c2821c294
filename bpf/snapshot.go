package bpf

import (
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// boottimeNs reads CLOCK_BOOTTIME, the clock of the kernel's start times.
func boottimeNs() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return uint64(ts.Nano())
}

// Processes takes a snapshot of every process, by the process walk where
// the kernel has it, else through the task iterator.
func (c *Collector) Processes(ctx context.Context) (*snapshot.Processes, error) {
	out := &snapshot.Processes{}
	if err := c.ProcessesInto(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ProcessesInto is Processes reusing out's slice. TimeNs and EndTimeNs
// bracket the read. Safe for concurrent use: every call runs its own
// instance of the iterator, and runs of the process walk take turns.
func (c *Collector) ProcessesInto(ctx context.Context, out *snapshot.Processes) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.closed.Load() {
		return fmt.Errorf("read eBPF snapshot: %w", ErrClosed)
	}
	bp, _ := c.bufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, 1<<20)
		bp = &b
	}
	defer c.bufs.Put(bp)

	out.TimeNs = boottimeNs()
	if c.walk != nil {
		buf, err := c.walk.read((*bp)[:0])
		*bp = buf
		if err == nil {
			out.EndTimeNs = boottimeNs()
			out.PageSize = c.pageSize
			return decodeSnapshot(buf, c.pageSize, out)
		}
		if !errors.Is(err, errWalkFull) && !errors.Is(err, errWalkNested) {
			return err
		}
		out.TimeNs = boottimeNs() // the iterator: no bound, and the reader's namespace
	}
	rd, err := c.iter.Open()
	if err != nil {
		return classify("open task iterator", err)
	}
	buf, err := readAll(ctx, rd, (*bp)[:0])
	rd.Close()
	*bp = buf
	if err != nil {
		return fmt.Errorf("read task iterator: %w", err)
	}
	out.EndTimeNs = boottimeNs()
	out.PageSize = c.pageSize
	return decodeSnapshot(buf, c.pageSize, out)
}

// readAll reads to EOF into buf, growing it. The iterator hands out at
// most its 8-page seq buffer per read(2); ctx is checked between reads.
func readAll(ctx context.Context, r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if err := ctx.Err(); err != nil {
			return buf, err
		}
	}
}

// decodeSnapshot turns the iterator's output into out.Processes. A
// truncated or corrupt stream is an error, never a partial snapshot.
func decodeSnapshot(b []byte, pageSize uint64, out *snapshot.Processes) error {
	if len(b)%recordSize != 0 {
		return fmt.Errorf("decode eBPF snapshot: %w: %d bytes is not a whole number of %d-byte records",
			ErrMalformed, len(b), recordSize)
	}
	n := len(b) / recordSize
	if cap(out.Processes) < n {
		out.Processes = make([]snapshot.Process, n)
	}
	out.Processes = out.Processes[:n]
	for i := range n {
		r, err := decodeRecord(b[i*recordSize:(i+1)*recordSize], pageSize, &out.Processes[i])
		if err != nil {
			return fmt.Errorf("decode eBPF snapshot record %d: %w", i, err)
		}
		if r.kind != kindSnapshot {
			return fmt.Errorf("decode eBPF snapshot record %d: %w: kind %d in a snapshot", i, ErrMalformed, r.kind)
		}
	}
	return nil
}
