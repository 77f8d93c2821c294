package enforce

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/kwarden/kwarden/agent/policy"
)

// Docker is what the enforcer needs of the Docker API client.
type Docker interface {
	ContainerStop(ctx context.Context, id string, opts container.StopOptions) error
	ContainerKill(ctx context.Context, id, signal string) error
	ContainerRemove(ctx context.Context, id string, opts container.RemoveOptions) error
}

// Options configure an Enforcer. Zero values take the defaults.
type Options struct {
	// DryRun records every decision and acts on none.
	DryRun bool `json:"dry_run"`
	// MaxPerRound bounds the actions of one round; default 5.
	MaxPerRound int `json:"max_per_round"`
	// MaxPerMinute bounds the actions of any 60 s; default 20.
	MaxPerMinute int `json:"max_per_minute"`
	// MaxDecisions is how many of a round's decisions are read at all;
	// the rest are refused in one outcome. Default 1,000.
	MaxDecisions int `json:"max_decisions"`
	// StopTimeout is Docker's wait between SIGTERM and SIGKILL for stop
	// and remove; default 10 s.
	StopTimeout time.Duration `json:"stop_timeout"`
	// Protect lists the containers protected by name or id.
	Protect Protection `json:"protect"`
}

func (o *Options) defaults() {
	if o.MaxPerRound <= 0 {
		o.MaxPerRound = 5
	}
	if o.MaxPerMinute <= 0 {
		o.MaxPerMinute = 20
	}
	if o.MaxDecisions <= 0 {
		o.MaxDecisions = 1000
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 10 * time.Second
	}
}

// Outcomes of a decision.
const (
	Done        = "done"
	Refused     = "refused"
	DryRun      = "dry-run"
	RateLimited = "rate-limited"
	Failed      = "failed"
)

// Outcome is one decision and what came of it: the audit record.
type Outcome struct {
	Time time.Time
	// Tick is the time of the tick the round decided on (a recorded one
	// for a replay).
	Tick    time.Time
	Round   uint64
	Trigger policy.Trigger
	// Policy, Version and SHA256 name the policy that decided.
	Policy, Version, SHA256 string
	// Decision is as the policy gave it.
	Decision policy.Decision
	// Victim is the container at the time of the decision; only its ID
	// is set when the decision named no running container.
	Victim policy.Container
	// Outcome is Done, Refused, DryRun, RateLimited or Failed; Why says
	// why for Refused, RateLimited and Failed.
	Outcome, Why string
	// DecideLatency is the policy's round trip; ActLatency how long the
	// action took.
	DecideLatency, ActLatency time.Duration
}

// Round is what Apply needs of a decision round.
type Round struct {
	Snapshot  *policy.Snapshot
	Policy    string
	Version   string
	SHA256    string
	Latency   time.Duration
	Decisions []policy.Decision
}

// Enforcer acts on decisions. Apply may be called from one goroutine at
// a time; outcomes of actions arrive on their own goroutines.
type Enforcer struct {
	docker Docker
	opt    Options
	log    *slog.Logger
	report func(Outcome)
	now    func() time.Time

	mu       sync.Mutex
	inFlight map[string]bool
	// acted are the victims of finished actions, with when they ended:
	// the next tick's view can still list a container just stopped or
	// removed (Docker's events lag), and a second stop would only fail.
	acted map[string]time.Time
	// told holds, for a victim in flight or just acted on, which of the
	// two refusals ("being acted on", "acted on") its audit has had: a
	// policy that names it again every round until the view catches up
	// (quota did for each removal, some twenty rounds at a 1 s tick
	// under TCG) is recorded once for each, not once a round.
	told   map[string]string
	recent []time.Time // action starts in the last minute
	wg     sync.WaitGroup
}

// New makes an enforcer; report receives every Outcome.
func New(docker Docker, opt Options, log *slog.Logger, report func(Outcome)) (*Enforcer, error) {
	opt.defaults()
	if err := opt.Protect.Compile(); err != nil {
		return nil, fmt.Errorf("enforce: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if report == nil {
		report = func(Outcome) {}
	}
	return &Enforcer{docker: docker, opt: opt, log: log, report: report, now: time.Now, inFlight: map[string]bool{},
		acted: map[string]time.Time{}, told: map[string]string{}}, nil
}

// Protects says whether c is out of every policy's reach, and why. The
// daemon marks snapshot containers with it so that policies can skip
// them; Apply checks again.
func (e *Enforcer) Protects(id, name string, labels map[string]string) (string, bool) {
	return e.opt.Protect.Protects(id, name, labels)
}

// DryRun is an enforcer with the same protections and limits that acts
// on nothing, reporting to report: for a dry run asked by an operator.
// Its outcomes arrive before Apply returns.
func (e *Enforcer) DryRun(report func(Outcome)) *Enforcer {
	opt := e.opt
	opt.DryRun = true
	d, _ := New(nil, opt, e.log, report) // opt compiled once already
	e.mu.Lock()
	for id := range e.inFlight {
		d.inFlight[id] = true
	}
	for id, at := range e.acted {
		d.acted[id] = at
	}
	e.mu.Unlock()
	return d
}

// Replay is DryRun for a round on a recorded tick: the present's actions
// in flight and done say nothing of that moment, so it knows none.
func (e *Enforcer) Replay(report func(Outcome)) *Enforcer {
	opt := e.opt
	opt.DryRun = true
	d, _ := New(nil, opt, e.log, report)
	return d
}

// DryRunOnly reports whether the enforcer acts on nothing.
func (e *Enforcer) DryRunOnly() bool { return e.opt.DryRun }

// Apply checks every decision of r in rank order and starts the actions
// that pass; it returns at once. Every decision yields one Outcome.
func (e *Enforcer) Apply(ctx context.Context, r Round) {
	now := e.now()
	base := Outcome{Time: now, Tick: r.Snapshot.Time, Round: r.Snapshot.Round, Trigger: r.Snapshot.Trigger, Policy: r.Policy,
		Version: r.Version, SHA256: r.SHA256, DecideLatency: r.Latency}
	ds := r.Decisions
	if len(ds) > e.opt.MaxDecisions {
		o := base
		o.Outcome, o.Why = Refused, fmt.Sprintf("%d decisions beyond the first %d were not read", len(ds)-e.opt.MaxDecisions, e.opt.MaxDecisions)
		e.report(o)
		ds = ds[:e.opt.MaxDecisions]
	}
	e.forget(r.Snapshot, now)
	seen := map[string]bool{}
	acted := 0
	var quiet refusals
	defer func() {
		if quiet.n > 0 {
			o := base
			o.Outcome, o.Why = Refused, quiet.String()
			e.report(o)
		}
	}()
	for _, d := range ds {
		o := base
		o.Decision = d
		o.Victim.ID = d.ContainerID
		c, ok := r.Snapshot.Container(d.ContainerID)
		if ok {
			o.Victim = *c
		}
		why, repeat := e.refusal(d, c, ok, seen)
		seen[d.ContainerID] = true
		if why != "" && e.toldBefore(c, repeat) {
			continue // this repeat of an action in flight or done is on record
		}
		switch {
		case why != "" && quiet.refused >= maxRefusalsReported:
			quiet.add(why)
			continue
		case why != "":
			quiet.refused++
			o.Outcome, o.Why = Refused, why
		case e.opt.DryRun:
			o.Outcome = DryRun
		case acted >= e.opt.MaxPerRound:
			o.Outcome, o.Why = RateLimited, fmt.Sprintf("more than %d actions in one round", e.opt.MaxPerRound)
		case !e.admit(now):
			o.Outcome, o.Why = RateLimited, fmt.Sprintf("more than %d actions in a minute", e.opt.MaxPerMinute)
		default:
			acted++
			e.start(ctx, o)
			continue
		}
		e.report(o)
	}
}

// maxRefusalsReported is how many refused decisions of one round have
// an outcome each; the rest are counted in one. A policy that answers
// thousands of bad decisions every tick would otherwise write thousands
// of audit events a second into the history, which keeps them by time,
// not by size. What is acted on (at most one decision per container)
// always has its own.
const maxRefusalsReported = 20

// refusals counts the refused decisions of a round beyond those
// reported one by one, by reason.
type refusals struct {
	refused int // reported one by one so far
	n       int // counted only
	why     map[string]int
	order   []string
}

func (q *refusals) add(why string) {
	if q.why == nil {
		q.why = map[string]int{}
	}
	if q.why[why] == 0 {
		q.order = append(q.order, why)
	}
	q.why[why]++
	q.n++
}

// String is the summary outcome's Why.
func (q *refusals) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d more refused decisions, not recorded one by one:", q.n)
	for i, why := range q.order {
		if i > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, " %d %s", q.why[why], why)
	}
	return b.String()
}

// Kinds of repeated refusals (refusal's second result).
const (
	repeatInFlight = "in flight"
	repeatActed    = "acted"
)

// refusal says why d must not be acted on, or "", and for a victim in
// flight or just acted on, which of the two it is.
func (e *Enforcer) refusal(d policy.Decision, c *policy.Container, found bool, seen map[string]bool) (string, string) {
	switch {
	case d.ContainerID == "":
		return "names no container", ""
	case !found:
		return "not a running container of this round", ""
	case d.Action != policy.Stop && d.Action != policy.Kill && d.Action != policy.Remove:
		return fmt.Sprintf("unknown action %v", d.Action), ""
	case seen[d.ContainerID]:
		return "named twice in one round", ""
	}
	if why, ok := e.opt.Protect.Protects(c.ID, c.Name, c.Labels); ok {
		return why, ""
	}
	if c.Protected {
		return "protected", ""
	}
	e.mu.Lock()
	busy := e.inFlight[c.ID]
	at, acted := e.acted[c.ID]
	e.mu.Unlock()
	switch {
	case busy:
		return "already being acted on", repeatInFlight
	case acted:
		return fmt.Sprintf("already acted on at %s; the view has not caught up", at.Format(time.TimeOnly)), repeatActed
	}
	return "", ""
}

// toldBefore reports whether c's refusal of this kind (repeat) is on
// record already, and notes it when it is not.
func (e *Enforcer) toldBefore(c *policy.Container, repeat string) bool {
	if repeat == "" {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.told[c.ID] == repeat {
		return true
	}
	e.told[c.ID] = repeat
	return false
}

// forget drops the finished victims that the view no longer lists, or
// that it still lists a minute on (a container stopped, not removed,
// and started again).
func (e *Enforcer) forget(s *policy.Snapshot, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, at := range e.acted {
		if _, listed := s.Container(id); !listed || now.Sub(at) > time.Minute {
			delete(e.acted, id)
		}
	}
	for id := range e.told {
		if !e.inFlight[id] && e.acted[id].IsZero() {
			delete(e.told, id)
		}
	}
}

// admit takes a slot of the per-minute budget.
func (e *Enforcer) admit(now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	cut := now.Add(-time.Minute)
	i := 0
	for i < len(e.recent) && !e.recent[i].After(cut) {
		i++
	}
	e.recent = e.recent[i:]
	if len(e.recent) >= e.opt.MaxPerMinute {
		return false
	}
	e.recent = append(e.recent, now)
	return true
}

func (e *Enforcer) start(ctx context.Context, o Outcome) {
	id := o.Victim.ID
	e.mu.Lock()
	e.inFlight[id] = true
	e.mu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		start := time.Now()
		err := e.act(ctx, id, o.Decision.Action)
		o.ActLatency = time.Since(start)
		if err != nil {
			o.Outcome, o.Why = Failed, err.Error()
		} else {
			o.Outcome = Done
		}
		e.mu.Lock()
		delete(e.inFlight, id)
		if err == nil {
			e.acted[id] = time.Now()
		}
		e.mu.Unlock()
		e.log.Info("policy action", "container", o.Victim.Name, "id", id, "action", o.Decision.Action.String(),
			"policy", o.Policy, "outcome", o.Outcome, "why", o.Why, "took", o.ActLatency)
		e.report(o)
	}()
}

// act does one action; its deadline is the stop timeout and a margin.
func (e *Enforcer) act(ctx context.Context, id string, a policy.Action) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opt.StopTimeout+30*time.Second)
	defer cancel()
	secs := max(int(e.opt.StopTimeout/time.Second), 1)
	switch a {
	case policy.Kill:
		return e.docker.ContainerKill(ctx, id, "SIGKILL")
	case policy.Stop:
		return e.docker.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs})
	case policy.Remove:
		if err := e.docker.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs}); err != nil {
			return fmt.Errorf("stop before remove: %w", err)
		}
		return e.docker.ContainerRemove(ctx, id, container.RemoveOptions{})
	}
	return errors.New("unknown action")
}

// Wait waits for the actions in flight.
func (e *Enforcer) Wait() { e.wg.Wait() }
