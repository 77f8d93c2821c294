package kmodfmt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSmallFixtures(t *testing.T) {
	sys, err := ParseSystem(readFixture(t, "system.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sys.CPUs != 2 || len(sys.CPU) != 2 || sys.Memory.TotalBytes != 2<<30 || sys.Load.Avg5 != "0.10" {
		t.Errorf("system parsed wrongly: %+v", sys)
	}
	if sys.CPUTotal.Total() != 14 || sys.CPUTotal.Busy() != 4 {
		t.Errorf("cpu totals: total %d busy %d", sys.CPUTotal.Total(), sys.CPUTotal.Busy())
	}
	ct, err := ParseContainers(readFixture(t, "containers.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ct.Containers) != 1 || ct.Containers[0].Processes != 2 || ct.Containers[0].PIDs[1] != 4243 {
		t.Errorf("containers parsed wrongly: %+v", ct)
	}
	v, err := ParseVersion(readFixture(t, "version.json"))
	if err != nil || v.Module != "0.1.0" {
		t.Errorf("version: %+v %v", v, err)
	}
}

func TestParseSmallRejects(t *testing.T) {
	sys := string(readFixture(t, "system.json"))
	ctr := string(readFixture(t, "containers.json"))
	cases := []struct {
		name  string
		parse func([]byte) error
		in    string
	}{
		{"system trailing", sysParse, sys + "{}"},
		{"system schema", sysParse, strings.Replace(sys, `"schema":1`, `"schema":2`, 1)},
		{"system no total", sysParse, strings.Replace(sys, `"total_bytes":2147483648`, `"total_bytes":0`, 1)},
		{"system kind", sysParse, strings.Replace(sys, `"kind":"system"`, `"kind":"processes"`, 1)},
		{"containers bad id", ctrParse, strings.Replace(ctr, `"id":"0123`, `"id":"X123`, 1)},
		{"containers short id", ctrParse, strings.Replace(ctr, `"id":"0123`, `"id":"123`, 1)},
		{"containers pid count", ctrParse, strings.Replace(ctr, `"processes":2`, `"processes":3`, 1)},
		{"containers truncated doc", ctrParse, ctr[:len(ctr)-10]},
		{"version empty", func(b []byte) error { _, err := ParseVersion(b); return err }, `{"schema":1,"kind":"version"}`},
	}
	for _, c := range cases {
		if err := c.parse([]byte(c.in)); err == nil {
			t.Errorf("%s: accepted malformed input", c.name)
		}
	}
}

func sysParse(b []byte) error { _, err := ParseSystem(b); return err }
func ctrParse(b []byte) error { _, err := ParseContainers(b); return err }

func TestReaderOnFixtureRoot(t *testing.T) {
	root := t.TempDir()
	for src, dst := range map[string]string{"processes.json": "processes", "system.json": "system",
		"containers.json": "containers", "version.json": "version"} {
		if err := os.WriteFile(filepath.Join(root, dst), readFixture(t, src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := &Reader{Root: root}
	ctx := context.Background()
	for i := 0; i < 3; i++ { // pooled buffers are reused across reads
		ps, err := r.Processes(ctx)
		if err != nil || len(ps.Processes) != 3 {
			t.Fatalf("processes: %v", err)
		}
	}
	if _, err := r.System(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Containers(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Version(ctx); err != nil {
		t.Fatal(err)
	}
	missing := &Reader{Root: filepath.Join(root, "nope")}
	if _, err := missing.Processes(ctx); !errors.Is(err, ErrNotLoaded) {
		t.Fatalf("missing root: err = %v, want ErrNotLoaded", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.Processes(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
}
