package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"unicode"
)

// RecordMarker starts every record line on the console. The host side
// (package vm) parses lines containing it.
const RecordMarker = "KWTEST-RECORD"

// emitMu serialises Emit calls within one process so that two goroutines
// never interleave their lines.
var emitMu sync.Mutex

// Emit writes one record line for v, marshalled as JSON, to os.Stdout.
//
// The line is written with a single Write call, so it is not torn by other
// writers in the same process and needs no flush. Emit is safe for
// concurrent use. It returns an error if name is not a valid record name
// (see ValidName), if v cannot be marshalled, or if the write fails.
func Emit(name string, v any) error {
	return EmitTo(os.Stdout, name, v)
}

// EmitTo is Emit writing to w instead of os.Stdout. Calls are serialised
// with those of Emit.
func EmitTo(w io.Writer, name string, v any) error {
	line, err := FormatRecord(name, v)
	if err != nil {
		return err
	}
	emitMu.Lock()
	defer emitMu.Unlock()
	if _, err := w.Write(line); err != nil {
		return fmt.Errorf("emit record %q: %w", name, err)
	}
	return nil
}

// FormatRecord returns the complete console line, including the trailing
// newline, that Emit writes for name and v.
func FormatRecord(name string, v any) ([]byte, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal record %q: %w", name, err)
	}
	// json.Marshal never emits raw newlines, but a json.Marshaler or
	// json.RawMessage can; compact to keep the record on one line.
	if bytes.ContainsAny(data, "\r\n") {
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			return nil, fmt.Errorf("compact record %q: %w", name, err)
		}
		data = buf.Bytes()
	}
	line := make([]byte, 0, len(RecordMarker)+len(name)+len(data)+3)
	line = append(line, RecordMarker...)
	line = append(line, ' ')
	line = append(line, name...)
	line = append(line, ' ')
	line = append(line, data...)
	line = append(line, '\n')
	return line, nil
}

// ValidName reports whether name can be used as a record name: non-empty,
// at most 128 bytes, and free of white space and control characters.
func ValidName(name string) error {
	if name == "" {
		return errors.New("validate record name: empty")
	}
	if len(name) > 128 {
		return fmt.Errorf("validate record name %.20q...: longer than 128 bytes", name)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("validate record name %q: contains space or control character", name)
		}
	}
	return nil
}
