// Package source puts kwarden's two kernel views behind one small
// interface, so that the daemon samples either, or both, the same way,
// and runs on without the one that is missing.
package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/kwarden/kwarden/bpf"
	"github.com/kwarden/kwarden/internal/kmodfmt"
	"github.com/kwarden/kwarden/internal/snapshot"
)

// Source is one kernel view of every process.
type Source interface {
	// Name is "kmod" or "ebpf".
	Name() string
	// ProcessesInto reads every process into out, reusing its slice;
	// out.TimeNs and out.EndTimeNs bracket the read.
	ProcessesInto(ctx context.Context, out *snapshot.Processes) error
	Close() error
}

// Kmod reads the kwarden module's /proc files.
type Kmod struct{ r kmodfmt.Reader }

// OpenKmod checks that the module is loaded under root ("" for
// /proc/kwarden) and returns its source.
func OpenKmod(ctx context.Context, root string) (*Kmod, error) {
	k := &Kmod{r: kmodfmt.Reader{Root: root}}
	if _, err := k.r.Version(ctx); err != nil {
		return nil, fmt.Errorf("kwarden module: %w", err)
	}
	return k, nil
}

func (k *Kmod) Name() string { return "kmod" }

func (k *Kmod) ProcessesInto(ctx context.Context, out *snapshot.Processes) error {
	return k.r.ProcessesInto(ctx, out)
}

func (k *Kmod) Close() error { return nil }

// EBPF is the eBPF collector; its exit events are read by the caller
// through Collector.
type EBPF struct{ Collector *bpf.Collector }

// OpenEBPF loads the eBPF programs.
func OpenEBPF(opts bpf.Options) (*EBPF, error) {
	c, err := bpf.Open(opts)
	if err != nil {
		return nil, err
	}
	return &EBPF{Collector: c}, nil
}

func (e *EBPF) Name() string { return "ebpf" }

func (e *EBPF) ProcessesInto(ctx context.Context, out *snapshot.Processes) error {
	return e.Collector.ProcessesInto(ctx, out)
}

func (e *EBPF) Close() error { return e.Collector.Close() }

// Which names the sources to open.
type Which string

const (
	Both     Which = "both"
	Module   Which = "kmod"
	EBPFOnly Which = "ebpf"
)

// Opened is what Open found: the sources that work and why the others do
// not. Having none is a degraded mode, not an error: the daemon still
// serves Docker's view and its history.
type Opened struct {
	Kmod    *Kmod
	EBPF    *EBPF
	Missing map[string]string // source name → reason
}

// Open opens the sources w asks for and logs what it could not open.
func Open(ctx context.Context, w Which, kmodRoot string, bpfOpts bpf.Options, log *slog.Logger) (*Opened, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := &Opened{Missing: map[string]string{}}
	switch w {
	case Both, Module, EBPFOnly:
	default:
		return nil, fmt.Errorf("sources %q: want both, kmod or ebpf", w)
	}
	if w != EBPFOnly {
		k, err := OpenKmod(ctx, kmodRoot)
		if err != nil {
			o.Missing["kmod"] = err.Error()
			log.Warn("kernel view unavailable", "source", "kmod", "err", err)
		} else {
			o.Kmod = k
		}
	}
	if w != Module {
		e, err := OpenEBPF(bpfOpts)
		if err != nil {
			o.Missing["ebpf"] = err.Error()
			log.Warn("kernel view unavailable", "source", "ebpf", "err", err,
				"no_btf", errors.Is(err, bpf.ErrNoBTF), "no_privilege", errors.Is(err, bpf.ErrPermission))
		} else {
			o.EBPF = e
		}
	}
	return o, nil
}

// Primary is the source to take figures from: the module when loaded
// (it also has command lines and cgroup paths), else eBPF, else nil.
func (o *Opened) Primary() Source {
	switch {
	case o.Kmod != nil:
		return o.Kmod
	case o.EBPF != nil:
		return o.EBPF
	}
	return nil
}

// Close closes every opened source.
func (o *Opened) Close() error {
	var errs []error
	if o.EBPF != nil {
		errs = append(errs, o.EBPF.Close())
	}
	if o.Kmod != nil {
		errs = append(errs, o.Kmod.Close())
	}
	return errors.Join(errs...)
}
