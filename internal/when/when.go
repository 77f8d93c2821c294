// Package when reads a moment in time the way kwarden's API takes one
// (its from, to and at parameters), so that the server and its clients
// agree on the words: RFC 3339; Unix seconds, with a fraction, or
// milliseconds (13 digits or more, as Grafana sends them); "now"; and
// "now-<duration>", with the days and weeks of internal/duration
// ("now-15m", "now-7d", "now-1w").
package when

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kwarden/kwarden/internal/duration"
)

// Parse reads s against now. Its errors say what it wants.
func Parse(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "now-"):
		d, err := duration.Parse(s[4:])
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("time %q: want now-<duration>, e.g. now-15m or now-7d", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, ok := unix(s); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339, Unix seconds or milliseconds, now, or now-<duration>", s)
}

// unix reads Unix seconds with an optional fraction (to the
// nanosecond, without float rounding), or milliseconds: 13 digits or
// more without a fraction.
func unix(s string) (time.Time, bool) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > 14 || !digits(whole) || (hasFrac && (frac == "" || len(frac) > 9 || !digits(frac))) {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	if len(whole) >= 13 && !hasFrac {
		return time.UnixMilli(n), true
	}
	var nanos int64
	if hasFrac {
		nanos, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	return time.Unix(n, nanos), true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
