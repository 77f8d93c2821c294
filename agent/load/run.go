package load

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Stats counts what a workload did. Safe to read while it runs.
type Stats struct {
	Spins        atomic.Uint64 // cpu: blocks of busy-loop iterations
	TouchedBytes atomic.Int64  // ram: bytes resident
	Fsyncs       atomic.Uint64 // io: fsync calls
	WrittenBytes atomic.Int64  // io, disk: bytes written
	ReadBytes    atomic.Int64  // disk with Reread: bytes read back, in whole passes
}

// Run runs spec until its Duration is over or ctx ends; both are a normal
// end and return nil. It returns an error for a bad spec or a failed
// write (a full disk, a read-only directory). stats may be nil.
func Run(ctx context.Context, spec Spec, stats *Stats) error {
	spec, err := spec.withDefaults()
	if err != nil {
		return err
	}
	if stats == nil {
		stats = new(Stats)
	}
	if spec.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, spec.Duration)
		defer cancel()
	}
	switch spec.Kind {
	case CPU:
		return parallel(ctx, spec.Workers, func(ctx context.Context) error { return spin(ctx, stats) })
	case RAM:
		return hold(ctx, spec.Bytes, stats)
	case IO:
		if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
			return fmt.Errorf("io: %w", err)
		}
		return parallel(ctx, spec.Workers, func(ctx context.Context) error { return syncLoop(ctx, spec.Dir, stats) })
	case Disk:
		if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
			return fmt.Errorf("disk: %w", err)
		}
		return writeOnce(ctx, spec.Dir, spec.Bytes, spec.Reread, stats)
	}
	<-ctx.Done() // low
	return nil
}

// parallel runs n workers and returns the first error.
func parallel(ctx context.Context, n int, work func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := work(ctx); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs // nil when none failed
}

// spin keeps one OS thread busy: a busy worker is one thread at 100 % of
// a core, as `stress --cpu` gives.
func spin(ctx context.Context, stats *Stats) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var x uint64
	for ctx.Err() == nil {
		for i := range 100_000 {
			x += uint64(i) ^ x>>3
		}
		stats.Spins.Add(1)
	}
	runtime.KeepAlive(x)
	return nil
}

// hold allocates n bytes, writes every page so the memory is resident,
// and writes them again every second so that it stays so.
func hold(ctx context.Context, n int64, stats *Stats) error {
	b := make([]byte, n)
	page := os.Getpagesize()
	touch := func(v byte) {
		for i := 0; i < len(b); i += page {
			b[i] = v
		}
	}
	touch(1)
	stats.TouchedBytes.Store(n)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for v := byte(2); ; v++ {
		select {
		case <-ctx.Done():
			runtime.KeepAlive(b)
			return nil
		case <-t.C:
			touch(v)
		}
	}
}

// syncLoop writes a 4 KiB block and fsyncs it, over and over: the I/O
// kind is latency-bound, like the course's sync loop.
func syncLoop(ctx context.Context, dir string, stats *Stats) error {
	f, err := os.CreateTemp(dir, "kwarden-io-")
	if err != nil {
		return fmt.Errorf("io: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	block := make([]byte, 4096)
	for ctx.Err() == nil {
		if _, err := f.WriteAt(block, 0); err != nil {
			return fmt.Errorf("io: write %s: %w", f.Name(), err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("io: fsync %s: %w", f.Name(), err)
		}
		stats.WrittenBytes.Add(int64(len(block)))
		stats.Fsyncs.Add(1)
	}
	return nil
}

// writeOnce writes n bytes in 1 MiB blocks, fsyncs, and keeps the file
// until the workload ends, reading it back over and over if reread.
func writeOnce(ctx context.Context, dir string, n int64, reread bool, stats *Stats) error {
	f, err := os.CreateTemp(dir, "kwarden-disk-")
	if err != nil {
		return fmt.Errorf("disk: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	block := make([]byte, 1<<20)
	for i := range block {
		block[i] = byte(i)
	}
	for left := n; left > 0 && ctx.Err() == nil; {
		chunk := block[:min(int64(len(block)), left)]
		if _, err := f.Write(chunk); err != nil {
			return fmt.Errorf("disk: write %s after %d bytes: %w", f.Name(), n-left, err)
		}
		left -= int64(len(chunk))
		stats.WrittenBytes.Add(int64(len(chunk)))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("disk: fsync %s: %w", f.Name(), err)
	}
	if reread {
		return touchAgain(ctx, f, n, stats)
	}
	<-ctx.Done()
	return nil
}

// touchAgain reads every page of f's first n bytes through a shared
// mapping, over and over, until ctx ends. In a memory cgroup smaller
// than n each pass evicts pages the next one needs again: charging each
// page waits in reclaim, and a refault waits for the disk, both of which
// the kernel counts as memory stall. (read(2) over the same file stalls
// far less: clean unmapped page cache is reclaimed cheaply.)
func touchAgain(ctx context.Context, f *os.File, n int64, stats *Stats) error {
	if n <= 0 {
		<-ctx.Done()
		return nil
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(n), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("disk: map %s: %w", f.Name(), err)
	}
	defer syscall.Munmap(m)
	page := os.Getpagesize()
	var sum byte
	for ctx.Err() == nil {
		for off := 0; off < len(m); off += page {
			sum += m[off]
		}
		stats.ReadBytes.Add(int64(len(m)))
	}
	runtime.KeepAlive(sum)
	return nil
}
