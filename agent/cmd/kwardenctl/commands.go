package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/internal/duration"
)

const mib = 1 << 20

func (c *cli) status(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("status takes no arguments")
	}
	h, err := c.api.Health(ctx)
	if err != nil {
		return err
	}
	sys, err := c.api.System(ctx, client.Range{From: "now-1m"})
	if err != nil {
		return err
	}
	cs, err := c.api.Containers(ctx, client.ContainersQuery{All: true})
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(map[string]any{"health": h, "system": sys.Points, "containers": cs.Containers})
	}
	docker := "Docker connected"
	if !h.Docker {
		docker = "Docker not connected"
	}
	version := ""
	if h.Version != "" {
		version = " " + h.Version
	}
	writef(c.out, "kwardend%s: %s, tick %d, %s\n", version, h.Status, h.Tick, docker)
	if h.Error != "" {
		writef(c.out, "last tick failed: %s\n", h.Error)
	}
	writeSources(c.out, h.Sources)
	if n := len(sys.Points); n > 0 {
		p := sys.Points[n-1]
		writef(c.out, "memory: total %d MiB, used %d MiB, free %d MiB, available %d MiB; CPU %.1f %%\n",
			p.MemTotalBytes/mib, p.MemUsedBytes/mib, p.MemFreeBytes/mib, p.MemAvailBytes/mib, p.CPUPercent)
		if p.Hidden > 0 {
			writef(c.out, "HIDDEN PROCESSES: %d listed by the kernel views, not shown by /proc (kwardenctl crosscheck)\n", p.Hidden)
		}
	}
	groups := map[string][]apiv1.ContainerFigures{}
	var deleted []apiv1.ContainerFigures
	for _, f := range cs.Containers {
		switch {
		case !f.Removed.IsZero():
			deleted = append(deleted, f)
		case f.Running:
			cls := f.Class
			if cls != apiv1.ClassHigh && cls != apiv1.ClassLow {
				cls = "unclassified"
			}
			groups[cls] = append(groups[cls], f)
		}
	}
	tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
	for _, cls := range []string{apiv1.ClassHigh, apiv1.ClassLow, "unclassified"} {
		writef(tw, "\n%s (%d)\n", strings.ToUpper(cls), len(groups[cls]))
		if len(groups[cls]) > 0 {
			writef(tw, "NAME\tKIND\tCPU%%\tRSS MiB\tWORKING SET MiB\tAGE\n")
		}
		for _, f := range groups[cls] {
			writef(tw, "%s\t%s\t%.1f\t%.1f\t%.1f\t%s\n", f.Name, f.Kind, f.CPUPercent,
				float64(f.RSSBytes)/mib, float64(f.WorkingSetBytes)/mib, f.Age(cs.Time).Round(time.Second))
		}
	}
	writef(tw, "\nDELETED (%d)\n", len(deleted))
	for _, f := range deleted {
		writef(tw, "%s\t%s\tremoved %s\n", f.Name, f.Kind, f.Removed.Format(time.RFC3339))
	}
	return tw.Flush()
}

// writeSources writes the daemon's sources as a small table: each
// one's state, how long its last read took, and why it is not ok.
func writeSources(w interface{ Write([]byte) (int, error) }, srcs []apiv1.SourceStatus) {
	if len(srcs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writef(tw, "SOURCE\tSTATE\tLAST READ\tREADS\tFAILED\tWHY\n")
	for _, s := range srcs {
		last := "-"
		if s.Reads > 0 {
			last = fmt.Sprintf("%.2f ms", s.DurationSeconds*1000)
		}
		writef(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", s.Name, s.State, last, s.Reads, s.Failures, s.Error)
	}
	tw.Flush()
}

func (c *cli) containers(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("containers", flag.ContinueOnError)
	all := fs.Bool("all", false, "include removed containers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cs, err := c.api.Containers(ctx, client.ContainersQuery{All: *all})
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(cs)
	}
	tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
	writef(tw, "ID\tNAME\tIMAGE\tKIND\tSTATE\tCPU%%\tRSS MiB\tCLASS\n")
	for _, f := range cs.Containers {
		writef(tw, "%.12s\t%s\t%s\t%s\t%s\t%.1f\t%.1f\t%s\n", f.ID, f.Name, f.Image, f.Kind, f.State,
			f.CPUPercent, float64(f.RSSBytes)/mib, f.Class)
	}
	return tw.Flush()
}

func (c *cli) events(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	since := duration.Flag(fs, "since", 15*time.Minute, "how far back: a `duration` such as 90s, 15m, 12h, 31d or 1w")
	kind := fs.String("kind", "", "kind prefix (docker., crosscheck., container.)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *since <= 0 {
		return fmt.Errorf("-since %s: want a positive duration", duration.String(*since))
	}
	// Go's syntax (31d is now-744h0m0s): every version of the API reads
	// it, also those from before it accepted days.
	evs, err := c.api.Events(ctx, client.EventsQuery{From: "now-" + since.String(), Kind: *kind})
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(evs)
	}
	tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
	writef(tw, "TIME\tKIND\tCONTAINER\tMESSAGE\n")
	for _, e := range evs.Events {
		writef(tw, "%s\t%s\t%.12s\t%s\n", e.Time.Format(time.RFC3339), e.Kind, e.ContainerID, e.Message)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if evs.Next != "" {
		writef(c.out, "(more: the first %d events shown)\n", len(evs.Events))
	}
	return nil
}

func (c *cli) crosscheck(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("crosscheck takes no arguments")
	}
	r, err := c.api.CrossCheck(ctx)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(r)
	}
	if !r.Available || r.Result == nil {
		writef(c.out, "cross-check unavailable: %s\n", r.Reason)
		writeSources(c.out, r.Sources)
	} else {
		res := r.Result
		writef(c.out, "%s %d, %s %d, matched %d, fields %d; churn %d, missing %d, drift %d\n",
			res.A, res.InA, res.B, res.InB, res.Matched, res.FieldsCompared, len(res.Churn), len(res.Missing), len(res.Drift))
	}
	writeProcView(c.out, r.ProcView)
	return nil
}

// writeProcView writes the third view's last check: a line, and the
// hidden processes with their evidence.
func writeProcView(w interface{ Write([]byte) (int, error) }, pv *apiv1.ProcView) {
	if pv == nil {
		writef(w, "/proc: not compared (the third view is off)\n")
		return
	}
	writef(w, "/proc: %d listed, %d checked; churn %d, candidates %d, hidden %d\n",
		pv.Listed, pv.Checked, pv.Churn, pv.Candidates, len(pv.Hidden))
	if pv.MountInfoError != "" {
		writef(w, "  (mount table unreadable: %s)\n", pv.MountInfoError)
	}
	if len(pv.Hidden) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writef(tw, "HIDDEN\tPID\tCOMM\tSEEN BY\tSINCE\tEVIDENCE\n")
	for _, h := range pv.Hidden {
		writef(tw, "hidden\t%d\t%s\t%s\t%s\t%s\n", h.PID, h.Comm, strings.Join(h.SeenBy, ","),
			h.Since.Local().Format(time.TimeOnly), h.Reason)
	}
	tw.Flush()
}

// top prints one table per tick from the stream; -n stops after n.
func (c *cli) top(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("top", flag.ContinueOnError)
	n := fs.Int("n", 0, "ticks to show (0: until interrupted)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	shown := 0
	errEnough := fmt.Errorf("enough")
	err := c.api.Stream(ctx, func(t apiv1.StreamTick) error {
		if c.output == "json" {
			if err := c.printJSONLine(t); err != nil {
				return err
			}
		} else {
			slices.SortFunc(t.Containers, func(a, b apiv1.StreamContainer) int {
				return int(b.CPUPercent*100) - int(a.CPUPercent*100)
			})
			tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
			writef(tw, "tick %d  %s  memory %d/%d MiB  CPU %.1f %%  discrepancies %d\n", t.Tick,
				t.Time.Format(time.TimeOnly), t.MemUsedBytes/mib, t.MemTotalBytes/mib, t.CPUPercent, t.Discrepancies)
			writef(tw, "NAME\tCPU%%\tRSS MiB\tCLASS\n")
			for _, ct := range t.Containers {
				writef(tw, "%s\t%.1f\t%.1f\t%s\n", ct.Name, ct.CPUPercent, float64(ct.RSSBytes)/mib, ct.Class)
			}
			tw.Flush()
		}
		shown++
		if *n > 0 && shown >= *n {
			return errEnough
		}
		return nil
	})
	if err == errEnough {
		return nil
	}
	return err
}
