package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrNotFound reports an unknown container.
var ErrNotFound = errors.New("not found")

// ErrTooMany reports a query whose step would give more points than its
// bound.
var ErrTooMany = errors.New("too many points")

// Bounds of one answer. Every query's memory and output are bounded
// whatever its parameters: range queries by points (a point is a few
// hundred bytes of JSON), events by count, bytes and records looked at.
const (
	DefaultMaxPoints  = 11_000 // Grafana's default max data points, with room
	DefaultEventLimit = 1_000
	MaxEventLimit     = 10_000
	DefaultEventBytes = 4 << 20
	DefaultEventScan  = 200_000
)

// RangeQuery is a time range of a series.
type RangeQuery struct {
	From, To time.Time
	// Step averages the points of each step; 0 returns every stored
	// point, unless the range holds more than MaxPoints: then the answer
	// is folded into the smallest step (1s, 2s, 5s, … 1d) that fits the
	// span from the first point to To.
	Step time.Duration
	// MaxPoints bounds the answer; 0 means DefaultMaxPoints.
	MaxPoints int
}

func (q RangeQuery) max() int {
	if q.MaxPoints <= 0 {
		return DefaultMaxPoints
	}
	return q.MaxPoints
}

func (q RangeQuery) check() error {
	if q.To.Before(q.From) {
		return fmt.Errorf("range: from %v is after to %v", q.From, q.To)
	}
	if q.Step > 0 && int64(q.To.Sub(q.From)/q.Step)+2 > int64(q.max()) {
		return fmt.Errorf("step %v over %v: %w (at most %d)", q.Step, q.To.Sub(q.From), ErrTooMany, q.max())
	}
	return nil
}

// mergeScan calls fn for every record of a and b (either may be nil)
// whose 8-byte time key is in [from, to], in time order: a range can
// hold minute points and raw points side by side (a clock that stepped
// back, or a raw retention that was changed).
func mergeScan(a, b *bolt.Bucket, from, to time.Time, fn func(k, v []byte, inA bool) error) error {
	end := key(to)
	var ca, cb *bolt.Cursor
	var ka, va, kb, vb []byte
	if a != nil {
		ca = a.Cursor()
		ka, va = ca.Seek(key(from))
	}
	if b != nil {
		cb = b.Cursor()
		kb, vb = cb.Seek(key(from))
	}
	inRange := func(k []byte) bool { return len(k) >= 8 && bytes.Compare(k[:8], end) <= 0 }
	for {
		okA, okB := inRange(ka), inRange(kb)
		switch {
		case okA && (!okB || bytes.Compare(ka, kb) <= 0):
			if err := fn(ka, va, true); err != nil {
				return err
			}
			ka, va = ca.Next()
		case okB:
			if err := fn(kb, vb, false); err != nil {
				return err
			}
			kb, vb = cb.Next()
		default:
			return nil
		}
	}
}

// SystemRange returns the machine's points in [q.From, q.To] and the step
// they were folded by (0: every point).
func (s *Store) SystemRange(q RangeQuery) ([]SystemPoint, time.Duration, error) {
	if err := q.check(); err != nil {
		return nil, 0, err
	}
	f := &systemFolder{step: q.Step}
	bad := 0
	err := s.view(func(tx *bolt.Tx) error {
		return mergeScan(tx.Bucket(bSystem1m), tx.Bucket(bSystem), q.From, q.To, func(k, v []byte, _ bool) error {
			var p SystemPoint
			if err := json.Unmarshal(v, &p); err != nil {
				bad++
				return nil
			}
			f.add(p)
			if f.step == 0 && len(f.out) > q.max() {
				f = refoldSystem(f, pickStep(later(q.From, f.out[0].Time), q.To, q.max()))
			}
			return nil
		})
	})
	if err != nil {
		return nil, 0, err
	}
	s.reportBad("system point", bad)
	f.flush()
	return f.out, f.step, nil
}

// later is the later of two times. The step a query picks counts from
// its first point, not from a from long before the history began: a
// month's range over four hours of history is folded by 2 s, not 5 min.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func refoldSystem(f *systemFolder, step time.Duration) *systemFolder {
	g := &systemFolder{step: step, out: f.out[:0:0]}
	for _, p := range f.out {
		g.add(p)
	}
	return g
}

func refoldContainer(f *containerFolder, step time.Duration) *containerFolder {
	g := &containerFolder{step: step, out: f.out[:0:0]}
	for _, p := range f.out {
		g.add(p)
	}
	return g
}

// ContainerSeries returns one container's points in [q.From, q.To], as
// SystemRange does.
func (s *Store) ContainerSeries(id string, q RangeQuery) ([]ContainerPoint, time.Duration, error) {
	if err := q.check(); err != nil {
		return nil, 0, err
	}
	f := &containerFolder{step: q.Step}
	found := false
	bad := 0
	add := func(p ContainerPoint) {
		f.add(p)
		if f.step == 0 && len(f.out) > q.max() {
			f = refoldContainer(f, pickStep(later(q.From, f.out[0].Time), q.To, q.max()))
		}
	}
	err := s.view(func(tx *bolt.Tx) error {
		minutes := tx.Bucket(bSeries1m).Bucket([]byte(id))
		var frames *bolt.Bucket
		var idx uint64
		if v := tx.Bucket(bIDs).Get([]byte(id)); len(v) == 8 {
			frames, idx = tx.Bucket(bFrames), binary.BigEndian.Uint64(v)
		}
		if minutes == nil && frames == nil {
			return nil
		}
		found = true
		return mergeScan(minutes, frames, q.From, q.To, func(k, v []byte, minute bool) error {
			at := keyTime(k)
			if minute {
				p, err := decodePoint(v)
				if err != nil {
					bad++
					return nil
				}
				p.Time = at
				add(p)
				return nil
			}
			err := walkFrame(v, func(i uint64) bool { return i == idx }, func(_ uint64, p ContainerPoint) {
				p.Time = at
				add(p)
			})
			if err != nil {
				bad++
			}
			return nil
		})
	})
	if err != nil {
		return nil, 0, err
	}
	if !found {
		return nil, 0, fmt.Errorf("container %q: %w", id, ErrNotFound)
	}
	s.reportBad("container record", bad)
	f.flush()
	return f.out, f.step, nil
}

// reportBad logs records a query skipped because they did not decode:
// the rest of the answer is still good, and the log says the file has
// damage in it.
func (s *Store) reportBad(what string, n int) {
	if n > 0 {
		s.log.Warn("history: skipped records that do not decode", "what", what, "count", n, "path", s.path)
	}
}

// EventQuery selects events.
type EventQuery struct {
	From, To time.Time
	// Kind is a prefix of the kind ("docker.", "crosscheck."); "" is all.
	Kind string
	// Limit bounds the events returned; 0 means DefaultEventLimit, and
	// it is at most MaxEventLimit.
	Limit int
	// After resumes a previous page: its Next.
	After string
	// MaxBytes bounds the JSON of the events returned (as stored, which
	// is how they are served); 0 means DefaultEventBytes.
	MaxBytes int
	// MaxScan bounds the records looked at, matching or not; 0 means
	// DefaultEventScan. A rare kind over a long range is then answered
	// in pages rather than by one long scan.
	MaxScan int
}

// EventPage is one page of events, oldest first.
type EventPage struct {
	Events []Event
	// Next is where the next page starts (pass it as After); "" when the
	// range has no more events.
	Next string
}

// ErrBadCursor reports an After that no page gave.
var ErrBadCursor = errors.New("not a cursor from a previous page")

// Events returns a page of the events in [q.From, q.To]. The scan seeks
// to the first key in range and stops at the first bound it meets, so a
// page costs what it returns, not what the range holds.
func (s *Store) Events(q EventQuery) (EventPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultEventLimit
	}
	limit = min(limit, MaxEventLimit)
	maxBytes, maxScan := q.MaxBytes, q.MaxScan
	if maxBytes <= 0 {
		maxBytes = DefaultEventBytes
	}
	if maxScan <= 0 {
		maxScan = DefaultEventScan
	}
	start := append(key(q.From), make([]byte, 8)...)
	if q.After != "" {
		k, err := hex.DecodeString(q.After)
		if err != nil || len(k) != 16 {
			return EventPage{}, fmt.Errorf("after %q: %w", q.After, ErrBadCursor)
		}
		if bytes.Compare(k, start) > 0 {
			start = k
		}
	}
	end := key(q.To)
	var page EventPage
	bytesOut, scanned, bad := 0, 0, 0
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvents).Cursor()
		for k, v := c.Seek(start); len(k) >= 8 && bytes.Compare(k[:8], end) <= 0; k, v = c.Next() {
			if len(page.Events) >= limit || scanned >= maxScan || (bytesOut > 0 && bytesOut+len(v) > maxBytes) {
				page.Next = hex.EncodeToString(k)
				return nil
			}
			scanned++
			if q.Kind != "" {
				kind, ok := eventKind(v)
				if !ok {
					bad++
					continue
				}
				if !strings.HasPrefix(kind, q.Kind) {
					continue
				}
			}
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				bad++
				continue
			}
			page.Events = append(page.Events, e)
			bytesOut += len(v)
		}
		return nil
	})
	s.reportBad("event", bad)
	return page, err
}

// Top returns the top processes of the last sample at or before at.
func (s *Store) Top(at time.Time) (time.Time, []ProcessPoint, error) {
	var when time.Time
	var out []ProcessPoint
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bTop).Cursor()
		var k, v []byte
		if k, _ = c.Seek(key(at.Add(time.Nanosecond))); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		if k == nil {
			return nil
		}
		when = keyTime(k)
		return json.Unmarshal(v, &out)
	})
	return when, out, err
}
