package api

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/kwarden/kwarden/internal/duration"
	"github.com/kwarden/kwarden/internal/when"
)

// badRequest is a client error, answered with 400 and its message.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func bad(format string, args ...any) error { return &badRequest{fmt.Sprintf(format, args...)} }

// maxRange bounds a query's time range, and maxPoints its points.
const (
	maxRange  = 31 * 24 * time.Hour
	maxPoints = 11_000 // Grafana's default max data points, with room
)

// parseTime reads a time in the API's words (internal/when).
func parseTime(s string, now time.Time) (time.Time, error) {
	t, err := when.Parse(s, now)
	if err != nil {
		return t, bad("%v", err)
	}
	return t, nil
}

// timeRange reads from, to and step; the default is the last 15 minutes,
// every point.
func timeRange(q url.Values, now time.Time) (from, to time.Time, step time.Duration, err error) {
	from, to = now.Add(-15*time.Minute), now
	if v := q.Get("from"); v != "" {
		if from, err = parseTime(v, now); err != nil {
			return
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = parseTime(v, now); err != nil {
			return
		}
	}
	if !from.Before(to) {
		return from, to, 0, bad("from %s is not before to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	if to.Sub(from) > maxRange {
		return from, to, 0, bad("range %s is longer than %s", duration.String(to.Sub(from)), duration.String(maxRange))
	}
	if v := q.Get("step"); v != "" {
		if step, err = parseStep(v); err != nil {
			return from, to, 0, err
		}
		if to.Sub(from)/step > maxPoints {
			return from, to, 0, bad("step %s gives more than %d points over %s", duration.String(step), maxPoints, duration.String(to.Sub(from)))
		}
	}
	return from, to, step, nil
}

// parseStep reads a step: a duration ("30s", "1d") or seconds ("15",
// "0.5", as Grafana sends). It is positive and at most maxRange, since no
// range is longer: the store dates a point at the start of its step
// counted from the epoch, so a step of 2562047h answered one point dated
// 1970-01-01.
func parseStep(v string) (time.Duration, error) {
	tooLong := bad("step %q is longer than the maximum range %s", v, duration.String(maxRange))
	step, err := duration.Parse(v)
	if errors.Is(err, duration.ErrRange) {
		return 0, tooLong
	}
	if err != nil {
		secs, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || math.IsNaN(secs) || math.IsInf(secs, 0) {
			return 0, bad("step %q: want a duration (30s, 1m, 1d) or seconds", v)
		}
		// Judged before the conversion, which overflows beyond ~292 years.
		if secs > maxRange.Seconds() {
			return 0, tooLong
		}
		step = time.Duration(secs * float64(time.Second))
	}
	if step <= 0 {
		return 0, bad("step %q must be positive", v)
	}
	if step > maxRange {
		return 0, tooLong
	}
	return step, nil
}

// intParam reads an optional integer in [lo, hi].
func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, bad("%s %q: want an integer in [%d, %d]", name, v, lo, hi)
	}
	return n, nil
}

// boolParam reads an optional boolean.
func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, bad("%s %q: want true or false", name, v)
	}
	return b, nil
}
