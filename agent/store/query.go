package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrNotFound reports an unknown container.
var ErrNotFound = errors.New("not found")

// scan calls fn with every value of b whose time key is in [from, to].
func scan(b *bolt.Bucket, from, to time.Time, fn func(k, v []byte) error) error {
	if b == nil {
		return nil
	}
	c := b.Cursor()
	end := key(to)
	for k, v := c.Seek(key(from)); k != nil && bytes.Compare(k[:8], end) <= 0; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// SystemRange returns the machine's points in [from, to], one per step
// (averaged; step 0 returns every stored point), downsampled ones first.
func (s *Store) SystemRange(from, to time.Time, step time.Duration) ([]SystemPoint, error) {
	var pts []SystemPoint
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bSystem1m, bSystem} {
			if err := scan(tx.Bucket(name), from, to, func(k, v []byte) error {
				var p SystemPoint
				if err := json.Unmarshal(v, &p); err != nil {
					return fmt.Errorf("system point %v: %w", keyTime(k), err)
				}
				pts = append(pts, p)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return foldSystem(pts, step), nil
}

// ContainerSeries returns one container's points in [from, to], as
// SystemRange does.
func (s *Store) ContainerSeries(id string, from, to time.Time, step time.Duration) ([]ContainerPoint, error) {
	var pts []ContainerPoint
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bSeries1m, bSeries} {
			b := tx.Bucket(name).Bucket([]byte(id))
			if b == nil {
				continue
			}
			found = true
			if err := scan(b, from, to, func(k, v []byte) error {
				var p ContainerPoint
				if err := json.Unmarshal(v, &p); err != nil {
					return fmt.Errorf("container %s point %v: %w", id, keyTime(k), err)
				}
				pts = append(pts, p)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("container %q: %w", id, ErrNotFound)
	}
	return foldContainer(pts, step), nil
}

// Events returns events in [from, to] whose kind starts with prefix
// ("" for all), oldest first, at most limit (0: no limit).
func (s *Store) Events(from, to time.Time, prefix string, limit int) ([]Event, error) {
	var out []Event
	err := s.db.View(func(tx *bolt.Tx) error {
		return scan(tx.Bucket(bEvents), from, to, func(k, v []byte) error {
			if limit > 0 && len(out) >= limit {
				return nil
			}
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("event %v: %w", keyTime(k), err)
			}
			if strings.HasPrefix(e.Kind, prefix) {
				out = append(out, e)
			}
			return nil
		})
	})
	return out, err
}

// Top returns the top processes of the last sample at or before at.
func (s *Store) Top(at time.Time) (time.Time, []ProcessPoint, error) {
	var when time.Time
	var out []ProcessPoint
	err := s.db.View(func(tx *bolt.Tx) error {
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

// stepStart is the start of the step t falls in.
func stepStart(t time.Time, step time.Duration) time.Time {
	return time.Unix(0, t.UnixNano()-t.UnixNano()%int64(step))
}

// foldSystem averages points per step; counters keep the last value.
func foldSystem(pts []SystemPoint, step time.Duration) []SystemPoint {
	if step <= 0 || len(pts) == 0 {
		return pts
	}
	var out []SystemPoint
	var acc SystemPoint
	n := 0
	flush := func() {
		if n == 0 {
			return
		}
		f := float64(n)
		acc.MemTotalBytes = uint64(float64(acc.MemTotalBytes) / f)
		acc.MemUsedBytes = uint64(float64(acc.MemUsedBytes) / f)
		acc.MemFreeBytes = uint64(float64(acc.MemFreeBytes) / f)
		acc.MemAvailBytes = uint64(float64(acc.MemAvailBytes) / f)
		acc.CPUPercent /= f
		acc.Processes = int(float64(acc.Processes)/f + 0.5)
		acc.Containers = int(float64(acc.Containers)/f + 0.5)
		out = append(out, acc)
	}
	for _, p := range pts {
		start := stepStart(p.Time, step)
		if n > 0 && !start.Equal(acc.Time) {
			flush()
			n = 0
		}
		if n == 0 {
			acc = SystemPoint{Time: start}
		}
		w := max(p.Samples, 1)
		acc.MemTotalBytes += p.MemTotalBytes
		acc.MemUsedBytes += p.MemUsedBytes
		acc.MemFreeBytes += p.MemFreeBytes
		acc.MemAvailBytes += p.MemAvailBytes
		acc.CPUPercent += p.CPUPercent
		acc.Processes += p.Processes
		acc.Containers += p.Containers
		acc.Discrepancies += p.Discrepancies
		acc.Samples += w
		n++
	}
	flush()
	return out
}

// foldContainer averages gauges per step; cumulative counters and the
// class keep the last value.
func foldContainer(pts []ContainerPoint, step time.Duration) []ContainerPoint {
	if step <= 0 || len(pts) == 0 {
		return pts
	}
	var out []ContainerPoint
	var acc ContainerPoint
	n := 0
	flush := func() {
		if n == 0 {
			return
		}
		f := float64(n)
		acc.CPUPercent /= f
		acc.RAMPercent /= f
		acc.RSSBytes = uint64(float64(acc.RSSBytes) / f)
		acc.MemUsageBytes = uint64(float64(acc.MemUsageBytes) / f)
		acc.WorkingSetBytes = uint64(float64(acc.WorkingSetBytes) / f)
		acc.Processes = int(float64(acc.Processes)/f + 0.5)
		out = append(out, acc)
	}
	for _, p := range pts {
		start := stepStart(p.Time, step)
		if n > 0 && !start.Equal(acc.Time) {
			flush()
			n = 0
		}
		if n == 0 {
			acc = ContainerPoint{Time: start}
		}
		acc.CPUPercent += p.CPUPercent
		acc.RAMPercent += p.RAMPercent
		acc.RSSBytes += p.RSSBytes
		acc.MemUsageBytes += p.MemUsageBytes
		acc.WorkingSetBytes += p.WorkingSetBytes
		acc.Processes += p.Processes
		acc.CPUNs, acc.ReadBytes, acc.WriteBytes, acc.Class = p.CPUNs, p.ReadBytes, p.WriteBytes, p.Class
		acc.Samples += max(p.Samples, 1)
		n++
	}
	flush()
	return out
}
