package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/docker/client"

	"github.com/kwarden/kwarden/agent/api"
	"github.com/kwarden/kwarden/agent/sample"
	"github.com/kwarden/kwarden/agent/spawn"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/internal/duration"
)

const mib = 1 << 20

type containerList struct {
	Time       time.Time        `json:"time"`
	Containers []sample.Figures `json:"containers"`
}

func (c *cli) status(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("status takes no arguments")
	}
	var h api.Health
	if err := c.get(ctx, "/api/v1/health", nil, &h); err != nil {
		return err
	}
	var sys struct {
		Points []store.SystemPoint `json:"points"`
	}
	if err := c.get(ctx, "/api/v1/system", url.Values{"from": {"now-1m"}}, &sys); err != nil {
		return err
	}
	var cs containerList
	if err := c.get(ctx, "/api/v1/containers", url.Values{"all": {"true"}}, &cs); err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(map[string]any{"health": h, "system": sys.Points, "containers": cs.Containers})
	}
	writef(c.out, "kwardend: %s, tick %d, docker connected %v, sources %v\n", h.Status, h.Tick, h.Docker, h.Sources)
	if n := len(sys.Points); n > 0 {
		p := sys.Points[n-1]
		writef(c.out, "memory: total %d MiB, used %d MiB, free %d MiB, available %d MiB; CPU %.1f %%\n",
			p.MemTotalBytes/mib, p.MemUsedBytes/mib, p.MemFreeBytes/mib, p.MemAvailBytes/mib, p.CPUPercent)
	}
	groups := map[string][]sample.Figures{}
	var deleted []sample.Figures
	for _, f := range cs.Containers {
		switch {
		case !f.Removed.IsZero():
			deleted = append(deleted, f)
		case f.Running:
			cls := f.Class
			if cls == "" {
				cls = "unclassified"
			}
			groups[cls] = append(groups[cls], f)
		}
	}
	tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
	for _, cls := range []string{"high", "low", "unclassified"} {
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

func (c *cli) containers(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("containers", flag.ContinueOnError)
	all := fs.Bool("all", false, "include removed containers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var cs containerList
	if err := c.get(ctx, "/api/v1/containers", url.Values{"all": {fmt.Sprint(*all)}}, &cs); err != nil {
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
	var evs struct {
		Events []store.Event `json:"events"`
	}
	// Go's syntax (31d is now-744h0m0s): every version of the API reads
	// it, also those from before it accepted days.
	q := url.Values{"from": {"now-" + since.String()}}
	if *kind != "" {
		q.Set("kind", *kind)
	}
	if err := c.get(ctx, "/api/v1/events", q, &evs); err != nil {
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
	return tw.Flush()
}

func (c *cli) crosscheck(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("crosscheck takes no arguments")
	}
	var r map[string]any
	if err := c.get(ctx, "/api/v1/crosscheck", nil, &r); err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(r)
	}
	if r["available"] != true {
		writef(c.out, "cross-check unavailable: %v (sources %v)\n", r["reason"], r["sources"])
		return nil
	}
	res, _ := r["result"].(map[string]any)
	writef(c.out, "kmod %v, ebpf %v, matched %v, fields %v; churn %d, missing %d, drift %d\n",
		res["in_a"], res["in_b"], res["matched"], res["fields_compared"],
		length(res["churn"]), length(res["missing"]), length(res["drift"]))
	return nil
}

func length(v any) int {
	l, _ := v.([]any)
	return len(l)
}

// top prints one table per tick from the stream; -n stops after n.
func (c *cli) top(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("top", flag.ContinueOnError)
	n := fs.Int("n", 0, "ticks to show (0: until interrupted)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "GET", c.addr+"/api/v1/stream", nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	streamClient := &http.Client{} // no timeout: the stream is long-lived
	resp, err := streamClient.Do(req)
	if err != nil {
		return fmt.Errorf("kwardend at %s: %w", c.addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("stream: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	shown := 0
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var t api.StreamTick
		if err := json.Unmarshal([]byte(data), &t); err != nil {
			return fmt.Errorf("stream: %w", err)
		}
		if c.output == "json" {
			fmt.Fprintln(c.out, data)
		} else {
			slices.SortFunc(t.Containers, func(a, b struct {
				ID         string  `json:"id"`
				Name       string  `json:"name"`
				CPUPercent float64 `json:"cpu_percent"`
				RSSBytes   uint64  `json:"rss_bytes"`
				Class      string  `json:"class"`
			}) int {
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
			return nil
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}

func spawnCmd(ctx context.Context, args []string, lookup func(string) (string, bool), c *cli) error {
	fs := flag.NewFlagSet("spawn", flag.ContinueOnError)
	profile := fs.String("profile", "B", "the course's generator version: A, B or C")
	host := fs.String("docker-host", "", "Docker engine (default DOCKER_HOST or the system socket)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, ok := spawn.Profiles[*profile]
	if !ok {
		return fmt.Errorf("profile %q: want A, B or C", *profile)
	}
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if *host != "" {
		opts = append(opts, client.WithHost(*host))
	}
	dc, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return err
	}
	defer dc.Close()
	started, err := spawn.Run(ctx, dc, p)
	if c.output == "json" {
		_ = c.printJSON(started)
	} else {
		for _, s := range started {
			writef(c.out, "started %s (%s) %.12s\n", s.Name, s.Kind, s.ID)
		}
	}
	return err
}
