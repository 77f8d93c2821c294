package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/client"

	"github.com/kwarden/kwarden/agent/daemon"
	"github.com/kwarden/kwarden/agent/enforce"
	"github.com/kwarden/kwarden/agent/guard"
	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/agent/policyhost"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/agent/webhook"
	"github.com/kwarden/kwarden/internal/duration"
	"github.com/kwarden/kwarden/internal/psi"
)

// policyConfig is the configuration's "policy" section: where the
// plugins are, which one runs, and the enforcer's limits. Without a
// directory there is no policy loop and nothing is ever killed.
type policyConfig struct {
	// Dir holds the plugins and their catalogue.json; it and every
	// directory above it must be writable by root (or kwardend's user)
	// alone.
	Dir string `json:"dir"`
	// Use is the policy to start with; "" starts none (select one with
	// kwardenctl policy use).
	Use string `json:"use"`
	// Config is the policy's own configuration, passed through.
	Config json.RawMessage `json:"config"`
	// DecideTimeout bounds one round on the plugin; default 2 s.
	DecideTimeout duration.Value `json:"decide_timeout"`
	// PressureStall and PressureWindow arm a PSI trigger on the
	// machine's memory pressure: tasks stalled for PressureStall within
	// any PressureWindow start a decision round at once, between ticks.
	// Defaults 200 ms in 2 s (a 2 s window is what a root without
	// CAP_SYS_RESOURCE may use); a stall of 0 turns it off.
	PressureStall  duration.Value `json:"pressure_stall"`
	PressureWindow duration.Value `json:"pressure_window"`
	// StopTimeout shadows the enforcer's, to be written as a string
	// ("10s"); enforcer() copies it over.
	StopTimeout duration.Value `json:"stop_timeout"`
	// The enforcer's settings: dry_run, max_per_round, max_per_minute,
	// max_decisions, protect {names, ids}.
	enforce.Options
}

// Defaults of the pressure trigger.
const (
	defaultPressureStall  = duration.Value(200 * time.Millisecond)
	defaultPressureWindow = duration.Value(2 * time.Second)
)

// UnmarshalJSON decodes over the defaults already there, refuses
// unknown fields like the rest of the configuration, and names the
// section in its errors.
func (p *policyConfig) UnmarshalJSON(b []byte) error {
	type plain policyConfig // without this method
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode((*plain)(p)); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	return nil
}

// enforcer is the enforcer's options as configured.
func (p policyConfig) enforcer() enforce.Options {
	o := p.Options
	o.StopTimeout = time.Duration(p.StopTimeout)
	return o
}

// policyLoop is the guard and what it runs on, once started.
type policyLoop struct {
	guard   *guard.Guard
	host    *policyhost.Host
	trigger *psi.Trigger // nil without PSI, or when turned off
	close   func()
}

// run runs the guard, and the pressure trigger's waits, until ctx ends.
func (l *policyLoop) run(ctx context.Context, log *slog.Logger) {
	if l.trigger != nil {
		go func() {
			defer l.trigger.Close()
			for {
				if err := l.trigger.Wait(ctx); err != nil {
					if ctx.Err() == nil {
						log.Warn("memory pressure trigger stopped", "err", err)
					}
					return
				}
				l.guard.Trigger(policy.TriggerPressure)
			}
		}()
	}
	l.guard.Run(ctx)
}

// pressureReader reads the machine's PSI figures for the snapshots; on
// a kernel without PSI the snapshots have none.
func pressureReader(dir string, log *slog.Logger) (func() (*policy.Pressure, error), func()) {
	r, err := psi.OpenReader(psi.SystemFiles(dir))
	if err != nil {
		log.Warn("no pressure figures for the policies", "err", err)
		return nil, func() {}
	}
	var mu sync.Mutex // the guard's rounds and dry runs read from two goroutines
	return func() (*policy.Pressure, error) {
		mu.Lock()
		p, err := r.Read()
		mu.Unlock()
		if err != nil {
			return nil, err
		}
		conv := func(x psi.Resource) policy.PressureResource {
			return policy.PressureResource{
				Some: policy.PressureFigures{Avg10: x.Some.Avg10, Avg60: x.Some.Avg60, Avg300: x.Some.Avg300, Total: x.Some.Total},
				Full: policy.PressureFigures{Avg10: x.Full.Avg10, Avg60: x.Full.Avg60, Avg300: x.Full.Avg300, Total: x.Full.Total},
			}
		}
		return &policy.Pressure{Memory: conv(p.Memory), CPU: conv(p.CPU), IO: conv(p.IO)}, nil
	}, func() { r.Close() }
}

// startPolicies sets up the policy loop for d, whose AfterTick must
// call the returned loop's guard (see run). It loads the catalogue and
// starts the configured policy; a policy that fails to start is logged
// and the loop runs with none, killing nothing, until one is selected.
func startPolicies(ctx context.Context, cfg config, d *daemon.Daemon, log *slog.Logger, sink *webhook.Sender) (*policyLoop, error) {
	pc := cfg.Policy
	cat, err := policyhost.LoadCatalogue(pc.Dir)
	if err != nil {
		return nil, err
	}
	// The host is an option of the construction: applied to a client
	// already made, it fails ("cannot apply host to transport") on the
	// transport the client wraps for tracing.
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if cfg.DockerHost != "" {
		opts = append(opts, client.WithHost(cfg.DockerHost))
	}
	dc, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, err
	}
	l := &policyLoop{}
	addEvents := func(evs ...store.Event) error {
		err := d.Store().AddEvents(evs...)
		if sink != nil {
			sink.Notify() // an audit event is delivered at once, not at the next poll
		}
		return err
	}
	l.host = policyhost.New(cat, policyhost.Options{DecideTimeout: time.Duration(pc.DecideTimeout), Log: log,
		OnEvent: func(e policyhost.Event) { l.guard.HostEvent(e) }})
	enf, err := enforce.New(dc, pc.enforcer(), log, func(o enforce.Outcome) { l.guard.Report(o) })
	if err != nil {
		dc.Close()
		return nil, err
	}
	procRoot := cfg.ProcRoot
	if procRoot == "" {
		procRoot = "/proc"
	}
	pressure, closePressure := pressureReader(filepath.Join(procRoot, "pressure"), log)
	l.guard = guard.New(l.host, enf, guard.Options{Interval: cfg.Interval, AddEvents: addEvents, Log: log, Pressure: pressure,
		Past: d.Store().PastTicks, Refresh: d.TickNow})
	l.close = func() {
		l.host.Close()
		closePressure()
		dc.Close()
	}
	if pc.PressureStall > 0 {
		t, err := psi.NewTrigger(filepath.Join(procRoot, "pressure", "memory"), psi.KindSome,
			time.Duration(pc.PressureStall), time.Duration(pc.PressureWindow))
		if err != nil {
			log.Warn("no memory pressure trigger: rounds run at ticks and on OOM events only", "err", err)
		} else {
			l.trigger = t
		}
	}
	if pc.Use != "" {
		if _, err := l.host.Use(ctx, pc.Use, pc.Config); err != nil {
			log.Error("policy did not start: none runs, nothing is killed until one is selected", "policy", pc.Use, "err", err)
		}
	}
	log.Info("policy loop", "dir", pc.Dir, "policies", strings.Join(cat.Names(), ","), "use", pc.Use,
		"dry_run", pc.DryRun)
	return l, nil
}
