package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/internal/duration"
	"github.com/kwarden/kwarden/internal/when"
)

const policyUsage = "usage: kwardenctl policy ls | show | use NAME [-config FILE|-config-json JSON] | dry-run [NAME] [-config FILE|-config-json JSON] [-at TIME]"

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
	case "use":
		req, err := policyArgs("use", rest, true, time.Now())
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
		return nil
	case "dry-run":
		req, err := policyArgs("dry-run", rest, false, time.Now())
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

// policyArgs reads [NAME] [-config FILE | -config-json JSON], and for a
// dry run [-at TIME]: RFC 3339, or a duration ago (90m, 1d) from now.
func policyArgs(sub string, args []string, needName bool, now time.Time) (apiv1.PolicyRequest, error) {
	var req apiv1.PolicyRequest
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		req.Name, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("policy "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("config", "", "the policy's configuration, a JSON file")
	inline := fs.String("config-json", "", "the policy's configuration, as JSON")
	var at *string
	if sub == "dry-run" {
		at = fs.String("at", "", "replay the tick recorded at or before this time (RFC 3339, or a duration ago: 90m, 1d)")
	}
	if err := fs.Parse(args); err != nil {
		return req, fmt.Errorf("policy %s: %v\n%s", sub, err, policyUsage)
	}
	if fs.NArg() > 0 {
		return req, fmt.Errorf("policy %s: unexpected %q\n%s", sub, fs.Args(), policyUsage)
	}
	if needName && req.Name == "" {
		return req, fmt.Errorf("policy %s: name a policy (kwardenctl policy ls lists them)", sub)
	}
	switch {
	case *file != "" && *inline != "":
		return req, fmt.Errorf("policy %s: -config or -config-json, not both", sub)
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			return req, err
		}
		req.Config = b
	case *inline != "":
		req.Config = json.RawMessage(*inline)
	}
	if req.Config != nil && !json.Valid(req.Config) {
		return req, fmt.Errorf("policy %s: the configuration is not valid JSON", sub)
	}
	if at != nil && *at != "" {
		t, err := parseAt(*at, now)
		if err != nil {
			return req, fmt.Errorf("policy %s: -at: %w", sub, err)
		}
		req.At = t
	}
	return req, nil
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
