package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var log bytes.Buffer
	if err := run(context.Background(), []string{"low", "-duration", "50ms"}, io.Discard, &log); err != nil {
		t.Fatalf("low: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), `"msg":"end"`) {
		t.Errorf("no end record in the log:\n%s", log.String())
	}
	for _, args := range [][]string{nil, {"gpu"}, {"ram", "-bytes", "12x"}, {"cpu", "-workers", "-3"}, {"cpu", "extra"}, {"cpu", "-nope"}, {"-workers", "2"}} {
		if err := run(context.Background(), args, io.Discard, &bytes.Buffer{}); err == nil || errors.Is(err, flag.ErrHelp) {
			t.Errorf("run(%q) = %v, want an error", args, err)
		}
	}
}

// -h, before or after the kind, prints the usage and the flags to stdout
// and exits 0, through the real binary.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"cpu", "-h"}} {
		var out, log bytes.Buffer
		if err := run(context.Background(), args, &out, &log); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("run(%q) = %v, want flag.ErrHelp", args, err)
		}
		if !strings.HasPrefix(out.String(), usage+"\n") || !strings.Contains(out.String(), "-workers") || log.Len() > 0 {
			t.Errorf("run(%q): stdout %q, log %q", args, out.String(), log.String())
		}
	}
	bin := filepath.Join(t.TempDir(), "kwarden-load")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "-h").Output(); err != nil || !strings.HasPrefix(string(out), usage) {
		t.Errorf("kwarden-load -h: %v, stdout %q", err, out)
	}
	if err := exec.Command(bin, "gpu").Run(); err == nil {
		t.Errorf("kwarden-load gpu succeeded")
	}
}
