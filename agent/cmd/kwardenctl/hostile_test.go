package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// hostile is what a container's label or a server's message can hold:
// an ANSI colour, BEL, CR, LF, NUL, TAB, DEL, a C1 CSI, a right-to-left
// override and a backslash. hostileShown is how tables show it.
const (
	hostile      = "a\x1b[31mb\a\r\nc\x00d\tz\x7f\u009b\u202e\\"
	hostileShown = `a\x1b[31mb\x07\x0d\x0ac\x00d\x09z\x7f\u009b\u202e\\`
)

// checkShown fails unless out has exactly lines lines, holds no control
// character but their newlines (and no bidi control, no invalid UTF-8),
// and shows the hostile string escaped n times.
func checkShown(t *testing.T, what, out string, lines, n int) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: invalid UTF-8:\n%q", what, out)
	}
	for _, r := range out {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
			t.Errorf("%s: holds %U:\n%q", what, r, out)
			break
		}
	}
	if got := strings.Count(out, "\n"); got != lines {
		t.Errorf("%s: %d lines, want %d:\n%s", what, got, lines, out)
	}
	if got := strings.Count(out, hostileShown); got != n {
		t.Errorf("%s: shows the hostile string %d times, want %d:\n%s", what, got, n, out)
	}
}

// hostileAPI answers every route kwardenctl reads with the hostile string
// in every string field; crosscheck says available when available is set.
func hostileAPI(t *testing.T, available *bool) *httptest.Server {
	now := time.Now()
	figures := func(class string, running bool) apiv1.ContainerFigures {
		return apiv1.ContainerFigures{Container: apiv1.Container{ID: hostile, Name: hostile, Image: hostile, Kind: hostile,
			State: hostile, Running: running, Created: now.Add(-time.Minute)}, Class: class}
	}
	removed := figures("low", false)
	removed.Removed = now
	sources := []apiv1.SourceStatus{{Name: hostile, State: hostile, Error: hostile}}
	routes := map[string]any{
		"/api/v1/health": apiv1.Health{Status: hostile, Tick: 3, Time: now, Sources: sources, Docker: true},
		"/api/v1/system": apiv1.SystemAnswer{Points: []apiv1.SystemPoint{{Time: now, MemTotalBytes: 8 << 30, MemUsedBytes: 1 << 30}}},
		"/api/v1/containers": apiv1.ContainersAnswer{Time: now, Containers: []apiv1.ContainerFigures{
			figures("high", true), figures("low", true), figures("", true), figures(hostile, true), removed}},
		"/api/v1/events": apiv1.EventsAnswer{Events: []apiv1.Event{{Time: now, Kind: hostile, ContainerID: hostile, Message: hostile}}},
		"/api/v1/policy": apiv1.PolicyAnswer{Enabled: true, Active: &apiv1.PolicyStatus{Name: hostile, Version: hostile, Healthy: true, Started: now},
			Recent: []apiv1.PolicyDecision{{Time: now, Policy: hostile, Action: hostile, Name: hostile, Class: hostile,
				Outcome: hostile, Why: hostile, Reason: hostile}}},
	}
	mux := http.NewServeMux()
	for path, v := range routes {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(v) })
	}
	mux.HandleFunc("/api/v1/crosscheck", func(w http.ResponseWriter, r *http.Request) {
		if *available {
			json.NewEncoder(w).Encode(apiv1.CrossCheckAnswer{Available: true, Result: &apiv1.CrossCheck{A: hostile, B: hostile},
				ProcView: &apiv1.ProcView{Listed: 9, Checked: 9, MountInfoError: hostile, Hidden: []apiv1.Hidden{
					{PID: 7, Comm: hostile, SeenBy: []string{hostile}, Reason: hostile, Since: now}}}})
			return
		}
		json.NewEncoder(w).Encode(apiv1.CrossCheckAnswer{Reason: hostile, Sources: sources})
	})
	mux.HandleFunc("/api/v1/stream", func(w http.ResponseWriter, r *http.Request) {
		tick, _ := json.Marshal(map[string]any{"tick": 1, "time": now, "containers": []map[string]any{
			{"id": hostile, "name": hostile, "class": hostile, "cpu_percent": 1.5}}})
		fmt.Fprintf(w, "event: tick\ndata: %s\n\n", tick)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// A server (or what it relays: labels, messages) cannot put control
// characters on the terminal or add cells and rows to a table, in any
// command's table output; -o json keeps the strings as they are.
func TestHostileStrings(t *testing.T) {
	available := false
	srv := hostileAPI(t, &available)
	env := func(k string) (string, bool) {
		return map[string]string{"KWARDEN_ADDR": srv.URL}[k], k == "KWARDEN_ADDR"
	}
	ctl := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), args, env, &out, io.Discard); err != nil {
			t.Fatalf("kwardenctl %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}

	// A header and five rows; each has name, image, kind and state, and
	// one of them the class.
	checkShown(t, "containers", ctl("containers"), 1+5, 5*4+1)
	// The kwardend line (its status); the sources' header and row (name,
	// state, why); the memory line; HIGH and LOW each a blank line, a
	// title, a header and a row of name and kind, UNCLASSIFIED two rows
	// (no class, and a class that is neither); DELETED a blank line, a
	// title and a row.
	checkShown(t, "status", ctl("status"), 1+2+1+4+4+5+3, 1+3+4*2+2)
	// The id is cut to 12 characters (partly escaped, not counted).
	checkShown(t, "events", ctl("events"), 1+1, 2)
	// The reason, the sources' header and row, and /proc's line (off).
	checkShown(t, "crosscheck unavailable", ctl("crosscheck"), 1+2+1, 1+3)
	available = true
	// The comparison's line; /proc's line, the mount table's error, the
	// hidden table's header and its row (comm, seen by, evidence).
	checkShown(t, "crosscheck", ctl("crosscheck"), 1+1+1+2, 2+1+3)
	checkShown(t, "top", ctl("top", "-n", "1"), 3, 2)
	// The policy's line (name, version), its checksum line, a blank line
	// and a title, the decisions' header and row (policy, action, name,
	// class, outcome and why, reason).
	checkShown(t, "policy show", ctl("policy", "show"), 1+1+2+2, 2+7)

	var cs apiv1.ContainersAnswer
	out := ctl("-o", "json", "containers")
	if err := json.Unmarshal([]byte(out), &cs); err != nil {
		t.Fatalf("containers -o json: %v\n%s", err, out)
	}
	if len(cs.Containers) != 5 || cs.Containers[0].Kind != hostile || cs.Containers[0].Name != hostile {
		t.Errorf("containers -o json changed the strings:\n%s", out)
	}
}

// The error field of the server's answer reaches stderr escaped.
func TestHostileError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": hostile})
	}))
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	code := runMain(context.Background(), []string{"-addr", srv.URL, "containers"}, func(string) (string, bool) { return "", false }, &stdout, &stderr)
	if code != 1 || stdout.Len() != 0 {
		t.Errorf("exit code %d, stdout %q", code, stdout.String())
	}
	checkShown(t, "error", stderr.String(), 1, 1)
	if !strings.HasPrefix(stderr.String(), "kwardenctl: /api/v1/containers: 400 Bad Request: ") {
		t.Errorf("stderr: %q", stderr.String())
	}
}
