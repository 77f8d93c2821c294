package store

import (
	"bytes"
	"encoding/binary"
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
		if b := tx.Bucket(bSeries1m).Bucket([]byte(id)); b != nil {
			found = true
			if err := scan(b, from, to, func(k, v []byte) error {
				p, err := decodePoint(v)
				if err != nil {
					return fmt.Errorf("container %s minute point %v: %w", id, keyTime(k), err)
				}
				p.Time = keyTime(k)
				pts = append(pts, p)
				return nil
			}); err != nil {
				return err
			}
		}
		v := tx.Bucket(bIDs).Get([]byte(id))
		if len(v) != 8 {
			return nil
		}
		found = true
		idx := binary.BigEndian.Uint64(v)
		return scan(tx.Bucket(bFrames), from, to, func(k, v []byte) error {
			err := walkFrame(v, func(i uint64) bool { return i == idx }, func(_ uint64, p ContainerPoint) {
				p.Time = keyTime(k)
				pts = append(pts, p)
			})
			if err != nil {
				return fmt.Errorf("frame %v: %w", keyTime(k), err)
			}
			return nil
		})
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

// foldSystem averages points per step, each weighted by the samples it
// stands for (a minute point by its 60, a raw one by 1); counters keep
// the last value.
func foldSystem(pts []SystemPoint, step time.Duration) []SystemPoint {
	if step <= 0 || len(pts) == 0 {
		return pts
	}
	var out []SystemPoint
	var acc SystemPoint
	var total, used, free, avail, cpu, procs, ctrs float64
	flush := func() {
		if acc.Samples == 0 {
			return
		}
		w := float64(acc.Samples)
		acc.MemTotalBytes, acc.MemUsedBytes = uint64(total/w), uint64(used/w)
		acc.MemFreeBytes, acc.MemAvailBytes = uint64(free/w), uint64(avail/w)
		acc.CPUPercent = cpu / w
		acc.Processes, acc.Containers = int(procs/w+0.5), int(ctrs/w+0.5)
		out = append(out, acc)
	}
	for _, p := range pts {
		start := stepStart(p.Time, step)
		if acc.Samples > 0 && !start.Equal(acc.Time) {
			flush()
			acc.Samples = 0
		}
		if acc.Samples == 0 {
			acc = SystemPoint{Time: start}
			total, used, free, avail, cpu, procs, ctrs = 0, 0, 0, 0, 0, 0, 0
		}
		n := max(p.Samples, 1)
		w := float64(n)
		total += w * float64(p.MemTotalBytes)
		used += w * float64(p.MemUsedBytes)
		free += w * float64(p.MemFreeBytes)
		avail += w * float64(p.MemAvailBytes)
		cpu += w * p.CPUPercent
		procs += w * float64(p.Processes)
		ctrs += w * float64(p.Containers)
		acc.Discrepancies += p.Discrepancies
		acc.Samples += n
	}
	flush()
	return out
}

// foldContainer averages gauges per step, weighted as foldSystem does;
// cumulative counters and the class keep the last value.
func foldContainer(pts []ContainerPoint, step time.Duration) []ContainerPoint {
	if step <= 0 || len(pts) == 0 {
		return pts
	}
	var out []ContainerPoint
	var acc ContainerPoint
	var cpu, ram, rss, usage, ws, procs float64
	flush := func() {
		if acc.Samples == 0 {
			return
		}
		w := float64(acc.Samples)
		acc.CPUPercent, acc.RAMPercent = cpu/w, ram/w
		acc.RSSBytes, acc.MemUsageBytes, acc.WorkingSetBytes = uint64(rss/w), uint64(usage/w), uint64(ws/w)
		acc.Processes = int(procs/w + 0.5)
		out = append(out, acc)
	}
	for _, p := range pts {
		start := stepStart(p.Time, step)
		if acc.Samples > 0 && !start.Equal(acc.Time) {
			flush()
			acc.Samples = 0
		}
		if acc.Samples == 0 {
			acc = ContainerPoint{Time: start}
			cpu, ram, rss, usage, ws, procs = 0, 0, 0, 0, 0, 0
		}
		n := max(p.Samples, 1)
		w := float64(n)
		cpu += w * p.CPUPercent
		ram += w * p.RAMPercent
		rss += w * float64(p.RSSBytes)
		usage += w * float64(p.MemUsageBytes)
		ws += w * float64(p.WorkingSetBytes)
		procs += w * float64(p.Processes)
		acc.CPUNs, acc.ReadBytes, acc.WriteBytes, acc.Class = p.CPUNs, p.ReadBytes, p.WriteBytes, p.Class
		acc.Samples += n
	}
	flush()
	return out
}
