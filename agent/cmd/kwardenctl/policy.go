package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/policies/configs"
	"github.com/kwarden/kwarden/internal/duration"
	"github.com/kwarden/kwarden/internal/when"
)

const policyUsage = "usage: kwardenctl policy ls | show | profiles | use NAME [-config FILE|-config-json JSON|-profile P] | dry-run [NAME] [-config FILE|-config-json JSON|-profile P] [-at TIME]"

// policy runs the policy subcommands.
func (c *cli) policy(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", policyUsage)
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "ls":
		if len(rest) > 0 {
			return fmt.Errorf("policy ls takes no arguments")
		}
		return c.policyList(ctx)
	case "show":
		if len(rest) > 0 {
			return fmt.Errorf("policy show takes no arguments")
		}
		return c.policyShow(ctx)
	case "profiles":
		if len(rest) > 0 {
			return fmt.Errorf("policy profiles takes no arguments")
		}
		return c.policyProfiles()
	case "use":
		req, prof, err := policyArgs("use", rest, true, time.Now())
		if err != nil {
			return err
		}
		ans, err := c.api.UsePolicy(ctx, req.Name, req.Config)
		if err != nil {
			return err
		}
		if c.output == "json" {
			return c.printJSON(ans)
		}
		a := ans.Active
		writef(c.out, "policy %s %s is active (sha256 %s, protocol %d)\n", a.Name, a.Version, a.SHA256, a.Protocol)
		c.intervalNote(ctx, prof)
		return nil
	case "dry-run":
		req, _, err := policyArgs("dry-run", rest, false, time.Now())
		if err != nil {
			return err
		}
		ans, err := c.api.DryRunPolicy(ctx, req)
		if err != nil {
			return err
		}
		if c.output == "json" {
			return c.printJSON(ans)
		}
		on := "the last tick"
		if !req.At.IsZero() {
			on = fmt.Sprintf("the tick recorded at %s, after %d before it", ans.Tick.Local().Format(time.RFC3339), ans.Replayed)
			if ans.Folded {
				on += " (one-minute averages: past the raw retention)"
			}
		}
		writef(c.out, "dry run of %s %s (sha256 %.12s) on %s: %d decisions, nothing acted on\n",
			ans.Policy.Name, ans.Policy.Version, ans.Policy.SHA256, on, len(ans.Decisions))
		writeDecisions(c.out, ans.Decisions)
		return nil
	}
	return fmt.Errorf("unknown policy command %q\n%s", sub, policyUsage)
}

// policyArgs reads [NAME] [-config FILE | -config-json JSON | -profile
// P], and for a dry run [-at TIME]. A profile (a course cohort's rules:
// a shipped one by name, kwardenctl policy profiles, or a file of the
// same shape) gives the policy's name and configuration; it is returned
// so that its loop interval can be compared with kwardend's.
func policyArgs(sub string, args []string, needName bool, now time.Time) (apiv1.PolicyRequest, *configs.Profile, error) {
	var req apiv1.PolicyRequest
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		req.Name, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("policy "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("config", "", "the policy's configuration, a JSON file")
	inline := fs.String("config-json", "", "the policy's configuration, as JSON")
	profile := fs.String("profile", "", "a course cohort's rules: a shipped profile's name, or a profile file")
	var at *string
	if sub == "dry-run" {
		at = fs.String("at", "", "replay the tick recorded at or before this time (RFC 3339, or a duration ago: 90m, 1d)")
	}
	if err := fs.Parse(args); err != nil {
		return req, nil, fmt.Errorf("policy %s: %v\n%s", sub, err, policyUsage)
	}
	if fs.NArg() > 0 {
		return req, nil, fmt.Errorf("policy %s: unexpected %q\n%s", sub, fs.Args(), policyUsage)
	}
	var prof *configs.Profile
	if *profile != "" {
		if *file != "" || *inline != "" {
			return req, nil, fmt.Errorf("policy %s: -profile brings its configuration: not with -config or -config-json", sub)
		}
		p, err := loadProfile(*profile)
		if err != nil {
			return req, nil, fmt.Errorf("policy %s: %w", sub, err)
		}
		if req.Name != "" && req.Name != p.Policy {
			return req, nil, fmt.Errorf("policy %s: profile %s is for policy %s, not %s", sub, *profile, p.Policy, req.Name)
		}
		req.Name, req.Config, prof = p.Policy, p.Config, &p
	}
	if needName && req.Name == "" {
		return req, nil, fmt.Errorf("policy %s: name a policy (kwardenctl policy ls lists them)", sub)
	}
	switch {
	case *file != "" && *inline != "":
		return req, nil, fmt.Errorf("policy %s: -config or -config-json, not both", sub)
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			return req, nil, err
		}
		req.Config = b
	case *inline != "":
		req.Config = json.RawMessage(*inline)
	}
	if req.Config != nil && !json.Valid(req.Config) {
		return req, nil, fmt.Errorf("policy %s: the configuration is not valid JSON", sub)
	}
	if at != nil && *at != "" {
		t, err := parseAt(*at, now)
		if err != nil {
			return req, nil, fmt.Errorf("policy %s: -at: %w", sub, err)
		}
		req.At = t
	}
	return req, prof, nil
}

// loadProfile reads a shipped profile by name, or else a profile file.
func loadProfile(s string) (configs.Profile, error) {
	p, err := configs.Load(s)
	if err == nil || !errors.Is(err, configs.ErrUnknown) {
		return p, err
	}
	b, ferr := os.ReadFile(s)
	if ferr != nil {
		return p, fmt.Errorf("-profile %s: neither a shipped profile (%s) nor a file: %v", s, strings.Join(configs.List(), ", "), ferr)
	}
	p, err = configs.Parse(b)
	if err != nil {
		return p, fmt.Errorf("profile file %s: %w", s, err)
	}
	return p, nil
}

// intervalNote says when a profile's loop interval is not kwardend's
// tick: the interval is the daemon's, set in its configuration.
func (c *cli) intervalNote(ctx context.Context, p *configs.Profile) {
	if p == nil {
		return
	}
	h, err := c.api.Health(ctx)
	if err != nil || h.IntervalSeconds == 0 {
		return
	}
	if tick := time.Duration(h.IntervalSeconds * float64(time.Second)); tick != p.Interval {
		writef(c.stderr, "note: kwardend ticks every %s; this cohort's loop ran every %s: set \"interval\" in kwardend's configuration and restart it\n",
			duration.String(tick), duration.String(p.Interval))
	}
}

// policyProfiles lists the shipped profiles: the course cohorts' rules.
func (c *cli) policyProfiles() error {
	type row struct {
		Name     string          `json:"name"`
		Policy   string          `json:"policy"`
		Interval string          `json:"interval"`
		Config   json.RawMessage `json:"config"`
	}
	var rows []row
	for _, n := range configs.List() {
		p, err := configs.Load(n)
		if err != nil {
			return err
		}
		rows = append(rows, row{n, p.Policy, duration.String(p.Interval), p.Config})
	}
	if c.output == "json" {
		return c.printJSON(rows)
	}
	tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
	writef(tw, "PROFILE\tPOLICY\tINTERVAL\tCONFIG\n")
	for _, r := range rows {
		var compact bytes.Buffer
		_ = json.Compact(&compact, r.Config)
		writef(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Policy, r.Interval, compact.String())
	}
	return tw.Flush()
}

// parseAt reads a point in time: a positive duration ago (90m, 1d), or
// any time the API reads (internal/when: RFC 3339, Unix seconds,
// now-<duration>).
func parseAt(s string, now time.Time) (time.Time, error) {
	if d, err := duration.Parse(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	t, err := when.Parse(s, now)
	if err != nil {
		return t, fmt.Errorf("%w, or a duration ago (90m, 1d)", err)
	}
	return t, nil
}

func (c *cli) policyList(ctx context.Context) error {
	cat, err := c.api.PolicyCatalogue(ctx)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(cat)
	}
	writef(c.out, "policies in %s:\n", cat.Dir)
	tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
	writef(tw, "NAME\tSHA256\tACTIVE\n")
	for _, p := range cat.Policies {
		active := ""
		if p.Active {
			active = "yes"
		}
		writef(tw, "%s\t%s\t%s\n", p.Name, p.SHA256, active)
	}
	return tw.Flush()
}

func (c *cli) policyShow(ctx context.Context) error {
	ans, err := c.api.Policy(ctx)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(ans)
	}
	if !ans.Enabled {
		writef(c.out, "the policy loop is off: kwardend runs without a policy directory, and kills nothing\n")
		return nil
	}
	mode := "acting"
	if ans.DryRun {
		mode = "dry run: recording decisions, acting on none"
	}
	if a := ans.Active; a == nil {
		writef(c.out, "no policy selected (%s); nothing is killed\n", mode)
	} else {
		health := "healthy"
		if !a.Healthy {
			health = "down, waiting to restart: " + a.LastError
		}
		writef(c.out, "policy %s %s, %s; %s\n", a.Name, a.Version, health, mode)
		writef(c.out, "  sha256 %s, protocol %d, up %s, %d restarts\n", a.SHA256, a.Protocol,
			time.Since(a.Started).Round(time.Second), a.Restarts)
		if len(a.Config) > 0 {
			writef(c.out, "  config %s\n", string(a.Config))
		}
		if a.Description != "" {
			writef(c.out, "  %s\n", a.Description)
		}
	}
	writef(c.out, "\nlast decisions (%d):\n", len(ans.Recent))
	writeDecisions(c.out, ans.Recent)
	return nil
}

func writeDecisions(w io.Writer, ds []apiv1.PolicyDecision) {
	if len(ds) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writef(tw, "TIME\tPOLICY\tACTION\tCONTAINER\tCLASS\tCPU%%\tRAM%%\tOUTCOME\tREASON\n")
	for _, d := range ds {
		name := d.Name
		if name == "" {
			name = d.ContainerID
		}
		outcome := d.Outcome
		if d.Why != "" {
			outcome += ": " + d.Why
		}
		writef(tw, "%s\t%s\t%s\t%s\t%s\t%.1f\t%.1f\t%s\t%s\n", d.Time.Local().Format("15:04:05"), d.Policy, d.Action,
			name, d.Class, d.CPUPercent, d.RAMPercent, outcome, d.Reason)
	}
	tw.Flush()
}
