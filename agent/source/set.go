package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/bpf"
)

// Which names the kernel views to open.
type Which string

const (
	Both     Which = "both"
	Module   Which = "kmod"
	EBPFOnly Which = "ebpf"
)

// Config says where every source reads; a zero path is the system's.
type Config struct {
	Views      Which  // default Both
	KmodRoot   string // /proc/kwarden
	ProcRoot   string // /proc
	CgroupRoot string // /sys/fs/cgroup
	DockerHost string // DOCKER_HOST or the default socket
	// DockerRetry bounds the watcher's reconnect backoff; 0 means 5 s.
	DockerRetry time.Duration
	// OnOOM is told of Docker's OOM events (containers.Options.OnOOM).
	OnOOM func(id string)
	// ProcView opens the third view: the kernel views against /proc,
	// under ProcRoot.
	ProcView bool
	BPF      bpf.Options
	Logger   *slog.Logger
}

// Set is every source the daemon reads. A kernel view, or the exit
// stream, that could not be opened is nil here and unavailable in
// Statuses; /proc, the cgroup files and Docker are always there (their
// reads fail when they cannot be read).
type Set struct {
	Kmod    *Kmod
	EBPF    *EBPF
	Exits   *Exits
	System  *System
	Cgroups *Cgroups
	// Stats reads the cgroup figures only /metrics needs, at a scrape.
	Stats  *StatsReader
	Docker *Docker
	// ProcView is the third view; nil when it is off or could not be
	// opened (kwardend in a child pid namespace).
	ProcView *ProcView
	missing  []*Meter // the sources that could not be opened
}

// Open opens the sources cfg asks for; a kernel view that is missing is
// logged and reported, not an error (the daemon runs on Docker's view
// alone if need be). It fails only when /proc or the Docker client
// cannot be set up at all.
func Open(ctx context.Context, cfg Config) (*Set, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch cfg.Views {
	case "":
		cfg.Views = Both
	case Both, Module, EBPFOnly:
	default:
		return nil, fmt.Errorf("sources %q: want both, kmod or ebpf", cfg.Views)
	}
	s := &Set{}
	if cfg.Views != EBPFOnly {
		k, err := OpenKmod(ctx, cfg.KmodRoot)
		if err != nil {
			s.missing = append(s.missing, unavailable("kmod", err))
			log.Warn("kernel view unavailable", "source", "kmod", "err", err)
		} else {
			s.Kmod = k
		}
	}
	if cfg.Views != Module {
		opts := cfg.BPF
		if opts.Logger == nil {
			opts.Logger = log
		}
		c, err := bpf.Open(opts)
		if err != nil {
			s.missing = append(s.missing, unavailable("ebpf", err), unavailable("exits", err))
			log.Warn("kernel view unavailable", "source", "ebpf", "err", err,
				"no_btf", errors.Is(err, bpf.ErrNoBTF), "no_privilege", errors.Is(err, bpf.ErrPermission))
		} else {
			s.EBPF = &EBPF{Meter: newMeter("ebpf"), c: c}
			s.Exits = &Exits{Meter: newMeter("exits"), c: c}
		}
	}
	var err error
	if s.System, err = OpenSystem(cfg.ProcRoot); err != nil {
		s.Close()
		return nil, fmt.Errorf("system figures: %w", err)
	}
	if cfg.ProcView {
		if s.ProcView, err = OpenProcView(cfg.ProcRoot); err != nil {
			s.missing = append(s.missing, unavailable("procview", err))
			log.Warn("third view unavailable: hidden processes are not looked for", "err", err)
		}
	}
	s.Cgroups = NewCgroups(cfg.CgroupRoot)
	s.Stats = NewStatsReader(cfg.CgroupRoot)
	retry := cfg.DockerRetry
	if retry <= 0 {
		retry = 5 * time.Second
	}
	if s.Docker, err = OpenDocker(cfg.DockerHost, retry, cfg.ProcRoot, cfg.CgroupRoot, log, cfg.OnOOM); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Primary is the view to take figures from: the module when loaded (it
// also has command lines and cgroup paths), else eBPF, else nil.
func (s *Set) Primary() Processes {
	switch {
	case s.Kmod != nil:
		return s.Kmod
	case s.EBPF != nil:
		return s.EBPF
	}
	return nil
}

// Statuses is every source's status, by name.
func (s *Set) Statuses() []apiv1.SourceStatus {
	var out []apiv1.SourceStatus
	for _, m := range s.meters() {
		out = append(out, m.Status())
	}
	slices.SortFunc(out, func(a, b apiv1.SourceStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (s *Set) meters() []*Meter {
	ms := slices.Clone(s.missing)
	if s.Kmod != nil {
		ms = append(ms, s.Kmod.Meter)
	}
	if s.EBPF != nil {
		ms = append(ms, s.EBPF.Meter, s.Exits.Meter)
	}
	if s.System != nil {
		ms = append(ms, s.System.Meter)
	}
	if s.Cgroups != nil {
		ms = append(ms, s.Cgroups.Meter, s.Stats.Meter)
	}
	if s.Docker != nil {
		ms = append(ms, s.Docker.Meter)
	}
	if s.ProcView != nil {
		ms = append(ms, s.ProcView.Meter)
	}
	return ms
}

// Close closes every opened source, newest first.
func (s *Set) Close() error {
	var errs []error
	if s.Docker != nil {
		errs = append(errs, s.Docker.Close())
	}
	if s.ProcView != nil {
		errs = append(errs, s.ProcView.Close())
	}
	if s.Cgroups != nil {
		errs = append(errs, s.Cgroups.Close())
	}
	if s.System != nil {
		errs = append(errs, s.System.Close())
	}
	if s.EBPF != nil {
		errs = append(errs, s.EBPF.c.Close())
	}
	return errors.Join(errs...)
}
