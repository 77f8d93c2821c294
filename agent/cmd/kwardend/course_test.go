package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	dockerclient "github.com/docker/docker/client"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/agent/spawn"
	"github.com/kwarden/kwarden/test/dockertest"
	"github.com/kwarden/kwarden/test/policytest"
	"github.com/kwarden/kwarden/test/svgtest"
)

// The course section: defaults, what it refuses at start (which would
// otherwise fail at the stop, unread), and unknown fields.
func TestCourseConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "k.json")
	writeFile(t, file, `{"course": {"report_dir": "/var/lib/kwarden/report"}}`, 0o644)
	c, err := load([]string{"-config", file}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cc := c.Course; cc == nil || cc.ReportDir != "/var/lib/kwarden/report" || cc.ReportFormat != "svg" || cc.ReportTop != 5 ||
		cc.GeneratorTimer != "kwarden-spawn.timer" || cc.ReportRange != 0 {
		t.Fatalf("course defaults: %+v", c.Course)
	}
	writeFile(t, file, `{"course": {"report_dir": "/r", "report_format": "png", "report_range": "2h", "report_top": 10, "generator_timer": ""}}`, 0o644)
	if c, err := load([]string{"-config", file}, env(nil)); err != nil || c.Course.GeneratorTimer != "" ||
		time.Duration(c.Course.ReportRange) != 2*time.Hour || c.Course.ReportTop != 10 || c.Course.ReportFormat != "png" {
		t.Errorf("course set: %+v %v", c.Course, err)
	}
	if c, _ := load(nil, env(nil)); c.Course != nil {
		t.Errorf("a course mode without a config: %+v", c.Course)
	}
	for _, bad := range []string{
		`{"course": {}}`,
		`{"course": {"report_dir": "report"}}`,
		`{"course": {"report_dir": "/r", "report_format": "gif"}}`,
		`{"course": {"report_dir": "/r", "report_top": 0}}`,
		`{"course": {"report_dir": "/r", "report_range": "40d"}}`,
		`{"course": {"report_dir": "/r", "report_range": "soon"}}`,
		`{"course": {"report_dir": "/r", "generator_timer": "kwarden-spawn.service"}}`,
		`{"course": {"report_dir": "/r", "generator_timer": "--now.timer"}}`,
		`{"course": {"report_dir": "/r", "generator_timer": "a b.timer"}}`,
		`{"course": {"report_dir": "/r", "reportdir": "/s"}}`,
	} {
		writeFile(t, file, bad, 0o644)
		if _, err := load([]string{"-config", file}, env(nil)); err == nil || !strings.Contains(err.Error(), "course") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// fakeSystemctl puts a systemctl first on PATH that records each call's
// arguments, a line each, and exits with code; it returns the record.
func fakeSystemctl(t *testing.T, code int) string {
	t.Helper()
	dir := t.TempDir()
	record := filepath.Join(dir, "calls")
	script := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + record + "'\n"
	if code != 0 {
		script += "echo 'System has not been booted with systemd as init system (PID 1).' >&2\nexit " + strconv.Itoa(code) + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "systemctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return record
}

// logLines are the JSON lines of run's log whose msg starts with prefix.
func logLines(log, prefix string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(log, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && strings.HasPrefix(m["msg"].(string), prefix) {
			out = append(out, m)
		}
	}
	return out
}

// Where systemd does not run, systemctl fails (or is missing): the stop
// logs why, with systemctl's words, and ends well; the graphs are
// written all the same, the ranked ones saying that no container ran.
func TestCourseStopWithoutSystemd(t *testing.T) {
	for _, missing := range []bool{false, true} {
		var record string
		if missing {
			t.Setenv("PATH", t.TempDir())
		} else {
			record = fakeSystemctl(t, 1)
		}
		dir := filepath.Join(t.TempDir(), "report")
		cfg := filepath.Join(t.TempDir(), "k.json")
		writeFile(t, cfg, `{"course": {"report_dir": "`+dir+`", "report_format": "png"}}`, 0o644)
		r := startRun(t, nil, "-config", cfg)
		waitHealth(t, "http://"+r.addr, "two ticks", func(h apiv1.Health) bool { return h.Tick >= 2 })
		if err := r.stop(t); err != nil {
			t.Fatalf("missing %v: the stop failed: %v\n%s", missing, err, r.log)
		}
		log := r.log.String()
		want := "course: the generator's timer was not removed"
		if lines := logLines(log, want); len(lines) != 1 {
			t.Errorf("missing %v: %d lines %q in\n%s", missing, len(lines), want, log)
		} else if out, _ := lines[0]["output"].(string); !missing && !strings.Contains(out, "not been booted with systemd") {
			t.Errorf("systemctl's words not logged: %v", lines[0])
		}
		if !missing {
			if b, _ := os.ReadFile(record); string(b) != "disable --now kwarden-spawn.timer\n" {
				t.Errorf("systemctl called with %q", b)
			}
		}
		if len(logLines(log, "course: wrote the final graphs")) != 1 {
			t.Errorf("missing %v: graphs not written:\n%s", missing, log)
		}
		for _, g := range []string{"ram.png", "cpu.png", "top-ram.png", "top-cpu.png"} {
			if fi, err := os.Stat(filepath.Join(dir, g)); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("%s: %v", g, err)
			}
		}
	}
}

// A report directory another user could change is refused at start,
// not met at the stop.
func TestCourseReportDirRefused(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "k.json")
	writeFile(t, cfg, `{"course": {"report_dir": "`+open+`"}}`, 0o644)
	err := run(context.Background(), append(quietArgs(t.TempDir()), "-config", cfg), env(nil), slog.New(slog.DiscardHandler), nil)
	if err == nil || !strings.Contains(err.Error(), "report_dir") || !strings.Contains(err.Error(), "writable by other users") {
		t.Errorf("a world-writable report_dir: %v", err)
	}
}

// The course's shutdown through the real binary: kwardend in course
// mode on a private dockerd, the course's generator starting a profile
// C round, the quota policy removing all but one of them; then SIGTERM.
// The four graphs are in the report directory, well-formed, and both
// ranked ones name every container of the round, the removed ones
// marked so; systemctl (a recording one: systemd is not PID 1 on the
// machines the tests run on) was called once, to disable the
// generator's timer, and for nothing else.
func TestCourseShutdown(t *testing.T) {
	root, _ := filepath.Abs("../../..")
	eng := dockertest.ForTest(t, root)
	t.Cleanup(func() {
		ids, _ := eng.Docker(context.Background(), "ps", "-aq", "--filter", "label=kwarden.spawned=true")
		if f := strings.Fields(string(ids)); len(f) > 0 {
			eng.Docker(context.Background(), append([]string{"rm", "-f"}, f...)...)
		}
	})
	bin := buildKwardend(t)
	policies := policytest.Dir(t, root, "quota")
	record := fakeSystemctl(t, 0)
	dir := t.TempDir()
	reportDir := filepath.Join(dir, "report") // kwardend makes it
	cfg := filepath.Join(dir, "kwardend.json")
	writeFile(t, cfg, `{"course": {"report_dir": "`+reportDir+`", "report_top": 10},
		"policy": {"dir": "`+policies+`", "stop_timeout": "1s"}}`, 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-config", cfg, "-listen", "127.0.0.1:0", "-interval", "500ms",
		"-sources", "ebpf", "-db", filepath.Join(dir, "history.db"), "-docker-host", eng.Host)
	p := startBinary(t, cmd)
	addr, _ := p.waitFor(t, "kwardend running")["listen"].(string)
	api, err := client.New(client.Options{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}

	dc, err := dockerclient.NewClientWithOpts(dockerclient.WithHost(eng.Host), dockerclient.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	started, err := spawn.Run(ctx, dc, spawn.Profiles["C"])
	if err != nil {
		t.Fatal(err)
	}
	// Every container measured (classed: two ticks of figures) before the
	// policy is chosen, so that each has points to be ranked by.
	spawned := func(all bool) []apiv1.ContainerFigures {
		cs, err := api.Containers(ctx, client.ContainersQuery{All: all})
		if err != nil {
			t.Fatal(err)
		}
		var out []apiv1.ContainerFigures
		for _, c := range cs.Containers {
			if c.Labels["kwarden.spawned"] == "true" {
				out = append(out, c)
			}
		}
		return out
	}
	waitUntil(t, "the round measured", func() bool {
		n := 0
		for _, c := range spawned(false) {
			if c.Class != "" {
				n++
			}
		}
		return n == len(started)
	})
	if _, err := api.UsePolicy(ctx, "quota", json.RawMessage(`{"high": 1, "low": 0, "class_source": "kind"}`)); err != nil {
		t.Fatal(err)
	}
	// All but at most one go: the one high the quota keeps, if any.
	var removed, kept []string
	waitUntil(t, "the quota applied", func() bool {
		removed, kept = nil, nil
		for _, c := range spawned(true) {
			if c.Removed.IsZero() {
				kept = append(kept, c.Name)
			} else {
				removed = append(removed, c.Name)
			}
		}
		return len(removed) >= len(started)-1 && len(removed)+len(kept) == len(started)
	})
	t.Logf("removed %v, kept %v", removed, kept)

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wrote := p.waitFor(t, "course: wrote the final graphs")
	p.waitFor(t, "course: removed the generator's timer")
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		t.Fatal("kwardend still running a minute after SIGTERM")
	}
	if !p.cmd.ProcessState.Success() {
		t.Errorf("kwardend ended with %v", p.cmd.ProcessState)
	}
	t.Logf("graphs: %v", wrote["files"])
	if fi, err := os.Stat(reportDir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("report directory: %v %v", fi.Mode(), err)
	}
	for _, g := range []string{"ram.svg", "cpu.svg", "top-ram.svg", "top-cpu.svg"} {
		path := filepath.Join(reportDir, g)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := svgtest.Text(t, path, b)
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v", g, fi.Mode())
		}
		if !strings.HasPrefix(g, "top-") {
			continue
		}
		for _, name := range removed {
			if !strings.Contains(text, name+" (removed)") {
				t.Errorf("%s does not name the removed %s:\n%s", g, name, text)
			}
		}
		for _, name := range kept {
			if !strings.Contains(text, name+"\n") {
				t.Errorf("%s does not name %s, still running:\n%s", g, name, text)
			}
		}
	}
	if b, _ := os.ReadFile(record); string(b) != "disable --now kwarden-spawn.timer\n" {
		t.Errorf("systemctl was called with %q, want once with disable --now kwarden-spawn.timer", b)
	}
}

// waitUntil polls cond every 200 ms for up to 60 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 60 s", what)
		}
	}
}
