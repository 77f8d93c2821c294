package source

import (
	"context"
	"fmt"
	"time"

	"github.com/kwarden/kwarden/bpf"
	"github.com/kwarden/kwarden/internal/kmodfmt"
	"github.com/kwarden/kwarden/internal/snapshot"
)

// Processes is a kernel view of every process.
type Processes interface {
	// Name is the view's name ("kmod", "ebpf").
	Name() string
	// ProcessesInto reads every process into out, reusing its slice;
	// out.TimeNs and out.EndTimeNs bracket the read.
	ProcessesInto(ctx context.Context, out *snapshot.Processes) error
}

// Kmod reads the kwarden module's /proc files.
type Kmod struct {
	*Meter
	r kmodfmt.Reader
}

// OpenKmod checks that the module is loaded under root ("" for
// /proc/kwarden) and returns its source.
func OpenKmod(ctx context.Context, root string) (*Kmod, error) {
	k := &Kmod{Meter: newMeter("kmod"), r: kmodfmt.Reader{Root: root}}
	if _, err := k.r.Version(ctx); err != nil {
		return nil, fmt.Errorf("kwarden module: %w", err)
	}
	return k, nil
}

// ProcessesInto reads /proc/kwarden/processes.
func (k *Kmod) ProcessesInto(ctx context.Context, out *snapshot.Processes) error {
	return k.observe(time.Now(), k.r.ProcessesInto(ctx, out))
}

// EBPF is the eBPF snapshot.
type EBPF struct {
	*Meter
	c *bpf.Collector
}

// ProcessesInto runs the snapshot program.
func (e *EBPF) ProcessesInto(ctx context.Context, out *snapshot.Processes) error {
	return e.observe(time.Now(), e.c.ProcessesInto(ctx, out))
}

// RSSSlackBytes is the error the view may have on each RSS counter
// (bpf.Collector.RSSSlackBytes), for the cross-check.
func (e *EBPF) RSSSlackBytes() uint64 { return e.c.RSSSlackBytes() }
