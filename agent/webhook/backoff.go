package webhook

import (
	"math/rand/v2"
	"time"
)

// backoff is the wait between failed POSTs of one batch: it doubles
// from first to limit, and each wait is drawn between half of it and
// all of it. The floor keeps a sink that is down from being asked more often
// than the doubling says; the spread keeps the daemons of many machines
// that lost the same sink at once from coming back to it in step.
type backoff struct {
	first, limit time.Duration
	failures     int
	draw         func(n int64) int64 // a number in [0, n); rand.Int64N
}

func newBackoff(first, limit time.Duration) *backoff {
	return &backoff{first: first, limit: limit, draw: rand.Int64N}
}

// next is the wait after one more failure. A sink's Retry-After
// longer than it is taken instead, up to limit: a sink that asks for
// an hour is still asked again within limit, which bounds how long a
// mistaken or hostile answer can hold the events back.
func (b *backoff) next(retryAfter time.Duration) time.Duration {
	d := b.limit
	if b.failures < 62 && b.first<<b.failures > 0 && b.first<<b.failures < b.limit {
		d = b.first << b.failures
	}
	b.failures++
	if half := d / 2; half > 0 {
		d = half + time.Duration(b.draw(int64(d-half)+1))
	}
	if retryAfter > d {
		d = min(retryAfter, b.limit)
	}
	return d
}
