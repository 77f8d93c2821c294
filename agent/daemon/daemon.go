// Package daemon is kwardend's loop: every tick it reads the kernel views,
// cross-checks them when it has both, takes Docker's view, computes
// per-container figures and writes one transaction of history. A source
// that is missing or failing is reported and the loop goes on.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/sample"
	"github.com/kwarden/kwarden/agent/source"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/bpf"
	"github.com/kwarden/kwarden/internal/crosscheck"
	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/internal/snapshot"
)

// Config is what the daemon needs; cmd/kwardend fills it from its file,
// flags and environment.
type Config struct {
	Interval     time.Duration // default 1 s; the course used 10 s and 20 s
	Sources      source.Which  // both, kmod or ebpf; default both
	KmodRoot     string        // "" is /proc/kwarden
	ProcRoot     string        // "" is /proc
	CgroupRoot   string        // "" is /sys/fs/cgroup
	DockerHost   string        // "" is DOCKER_HOST or the default socket
	DBPath       string
	Thresholds   sample.Thresholds // zero: 20 % CPU / 20 % RAM
	TopN         int               // top processes kept per tick; default 10
	RawRetention time.Duration
	Retention    time.Duration
	PruneEvery   time.Duration // history folding and trimming; default 1 min
	// ResetDamaged moves a damaged history aside and starts a new one
	// (store.Options.ResetDamaged).
	ResetDamaged bool
	// AfterTick, when set, is given each tick's state from the loop's
	// goroutine, after the API can see it. It must not block: the
	// policy loop (package guard) only keeps the latest.
	AfterTick func(State)
	// OnOOM, when set, is told of every OOM kill Docker reports (the
	// policy loop starts a round on it); it must not block.
	OnOOM func(id string)
	// ProcViewEvery runs the third view (the kernel views against /proc:
	// hidden processes) every that many ticks; 0 means every tick, and
	// a negative value turns it off.
	ProcViewEvery int
}

// State is the latest tick, for the API: the wire type itself.
type State = apiv1.State

// Daemon runs the loop. Create with New, drive with Run.
type Daemon struct {
	cfg     Config
	log     *slog.Logger
	srcs    *source.Set
	store   *store.Store
	sampler sample.Sampler
	walker  procfs.Walker

	oracle  exitOracle    // recent exits, for the cross-check
	exitMu  sync.Mutex    // pending
	pending []sample.Exit // exits for the sampler, applied at the next sample

	// infoSeen is the watcher's change channel as of the last container
	// descriptions written; nil writes them at the next tick. Writing
	// them only on change keeps 200 descriptions out of every tick's
	// transaction.
	infoSeen <-chan struct{}
	// reconciled says that the history's containers were compared with
	// Docker's first full view (reconcile).
	reconciled bool

	// wake asks for a tick before the ticker's next (TickNow).
	wake chan struct{}
	// hidden are the processes the third view found hidden at its last
	// check, for its events; procViewTicks counts ticks since that check.
	hidden        map[snapshot.Key]apiv1.Hidden
	procViewTicks int

	mu     sync.Mutex
	state  State
	tick   uint64
	docker bool // last known Docker connection, for outage events

	// Run and Close: a Run in progress is stopped by Close before the
	// resources go; release runs once, whoever gets there first.
	runMu     sync.Mutex
	runCancel context.CancelFunc
	runDone   chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New opens the sources (missing ones are logged, not fatal), the
// history and the Docker client.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Daemon, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Sources == "" {
		cfg.Sources = source.Both
	}
	if cfg.PruneEvery <= 0 {
		// A minute keeps each Prune to about a minute of raw frames.
		cfg.PruneEvery = time.Minute
	}
	if cfg.TopN <= 0 {
		cfg.TopN = 10
	}
	if cfg.ProcViewEvery == 0 {
		cfg.ProcViewEvery = 1
	}
	if cfg.Thresholds == (sample.Thresholds{}) {
		// No thresholds would class every container high; take the
		// course's 20 % / 20 % (kwardend's defaults too).
		cfg.Thresholds = sample.Thresholds{CPUPercent: 20, RAMPercent: 20}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{cfg: cfg, log: log, wake: make(chan struct{}, 1)}
	d.sampler.Thresholds = cfg.Thresholds
	d.walker.Root = cfg.ProcRoot
	var err error
	// The watcher reconnects at least once a tick, so a returning dockerd
	// is seen within two.
	if d.srcs, err = source.Open(ctx, source.Config{Views: cfg.Sources, KmodRoot: cfg.KmodRoot, ProcRoot: cfg.ProcRoot,
		CgroupRoot: cfg.CgroupRoot, DockerHost: cfg.DockerHost, DockerRetry: cfg.Interval, OnOOM: cfg.OnOOM, Logger: log,
		ProcView: cfg.ProcViewEvery > 0}); err != nil {
		return nil, err
	}
	if d.srcs.Primary() == nil {
		log.Warn("no kernel view: running on Docker's view only")
	}
	if d.store, err = store.Open(cfg.DBPath, store.Options{RawRetention: cfg.RawRetention, Retention: cfg.Retention,
		ResetDamaged: cfg.ResetDamaged, Logger: log}); err != nil {
		d.srcs.Close()
		return nil, err
	}
	return d, nil
}

// Sources are the daemon's sources: the metrics collector reads the
// scrape-time ones (Sources().Stats).
func (d *Daemon) Sources() *source.Set { return d.srcs }

// Store is the daemon's history, for the API.
func (d *Daemon) Store() *store.Store { return d.store }

// State returns the latest tick.
func (d *Daemon) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state
}

// Close stops a Run in progress and releases everything New acquired,
// in reverse order. It is safe to call more than once, and without Run
// (a start-up that failed after New).
func (d *Daemon) Close() error {
	d.runMu.Lock()
	cancel, done := d.runCancel, d.runDone
	d.runMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	d.closeOnce.Do(func() {
		// What New opened, newest first.
		d.closeErr = errors.Join(d.store.Close(), d.srcs.Close())
	})
	return d.closeErr
}

// Run ticks until ctx ends (or Close is called), then releases
// everything as Close does. It runs once: a second call returns an error.
func (d *Daemon) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	d.runMu.Lock()
	if d.runDone != nil {
		d.runMu.Unlock()
		cancel()
		return errors.New("daemon: Run called twice")
	}
	d.runCancel, d.runDone = cancel, make(chan struct{})
	d.runMu.Unlock()
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		close(d.runDone)
		d.runMu.Lock()
		d.runCancel = nil
		d.runMu.Unlock()
		d.Close()
	}()
	wg.Add(1)
	go func() { defer wg.Done(); _ = d.srcs.Docker.Run(ctx) }()
	if d.srcs.Exits != nil {
		wg.Add(1)
		go func() { defer wg.Done(); d.readExits(ctx) }()
	}
	pruner := newHistoryPruner(d.store, d.log, d.cfg.PruneEvery, d.cfg.Interval)
	// The first tick waits (briefly) for Docker's first answer, so that
	// it records the containers that run rather than none.
	d.waitDocker(ctx, min(max(2*d.cfg.Interval, 200*time.Millisecond), 5*time.Second))
	t := time.NewTicker(d.cfg.Interval)
	defer t.Stop()
	var bufs [2]snapshot.Processes
	for {
		started := time.Now()
		if err := d.runTick(ctx, &bufs); err != nil {
			return err
		}
		// What is left of the interval goes to the history's upkeep
		// (bounded steps: pruner), in the loop's own goroutine.
		if err := pruner.run(time.Now()); err != nil {
			return fmt.Errorf("history: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-d.wake:
			// A tick between ticks: at least minTickGap after the last
			// one began, so that its rates are over a span long enough
			// to mean something; then a whole interval to the next.
			if wait := minTickGap - time.Since(started); wait > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(wait):
				}
			}
			t.Reset(d.cfg.Interval)
		}
	}
}

// minTickGap is the least time between the starts of a tick and of one
// that TickNow asked for.
const minTickGap = 100 * time.Millisecond

// TickNow asks the loop for a tick at once, without waiting for the
// ticker: the policy loop asks for one when memory pressure or an OOM
// kill starts a round between ticks, so that the round sees containers
// as they are, not as they were up to an interval ago. The tick comes
// no sooner than 100 ms after the last one began, and the next regular
// tick an interval after it. Several asks before the tick runs are one
// tick. It never blocks.
func (d *Daemon) TickNow() {
	select {
	case d.wake <- struct{}{}:
	default: // one is asked for already
	}
}

// dockerKnown says whether the watcher has answered once: a sync, or a
// failure to reach the engine. Before that its view is empty, not
// known to be empty.
func dockerKnown(s containers.Status) bool { return s.Syncs > 0 || s.LastError != "" }

// waitDocker waits up to limit for the watcher's first answer.
func (d *Daemon) waitDocker(ctx context.Context, limit time.Duration) {
	timeout := time.NewTimer(limit)
	defer timeout.Stop()
	for {
		changed := d.srcs.Docker.Changed()
		if dockerKnown(d.srcs.Docker.ConnStatus()) {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// readExits drains the exit stream whenever the programs wake it (a
// batch of 64 KiB); runTick drains it after every snapshot. Between the
// two no exit waits longer than a tick, and nothing sits in a blocking
// system call.
func (d *Daemon) readExits(ctx context.Context) {
	for {
		err := d.srcs.Exits.Wait(ctx)
		if ctx.Err() != nil || errors.Is(err, source.ErrClosed) {
			return
		}
		if err != nil {
			d.log.Warn("wait for exits", "err", err)
		} else {
			err = d.drainExits()
		}
		// A failing stream is retried a tick later, not in a busy loop
		// (WaitExits returns at once while records are queued).
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d.cfg.Interval):
			}
		}
	}
}

// drainExits takes every exit queued so far. A malformed record is
// skipped and logged (and shows in the exits source's status); any other
// failure ends the drain and is returned.
func (d *Daemon) drainExits() error {
	if d.srcs.Exits == nil {
		return nil
	}
	// The oracle serves the cross-check alone, which needs both views.
	oracle := d.srcs.Kmod != nil
	d.exitMu.Lock()
	defer d.exitMu.Unlock()
	err := d.srcs.Exits.Drain(func(e bpf.Exit) {
		if oracle {
			d.oracle.add(e.Process.Key(), e.ExitNs)
		}
		if len(d.pending) < maxPending {
			d.pending = append(d.pending, sample.Exit{Key: e.Process.Key(), CgroupID: e.Process.CgroupID,
				MemcgID: e.Process.MemCgroupID, CPUNs: e.Process.CPUNs, ExitNs: e.ExitNs})
		}
	})
	if errors.Is(err, bpf.ErrMalformed) {
		d.log.Warn("exit event", "err", err)
		return nil
	}
	if err != nil {
		d.log.Warn("read exits", "err", err)
	}
	return err
}

// maxPending bounds the exits waiting for the sampler: a tick applies
// them all, so more than this many exits in one tick (a fork storm, or a
// primary view failing for many ticks) lose their last CPU time rather
// than grow the daemon.
const maxPending = 1 << 16

// runTick is one sample; its errors go into the state and the log. It
// returns an error only when the history is damaged, which stops the
// daemon: every later tick would fail the same way.
func (d *Daemon) runTick(ctx context.Context, bufs *[2]snapshot.Processes) error {
	now := time.Now()
	st := State{Time: now}
	var errs []error
	var procs *snapshot.Processes
	if src := d.srcs.Primary(); src != nil {
		if err := src.ProcessesInto(ctx, &bufs[0]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", src.Name(), err))
		} else {
			procs = &bufs[0]
		}
	}
	crossRead := false
	if procs != nil && d.srcs.Kmod != nil && d.srcs.EBPF != nil {
		if err := d.srcs.EBPF.ProcessesInto(ctx, &bufs[1]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.srcs.EBPF.Name(), err))
		} else {
			crossRead = true
		}
	}
	// Every process missing from a read has queued its exit by now: the
	// sampler and the cross-check's oracle see them all.
	if err := d.drainExits(); err != nil {
		errs = append(errs, err)
	}
	if crossRead {
		st.CrossCheck = d.crossCheck(&bufs[0], &bufs[1])
	}
	if procs != nil && d.srcs.ProcView != nil {
		if d.procViewTicks++; d.procViewTicks >= d.cfg.ProcViewEvery {
			d.procViewTicks = 0
			var ebpf *snapshot.Processes
			if crossRead {
				ebpf = &bufs[1]
			}
			pv, err := d.checkProcView(d.srcs.Primary().Name(), procs, ebpf)
			if err != nil {
				errs = append(errs, err)
			}
			st.ProcView = pv
		} else {
			st.ProcView = d.State().ProcView // between checks, the last one stands
		}
	}
	// The next cross-check judges reads that start after this tick's:
	// the exits before them are of no use to it.
	if procs != nil {
		d.oracle.forget(procs.TimeNs)
	} else {
		d.oracle.forget(^uint64(0))
	}
	sys, err := d.srcs.System.Read()
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", d.srcs.System.Name(), err))
	}
	// The change channel is taken before the view: a change between the
	// two is written again at the next tick, never missed. Docker's
	// failure is reported by its source and the health, not as the
	// tick's: the tick goes on with the last view.
	infoChanged := d.infoSeen == nil || isClosed(d.infoSeen)
	if infoChanged {
		d.infoSeen = d.srcs.Docker.Changed()
	}
	cs, dockerStatus, _ := d.srcs.Docker.Read()
	st.Docker = dockerStatus
	var figs []sample.Figures
	d.exitMu.Lock()
	if procs != nil {
		for _, e := range d.pending {
			d.sampler.Exited(e)
		}
	}
	d.pending = d.pending[:0]
	d.exitMu.Unlock()
	if procs != nil {
		figs = d.sampler.Sample(procs, cs, sys.MemTotal)
	} else {
		for _, c := range cs {
			figs = append(figs, sample.Figures{Container: c})
		}
	}
	// The memory cgroups after the processes: a container whose
	// processes did nothing keeps its last read for a while (Fill).
	if err := d.srcs.Cgroups.Fill(figs); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", d.srcs.Cgroups.Name(), err))
	}
	st.Containers = figs
	st.System = store.SystemPoint{Time: now, MemTotalBytes: sys.MemTotal, MemUsedBytes: sys.Used(),
		MemFreeBytes: sys.MemFree, MemAvailBytes: sys.MemAvailable, CPUPercent: sys.CPUPercent, Containers: countRunning(cs)}
	if procs != nil {
		st.System.Processes = len(procs.Processes)
	}
	if st.CrossCheck != nil {
		st.System.Discrepancies = st.CrossCheck.Discrepancies()
	}
	if st.ProcView != nil {
		st.System.Hidden = len(st.ProcView.Hidden)
	}
	tick := store.Tick{System: st.System, Containers: make(map[string]store.ContainerPoint, len(figs)),
		Events: d.events(now, st)}
	if infoChanged {
		tick.Info = cs
	}
	tick.Info = append(tick.Info, d.reconcile(now, st.Docker, cs)...)
	for _, f := range figs {
		if f.Running {
			tick.Containers[f.ID] = store.ContainerPoint{CPUPercent: f.CPUPercent, CPUNs: f.CPUNs, RSSBytes: f.RSSBytes,
				MemUsageBytes: f.MemUsageBytes, WorkingSetBytes: f.WorkingSetBytes, RAMPercent: f.RAMPercent,
				ReadBytes: f.ReadBytes, WriteBytes: f.WriteBytes, Processes: f.Processes, Threads: f.Threads,
				VSZBytes: f.VSZBytes, Class: f.Class}
		}
	}
	if procs != nil {
		tick.Top = top(procs, d.cfg.TopN)
	}
	// Until Docker has answered once, its view is not known: a tick
	// recorded then would say no container ran. It is published (health
	// says starting) but not recorded.
	known := dockerKnown(st.Docker)
	if known {
		if err := d.store.WriteTick(tick); err != nil {
			if errors.Is(err, store.ErrDamaged) {
				return fmt.Errorf("history: %w", err)
			}
			errs = append(errs, err)
			d.infoSeen = nil // the descriptions did not make it: again next tick
		}
	} else {
		d.infoSeen = nil
	}
	if err := errors.Join(errs...); err != nil {
		st.TickError = err.Error()
		d.log.Warn("tick", "err", err)
	}
	st.Sources = d.srcs.Statuses()
	d.mu.Lock()
	if known {
		d.tick++
	}
	st.Tick = d.tick
	d.state = st
	d.mu.Unlock()
	if d.cfg.AfterTick != nil && known {
		d.cfg.AfterTick(st)
	}
	return nil
}

// reconcile, once Docker's first full view is in, marks removed the
// containers the history holds as not removed that Docker no longer has:
// they went while the daemon was down, so no event told it. Without
// this their descriptions, series and index entries would outlive any
// retention.
func (d *Daemon) reconcile(now time.Time, st containers.Status, cs []containers.Container) []containers.Container {
	if d.reconciled || st.Syncs == 0 {
		return nil
	}
	d.reconciled = true
	known, err := d.store.NotRemoved()
	if err != nil {
		d.log.Warn("compare the history's containers with Docker's", "err", err)
		return nil
	}
	present := make(map[string]bool, len(cs))
	for _, c := range cs {
		present[c.ID] = true
	}
	var gone []containers.Container
	for _, c := range known {
		if !present[c.ID] {
			c.Removed, c.State, c.Running = now, "removed", false
			gone = append(gone, c)
		}
	}
	if len(gone) > 0 {
		d.log.Info("containers removed while the daemon was down", "count", len(gone))
	}
	return gone
}

// crossCheck compares the module's read (a) with eBPF's (b).
func (d *Daemon) crossCheck(a, b *snapshot.Processes) *apiv1.CrossCheck {
	opt := crosscheck.Options{Exited: d.oracle.exited, Alive: d.walker.Alive}
	r := crosscheck.Compare(
		crosscheck.View{Name: d.srcs.Kmod.Name(), StartNs: a.TimeNs, EndNs: a.EndTimeNs, Processes: a.Processes},
		crosscheck.View{Name: d.srcs.EBPF.Name(), StartNs: b.TimeNs, EndNs: b.EndTimeNs, Processes: b.Processes,
			RSSSlackBytes: d.srcs.EBPF.RSSSlackBytes()}, opt)
	return wireCrossCheck(r)
}

// events turns what changed into history events: Docker outages and
// recoveries, cross-check discrepancies.
func (d *Daemon) events(now time.Time, st State) []store.Event {
	var evs []store.Event
	d.mu.Lock()
	was := d.docker
	d.docker = st.Docker.Connected
	d.mu.Unlock()
	switch {
	case was && !st.Docker.Connected:
		evs = append(evs, store.Event{Time: now, Kind: "docker.outage", Message: st.Docker.LastError})
	case !was && st.Docker.Connected:
		evs = append(evs, store.Event{Time: now, Kind: "docker.connected",
			Message: fmt.Sprintf("connected (outages so far: %d)", st.Docker.Outages)})
	}
	if r := st.CrossCheck; r != nil {
		for _, m := range r.Missing {
			evs = append(evs, store.Event{Time: now, Kind: "crosscheck.missing",
				Message: fmt.Sprintf("pid %d (%s) only in %s: %s", m.PID, m.Comm, m.OnlyIn, m.Reason)})
		}
		for _, dr := range r.Drift {
			evs = append(evs, store.Event{Time: now, Kind: "crosscheck.drift",
				Message: fmt.Sprintf("pid %d (%s) %s: kmod %s, ebpf %s: %s", dr.PID, dr.Comm, dr.Field, dr.A, dr.B, dr.Rule)})
		}
	}
	return append(evs, d.hiddenEvents(now, st.ProcView)...)
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func countRunning(cs []containers.Container) int {
	n := 0
	for _, c := range cs {
		if c.Running {
			n++
		}
	}
	return n
}

// top returns the n processes with the most RSS (CPU % needs two reads
// of the same process; the API derives it from the series).
func top(ps *snapshot.Processes, n int) []store.ProcessPoint {
	idx := make([]int, len(ps.Processes))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		ra, rb := ps.Processes[a].RSSBytes(), ps.Processes[b].RSSBytes()
		switch {
		case ra > rb:
			return -1
		case ra < rb:
			return 1
		}
		return 0
	})
	out := make([]store.ProcessPoint, 0, n)
	for _, i := range idx[:min(n, len(idx))] {
		p := &ps.Processes[i]
		out = append(out, store.ProcessPoint{PID: p.PID, Comm: p.Comm, ContainerID: p.ContainerID, RSSBytes: p.RSSBytes()})
	}
	return out
}
