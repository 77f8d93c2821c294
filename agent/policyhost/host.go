package policyhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kwarden/kwarden/agent/policy"
)

// Event is something the host did or saw, for the audit log.
type Event struct {
	Time time.Time
	// Kind is policy.started, policy.swapped, policy.swap-failed,
	// policy.crashed, policy.hung, policy.failed, policy.restarted or
	// policy.restart-failed.
	Kind    string
	Policy  string
	Version string
	SHA256  string
	Message string
}

// Options configure a Host.
type Options struct {
	// DecideTimeout bounds one round on the plugin; default 2 s.
	DecideTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait before a restart; they
	// default to 1 s and 1 min, doubling after each failed restart.
	MinBackoff, MaxBackoff time.Duration
	// OnEvent receives every Event, from the goroutine that caused it.
	OnEvent func(Event)
	Log     *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Status is the active policy as Status reports it.
type Status struct {
	Name     string
	Info     policy.Info
	SHA256   string
	Config   []byte
	Started  time.Time
	Protocol int
	// Healthy is false while the plugin is down and waits for a restart.
	Healthy bool
	// Restarts counts the restarts since the policy was selected.
	Restarts int
	// LastError is the last failure, if any.
	LastError string
}

// ErrNoPolicy is returned by Decide while no policy can answer.
var ErrNoPolicy = errors.New("no policy answering")

// Host holds the active policy. Use and Decide may be called from
// different goroutines; rounds run one at a time.
type Host struct {
	opt Options

	catMu sync.Mutex // guards cat
	cat   *Catalogue

	round sync.Mutex // one round at a time; Use waits for it to swap

	mu       sync.Mutex // guards the fields below
	active   *Plugin
	name     string
	config   []byte
	down     bool
	retryAt  time.Time
	backoff  time.Duration
	restarts int
	lastErr  string
}

// New makes a host with no policy selected.
func New(cat *Catalogue, opt Options) *Host {
	if opt.DecideTimeout <= 0 {
		opt.DecideTimeout = 2 * time.Second
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = time.Second
	}
	if opt.MaxBackoff < opt.MinBackoff {
		opt.MaxBackoff = max(time.Minute, opt.MinBackoff)
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Host{cat: cat, opt: opt}
}

// Catalogue is the catalogue as the host last read it.
func (h *Host) Catalogue() *Catalogue {
	h.catMu.Lock()
	defer h.catMu.Unlock()
	return h.cat
}

// Reload reads the catalogue's directory again, so that a policy an
// operator registers (a binary and its checksum) can be used without
// restarting the daemon, and one removed from the catalogue cannot be
// started again. On an error (a catalogue that does not parse, a
// directory others could write) the catalogue read before stays, and
// the error says why. Use, a restart and the API's policy routes call it.
func (h *Host) Reload() (*Catalogue, error) {
	h.catMu.Lock()
	defer h.catMu.Unlock()
	c, err := LoadCatalogue(h.cat.Dir)
	if err != nil {
		return h.cat, fmt.Errorf("reload the policy catalogue: %w", err)
	}
	h.cat = c
	return c, nil
}

// lookup finds name in the catalogue as it is now on disk.
func (h *Host) lookup(name string) (Entry, error) {
	c, err := h.Reload()
	if err != nil {
		return Entry{}, err
	}
	return c.Lookup(name)
}

// DecideTimeout is how long a round waits for the plugin.
func (h *Host) DecideTimeout() time.Duration { return h.opt.DecideTimeout }

func (h *Host) emit(kind string, p *Plugin, name, format string, args ...any) {
	ev := Event{Time: h.opt.Now(), Kind: kind, Policy: name, Message: fmt.Sprintf(format, args...)}
	if p != nil {
		ev.Version, ev.SHA256 = p.Info.Version, p.Checksum()
	}
	h.opt.Log.Info("policy", "event", kind, "policy", name, "message", ev.Message)
	if h.opt.OnEvent != nil {
		h.opt.OnEvent(ev)
	}
}

// Use selects policy name with config: it verifies the binary, starts
// it, handshakes, pings and configures it, then swaps it in between two
// rounds and stops the old one. On any failure the old policy stays.
func (h *Host) Use(ctx context.Context, name string, config []byte) (policy.Info, error) {
	e, err := h.lookup(name)
	if err != nil {
		h.emit("policy.swap-failed", nil, name, "%v", err)
		return policy.Info{}, err
	}
	p, err := Start(ctx, e, config, h.opt.Log)
	if err != nil {
		h.emit("policy.swap-failed", nil, name, "%v", err)
		return policy.Info{}, err
	}
	// The swap waits for a round in flight: none runs half on each.
	h.round.Lock()
	h.mu.Lock()
	old, oldName := h.active, h.name
	h.active, h.name, h.config = p, name, config
	h.down, h.restarts, h.lastErr, h.backoff = false, 0, "", 0
	h.mu.Unlock()
	h.round.Unlock()
	if old != nil {
		old.Stop()
		h.emit("policy.swapped", p, name, "%s %s (sha256 %.12s) replaced %s", name, p.Info.Version, p.Checksum(), oldName)
	} else {
		h.emit("policy.started", p, name, "%s %s (sha256 %.12s), protocol %d", name, p.Info.Version, p.Checksum(), p.Protocol)
	}
	return p.Info, nil
}

// Status describes the active policy; ok is false when none is selected.
func (h *Host) Status() (Status, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.name == "" {
		return Status{}, false
	}
	st := Status{Name: h.name, Config: h.config, Healthy: !h.down, Restarts: h.restarts, LastError: h.lastErr}
	if p := h.active; p != nil {
		st.Info, st.SHA256, st.Started, st.Protocol = p.Info, p.Checksum(), p.Started, p.Protocol
	}
	return st, true
}

// Result is one round's answer.
type Result struct {
	Policy    string
	Info      policy.Info
	SHA256    string
	Decisions []policy.Decision
	Latency   time.Duration
}

// Decide runs a round on the active policy, restarting it first if it
// is down and its backoff has passed. With no policy answering it
// returns ErrNoPolicy and no decisions: nothing is killed.
func (h *Host) Decide(ctx context.Context, s *policy.Snapshot) (Result, error) {
	h.round.Lock()
	defer h.round.Unlock()
	p, name, err := h.ready(ctx)
	if err != nil {
		return Result{Policy: name}, err
	}
	dctx, cancel := context.WithTimeout(ctx, h.opt.DecideTimeout)
	defer cancel()
	start := time.Now()
	ds, err := p.Decide(dctx, s)
	res := Result{Policy: name, Info: p.Info, SHA256: p.Checksum(), Latency: time.Since(start)}
	if err == nil {
		h.mu.Lock()
		h.backoff = 0 // answering again: the next failure starts over
		h.mu.Unlock()
		res.Decisions = ds
		return res, nil
	}
	switch {
	case ctx.Err() != nil:
		return res, ctx.Err() // the caller gave up: not the plugin's fault
	case p.Exited() || status.Code(err) == codes.Unavailable:
		// Unavailable: the connection broke, the process is dying or
		// gone (go-plugin notices the exit a moment later).
		h.fail(p, "policy.crashed", fmt.Errorf("the plugin exited: %w", err))
	case dctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded:
		// gRPC's own timer for the deadline can fire a moment before
		// the context's: either says the plugin did not answer in time.
		h.fail(p, "policy.hung", fmt.Errorf("no answer within %v", h.opt.DecideTimeout))
	default:
		// Alive and answering, but the answer was an error or could not
		// be read: this round has no decisions, the plugin stays.
		h.mu.Lock()
		h.lastErr = err.Error()
		h.mu.Unlock()
		h.emit("policy.failed", p, name, "round failed: %v", err)
	}
	return res, fmt.Errorf("policy %s: %w", name, err)
}

// ready gives the plugin to run a round on, restarting it when due.
func (h *Host) ready(ctx context.Context) (*Plugin, string, error) {
	h.mu.Lock()
	p, name, down, retryAt := h.active, h.name, h.down, h.retryAt
	h.mu.Unlock()
	if name == "" {
		return nil, "", ErrNoPolicy
	}
	if p != nil && !down && p.Exited() {
		h.fail(p, "policy.crashed", errors.New("the plugin exited between rounds"))
		h.mu.Lock()
		down, retryAt = h.down, h.retryAt
		h.mu.Unlock()
	}
	if !down {
		return p, name, nil
	}
	if h.opt.Now().Before(retryAt) {
		return nil, name, fmt.Errorf("%w: %s is down, next restart at %s", ErrNoPolicy, name, retryAt.Format(time.RFC3339))
	}
	e, err := h.lookup(name)
	if err == nil {
		h.mu.Lock()
		config := h.config
		h.mu.Unlock()
		p, err = Start(ctx, e, config, h.opt.Log)
	}
	h.mu.Lock()
	if err != nil {
		h.backoff = min(max(2*h.backoff, h.opt.MinBackoff), h.opt.MaxBackoff)
		h.retryAt = h.opt.Now().Add(h.backoff)
		h.lastErr = err.Error()
		backoff := h.backoff
		h.mu.Unlock()
		h.emit("policy.restart-failed", nil, name, "%v; next try in %v", err, backoff)
		return nil, name, fmt.Errorf("%w: %v", ErrNoPolicy, err)
	}
	h.active, h.down = p, false
	h.restarts++
	n := h.restarts
	h.mu.Unlock()
	h.emit("policy.restarted", p, name, "restart %d", n)
	return p, name, nil
}

// fail marks p down: it is stopped, and restarted after the backoff.
func (h *Host) fail(p *Plugin, kind string, err error) {
	p.Stop()
	h.mu.Lock()
	if h.active == p {
		h.down = true
		h.backoff = min(max(2*h.backoff, h.opt.MinBackoff), h.opt.MaxBackoff)
		h.retryAt = h.opt.Now().Add(h.backoff)
		h.lastErr = err.Error()
	}
	backoff := h.backoff
	name := h.name
	h.mu.Unlock()
	h.emit(kind, p, name, "%v; restart in %v", err, backoff)
}

// Close stops the active policy.
func (h *Host) Close() {
	h.round.Lock()
	defer h.round.Unlock()
	h.mu.Lock()
	p := h.active
	h.active, h.name = nil, ""
	h.mu.Unlock()
	if p != nil {
		p.Stop()
	}
}
