package vm

import (
	"fmt"
	"strings"
	"testing"
)

func TestLogWriter(t *testing.T) {
	var got []string
	w := LogWriter(func(format string, args ...any) { got = append(got, fmt.Sprintf(format, args...)) })
	for _, s := range []string{"one\ntw", "o\r\n", "%d not a verb\n", "partial"} {
		if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if want := "one|two|%d not a verb"; strings.Join(got, "|") != want {
		t.Errorf("logged %q, want %q", got, want)
	}
}
