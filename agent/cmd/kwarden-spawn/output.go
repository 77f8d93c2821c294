package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kwarden/kwarden/agent/spawn"
)

// printStarted writes the containers a round started: one line each
// ("started NAME (KIND) ID", the ID cut to 12 characters as docker ps
// shows it), or for json an indented array of spawn.Started, as
// kwardenctl spawn printed them.
func printStarted(w io.Writer, format string, started []spawn.Started) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if started == nil {
			started = []spawn.Started{} // [] rather than null: the round started nothing
		}
		return enc.Encode(started)
	}
	for _, s := range started {
		if _, err := fmt.Fprintf(w, "started %s (%s) %.12s\n", s.Name, s.Kind, s.ID); err != nil {
			return err
		}
	}
	return nil
}

// escape shows what a terminal would act on rather than print (control
// characters, newlines included, bidi controls, line separators, invalid
// UTF-8) as Go escapes. Names and kinds are kwarden's own; an error can
// quote the engine.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < utf8.RuneSelf && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
