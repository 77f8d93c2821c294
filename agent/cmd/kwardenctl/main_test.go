package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/kwarden/kwarden/agent/api"
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/daemon"
	"github.com/kwarden/kwarden/agent/source"
	"github.com/kwarden/kwarden/test/dockertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dockertest.StopShared()
	os.Exit(code)
}

// Every command against a running daemon (real dockerd, eBPF view),
// with the token from a token file, in both output formats.
func TestCommands(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root, _ := filepath.Abs("../../..")
	eng := dockertest.ForTest(t, root)
	// kwardenctl spawn runs kwarden-spawn, found on PATH here.
	bin := t.TempDir()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../kwarden-spawn").CombinedOutput(); err != nil {
		t.Fatalf("build kwarden-spawn: %v\n%s", err, out)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	d, err := daemon.New(ctx, daemon.Config{Interval: 200 * time.Millisecond, Sources: source.EBPFOnly,
		DockerHost: eng.Host, DBPath: filepath.Join(t.TempDir(), "h.db")}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	srv := httptest.NewServer(api.New(d, api.Options{Token: "t0k"}))
	defer srv.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("t0k\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"KWARDEN_ADDR": srv.URL, "KWARDEN_TOKEN_FILE": tokenFile, "DOCKER_HOST": eng.Host}[k]
		return v, ok
	}
	ctl := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, args, env, &out, io.Discard); err != nil {
			t.Fatalf("kwardenctl %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}

	out := ctl("spawn", "-profile", "C", "-docker-host", eng.Host)
	if n := strings.Count(out, "started kw-"); n != 5 {
		t.Fatalf("spawn C started %d containers:\n%s", n, out)
	}
	defer func() {
		ids, _ := eng.Docker(context.Background(), "ps", "-aq", "--filter", "label=kwarden.spawned=true")
		if f := strings.Fields(string(ids)); len(f) > 0 {
			eng.Docker(context.Background(), append([]string{"rm", "-f"}, f...)...)
		}
	}()
	startHostile(t, eng.Host)
	deadline := time.Now().Add(30 * time.Second)
	for {
		out = ctl("-o", "json", "containers")
		var cs apiv1.ContainersAnswer
		if err := json.Unmarshal([]byte(out), &cs); err != nil {
			t.Fatal(err)
		}
		classified, hostileSeen := 0, false
		for _, f := range cs.Containers {
			if f.Labels["kwarden.profile"] == "C" && f.Class != "" {
				classified++
			}
			// The label reaches the API unchanged: -o json is not escaped.
			hostileSeen = hostileSeen || f.Name == "kw-hostile" && f.Running && f.Kind == hostile
		}
		if classified == 5 && hostileSeen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 5 spawned containers measured; kw-hostile running with its label: %v\n%s", classified, hostileSeen, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	out = ctl("status")
	t.Logf("status:\n%s", out)
	checkRows(t, "status", out, func(i int, line string) bool {
		return i == 0 && strings.HasPrefix(line, "kwardend") || strings.HasPrefix(line, "memory: ") || line == "" ||
			strings.HasPrefix(line, "SOURCE ") || sourceRow.MatchString(line) ||
			statusTitle.MatchString(line) || strings.HasPrefix(line, "NAME ") || strings.HasPrefix(line, "kw-")
	})
	checkRows(t, "containers", ctl("containers"), func(i int, line string) bool {
		return i == 0 && strings.HasPrefix(line, "ID ") || containerRow.MatchString(line)
	})
	for _, want := range []string{"kwardend", ": ok, tick", "memory: total", "ebpf  ", "HIGH (", "LOW (", "DELETED ("} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q", want)
		}
	}
	// Delete one: status shows it under DELETED, containers -all lists it.
	var cs apiv1.ContainersAnswer
	if err := json.Unmarshal([]byte(ctl("-o", "json", "containers")), &cs); err != nil {
		t.Fatal(err)
	}
	var first string
	for _, f := range cs.Containers {
		if f.Labels["kwarden.profile"] == "C" {
			first = f.Name
		}
	}
	eng.Docker(ctx, "rm", "-f", first)
	deadline = time.Now().Add(30 * time.Second)
	deletedPart := func() string {
		_, after, _ := strings.Cut(ctl("status"), "DELETED (")
		return after
	}
	for !strings.Contains(deletedPart(), first) {
		if time.Now().After(deadline) {
			t.Fatalf("%s not under DELETED:\n%s", first, ctl("status"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(ctl("containers", "-all"), first) || strings.Contains(ctl("containers"), first+" ") {
		t.Errorf("containers -all should list the removed %s, containers should not", first)
	}
	// The course's graphs name the removed container, marked so, in
	// both rankings (ten places: every container of the test).
	reportDir := t.TempDir()
	out = ctl("report", "-o", reportDir, "-from", "now-10m", "-n", "10")
	if paths := strings.Fields(out); len(paths) != 4 {
		t.Errorf("report printed %q, want four paths", out)
	}
	for _, g := range []string{"top-ram.svg", "top-cpu.svg"} {
		if text := svgText(t, filepath.Join(reportDir, g)); !strings.Contains(text, first+" (removed)") {
			t.Errorf("%s does not name the removed %s:\n%s", g, first, text)
		}
	}
	if out = ctl("events", "-since", "31d"); !strings.HasPrefix(out, "TIME") {
		t.Errorf("events:\n%s", out)
	}
	if out = ctl("crosscheck"); !strings.Contains(out, "unavailable") {
		t.Errorf("crosscheck with one view:\n%s", out)
	}
	out = ctl("top", "-n", "2")
	if strings.Count(out, "tick ") != 2 || !strings.Contains(out, "kw-") {
		t.Errorf("top -n 2:\n%s", out)
	}
	if out = ctl("-o", "json", "status"); !json.Valid([]byte(out)) {
		t.Errorf("status -o json is not JSON:\n%s", out)
	}

	var buf bytes.Buffer
	for _, args := range [][]string{{"nope"}, {"-o", "xml", "status"}, {"spawn", "-profile", "Z"}, {"-token", "wrong", "status"}, {}} {
		if err := run(ctx, args, env, &buf, &buf); err == nil {
			t.Errorf("kwardenctl %q succeeded", args)
		}
	}
}

var (
	statusTitle  = regexp.MustCompile(`^(HIGH|LOW|UNCLASSIFIED|DELETED) \(\d+\)$`)
	containerRow = regexp.MustCompile(`^[0-9a-f]{12}  kw-`)
	sourceRow    = regexp.MustCompile(`^[a-z]+ +(ok|unavailable|failing) `)
)

// startHostile starts kw-hostile, whose kwarden.kind label (shown in the
// kind column) is the hostile string. Through the Engine API, since an
// argument of the docker CLI cannot hold a NUL.
func startHostile(t *testing.T, host string) {
	t.Helper()
	ctx := context.Background()
	dc, err := client.NewClientWithOpts(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	created, err := dc.ContainerCreate(ctx, &container.Config{Image: "kwarden/load:low",
		Labels: map[string]string{"kwarden.kind": hostile, "kwarden.spawned": "true"}},
		&container.HostConfig{NetworkMode: "none"}, nil, nil, "kw-hostile")
	if err != nil {
		t.Fatalf("create a container with a hostile label: %v", err)
	}
	if err := dc.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
}

// checkRows fails if a table holds a control character other than the
// newlines between its rows, if one of its lines is not a row (row says
// which are, by their index and text: an escape that failed would split a
// row in two), or if kw-hostile's row lacks its escaped kind.
func checkRows(t *testing.T, what, out string, row func(i int, line string) bool) {
	t.Helper()
	for _, r := range out {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
			t.Errorf("%s holds %U:\n%q", what, r, out)
			break
		}
	}
	shown := false
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !row(i, line) {
			t.Errorf("%s: line %d is not a row: %q", what, i, line)
		}
		// The kind column is never the last one.
		shown = shown || strings.Contains(line, "kw-hostile  ") && strings.Contains(line, "  "+hostileShown+"  ")
	}
	if !shown {
		t.Errorf("%s: no kw-hostile row showing its kind as %s:\n%s", what, hostileShown, out)
	}
}
