package duration

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Day and Week are the units Go's time package does not have.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// Parse reads a duration: an optional sign, then one or more
// number-unit pairs, the number possibly with a fraction, the unit one
// of ns, us (or µs), ms, s, m, h, d, w. "0" alone needs no unit. The
// error names the input and says what is expected.
func Parse(s string) (time.Duration, error) {
	orig := s
	if s == "0" || s == "+0" || s == "-0" {
		return 0, nil
	}
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, syntaxError(orig)
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && (s[i] == '.' || ('0' <= s[i] && s[i] <= '9')) {
			i++
		}
		num := s[:i]
		if num == "" || num == "." {
			return 0, syntaxError(orig)
		}
		s = s[i:]
		j := 0
		for j < len(s) && s[j] != '.' && (s[j] < '0' || s[j] > '9') {
			j++
		}
		unit := s[:j]
		s = s[j:]
		size, ok := units[unit]
		if !ok {
			return 0, syntaxError(orig)
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, syntaxError(orig)
		}
		if f*float64(size) >= math.MaxInt64 {
			return 0, rangeError(orig)
		}
		var part time.Duration
		if size >= Day {
			part = time.Duration(f * float64(size))
		} else if part, err = time.ParseDuration(num + unit); err != nil {
			// Go's own parse is exact for its units (no float rounding).
			return 0, rangeError(orig)
		}
		if total > math.MaxInt64-part {
			return 0, rangeError(orig)
		}
		total += part
	}
	if neg {
		total = -total
	}
	return total, nil
}

var units = map[string]time.Duration{
	"ns": time.Nanosecond, "us": time.Microsecond, "µs": time.Microsecond, "μs": time.Microsecond,
	"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": Day, "w": Week,
}

// ErrSyntax is wrapped by every error Parse returns for input it cannot
// read; ErrRange for a duration beyond about 292 years.
var (
	ErrSyntax = errors.New("want a duration such as 90s, 15m, 1h30m, 31d or 1w")
	ErrRange  = errors.New("duration out of range")
)

func syntaxError(s string) error { return fmt.Errorf("duration %q: %w", s, ErrSyntax) }
func rangeError(s string) error  { return fmt.Errorf("duration %q: %w", s, ErrRange) }

// String formats d for people: whole days as "31d" or "1d12h", the rest
// as Go does ("1h30m0s" becomes "1h30m").
func String(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	sign := ""
	if d < 0 {
		if d == math.MinInt64 {
			return d.String()
		}
		sign, d = "-", -d
	}
	var b strings.Builder
	b.WriteString(sign)
	if days := d / Day; days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		d -= days * Day
		if d == 0 {
			return b.String()
		}
	}
	s := d.String()
	// 1h30m0s → 1h30m, 2h0m0s → 2h
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	b.WriteString(s)
	return b.String()
}

// Value is a flag.Value (and encoding.TextUnmarshaler, for JSON
// configuration) that parses with Parse.
type Value time.Duration

var _ flag.Value = (*Value)(nil)

// Set parses s.
func (v *Value) Set(s string) error {
	d, err := Parse(s)
	if err != nil {
		return err
	}
	*v = Value(d)
	return nil
}

func (v *Value) String() string { return String(time.Duration(*v)) }

// UnmarshalText parses a duration given as text (a JSON string).
func (v *Value) UnmarshalText(b []byte) error { return v.Set(string(b)) }

// MarshalText writes the duration as String does.
func (v Value) MarshalText() ([]byte, error) { return []byte(String(time.Duration(v))), nil }

// Flag defines a duration flag on fs that accepts days and weeks.
func Flag(fs *flag.FlagSet, name string, def time.Duration, usage string) *time.Duration {
	p := new(time.Duration)
	*p = def
	fs.Var((*Value)(p), name, usage)
	return p
}
