package report

import (
	"strings"
	"testing"
	"time"
)

// Time ticks fall on round times of the local clock, 5 to 10 of them,
// whatever the range's own ends; number ticks on round numbers.
func TestTicks(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	for _, c := range []struct {
		from time.Time
		span time.Duration
		loc  *time.Location
		want string
	}{
		{time.Date(2026, 11, 29, 12, 3, 17, 0, time.UTC), time.Hour, time.UTC, "12:10 12:20 12:30 12:40 12:50 13:00"},
		{time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), time.Hour, paris, "13:00 13:10 13:20 13:30 13:40 13:50 14:00"},
		{time.Date(2026, 11, 29, 12, 0, 7, 0, time.UTC), time.Minute, time.UTC, "12:00:10 12:00:20 12:00:30 12:00:40 12:00:50 12:01:00"},
		{time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), 3 * 24 * time.Hour, time.UTC, "Nov 29 12:00 Nov 30 00:00 Nov 30 12:00 Dec 1 00:00 Dec 1 12:00 Dec 2 00:00 Dec 2 12:00"},
		{time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), 31 * 24 * time.Hour, time.UTC, "Nov 30 Dec 7 Dec 14 Dec 21 Dec 28"},
	} {
		var got []string
		for _, tk := range (timeTicks{loc: c.loc}).Ticks(unix(c.from), unix(c.from.Add(c.span))) {
			got = append(got, tk.Label)
		}
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("%v from %v (%v): %s, want %s", c.span, c.from, c.loc, s, c.want)
		}
	}
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 2765, "0 500 1000 1500 2000 2500"},
		{0, 135, "0 20 40 60 80 100 120"},
		{0, 1.35, "0.0 0.2 0.4 0.6 0.8 1.0 1.2"},
		{0, 0.013, "0.000 0.002 0.004 0.006 0.008 0.010 0.012"},
		{5, 5, "5"},
	} {
		var got []string
		for _, tk := range (numberTicks{}).Ticks(c.lo, c.hi) {
			got = append(got, tk.Label)
		}
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("%v–%v: %s, want %s", c.lo, c.hi, s, c.want)
		}
	}
}
