package main

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Everything kwardenctl prints for people comes from elsewhere: container
// names, labels (a label baked into an image becomes the kind column),
// the server's messages and errors. Printed raw, an ESC or a C1 control
// drives the operator's terminal (colours, cursor moves, titles, on some
// terminals worse), CR and bidi controls hide or reorder what is shown,
// and a tab or a newline adds a cell or a row to a table. So every table
// and message goes through writef, which shows such characters as
// escapes instead. -o json is left as it is: it is read by programs,
// and JSON escapes the C0 controls and invalid UTF-8 itself.

// escape returns s with what a terminal would act on, rather than show,
// replaced by a visible escape: C0 controls (TAB, CR, LF and NUL
// included) and DEL as \x1b, C1 controls, bidi controls and the line and
// paragraph separators as \u202e, each invalid UTF-8 byte as \xff. A
// backslash becomes \\, so that an escape in the output always stands
// for an escaped character. Printable text, accents and CJK included, is
// returned as it is.
func escape(s string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\\' || needsEscape(r, size) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s // the common case: nothing to escape, no copy
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case needsEscape(r, size) && r < utf8.RuneSelf:
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r, size):
			fmt.Fprintf(&b, `\u%04x`, r) // all of them are in the BMP
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape says whether the rune r, size bytes long in the input, is
// one escape replaces.
func needsEscape(r rune, size int) bool {
	return r == utf8.RuneError && size == 1 || // an invalid byte
		unicode.IsControl(r) || // C0, DEL, C1
		unicode.Is(unicode.Bidi_Control, r) ||
		r == '\u2028' || r == '\u2029' // line and paragraph separators
}

// writef is fmt.Fprintf for output meant for people: each argument is
// formatted by its verb, as Fprintf would, and the result escaped, so
// that the format alone decides the cells and rows of a table (and %.12s
// cuts before escaping, never inside an escape). args is rewritten in
// place, which keeps writef a plain wrapper to go vet, so that it checks
// every format: give it arguments, not a slice to use again.
func writef(w io.Writer, format string, args ...any) {
	for i := range args {
		args[i] = escaped{args[i]}
	}
	fmt.Fprintf(w, format, args...)
}

// escaped formats v with the verb, flags, width and precision it is
// given, then escapes the result.
type escaped struct{ v any }

func (e escaped) Format(f fmt.State, verb rune) {
	io.WriteString(f, escape(fmt.Sprintf(fmt.FormatString(f, verb), e.v)))
}
