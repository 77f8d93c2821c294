package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/api"
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/test/historytest"
	"github.com/kwarden/kwarden/test/svgtest"
)

// svgText reads the SVG file at path and returns its text.
func svgText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return svgtest.Text(t, path, b)
}

// historyBackend is the real API over a history: ten minutes of three
// synthetic containers (CPU 0, 1 and 2 %) and one, kw-gone, that ran
// the first two minutes at 50 % CPU and 300 MiB and was removed.
type historyBackend struct{ s *store.Store }

func (b historyBackend) State() apiv1.State  { return apiv1.State{} }
func (b historyBackend) Store() *store.Store { return b.s }

func reportAgent(t *testing.T) (*httptest.Server, time.Time) {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "h.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	from := time.Now().Add(-20 * time.Minute).Truncate(time.Second)
	if err := historytest.Write(s, historytest.Spec{From: from, Ticks: 600, Containers: 3}); err != nil {
		t.Fatal(err)
	}
	gone := containers.Container{ID: strings.Repeat("9", 64), Name: "kw-gone", Kind: "ram", Created: from}
	for i := range 120 {
		at := from.Add(time.Duration(i)*time.Second + 500*time.Millisecond)
		tk := store.Tick{System: store.SystemPoint{Time: at, MemTotalBytes: 16 << 30},
			Containers: map[string]store.ContainerPoint{gone.ID: {CPUPercent: 50, RSSBytes: 300 << 20}}}
		if i == 0 {
			tk.Info = []containers.Container{gone}
		}
		if i == 119 {
			g := gone
			g.State, g.Removed = "removed", at
			tk.Info = []containers.Container{g}
		}
		if err := s.WriteTick(tk); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(api.New(historyBackend{s}, api.Options{}))
	t.Cleanup(srv.Close)
	return srv, from
}

// kwardenctl report against the real API: four graphs written where -o
// says, their paths printed; the removed container leads both rankings
// and is marked; -format png writes images; bad flags are refused
// before anything is asked.
func TestReport(t *testing.T) {
	srv, from := reportAgent(t)
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"KWARDEN_ADDR": srv.URL}[k]
		return v, ok
	}
	ctl := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, env, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	dir := t.TempDir()
	out, err := ctl("report", "-o", dir, "-from", from.Format(time.RFC3339), "-to", "now", "-n", "3")
	if err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	var want []string
	for _, n := range []string{"ram", "cpu", "top-ram", "top-cpu"} {
		want = append(want, filepath.Join(dir, n+".svg"))
	}
	if got := strings.Fields(out); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("printed %q, want the four paths %q", got, want)
	}
	for _, p := range want[2:] {
		text := svgText(t, p)
		if !strings.Contains(text, "kw-gone (removed)") || !strings.Contains(text, "Top 3 containers") {
			t.Errorf("%s does not rank the removed kw-gone among its 3:\n%s", p, text)
		}
	}
	if text := svgText(t, want[2]); strings.Index(text, "kw-gone") > strings.Index(text, "kw-synthetic-2") {
		t.Errorf("top-ram lists kw-gone (300 MiB) after kw-synthetic-2 (2 MiB):\n%s", text)
	}
	if text := svgText(t, want[0]); !strings.Contains(text, "Machine RAM") {
		t.Errorf("ram.svg:\n%s", text)
	}

	// A directory not there yet is made.
	dir = filepath.Join(dir, "png", "graphs")
	out, err = ctl("-o", "json", "report", "-o", dir, "-format", "png", "-from", "now-30m")
	if err != nil {
		t.Fatalf("report -format png: %v\n%s", err, out)
	}
	var ans struct{ Files []string }
	if err := json.Unmarshal([]byte(out), &ans); err != nil || len(ans.Files) != 4 {
		t.Fatalf("-o json: %q %v", out, err)
	}
	for _, p := range ans.Files {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = png.Decode(f)
		f.Close()
		if err != nil || !strings.HasSuffix(p, ".png") {
			t.Errorf("%s: %v", p, err)
		}
	}

	for _, args := range [][]string{
		{"report", "-format", "gif"},
		{"report", "-n", "0"},
		{"report", "-from", "yesterday"},
		{"report", "-to", "now-"},
		{"report", "-o", filepath.Join(dir, "ram.png")}, // a file, not a directory
		{"report", "extra"},
		{"report", "-from", "now", "-to", "now-1h"},
		{"report", "-from", "now-10d", "-to", "now-9d", "-o", dir}, // no history there
	} {
		if out, err := ctl(args...); err == nil {
			t.Errorf("kwardenctl %q succeeded:\n%s", args, out)
		}
	}
}
