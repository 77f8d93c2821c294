package duration

import (
	"errors"
	"flag"
	"io"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0":        0,
		"15m":      15 * time.Minute,
		"1h30m":    90 * time.Minute,
		"1.5h":     90 * time.Minute,
		"250ms":    250 * time.Millisecond,
		"31d":      31 * Day,
		"1w":       Week,
		"1w2d3h":   Week + 2*Day + 3*time.Hour,
		"1.5d":     36 * time.Hour,
		"-2d":      -2 * Day,
		"+1d":      Day,
		"2d12h30m": 2*Day + 12*time.Hour + 30*time.Minute,
		"10us":     10 * time.Microsecond,
		"10µs":     10 * time.Microsecond,
		"7d0s":     7 * Day,
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "d", "1", "10", "1x", "1 d", "1d ", " 1d", "1.2.3d", "--1d", "-", ".d", "1dd", "1D", "1y", "now"} {
		if d, err := Parse(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, %v; want a syntax error", in, d, err)
		}
	}
	for _, in := range []string{"106752d", "3000000h", "16000w", "106751d23h47m16s854775808ns"} {
		if d, err := Parse(in); !errors.Is(err, ErrRange) {
			t.Errorf("Parse(%q) = %v, %v; want a range error", in, d, err)
		}
	}
}

func TestString(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                "0s",
		31 * Day:                         "31d",
		Day + 12*time.Hour:               "1d12h",
		90 * time.Minute:                 "1h30m",
		2 * time.Hour:                    "2h",
		1500 * time.Millisecond:          "1.5s",
		-Day:                             "-1d",
		Day + 30*time.Second:             "1d30s",
		Week + time.Hour + 5*time.Minute: "7d1h5m",
	} {
		if got := String(d); got != want {
			t.Errorf("String(%v) = %q, want %q", time.Duration(d), got, want)
		}
		if back, err := Parse(String(d)); err != nil || back != d {
			t.Errorf("Parse(String(%v)) = %v, %v", time.Duration(d), back, err)
		}
	}
}

func TestFlagAndText(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	d := Flag(fs, "since", time.Hour, "")
	if err := fs.Parse([]string{"-since", "2d"}); err != nil || *d != 2*Day {
		t.Fatalf("flag: %v %v", *d, err)
	}
	if err := fs.Parse([]string{"-since", "2 days"}); err == nil {
		t.Error("flag accepted 2 days")
	}
	var v Value
	if err := v.UnmarshalText([]byte("1w")); err != nil || time.Duration(v) != Week {
		t.Errorf("text: %v %v", v, err)
	}
	if b, _ := v.MarshalText(); string(b) != "7d" {
		t.Errorf("marshal: %s", b)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1w2d3h", "1.5d", "-0", "9223372036854775807ns", "1e9d", "0.000000001d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		// What parses must print and parse back to itself.
		if back, err := Parse(String(d)); err != nil || back != d {
			t.Fatalf("Parse(%q) = %v; Parse(String) = %v, %v", s, d, back, err)
		}
	})
}
