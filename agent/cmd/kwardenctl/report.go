package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/agent/report"
	"github.com/kwarden/kwarden/internal/duration"
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
	from, err := parseWhen(*fromFlag, now)
	if err != nil {
		return fmt.Errorf("-from: %w", err)
	}
	to, err := parseWhen(*toFlag, now)
	if err != nil {
		return fmt.Errorf("-to: %w", err)
	}
	if fi, err := os.Stat(*dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("-o %s: not a directory", *dir)
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

// parseWhen reads a time as the API does (RFC 3339, Unix seconds, now,
// now-<duration> with days and weeks), against this machine's clock:
// Collect needs the range's ends, not words for them.
func parseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "now-"):
		d, err := duration.Parse(s[4:])
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("%q: want now-<duration>, e.g. now-1h or now-1d", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil && secs >= 0 && secs < 1e11 {
		return time.Unix(0, int64(secs*1e9)), nil
	}
	return time.Time{}, errors.New("want RFC 3339, Unix seconds, now or now-<duration>: " + strconv.Quote(s))
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
