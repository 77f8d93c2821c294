package webhook

import (
	"testing"
	"time"
)

// Waits double from the first to the limit, each between half of its
// step and all of it, and a longer Retry-After wins up to the limit.
func TestBackoff(t *testing.T) {
	for _, draw := range []struct {
		name string
		f    func(int64) int64
		low  bool
	}{{"lowest", func(int64) int64 { return 0 }, true}, {"highest", func(n int64) int64 { return n - 1 }, false}} {
		b := newBackoff(time.Second, 10*time.Second)
		b.draw = draw.f
		for i, step := range []time.Duration{1, 2, 4, 8, 10, 10, 10} {
			step *= time.Second
			want := step
			if draw.low {
				want = step / 2
			}
			if got := b.next(0); got != want {
				t.Errorf("%s draw, failure %d: %v, want %v", draw.name, i+1, got, want)
			}
		}
	}
	b := newBackoff(time.Second, time.Minute)
	b.draw = func(int64) int64 { return 0 }
	if got := b.next(30 * time.Second); got != 30*time.Second {
		t.Errorf("Retry-After 30s: %v", got)
	}
	if got := b.next(time.Hour); got != time.Minute {
		t.Errorf("Retry-After 1h: %v, want the limit", got)
	}
	if got := b.next(time.Millisecond); got != 2*time.Second {
		t.Errorf("a short Retry-After: %v, want the backoff's own 2s", got)
	}
	// Far past any doubling, the wait stays at the limit.
	b.failures = 200
	if got := b.next(0); got != 30*time.Second {
		t.Errorf("after 200 failures: %v", got)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		" 120 ":                         2 * time.Minute,
		"0":                             0,
		"-5":                            0,
		"soon":                          0,
		"99999999999":                   24 * time.Hour,
		"Tue, 01 Dec 2026 10:00:30 GMT": 30 * time.Second,
		"Tue, 01 Dec 2026 09:00:00 GMT": 0,
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("Retry-After %q: %v, want %v", v, got, want)
		}
	}
}
