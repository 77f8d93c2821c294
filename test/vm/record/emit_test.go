package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestFormatRecord(t *testing.T) {
	line, err := FormatRecord("stats", map[string]int{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(line), "KWTEST-RECORD stats {\"a\":1}\n"; got != want {
		t.Fatalf("FormatRecord = %q, want %q", got, want)
	}
}

func TestFormatRecordCompactsMultiLineJSON(t *testing.T) {
	raw := json.RawMessage("{\n  \"a\": [1,\n 2]\n}")
	line, err := FormatRecord("x", raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(line), "KWTEST-RECORD x {\"a\":[1,2]}\n"; got != want {
		t.Fatalf("FormatRecord = %q, want %q", got, want)
	}
}

func TestFormatRecordErrors(t *testing.T) {
	for _, name := range []string{"", "a b", "a\nb", "tab\there", strings.Repeat("n", 129)} {
		if _, err := FormatRecord(name, 1); err == nil {
			t.Errorf("FormatRecord(%q) succeeded, want error", name)
		}
	}
	if _, err := FormatRecord("ch", make(chan int)); err == nil {
		t.Error("FormatRecord(chan) succeeded, want marshal error")
	}
}

// countingWriter records each Write call separately.
type countingWriter struct {
	mu     sync.Mutex
	writes [][]byte
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

func TestEmitToOneWritePerLine(t *testing.T) {
	var w countingWriter
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := EmitTo(&w, "n", i); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(w.writes) != 50 {
		t.Fatalf("got %d writes, want 50", len(w.writes))
	}
	for _, p := range w.writes {
		s := string(p)
		if !strings.HasPrefix(s, "KWTEST-RECORD n ") || !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
			t.Errorf("malformed write %q", s)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("boom") }

func TestEmitToWriteError(t *testing.T) {
	err := EmitTo(failWriter{}, "n", 1)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("EmitTo error = %v, want wrapped write error", err)
	}
}
