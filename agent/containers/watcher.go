package containers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// Options configure a Watcher. The zero value watches the system's
// Docker engine.
type Options struct {
	// Host is the engine's address ("unix:///var/run/docker.sock"); ""
	// takes DOCKER_HOST or the default socket.
	Host string
	// Resolver finds containers' cgroups; zero means the real /proc and
	// /sys/fs/cgroup.
	Resolver Resolver
	// CallTimeout bounds each API call; 0 means 10 s.
	CallTimeout time.Duration
	// RetryMin and RetryMax bound the reconnect backoff; 0 means 200 ms
	// and 5 s.
	RetryMin, RetryMax time.Duration
	// KeepRemoved is how many removed containers stay in the view; 0
	// means 1,000. History proper is the store's job.
	KeepRemoved int
	Logger      *slog.Logger
	// OnOOM, when set, is told of every OOM kill Docker reports, with
	// the container's id, from the event loop: it must not block.
	OnOOM func(id string)
}

// Status is the Watcher's connection state.
type Status = apiv1.DockerStatus

// Watcher keeps the container view current. Its methods are safe for
// concurrent use; Run drives it.
type Watcher struct {
	opts Options
	cli  *client.Client
	log  *slog.Logger

	mu         sync.Mutex
	containers map[string]*Container
	removed    []string // ids in removal order, bounded by KeepRemoved
	status     Status
	changed    chan struct{} // closed and replaced on every change
	view       []Container   // sorted copy for Containers; nil after a change
	// retry are containers whose last refresh failed: the inspect after
	// an event, or the cgroups of a running one for a reason other than
	// its process being gone (EMFILE, say). They are refreshed again
	// every RetryMax until it works, so that a container does not stay
	// missing, or at zero figures, for good.
	retry map[string]bool
}

// New creates a Watcher. It does not contact the engine: Run does.
func New(opts Options) (*Watcher, error) {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 10 * time.Second
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 200 * time.Millisecond
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 5 * time.Second
	}
	if opts.KeepRemoved <= 0 {
		opts.KeepRemoved = 1000
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clientOpts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if opts.Host != "" {
		clientOpts = append(clientOpts, client.WithHost(opts.Host))
	}
	cli, err := client.NewClientWithOpts(clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return &Watcher{opts: opts, cli: cli, log: log, containers: map[string]*Container{},
		status: Status{Since: time.Now()}, changed: make(chan struct{}), retry: map[string]bool{}}, nil
}

// Close releases the client.
func (w *Watcher) Close() error { return w.cli.Close() }

// Run connects, syncs and follows events until ctx ends, reconnecting
// whenever the engine goes away. It returns ctx's error.
func (w *Watcher) Run(ctx context.Context) error {
	backoff := w.opts.RetryMin
	for {
		err := w.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.disconnected(err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		// A session that got as far as a sync resets the backoff.
		if w.Status().Connected {
			backoff = w.opts.RetryMin
		} else {
			backoff = min(2*backoff, w.opts.RetryMax)
		}
	}
}

// session is one connection: subscribe to events first (so nothing
// between the list and the subscription is lost), sync, then apply events
// until the stream fails.
func (w *Watcher) session(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pctx, pcancel := context.WithTimeout(ctx, w.opts.CallTimeout)
	_, err := w.cli.Ping(pctx)
	pcancel()
	if err != nil {
		return fmt.Errorf("ping docker: %w", err)
	}
	msgs, errs := w.cli.Events(ctx, events.ListOptions{Filters: filters.NewArgs(filters.Arg("type", string(events.ContainerEventType)))})
	if err := w.sync(ctx); err != nil {
		return err
	}
	w.connected()
	retry := time.NewTicker(w.opts.RetryMax)
	defer retry.Stop()
	for {
		select {
		case <-retry.C:
			w.retryFailed(ctx)
		case m := <-msgs:
			w.handle(ctx, m)
		case err := <-errs:
			if err == nil {
				err = errors.New("event stream ended")
			}
			return fmt.Errorf("docker events: %w", err)
		}
	}
}

// sync lists every container and inspects each, replacing the view;
// containers that vanished meanwhile are marked removed.
func (w *Watcher) sync(ctx context.Context) error {
	lctx, cancel := context.WithTimeout(ctx, w.opts.CallTimeout)
	list, err := w.cli.ContainerList(lctx, container.ListOptions{All: true})
	cancel()
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	seen := map[string]bool{}
	for _, s := range list {
		seen[s.ID] = true
		if err := w.refresh(ctx, s.ID); err != nil {
			return err
		}
	}
	w.mu.Lock()
	for id, c := range w.containers {
		if !seen[id] && c.Removed.IsZero() {
			w.markRemovedLocked(id, time.Now())
		}
	}
	w.status.Syncs++
	w.notifyLocked()
	w.mu.Unlock()
	return nil
}

// refresh inspects one container and stores it; a container that is
// already gone is marked removed.
func (w *Watcher) refresh(ctx context.Context, id string) error {
	ictx, cancel := context.WithTimeout(ctx, w.opts.CallTimeout)
	in, err := w.cli.ContainerInspect(ictx, id)
	cancel()
	if cerrdefs.IsNotFound(err) {
		w.mu.Lock()
		w.markRemovedLocked(id, time.Now())
		w.notifyLocked()
		w.mu.Unlock()
		return nil
	}
	if err != nil {
		w.mu.Lock()
		w.retry[id] = true
		w.mu.Unlock()
		return fmt.Errorf("inspect container %.12s: %w", id, err)
	}
	c := fromInspect(in)
	failed := false
	if c.Running && c.PID > 0 {
		cg, err := w.opts.Resolver.Of(c.PID)
		if err != nil && !errors.Is(err, ErrNoProcess) {
			failed = true
			w.mu.Lock()
			again := w.retry[id]
			w.mu.Unlock()
			if !again {
				w.log.Warn("container cgroups: retrying until they can be read", "id", c.ID[:12], "err", err)
			}
		}
		c.Cgroups = cg
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if failed {
		w.retry[id] = true
	} else if w.retry[id] {
		delete(w.retry, id)
		w.log.Info("container refreshed after failing", "id", c.ID[:min(12, len(c.ID))])
	}
	// Keep the last ids a container had when they cannot be read now: it
	// stopped, or its process exited between inspect and the lookup.
	// History attributes the container's figures by them.
	old, ok := w.containers[id]
	if ok && c.Cgroups == (Cgroups{}) {
		c.Cgroups = old.Cgroups
	}
	if ok && same(*old, c) {
		return nil // a retry that changed nothing: no news for the daemon
	}
	w.containers[id] = &c
	w.notifyLocked()
	return nil
}

// same says whether two descriptions of a container are equal.
func same(a, b Container) bool { return reflect.DeepEqual(a, b) }

// retryFailed refreshes again the containers whose last refresh
// failed.
func (w *Watcher) retryFailed(ctx context.Context) {
	w.mu.Lock()
	ids := slices.Collect(maps.Keys(w.retry))
	w.mu.Unlock()
	for _, id := range ids {
		if err := w.refresh(ctx, id); err != nil {
			w.log.Debug("refresh again", "id", id[:min(12, len(id))], "err", err)
		}
	}
}

func (w *Watcher) handle(ctx context.Context, m events.Message) {
	id := m.Actor.ID
	w.mu.Lock()
	w.status.Events++
	w.mu.Unlock()
	switch m.Action {
	case events.ActionDestroy:
		w.mu.Lock()
		w.markRemovedLocked(id, time.Unix(0, m.TimeNano))
		w.notifyLocked()
		w.mu.Unlock()
	case events.ActionCreate, events.ActionStart, events.ActionDie, events.ActionStop, events.ActionKill,
		events.ActionPause, events.ActionUnPause, events.ActionRename, events.ActionRestart, events.ActionOOM:
		if m.Action == events.ActionOOM && w.opts.OnOOM != nil {
			w.opts.OnOOM(id)
		}
		if err := w.refresh(ctx, id); err != nil {
			w.log.Warn("refresh after event", "action", m.Action, "id", id, "err", err)
		}
	}
}

func (w *Watcher) markRemovedLocked(id string, at time.Time) {
	c, ok := w.containers[id]
	if !ok || !c.Removed.IsZero() {
		return
	}
	c.Removed, c.State, c.Running = at, "removed", false
	delete(w.retry, id)
	w.removed = append(w.removed, id)
	for len(w.removed) > w.opts.KeepRemoved {
		delete(w.containers, w.removed[0])
		w.removed = w.removed[1:]
	}
}

func (w *Watcher) connected() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status.Connected, w.status.Since, w.status.LastError = true, time.Now(), ""
	w.log.Info("docker connected", "syncs", w.status.Syncs)
	w.notifyLocked()
}

func (w *Watcher) disconnected(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status.Connected {
		w.status.Outages++
		w.status.Since = time.Now()
		w.log.Warn("docker unreachable", "err", err)
	}
	w.status.Connected = false
	if err != nil {
		w.status.LastError = err.Error()
	}
	w.notifyLocked()
}

func (w *Watcher) notifyLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
	w.view = nil
}

// Changed returns a channel closed at the next change of the view or the
// status.
func (w *Watcher) Changed() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

// Status reports the connection state.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// Containers returns a copy of the view, ordered by creation time. The
// Labels maps are shared between the copies a Watcher hands out, and
// must not be modified. The sorted view is built once per change, not
// per call: the daemon asks every tick, and containers rarely change.
func (w *Watcher) Containers() []Container {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.view == nil {
		w.view = make([]Container, 0, len(w.containers))
		for _, c := range w.containers {
			cp := *c
			cp.Labels = maps.Clone(c.Labels)
			w.view = append(w.view, cp)
		}
		slices.SortFunc(w.view, func(a, b Container) int {
			if c := a.Created.Compare(b.Created); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
	}
	return slices.Clone(w.view)
}
