package kmodfmt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// DefaultRoot is where the module publishes its files.
const DefaultRoot = "/proc/kwarden"

// ErrNotLoaded reports that the module's directory does not exist.
var ErrNotLoaded = errors.New("kwarden module not loaded")

// Reader reads the module's files under Root. It is safe for concurrent
// use; each call opens, reads and closes its file.
type Reader struct {
	// Root is the directory of the module's files; "" means DefaultRoot.
	Root string

	bufs sync.Pool
}

func (r *Reader) path(name string) string {
	root := r.Root
	if root == "" {
		root = DefaultRoot
	}
	return filepath.Join(root, name)
}

// read returns the whole file in a pooled buffer; the caller hands it back
// with release. /proc files report size 0, so the buffer grows as needed
// and is kept for the next read, which is then one allocation-free pass.
func (r *Reader) read(ctx context.Context, name string) (*[]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(r.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", r.path(name), ErrNotLoaded)
	}
	if err != nil {
		return nil, fmt.Errorf("open kwarden file: %w", err)
	}
	defer f.Close()
	bp, _ := r.bufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, 256<<10)
		bp = &b
	}
	buf := (*bp)[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*bp = buf
			r.release(bp)
			return nil, fmt.Errorf("read %s: %w", r.path(name), err)
		}
		// A read of a large file can take a while; honour cancellation
		// between chunks.
		if err := ctx.Err(); err != nil {
			*bp = buf
			r.release(bp)
			return nil, err
		}
	}
	*bp = buf
	return bp, nil
}

func (r *Reader) release(bp *[]byte) { r.bufs.Put(bp) }

// Processes reads and parses the process view.
func (r *Reader) Processes(ctx context.Context) (*snapshot.Processes, error) {
	out := &snapshot.Processes{}
	if err := r.ProcessesInto(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ProcessesInto is Processes reusing dst's memory (see
// ParseProcessesInto). dst must not be shared with another goroutine.
//
// It parses while it reads: records already read are decoded while the
// kernel produces the next ones, so on two CPUs a read costs little more
// than the slower of the two halves.
func (r *Reader) ProcessesInto(ctx context.Context, dst *snapshot.Processes) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(r.path("processes"))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("open %s: %w", r.path("processes"), ErrNotLoaded)
	}
	if err != nil {
		return fmt.Errorf("open kwarden file: %w", err)
	}
	defer f.Close()
	bp, _ := r.bufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, 256<<10)
		bp = &b
	}
	// The previous read's size is the best guess of this one's count.
	estimate := len(dst.Processes) + len(dst.Processes)/8 + 16
	buf, err := parseProcessesStreaming(ctx, f, *bp, dst, estimate)
	*bp = buf
	r.release(bp)
	return err
}

// Containers reads and parses the container view.
func (r *Reader) Containers(ctx context.Context) (*snapshot.Containers, error) {
	bp, err := r.read(ctx, "containers")
	if err != nil {
		return nil, err
	}
	defer r.release(bp)
	return ParseContainers(*bp)
}

// System reads and parses the system figures.
func (r *Reader) System(ctx context.Context) (*snapshot.System, error) {
	bp, err := r.read(ctx, "system")
	if err != nil {
		return nil, err
	}
	defer r.release(bp)
	return ParseSystem(*bp)
}

// Version reads and parses the version file.
func (r *Reader) Version(ctx context.Context) (*Version, error) {
	bp, err := r.read(ctx, "version")
	if err != nil {
		return nil, err
	}
	defer r.release(bp)
	return ParseVersion(*bp)
}
