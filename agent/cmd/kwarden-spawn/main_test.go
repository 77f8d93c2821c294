package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kwarden/kwarden/agent/spawn"
	"github.com/kwarden/kwarden/test/dockertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dockertest.StopShared()
	os.Exit(code)
}

// A profile C round on a real dockerd starts 5 containers, each labelled
// with its kind, the profile and kwarden.spawned, and prints them.
func TestRoundC(t *testing.T) {
	root, _ := filepath.Abs("../../..")
	eng := dockertest.ForTest(t, root)
	ctx := context.Background()
	defer func() {
		ids, _ := eng.Docker(context.Background(), "ps", "-aq", "--filter", "label=kwarden.spawned=true")
		if f := strings.Fields(string(ids)); len(f) > 0 {
			eng.Docker(context.Background(), append([]string{"rm", "-f"}, f...)...)
		}
	}()

	var out bytes.Buffer
	if err := run(ctx, []string{"-profile", "C", "-docker-host", eng.Host, "-o", "json"}, &out); err != nil {
		t.Fatalf("kwarden-spawn -profile C: %v\n%s", err, out.String())
	}
	var started []spawn.Started
	if err := json.Unmarshal(out.Bytes(), &started); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out.String())
	}
	if len(started) != 5 {
		t.Fatalf("profile C started %d containers, want 5:\n%s", len(started), out.String())
	}
	ps, err := eng.Docker(ctx, "ps", "--filter", "label=kwarden.profile=C", "--filter", "label=kwarden.spawned=true",
		"--format", `{{.ID}} {{.Names}} {{.Label "kwarden.kind"}}`)
	if err != nil {
		t.Fatal(err)
	}
	running := map[string]string{} // name → kind label
	for _, line := range strings.Split(strings.TrimSpace(string(ps)), "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			running[f[1]] = f[2]
		}
	}
	for _, s := range started {
		if kind, ok := running[s.Name]; !ok || kind != s.Kind {
			t.Errorf("%s (%s): running with kwarden.kind %q (running: %v)", s.Name, s.Kind, kind, ok)
		}
		if !strings.HasPrefix(s.Name, "kw-"+s.Kind+"-") || len(s.ID) != 64 {
			t.Errorf("started %+v", s)
		}
	}
	if len(running) != 5 {
		t.Errorf("%d labelled profile C containers running, want 5:\n%s", len(running), ps)
	}
}

// Bad arguments are refused before any engine is contacted (the host
// named here does not exist).
func TestRefused(t *testing.T) {
	for _, args := range [][]string{{"-profile", "Z"}, {"-profile", "b"}, {"-o", "xml"}, {"-nope"}, {"extra"}} {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"-docker-host", "unix:///nonexistent/docker.sock"}, args...), &out)
		if err == nil || errors.Is(err, flag.ErrHelp) || strings.Contains(err.Error(), "nonexistent") {
			t.Errorf("kwarden-spawn %q: %v", args, err)
		}
		var stderr bytes.Buffer
		if exitCode(err, &stderr) != 1 || !strings.HasPrefix(stderr.String(), "kwarden-spawn: ") {
			t.Errorf("kwarden-spawn %q: stderr %q", args, stderr.String())
		}
	}
	err := run(context.Background(), []string{"-profile", "Z"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `profile "Z": want A, B or C`) {
		t.Errorf("-profile Z: %v", err)
	}
}

// -h prints the usage to stdout and exits 0, through the real binary;
// -version says devel when make build did not stamp one.
func TestHelp(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "kwarden-spawn")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "-h")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kwarden-spawn -h: %v\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), usage+"\n") || !strings.Contains(stdout.String(), "-profile") || stderr.Len() > 0 {
		t.Errorf("kwarden-spawn -h: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	if out, err := exec.Command(bin, "-version").Output(); err != nil || string(out) != "kwarden-spawn devel\n" {
		t.Errorf("kwarden-spawn -version: %q, %v", out, err)
	}
	cmd = exec.Command(bin, "-profile", "Z")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("kwarden-spawn -profile Z: %v, want exit status 1", err)
	}
}

func TestPrintStarted(t *testing.T) {
	s := []spawn.Started{{ID: strings.Repeat("ab", 32), Name: "kw-cpu-20260101T000000-0a0b0c", Kind: "cpu"}}
	var out bytes.Buffer
	if err := printStarted(&out, "table", s); err != nil {
		t.Fatal(err)
	}
	if want := "started kw-cpu-20260101T000000-0a0b0c (cpu) abababababab\n"; out.String() != want {
		t.Errorf("table: %q, want %q", out.String(), want)
	}
	out.Reset()
	if err := printStarted(&out, "json", nil); err != nil || strings.TrimSpace(out.String()) != "[]" {
		t.Errorf("json of nothing: %q, %v", out.String(), err)
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain: ünïcode, 中文":     "plain: ünïcode, 中文",
		"a\x1b[31mred\r\nline":   `a\x1b[31mred\x0d\x0aline`,
		"bidi \u202e, C1 \u0085": `bidi \u202e, C1 \u0085`,
		"bad \xff byte, \uFFFD":  `bad \xff byte, ` + "\uFFFD",
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}
