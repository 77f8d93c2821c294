package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kwarden/kwarden/agent/api"
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/enforce"
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

// PolicyCatalogue lists what the catalogue allows.
func (g *Guard) PolicyCatalogue() apiv1.PolicyCatalogueAnswer {
	cat := g.host.Catalogue()
	st, _ := g.host.Status()
	ans := apiv1.PolicyCatalogueAnswer{Dir: cat.Dir, Policies: []apiv1.PolicyEntry{}}
	for _, n := range cat.Names() {
		ans.Policies = append(ans.Policies, apiv1.PolicyEntry{Name: n, SHA256: cat.Entries[n].SHA256, Active: n == st.Name})
	}
	return ans
}

// UsePolicy swaps the active policy (policyhost.Host.Use).
func (g *Guard) UsePolicy(ctx context.Context, req apiv1.PolicyRequest) (apiv1.PolicyAnswer, error) {
	if _, err := g.host.Catalogue().Lookup(req.Name); err != nil {
		return apiv1.PolicyAnswer{}, fmt.Errorf("%w: %v", api.ErrUnknownPolicy, err)
	}
	if _, err := g.host.Use(ctx, req.Name, req.Config); err != nil {
		return apiv1.PolicyAnswer{}, fmt.Errorf("%v; the old policy stays", err)
	}
	return g.Policy(), nil
}

// DryRunPolicy asks a policy what it would do on the last tick, and the
// enforcer what it would refuse, acting on nothing. With no name it
// asks the active policy; with a name it starts that policy for the
// purpose and stops it after. The outcomes are recorded as dry-run
// decisions.
func (g *Guard) DryRunPolicy(ctx context.Context, req apiv1.PolicyRequest) (apiv1.PolicyDryRunAnswer, error) {
	s, ok := g.Snapshot()
	if !ok {
		return apiv1.PolicyDryRunAnswer{}, errors.New("no tick yet: try again in a moment")
	}
	var res policyhost.Result
	var status apiv1.PolicyStatus
	if req.Name == "" {
		st, ok := g.host.Status()
		if !ok {
			return apiv1.PolicyDryRunAnswer{}, errors.New("no active policy: name one")
		}
		var err error
		if res, err = g.host.Decide(ctx, s); err != nil {
			return apiv1.PolicyDryRunAnswer{}, err
		}
		status = statusOf(st)
	} else {
		e, err := g.host.Catalogue().Lookup(req.Name)
		if err != nil {
			return apiv1.PolicyDryRunAnswer{}, fmt.Errorf("%w: %v", api.ErrUnknownPolicy, err)
		}
		p, err := policyhost.Start(ctx, e, req.Config, g.opt.Log)
		if err != nil {
			return apiv1.PolicyDryRunAnswer{}, err
		}
		defer p.Stop()
		ds, err := p.Decide(ctx, s)
		if err != nil {
			return apiv1.PolicyDryRunAnswer{}, fmt.Errorf("policy %s: %w", req.Name, err)
		}
		res = policyhost.Result{Policy: req.Name, Info: p.Info, SHA256: p.Checksum(), Decisions: ds}
		status = apiv1.PolicyStatus{Name: req.Name, Version: p.Info.Version, Description: p.Info.Description,
			SHA256: p.Checksum(), Config: json.RawMessage(req.Config), Started: p.Started, Protocol: p.Protocol, Healthy: true}
	}
	ans := apiv1.PolicyDryRunAnswer{Policy: status, Decisions: []apiv1.PolicyDecision{}}
	check := g.enf.DryRun(func(o enforce.Outcome) {
		g.Report(o)
		ans.Decisions = append(ans.Decisions, DecisionOf(o))
	})
	check.Apply(ctx, enforce.Round{Snapshot: s, Policy: res.Policy, Version: res.Info.Version, SHA256: res.SHA256,
		Latency: res.Latency, Decisions: res.Decisions})
	return ans, nil
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
