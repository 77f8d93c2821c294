package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kwarden/kwarden/agent/api"
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/enforce"
	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/agent/policyhost"
)

// The guard serves the API's /api/v1/policy routes.
var _ api.Policies = (*Guard)(nil)

// Policy is the loop's state.
func (g *Guard) Policy() apiv1.PolicyAnswer {
	ans := apiv1.PolicyAnswer{Enabled: true, DryRun: g.enf.DryRunOnly(), Recent: []apiv1.PolicyDecision{}}
	if st, ok := g.host.Status(); ok {
		ps := statusOf(st)
		ans.Active = &ps
	}
	for _, o := range g.Recent() {
		ans.Recent = append(ans.Recent, DecisionOf(o))
	}
	return ans
}

func statusOf(st policyhost.Status) apiv1.PolicyStatus {
	return apiv1.PolicyStatus{Name: st.Name, Version: st.Info.Version, Description: st.Info.Description, SHA256: st.SHA256,
		Config: json.RawMessage(st.Config), Started: st.Started, Protocol: st.Protocol, Healthy: st.Healthy,
		Restarts: st.Restarts, LastError: st.LastError}
}

// PolicyCatalogue lists what the catalogue allows, read again from its
// directory (a catalogue that no longer reads is shown as last read).
func (g *Guard) PolicyCatalogue() apiv1.PolicyCatalogueAnswer {
	cat, err := g.host.Reload()
	if err != nil {
		g.opt.Log.Warn("policy catalogue", "err", err)
	}
	st, _ := g.host.Status()
	ans := apiv1.PolicyCatalogueAnswer{Dir: cat.Dir, Policies: []apiv1.PolicyEntry{}}
	for _, n := range cat.Names() {
		ans.Policies = append(ans.Policies, apiv1.PolicyEntry{Name: n, SHA256: cat.Entries[n].SHA256, Active: n == st.Name})
	}
	return ans
}

// UsePolicy swaps the active policy (policyhost.Host.Use).
func (g *Guard) UsePolicy(ctx context.Context, req apiv1.PolicyRequest) (apiv1.PolicyAnswer, error) {
	cat, err := g.host.Reload()
	if err != nil {
		return apiv1.PolicyAnswer{}, err
	}
	if _, err := cat.Lookup(req.Name); err != nil {
		return apiv1.PolicyAnswer{}, fmt.Errorf("%w: %v", api.ErrUnknownPolicy, err)
	}
	if _, err := g.host.Use(ctx, req.Name, req.Config); err != nil {
		return apiv1.PolicyAnswer{}, fmt.Errorf("%v; the old policy stays", err)
	}
	return g.Policy(), nil
}

// DryRunPolicy asks a policy what it would do, and the enforcer what it
// would refuse, acting on nothing. On the last tick: with no name it
// asks the active policy; with a name it starts that policy for the
// purpose and stops it after. With req.At it replays the history: a
// fresh instance of the named (or the active) policy decides on the
// recorded tick at or before that time, after the ticks before it (see
// replay). The outcomes are recorded as dry-run decisions, a replay's
// with the trigger "replay" and the tick's time.
func (g *Guard) DryRunPolicy(ctx context.Context, req apiv1.PolicyRequest) (apiv1.PolicyDryRunAnswer, error) {
	if !req.At.IsZero() {
		return g.replayPolicy(ctx, req)
	}
	s, ok := g.Snapshot()
	if !ok {
		return apiv1.PolicyDryRunAnswer{}, errors.New("no tick yet: try again in a moment")
	}
	if req.Name != "" {
		p, status, err := g.startFor(ctx, req.Name, req.Config)
		if err != nil {
			return apiv1.PolicyDryRunAnswer{}, err
		}
		defer p.Stop()
		start := time.Now()
		ds, err := p.Decide(ctx, s)
		if err != nil {
			return apiv1.PolicyDryRunAnswer{}, fmt.Errorf("policy %s: %w", req.Name, err)
		}
		res := policyhost.Result{Policy: req.Name, Info: p.Info, SHA256: p.Checksum(), Decisions: ds, Latency: time.Since(start)}
		return g.check(ctx, g.enf.DryRun, s, res, status), nil
	}
	st, ok := g.host.Status()
	if !ok {
		return apiv1.PolicyDryRunAnswer{}, errors.New("no active policy: name one")
	}
	res, err := g.host.Decide(ctx, s)
	if err != nil {
		return apiv1.PolicyDryRunAnswer{}, err
	}
	return g.check(ctx, g.enf.DryRun, s, res, statusOf(st)), nil
}

// replayPolicy is DryRunPolicy on a recorded tick.
func (g *Guard) replayPolicy(ctx context.Context, req apiv1.PolicyRequest) (apiv1.PolicyDryRunAnswer, error) {
	name, config := req.Name, []byte(req.Config)
	if name == "" {
		st, ok := g.host.Status()
		if !ok {
			return apiv1.PolicyDryRunAnswer{}, errors.New("no active policy: name one")
		}
		name = st.Name
		if config == nil {
			config = st.Config
		}
	}
	p, status, err := g.startFor(ctx, name, config)
	if err != nil {
		return apiv1.PolicyDryRunAnswer{}, err
	}
	defer p.Stop()
	r, ds, took, err := g.replay(ctx, p, req.At)
	if err != nil {
		return apiv1.PolicyDryRunAnswer{}, fmt.Errorf("policy %s: %w", name, err)
	}
	res := policyhost.Result{Policy: name, Info: p.Info, SHA256: p.Checksum(), Decisions: ds, Latency: took}
	ans := g.check(ctx, g.enf.Replay, r.snapshot, res, status)
	ans.Replayed, ans.Folded = r.replayed, r.folded
	return ans, nil
}

// startFor starts a catalogue policy for a dry run, the caller's to stop.
func (g *Guard) startFor(ctx context.Context, name string, config []byte) (*policyhost.Plugin, apiv1.PolicyStatus, error) {
	cat, err := g.host.Reload()
	if err != nil {
		return nil, apiv1.PolicyStatus{}, err
	}
	e, err := cat.Lookup(name)
	if err != nil {
		return nil, apiv1.PolicyStatus{}, fmt.Errorf("%w: %v", api.ErrUnknownPolicy, err)
	}
	p, err := policyhost.Start(ctx, e, config, g.opt.Log)
	if err != nil {
		return nil, apiv1.PolicyStatus{}, err
	}
	return p, apiv1.PolicyStatus{Name: name, Version: p.Info.Version, Description: p.Info.Description,
		SHA256: p.Checksum(), Config: json.RawMessage(config), Started: p.Started, Protocol: p.Protocol, Healthy: true}, nil
}

// check runs a dry-run enforcer (made by checker) over a round's
// decisions, recording each outcome, and answers them.
func (g *Guard) check(ctx context.Context, checker func(func(enforce.Outcome)) *enforce.Enforcer, s *policy.Snapshot,
	res policyhost.Result, status apiv1.PolicyStatus) apiv1.PolicyDryRunAnswer {
	ans := apiv1.PolicyDryRunAnswer{Policy: status, Decisions: []apiv1.PolicyDecision{}, Tick: s.Time}
	checker(func(o enforce.Outcome) {
		g.Report(o)
		ans.Decisions = append(ans.Decisions, DecisionOf(o))
	}).Apply(ctx, enforce.Round{Snapshot: s, Policy: res.Policy, Version: res.Info.Version, SHA256: res.SHA256,
		Latency: res.Latency, Decisions: res.Decisions})
	return ans
}

// DecisionOf is an outcome as the API gives it.
func DecisionOf(o enforce.Outcome) apiv1.PolicyDecision {
	v := o.Victim
	return apiv1.PolicyDecision{Time: o.Time, Round: o.Round, Trigger: o.Trigger.String(), Policy: o.Policy,
		Version: o.Version, SHA256: o.SHA256, ContainerID: o.Decision.ContainerID, Name: v.Name, Class: v.Class,
		Kind: v.Kind, CPUPercent: v.CPUPercent, RAMPercent: v.RAMPercent, RSSBytes: v.RSSBytes,
		WorkingSetBytes: v.WorkingSetBytes, Action: o.Decision.Action.String(), Reason: o.Decision.Reason,
		Outcome: o.Outcome, Why: o.Why, DecideMs: float64(o.DecideLatency.Microseconds()) / 1000,
		ActMs: float64(o.ActLatency.Microseconds()) / 1000}
}
