package bpf

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// DefaultBTFPath is where the running kernel publishes its BTF.
const DefaultBTFPath = "/sys/kernel/btf/vmlinux"

// maxExactCPUs is KW_MAX_CPUS in src/kwarden.bpf.c: the size of the
// per-CPU offset table the exact RSS sum uses.
const maxExactCPUs = 8192

// Options configure Open. The zero value is the normal setup.
type Options struct {
	// KernelBTF is the kernel's BTF file; "" means DefaultBTFPath.
	KernelBTF string
	// NoExits skips the exit hook: snapshots only.
	NoExits bool
	// ExitPoll is how long exit records may wait in the ring buffer
	// before the reader collects them (the programs wake the reader
	// early only when 64 KiB are queued). 0 means 100 ms.
	ExitPoll time.Duration
	// TaskIterator makes snapshots use the iter/task program even where
	// the kernel has open-coded task iterators (tests compare the two).
	TaskIterator bool
	// walkEntries overrides the walk's array size (tests overflow it).
	walkEntries uint32
	// Logger receives what Open decided (hook, RSS mode); nil discards.
	Logger *slog.Logger
}

// Snapshot methods, as reported by Collector.SnapshotMethod.
const (
	// SnapshotProcessWalk is kw_snap: a sleepable program walks every
	// thread with an open-coded task iterator (kernels since 6.7).
	SnapshotProcessWalk = "bpf_iter_task (all threads)"
	// SnapshotTaskIterator is kw_iter: the iter/task program, called for
	// every thread (6.1 and later).
	SnapshotTaskIterator = "iter/task"
)

// Exit hooks, as reported by Collector.ExitHook.
const (
	HookTaskstatsExit = "fentry/taskstats_exit"
	HookProcessExit   = "tp_btf/sched_process_exit"
)

// Collector owns the loaded programs, their links and the exit reader.
// Processes may be called concurrently; ReadExit by one goroutine at a
// time. Close releases everything and may be called more than once.
type Collector struct {
	coll     *ebpf.Collection
	iterProg *ebpf.Program
	iter     *link.Iter
	exitProg *ebpf.Program
	exitLink link.Link
	exitsMap *ebpf.Map
	lost     *ebpf.Variable
	ring     *ringbuf.Reader
	ringWait *os.File   // the ring's fd again, in Go's poller (waitExits)
	readMu   sync.Mutex // one reader of the ring at a time
	waitMu   sync.Mutex // one waiter: the deadline is the file's
	rec      ringbuf.Record
	walk     *processWalk // nil: snapshots read the iterator

	hook     string
	rssExact bool
	pageSize uint64
	poll     time.Duration

	bufs  sync.Pool
	exits exitState

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// ErrClosed is returned by the methods of a closed Collector.
var ErrClosed = errors.New("eBPF collector is closed")

// Open loads and attaches the programs. On failure nothing stays loaded
// and the error wraps ErrNoBTF, ErrPermission or ErrUnsupported where
// one of those is the cause.
func Open(opts Options) (*Collector, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kernelTypes, err := loadKernelBTF(opts.KernelBTF)
	if err != nil {
		return nil, err
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, classify("raise memlock limit", err)
	}
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("count possible CPUs: %w", err)
	}
	poll := opts.ExitPoll
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	// Exact RSS first; without CAP_PERFMON the verifier refuses its
	// pointer arithmetic, and the folded counters are the fallback. The
	// exit hook is fentry where the kernel lets us trace taskstats_exit,
	// else the sched_process_exit tracepoint.
	hooks := []string{HookTaskstatsExit, HookProcessExit}
	if opts.NoExits {
		hooks = []string{""}
	}
	var lastErr error
	variants := []bool{true, false}
	if cpus > maxExactCPUs {
		variants = variants[1:]
	}
	for _, exact := range variants {
		for _, hook := range hooks {
			c := &Collector{pageSize: uint64(os.Getpagesize()), poll: poll}
			err := c.load(kernelTypes, uint32(cpus), exact, hook, opts, log)
			if err == nil {
				if err = c.attach(); err == nil {
					log.Info("ebpf view ready", "snapshot", c.SnapshotMethod(), "exit_hook", c.hook, "rss_exact", c.rssExact, "cpus", cpus)
					return c, nil
				}
				_ = c.release()
			}
			log.Debug("ebpf variant failed", "exact_rss", exact, "hook", hook, "err", err)
			lastErr = err
		}
	}
	// Every variant failed. The last one needs the least (no exact RSS,
	// the plainest hook), so its error names the real obstacle: the first
	// may only say that this kernel cannot trace taskstats_exit (EPERM
	// without ftrace).
	return nil, lastErr
}

func loadKernelBTF(path string) (*btf.Spec, error) {
	if path == "" {
		path = DefaultBTFPath
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", path, ErrNoBTF)
	}
	if err != nil {
		return nil, classify("open kernel BTF", err)
	}
	defer f.Close()
	spec, err := btf.LoadSpecFromReader(f)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w: %w", path, ErrNoBTF, err)
	}
	return spec, nil
}

// load creates the maps and the programs for one variant; hook "" loads
// no exit program. On error it leaves nothing behind.
func (c *Collector) load(kernelTypes *btf.Spec, cpus uint32, exact bool, hook string, opts Options, log *slog.Logger) error {
	spec, err := loadKwarden()
	if err != nil {
		return fmt.Errorf("read embedded eBPF object: %w", err)
	}
	if err := spec.Variables[kwardenVarNrCpuIds].Set(cpus); err != nil {
		return fmt.Errorf("set nr_cpu_ids: %w", err)
	}
	if err := spec.Variables[kwardenVarExactRss].Set(exact); err != nil {
		return fmt.Errorf("set exact_rss: %w", err)
	}
	// Only the chosen exit program is loaded: the other one may name a
	// function this kernel cannot trace.
	exitName := map[string]string{HookTaskstatsExit: kwardenProgKwExitFentry, HookProcessExit: kwardenProgKwExitTp}[hook]
	for _, name := range []string{kwardenProgKwExitFentry, kwardenProgKwExitTp} {
		if name != exitName {
			delete(spec.Programs, name)
		}
	}
	// The process walk is loaded on its own: a kernel without open-coded
	// task iterators refuses it, and that must not cost the rest.
	walkSpec := spec.Copy()
	if opts.walkEntries > 0 {
		walkSpec.Maps[kwardenMapSnap].MaxEntries = opts.walkEntries
	}
	delete(spec.Programs, kwardenProgKwSnap)
	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{
		Programs: ebpf.ProgramOptions{KernelTypes: kernelTypes},
	})
	if err != nil {
		action := "load task iterator"
		if hook != "" {
			action = "load task iterator and exit hook " + hook
		}
		return classify(action, err)
	}
	c.coll = coll
	c.iterProg = coll.Programs[kwardenProgKwIter]
	c.exitProg = coll.Programs[exitName]
	c.exitsMap = coll.Maps[kwardenMapExits]
	c.lost = coll.Variables[kwardenVarExitsLost]
	c.hook, c.rssExact = hook, exact
	if !opts.TaskIterator {
		if c.walk, err = loadProcessWalk(walkSpec, kernelTypes); err != nil {
			log.Debug("no process walk: snapshots use the task iterator", "err", err)
		}
	}
	return nil
}

// SnapshotMethod names how snapshots are taken: SnapshotProcessWalk or
// SnapshotTaskIterator.
func (c *Collector) SnapshotMethod() string {
	if c.walk != nil {
		return SnapshotProcessWalk
	}
	return SnapshotTaskIterator
}

// attach links the iterator and the exit hook and opens the ring reader.
func (c *Collector) attach() error {
	it, err := link.AttachIter(link.IterOptions{Program: c.iterProg})
	if err != nil {
		return classify("attach task iterator", err)
	}
	c.iter = it
	if c.exitProg == nil {
		return nil
	}
	if c.exitLink, err = link.AttachTracing(link.TracingOptions{Program: c.exitProg}); err != nil {
		return classify("attach exit hook "+c.hook, err)
	}
	if c.ring, err = ringbuf.NewReader(c.exitsMap); err != nil {
		return classify("open exit ring buffer", err)
	}
	if c.ringWait, err = pollableDup(c.exitsMap.FD(), "kwarden exit ring"); err != nil {
		return fmt.Errorf("exit ring buffer: %w", err)
	}
	return nil
}

// pollableDup duplicates fd, non-blocking, as a file Go's network poller
// watches.
func pollableDup(fd int, name string) (*os.File, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("duplicate fd: %w", err)
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return nil, fmt.Errorf("non-blocking fd: %w", err)
	}
	f := os.NewFile(uintptr(dup), name)
	// Only a file in the poller takes deadlines.
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is not pollable: %w", name, err)
	}
	return f, nil
}

// ExitHook names the attached exit hook; "" when Options.NoExits.
func (c *Collector) ExitHook() string { return c.hook }

// RSSExact reports whether RSS includes the per-CPU parts of the
// counters (kernels since 6.2), as /proc/<pid>/status does. Without it
// (no CAP_PERFMON) each RSS counter may lag by RSSSlackBytes.
func (c *Collector) RSSExact() bool { return c.rssExact }

// RSSSlackBytes is the most an RSS counter of this view may differ from
// the exact value: 0 when exact, else the per-CPU batch of every CPU
// (percpu_counter_batch = max(32, 2·CPUs) pages, lib/percpu_counter.c).
func (c *Collector) RSSSlackBytes() uint64 {
	if c.rssExact {
		return 0
	}
	cpus, err := ebpf.PossibleCPU()
	if err != nil || cpus < 1 {
		cpus = 1
	}
	batch := max(32, 2*cpus)
	return uint64(batch*cpus) * c.pageSize
}

// Close detaches and unloads everything. It is safe to call twice and
// interrupts a blocked ReadExit.
func (c *Collector) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.closeErr = c.release()
	})
	return c.closeErr
}

// release closes what is open, in reverse order of acquisition. Fields
// stay set: a concurrent reader sees closed descriptors, never nil.
func (c *Collector) release() error {
	var errs []error
	if c.ringWait != nil {
		errs = append(errs, c.ringWait.Close())
	}
	if c.ring != nil {
		errs = append(errs, c.ring.Close())
	}
	if c.exitLink != nil {
		errs = append(errs, c.exitLink.Close())
	}
	if c.iter != nil {
		errs = append(errs, c.iter.Close())
	}
	if c.walk != nil {
		errs = append(errs, c.walk.close())
	}
	if c.coll != nil {
		c.coll.Close()
	}
	return errors.Join(errs...)
}

// ExitHookRuntime reports how often the exit program ran and for how
// long in total. The kernel counts only while run-time statistics are
// enabled (ebpf.EnableStats, or the kernel.bpf_stats_enabled sysctl).
func (c *Collector) ExitHookRuntime() (runs uint64, total time.Duration, err error) {
	if c.exitProg == nil {
		return 0, 0, errors.New("exit hook runtime: no exit hook attached")
	}
	st, err := c.exitProg.Stats()
	if err != nil {
		return 0, 0, fmt.Errorf("exit hook runtime: %w", err)
	}
	return st.RunCount, st.Runtime, nil
}
