package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/enforce"
	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/agent/policyhost"
	"github.com/kwarden/kwarden/agent/store"
)

// Options configure a Guard.
type Options struct {
	// Interval is the daemon's tick, told to policies.
	Interval time.Duration
	// Pressure reads the machine's PSI figures for a snapshot; nil, or
	// an error, leaves them out.
	Pressure func() (*policy.Pressure, error)
	// AddEvents writes audit events into the history.
	AddEvents func(...store.Event) error
	// Past reads recorded ticks for replays (store.Store.PastTicks);
	// nil: dry runs decide on the last tick only.
	Past func(at time.Time, n int) (store.Past, error)
	// Refresh asks the daemon for a tick at once (daemon.TickNow). A
	// trigger's round then runs on that tick, whose figures include a
	// container started since the last one; nil, or no tick within
	// refreshWait, and it runs on the last tick's.
	Refresh func()
	Log     *slog.Logger
}

// Guard runs decision rounds. Create with New, feed with OnTick and
// Trigger, drive with Run.
type Guard struct {
	host *policyhost.Host
	enf  *enforce.Enforcer
	opt  Options

	ticks    chan apiv1.State
	triggers chan policy.Trigger

	mu     sync.Mutex
	last   apiv1.State
	hist   *history
	round  uint64
	recent []enforce.Outcome // the last decisions, for Recent
}

// recentKept is how many outcomes Recent remembers.
const recentKept = 50

// New makes a guard over a host and an enforcer.
func New(host *policyhost.Host, enf *enforce.Enforcer, opt Options) *Guard {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.AddEvents == nil {
		opt.AddEvents = func(...store.Event) error { return nil }
	}
	return &Guard{host: host, enf: enf, opt: opt, ticks: make(chan apiv1.State, 1),
		triggers: make(chan policy.Trigger, 1), hist: newHistory()}
}

// OnTick hands the guard a tick's state without waiting: one not yet
// taken is replaced.
func (g *Guard) OnTick(st apiv1.State) {
	for {
		select {
		case g.ticks <- st:
			return
		default:
		}
		select {
		case <-g.ticks: // drop the stale one
		default:
		}
	}
}

// Trigger asks for a round now, on the last tick's figures (pressure:
// a PSI trigger fired; oom: Docker reported an OOM kill).
func (g *Guard) Trigger(t policy.Trigger) {
	select {
	case g.triggers <- t:
	default: // one is pending already
	}
}

// refreshWait is how long a trigger's round waits for the tick it asked
// for before it runs on the last one.
const refreshWait = time.Second

// Run runs rounds until ctx ends, then waits for actions in flight.
func (g *Guard) Run(ctx context.Context) {
	defer g.enf.Wait()
	// pending is a trigger whose round waits for the tick it asked for;
	// wait fires when that tick is late.
	pending := policy.TriggerUnspecified
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case st := <-g.ticks:
			g.mu.Lock()
			g.last = st
			g.hist.observe(&st)
			g.mu.Unlock()
			trig := policy.TriggerTick
			if pending != policy.TriggerUnspecified {
				trig, pending = pending, policy.TriggerUnspecified
				wait.Stop()
			}
			g.Round(ctx, trig)
		case t := <-g.triggers:
			if g.opt.Refresh == nil {
				g.Round(ctx, t)
				continue
			}
			if pending == policy.TriggerUnspecified {
				wait.Reset(refreshWait)
			}
			pending = t // a later trigger names the round
			g.opt.Refresh()
		case <-wait.C:
			if pending != policy.TriggerUnspecified {
				t := pending
				pending = policy.TriggerUnspecified
				g.Round(ctx, t)
			}
		}
	}
}

// Round runs one decision round on the last tick's state.
func (g *Guard) Round(ctx context.Context, trig policy.Trigger) {
	s, ok := g.snapshot(trig)
	if !ok {
		return // no tick yet
	}
	res, err := g.host.Decide(ctx, s)
	if trig == policy.TriggerPressure || trig == policy.TriggerOOM {
		g.triggered(s, res, err)
	}
	if err != nil {
		if !errors.Is(err, policyhost.ErrNoPolicy) || res.Policy != "" {
			g.opt.Log.Warn("policy round", "round", s.Round, "trigger", trig.String(), "err", err)
		}
		return // no decisions: nothing is killed
	}
	g.enf.Apply(ctx, enforce.Round{Snapshot: s, Policy: res.Policy, Version: res.Info.Version, SHA256: res.SHA256,
		Latency: res.Latency, Decisions: res.Decisions})
}

// KindTriggered is the event of a round that memory pressure or an OOM
// kill started between ticks: rare, and the one trace of such a round
// when the policy decides nothing.
const KindTriggered = "policy.triggered"

func (g *Guard) triggered(s *policy.Snapshot, res policyhost.Result, err error) {
	data := map[string]string{"trigger": s.Trigger.String(), "round": strconv.FormatUint(s.Round, 10),
		"tick": s.Time.UTC().Format(time.RFC3339Nano), "policy": res.Policy, "decisions": strconv.Itoa(len(res.Decisions))}
	msg := fmt.Sprintf("%s started round %d: %d decisions", s.Trigger, s.Round, len(res.Decisions))
	if res.Policy != "" {
		msg += " by " + res.Policy
	}
	if err != nil {
		data["error"] = err.Error()
		msg += ": " + err.Error()
	}
	if err := g.opt.AddEvents(store.Event{Time: time.Now(), Kind: KindTriggered, Message: msg, Data: data}); err != nil {
		g.opt.Log.Error("policy event", "err", err, "kind", KindTriggered)
	}
}

func (g *Guard) snapshot(trig policy.Trigger) (*policy.Snapshot, bool) {
	var pressure *policy.Pressure
	if g.opt.Pressure != nil {
		if p, err := g.opt.Pressure(); err == nil {
			pressure = p
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last.Tick == 0 {
		return nil, false
	}
	g.round++
	protects := func(id, name string, labels map[string]string) bool {
		_, ok := g.enf.Protects(id, name, labels)
		return ok
	}
	return g.hist.snapshot(&g.last, g.round, trig, g.opt.Interval, runtime.NumCPU(), pressure, protects), true
}

// Snapshot is what a round would see now (for dry runs).
func (g *Guard) Snapshot() (*policy.Snapshot, bool) { return g.snapshot(policy.TriggerDryRun) }

// Report records an outcome: the audit event, and the recent list.
func (g *Guard) Report(o enforce.Outcome) {
	g.mu.Lock()
	g.recent = append(g.recent, o)
	if len(g.recent) > recentKept {
		g.recent = g.recent[len(g.recent)-recentKept:]
	}
	g.mu.Unlock()
	if err := g.opt.AddEvents(OutcomeEvent(o)); err != nil {
		g.opt.Log.Error("audit event", "err", err, "container", o.Victim.ID, "outcome", o.Outcome)
	}
}

// Recent is the last outcomes, oldest first.
func (g *Guard) Recent() []enforce.Outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]enforce.Outcome(nil), g.recent...)
}

// HostEvent records one of the host's events in the history.
func (g *Guard) HostEvent(ev policyhost.Event) {
	data := map[string]string{"policy": ev.Policy}
	if ev.Version != "" {
		data["version"] = ev.Version
	}
	if ev.SHA256 != "" {
		data["sha256"] = ev.SHA256
	}
	if err := g.opt.AddEvents(store.Event{Time: ev.Time, Kind: ev.Kind, Message: ev.Message, Data: data}); err != nil {
		g.opt.Log.Error("policy event", "err", err, "kind", ev.Kind)
	}
}

// KindDecision is the audit event of every decision.
const KindDecision = "policy.decision"

// OutcomeEvent is an outcome as a history event.
func OutcomeEvent(o enforce.Outcome) store.Event {
	v := o.Victim
	data := map[string]string{
		"policy": o.Policy, "version": o.Version, "sha256": o.SHA256,
		"round": strconv.FormatUint(o.Round, 10), "trigger": o.Trigger.String(),
		"action": o.Decision.Action.String(), "reason": o.Decision.Reason, "outcome": o.Outcome,
		"name": v.Name, "class": v.Class, "kind": v.Kind,
		"cpu_percent":       strconv.FormatFloat(v.CPUPercent, 'f', 2, 64),
		"ram_percent":       strconv.FormatFloat(v.RAMPercent, 'f', 2, 64),
		"rss_bytes":         strconv.FormatUint(v.RSSBytes, 10),
		"working_set_bytes": strconv.FormatUint(v.WorkingSetBytes, 10),
		"decide_ms":         strconv.FormatFloat(float64(o.DecideLatency.Microseconds())/1000, 'f', 3, 64),
		"tick":              o.Tick.UTC().Format(time.RFC3339Nano),
		"act_ms":            strconv.FormatFloat(float64(o.ActLatency.Microseconds())/1000, 'f', 3, 64),
	}
	if o.Why != "" {
		data["why"] = o.Why
	}
	msg := fmt.Sprintf("%s: %s %s (%s)", o.Policy, o.Decision.Action, nameOr(v), o.Outcome)
	if o.Why != "" {
		msg += ": " + o.Why
	}
	ev := store.Event{Time: o.Time, Kind: KindDecision, Message: msg, Data: data}
	if v.Name != "" {
		ev.ContainerID = v.ID // a container of the round
	} else {
		data["named"] = o.Decision.ContainerID // whatever the policy named
	}
	return ev
}

func nameOr(c policy.Container) string {
	if c.Name != "" {
		return c.Name
	}
	if c.ID == "" {
		return "(no container)"
	}
	return c.ID
}
