package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/agent/report"
	"github.com/kwarden/kwarden/internal/when"
)

// report writes the course's graphs of a range (agent/report) into a
// directory and prints their paths: what kwardend writes at its stop in
// course mode, at any time.
func (c *cli) report(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fromFlag := fs.String("from", "now-1h", "start: RFC 3339, Unix seconds, now or now-<duration> (now-2h, now-1d)")
	toFlag := fs.String("to", "now", "end, as -from")
	dir := fs.String("o", ".", "directory the graphs are written into")
	format := fs.String("format", "svg", "svg or png")
	n := fs.Int("n", 5, "containers in each ranked graph (1-100)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("report: unexpected arguments %q", fs.Args())
	}
	f, err := report.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("-format: %w", err)
	}
	if *n < 1 || *n > 100 {
		return fmt.Errorf("-n %d: want 1 to 100", *n)
	}
	now := time.Now()
	from, err := when.Parse(*fromFlag, now)
	if err != nil {
		return fmt.Errorf("-from: %w", err)
	}
	to, err := when.Parse(*toFlag, now)
	if err != nil {
		return fmt.Errorf("-to: %w", err)
	}
	// A directory that is not there yet is made (the user's own, as any
	// mkdir -p would); one that is a file is an error before any query.
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("-o %s: %w", *dir, err)
	}
	d, err := report.Collect(ctx, apiSource{c.api}, report.Query{From: from, To: to, Top: *n})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	files, err := report.Render(d, report.Options{Format: f})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	paths, err := report.Write(*dir, files)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if c.output == "json" {
		return c.printJSON(map[string]any{"from": from, "to": to, "files": paths})
	}
	for _, p := range paths {
		writef(c.out, "%s\n", p)
	}
	return nil
}

// apiSource is the history through the API, as agent/report reads it.
type apiSource struct{ api *client.Client }

func (s apiSource) rng(r report.Range) client.Range {
	return client.Range{From: client.Time(r.From), To: client.Time(r.To), Step: r.Step}
}

func (s apiSource) System(ctx context.Context, r report.Range) ([]apiv1.SystemPoint, error) {
	a, err := s.api.System(ctx, s.rng(r))
	return a.Points, err
}

func (s apiSource) Top(ctx context.Context, r report.Range, by string, n int) ([]apiv1.TopContainer, error) {
	a, err := s.api.Top(ctx, client.TopQuery{From: client.Time(r.From), To: client.Time(r.To), By: by, N: n})
	return a.Containers, err
}

func (s apiSource) Series(ctx context.Context, id string, r report.Range) ([]apiv1.ContainerPoint, error) {
	a, err := s.api.Series(ctx, id, s.rng(r))
	return a.Points, err
}
