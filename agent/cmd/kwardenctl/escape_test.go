package main

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"":                                   "",
		"kw-cpu-01":                          "kw-cpu-01",
		"café 日本語 ünïcödé ✓":                 "café 日本語 ünïcödé ✓",
		"a\x1b[31mb\a\r\nc\x00d\tz":          `a\x1b[31mb\x07\x0d\x0ac\x00d\x09z`,
		"\x7f":                               `\x7f`,
		"\u0085\u009b":                       `\u0085\u009b`, // C1: NEL, CSI
		"evil\u202egpj.exe":                  `evil\u202egpj.exe`,
		"\u2066\u2069\u200e\u061c":           `\u2066\u2069\u200e\u061c`,
		"\u2028\u2029":                       `\u2028\u2029`,
		"bad\xffutf8\xc3":                    `bad\xffutf8\xc3`,
		`C:\path`:                            `C:\\path`,
		`\x1b`:                               `\\x1b`,  // a literal escape is not an escape
		"\ufffd":                             "\ufffd", // the replacement character itself is printable
		"emoji 🐳 and a \U0001F1EB\U0001F1F7": "emoji 🐳 and a \U0001F1EB\U0001F1F7",
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every writer passes its arguments through writef: each is formatted
// by its verb, then escaped; a precision cuts before the escaping.
func TestWritef(t *testing.T) {
	var b bytes.Buffer
	writef(&b, "%s|%v|%v|%s|%d|%.1f|%v|%v|%.12s|%.3s|%x\n", "a\tb", errors.New("e\x1b"), map[string]string{"k\n": "v\r"},
		90*time.Second, uint64(7), 1.25, true, any("x\x00"), "0123456789ab\x1bcdef", "日本語日本", "\x1b")
	want := `a\x09b|e\x1b|map[k\x0a:v\x0d]|1m30s|7|1.2|true|x\x00|0123456789ab|日本語|1b` + "\n"
	if b.String() != want {
		t.Errorf("writef wrote %q, want %q", b.String(), want)
	}
	b.Reset()
	writef(&b, "%.3s\n", "ab\x1bcd")
	if want := `ab\x1b` + "\n"; b.String() != want {
		t.Errorf("writef cut inside an escape: %q, want %q", b.String(), want)
	}
}

// The output of escape holds nothing a terminal acts on, is valid UTF-8,
// reads back to the input (so escapes are unambiguous), and printable
// input without a backslash comes out unchanged.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "kw-cpu", "a\x1b[31mb\a\r\nc\x00d\tz", "\u202e\u0085\x7f", "\xff\xc3", `\\x1b`, "日本\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := escape(s)
		if !utf8.ValidString(out) {
			t.Fatalf("escape(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("escape(%q) = %q holds %U", s, out, r)
			}
		}
		if back, err := unescape(out); err != nil || back != s {
			t.Fatalf("escape(%q) = %q reads back as %q (%v)", s, out, back, err)
		}
		printable := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
			return r == '\\' || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
		})
		if printable && out != s {
			t.Fatalf("escape(%q) = %q: printable input changed", s, out)
		}
	})
}

// unescape inverts escape: \\, \xHH (a byte) and \uHHHH (a rune).
func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], `\\`):
			b.WriteByte('\\')
			i++
		case strings.HasPrefix(s[i:], `\x`) && i+4 <= len(s):
			n, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				return "", err
			}
			b.WriteByte(byte(n))
			i += 3
		case strings.HasPrefix(s[i:], `\u`) && i+6 <= len(s):
			n, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
			if err != nil {
				return "", err
			}
			b.WriteRune(rune(n))
			i += 5
		default:
			return "", errors.New("lone backslash at " + strconv.Itoa(i))
		}
	}
	return b.String(), nil
}
