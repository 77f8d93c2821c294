package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/report"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/internal/duration"
	"github.com/kwarden/kwarden/internal/safefile"
)

// courseConfig is the configuration's "course" section: the course's
// shutdown. At a stop by signal (SIGTERM, SIGINT) kwardend writes the
// final graphs the course asks for into ReportDir and removes the
// workload generator's schedule, its systemd timer, and nothing else:
// an earlier version of the course's manager wiped the user's whole
// crontab.
type courseConfig struct {
	// ReportDir is where the graphs go (ram, cpu, top-ram, top-cpu);
	// required. It is made 0755 if missing, and must be a directory only
	// root or kwardend's user can change.
	ReportDir string `json:"report_dir"`
	// ReportFormat is svg (the default) or png.
	ReportFormat string `json:"report_format"`
	// ReportRange is how far back the graphs reach from the stop; 0
	// (the default) is since kwardend started.
	ReportRange duration.Value `json:"report_range"`
	// ReportTop is how many containers each ranked graph shows; 5.
	ReportTop int `json:"report_top"`
	// GeneratorTimer is the systemd timer removed at the stop (systemctl
	// disable --now); kwarden-spawn.timer, "" for none.
	GeneratorTimer string `json:"generator_timer"`
}

const defaultGeneratorTimer = "kwarden-spawn.timer"

// systemctlTimeout bounds systemctl at the stop: well within systemd's
// 90 s before it kills kwardend, after the API's and the graphs' bounds.
const systemctlTimeout = 15 * time.Second

// UnmarshalJSON decodes over the section's defaults, refuses unknown
// fields like the rest of the configuration, and names the section in
// its errors.
func (c *courseConfig) UnmarshalJSON(b []byte) error {
	type plain courseConfig // without this method
	p := plain{ReportFormat: string(report.SVG), ReportTop: 5, GeneratorTimer: defaultGeneratorTimer}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("course: %w", err)
	}
	*c = courseConfig(p)
	return nil
}

// unitName is what systemd accepts as a unit's name; a leading dash
// would be an option to systemctl.
var unitName = regexp.MustCompile(`^[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]*\.timer$`)

// check refuses what would only fail at the stop, when no one reads the
// error: the section's mistakes stop kwardend at its start instead.
func (c *courseConfig) check() error {
	if c.ReportDir == "" || !filepath.IsAbs(c.ReportDir) {
		return fmt.Errorf("course: report_dir %q: want an absolute path", c.ReportDir)
	}
	if _, err := report.ParseFormat(c.ReportFormat); err != nil {
		return fmt.Errorf("course: report_format: %w", err)
	}
	if c.ReportRange < 0 || time.Duration(c.ReportRange) > 31*24*time.Hour {
		return fmt.Errorf("course: report_range %s out of range 0..31d", duration.String(time.Duration(c.ReportRange)))
	}
	if c.ReportTop < 1 || c.ReportTop > 100 {
		return fmt.Errorf("course: report_top %d out of range 1..100", c.ReportTop)
	}
	if c.GeneratorTimer != "" && (!unitName.MatchString(c.GeneratorTimer) || len(c.GeneratorTimer) > 255) {
		return fmt.Errorf("course: generator_timer %q: want a systemd timer's name (kwarden-spawn.timer), or \"\" for none", c.GeneratorTimer)
	}
	return nil
}

// prepareReportDir makes the report directory if it is missing (0755:
// the graphs are for everyone on the machine) and checks that only
// root or kwardend's user can change it, at start: kwardend writes into
// it as root.
func prepareReportDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("course: report_dir: %w", err)
	}
	if err := safefile.CheckDir(dir, -1); err != nil {
		return fmt.Errorf("course: report_dir: %w", err)
	}
	return nil
}

// courseStop is the course's shutdown: the final graphs of
// [from, to], then the generator's timer removed. Every failure is
// logged and none is returned: the stop goes on whatever happens here.
func courseStop(ctx context.Context, c *courseConfig, s *store.Store, from, to time.Time, timeout time.Duration, log *slog.Logger) {
	if c.ReportRange > 0 {
		from = to.Add(-time.Duration(c.ReportRange))
	}
	writeGraphs(ctx, c, s, from, to, timeout, log)
	if c.GeneratorTimer != "" {
		removeTimer(ctx, c.GeneratorTimer, log)
	}
}

// writeGraphs writes the graphs within timeout. Past it, kwardend stops
// waiting and goes on with the stop; the graphs left unwritten are
// never written (writing checks the deadline first), so none appears
// after kwardend said it gave up.
func writeGraphs(ctx context.Context, c *courseConfig, s *store.Store, from, to time.Time, timeout time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		paths []string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		paths, err := graphs(ctx, c, s, from, to)
		done <- result{paths, err}
	}()
	select {
	case r := <-done:
		switch {
		case errors.Is(r.err, report.ErrNoData):
			log.Warn("course: no final graphs: the history holds nothing of the range", "from", from, "to", to)
		case r.err != nil:
			log.Error("course: the final graphs were not written", "dir", c.ReportDir, "written", r.paths, "err", r.err)
		default:
			log.Info("course: wrote the final graphs", "dir", c.ReportDir, "files", r.paths, "from", from, "to", to)
		}
	case <-ctx.Done():
		log.Error("course: the final graphs were not written within the shutdown timeout", "dir", c.ReportDir,
			"shutdown_timeout", duration.String(timeout))
	}
}

// graphs collects, draws and writes the course's graphs.
func graphs(ctx context.Context, c *courseConfig, s *store.Store, from, to time.Time) ([]string, error) {
	d, err := report.Collect(ctx, storeSource{s}, report.Query{From: from, To: to, Top: c.ReportTop})
	if err != nil {
		return nil, err
	}
	files, err := report.Render(d, report.Options{Format: report.Format(c.ReportFormat)})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Checked again: the directory was fine at start, but kwardend may
	// have run for weeks since.
	if err := safefile.CheckDir(c.ReportDir, -1); err != nil {
		return nil, err
	}
	return report.Write(c.ReportDir, files)
}

// removeTimer removes the generator's schedule: systemctl disable --now
// on its timer, which stops it and removes its links, and touches no
// other unit, timer or crontab. Where systemd is not running (a
// container, a machine without it as PID 1) systemctl is missing or
// fails: that is logged, with systemctl's words, and the stop goes on.
func removeTimer(ctx context.Context, unit string, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, systemctlTimeout)
	defer cancel()
	bin, err := exec.LookPath("systemctl")
	if err != nil {
		log.Warn("course: the generator's timer was not removed: no systemctl here", "unit", unit, "err", err)
		return
	}
	cmd := exec.CommandContext(ctx, bin, "disable", "--now", unit)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second // a grandchild holding the output open does not hold the stop
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 1000 {
			msg = msg[:1000] + "…"
		}
		log.Error("course: the generator's timer was not removed (is systemd running?)", "unit", unit,
			"command", bin+" disable --now "+unit, "err", err, "output", msg)
		return
	}
	log.Info("course: removed the generator's timer", "unit", unit)
}

// storeSource is the history in kwardend's own store, as agent/report
// reads it. The store's queries are bounded by themselves; ctx is
// checked between them.
type storeSource struct{ s *store.Store }

func (h storeSource) System(ctx context.Context, r report.Range) ([]apiv1.SystemPoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pts, _, err := h.s.SystemRange(store.RangeQuery{From: r.From, To: r.To, Step: r.Step})
	return pts, err
}

func (h storeSource) Top(ctx context.Context, r report.Range, by string, n int) ([]apiv1.TopContainer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := h.s.TopContainers(store.TopQuery{From: r.From, To: r.To, By: by, N: n})
	return res.Containers, err
}

func (h storeSource) Series(ctx context.Context, id string, r report.Range) ([]apiv1.ContainerPoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pts, _, err := h.s.ContainerSeries(id, store.RangeQuery{From: r.From, To: r.To, Step: r.Step})
	return pts, err
}
