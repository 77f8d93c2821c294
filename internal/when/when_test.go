package when

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"now":                         now,
		" now-15m ":                   now.Add(-15 * time.Minute),
		"now-7d":                      now.Add(-7 * 24 * time.Hour),
		"now-1w":                      now.Add(-7 * 24 * time.Hour),
		"2026-12-01T10:00:00Z":        time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		"2026-12-01T10:00:00.5+01:00": time.Date(2026, 12, 1, 9, 0, 0, 5e8, time.UTC),
		"1764583200":                  time.Unix(1764583200, 0),
		"1764583200.25":               time.Unix(1764583200, 25e7),
		"1764583200123":               time.UnixMilli(1764583200123),
	} {
		if got, err := Parse(in, now); err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "now-", "now-soon", "now+1h", "-5", "1e20", "12:00"} {
		if got, err := Parse(in, now); err == nil {
			t.Errorf("%q read as %v", in, got)
		}
	}
}
