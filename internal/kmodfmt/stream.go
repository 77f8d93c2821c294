package kmodfmt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// growingBuffer is filled by one goroutine and read by another. The
// writer only appends; a reader only looks below the published length,
// so the two never touch the same bytes, and a buffer replaced when it
// grows keeps its published prefix unchanged.
type growingBuffer struct {
	mu   sync.Mutex
	cond *sync.Cond
	buf  []byte // published: complete and immutable up to len
	done bool
	err  error
}

// next blocks until more than have bytes are published and returns the
// published buffer, or returns nil once the input is complete.
func (g *growingBuffer) next(have int) []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.buf) <= have && !g.done {
		g.cond.Wait()
	}
	if len(g.buf) > have {
		return g.buf
	}
	return nil
}

func (g *growingBuffer) publish(buf []byte, done bool, err error) {
	g.mu.Lock()
	g.buf, g.done, g.err = buf, done, err
	g.mu.Unlock()
	g.cond.Broadcast()
}

// fill reads f to the end into buf (reusing its capacity), publishing
// each chunk as it arrives. It returns the final buffer.
func (g *growingBuffer) fill(ctx context.Context, f io.Reader, buf []byte) []byte {
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), 2*cap(buf)+64<<10)
			copy(grown, buf)
			buf = grown
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			g.publish(buf, true, nil)
			return buf
		case err != nil:
			g.publish(buf, true, err)
			return buf
		case ctx.Err() != nil:
			g.publish(buf, true, ctx.Err())
			return buf
		case n > 0:
			g.publish(buf, false, nil)
		}
	}
}

// parseProcessesStreaming parses the process view while it is still
// being read from f: the kernel builds records on one CPU while this
// goroutine parses the lines already read on another. The result is
// exactly that of ParseProcessesInto on the whole input: if the input is
// not laid out one record per line, the streaming parse fails and the
// complete input is parsed again.
func parseProcessesStreaming(ctx context.Context, f io.Reader, scratch []byte, dst *snapshot.Processes, estimate int) ([]byte, error) {
	g := &growingBuffer{}
	g.cond = sync.NewCond(&g.mu)
	final := make(chan []byte, 1)
	go func() { final <- g.fill(ctx, f, scratch) }()

	l := &lexer{}
	l.more = func() []byte { return g.next(len(l.buf)) }
	l.wait()
	err := parseProcesses(l, dst, estimate)
	l.rest() // let the reader finish whatever happened
	buf := <-final
	if g.err != nil {
		return buf, fmt.Errorf("read processes: %w", g.err)
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		// Not the module's layout, or truly malformed: decide on the
		// complete input.
		err = ParseProcessesInto(dst, buf)
	}
	return buf, err
}
