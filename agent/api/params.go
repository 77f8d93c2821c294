package api

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
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

// parseTime reads RFC 3339, Unix seconds (with a fraction) or milliseconds
// (13+ digits, as Grafana sends), "now", or "now-15m".
func parseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "now-"):
		d, err := time.ParseDuration(s[4:])
		if err != nil || d < 0 {
			return time.Time{}, bad("time %q: want now-<duration>, e.g. now-15m", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1e14 {
		if len(s) >= 13 && !strings.Contains(s, ".") {
			return time.UnixMilli(int64(f)), nil
		}
		return time.Unix(0, int64(f*1e9)), nil
	}
	return time.Time{}, bad("time %q: want RFC 3339, Unix seconds or milliseconds, or now-<duration>", s)
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
		return from, to, 0, bad("range %v is longer than %v", to.Sub(from), maxRange)
	}
	if v := q.Get("step"); v != "" {
		if step, err = time.ParseDuration(v); err != nil {
			if secs, ferr := strconv.ParseFloat(v, 64); ferr == nil {
				step, err = time.Duration(secs*float64(time.Second)), nil
			} else {
				return from, to, 0, bad("step %q: want a duration (30s, 1m) or seconds", v)
			}
		}
		if step <= 0 {
			return from, to, 0, bad("step %q must be positive", v)
		}
		if to.Sub(from)/step > maxPoints {
			return from, to, 0, bad("step %v gives more than %d points over %v", step, maxPoints, to.Sub(from))
		}
	}
	return from, to, step, nil
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
