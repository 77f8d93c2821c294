package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var log bytes.Buffer
	if err := run(context.Background(), []string{"low", "-duration", "50ms"}, &log); err != nil {
		t.Fatalf("low: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), `"msg":"end"`) {
		t.Errorf("no end record in the log:\n%s", log.String())
	}
	for _, args := range [][]string{nil, {"gpu"}, {"ram", "-bytes", "12x"}, {"cpu", "-workers", "-3"}, {"cpu", "extra"}, {"cpu", "-nope"}} {
		if err := run(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
