package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kwarden/kwarden/agent/containers"
)

// PruneStats says what one Prune did.
type PruneStats struct {
	Folded  int `json:"folded"`  // raw points folded into minute points
	Deleted int `json:"deleted"` // points, events and containers past retention
}

// Prune folds raw points older than RawRetention into one point per
// minute and deletes what is older than Retention, including removed
// containers. It runs in one transaction; the daemon calls it now and
// then, not every tick.
func (s *Store) Prune(now time.Time) (PruneStats, error) {
	var st PruneStats
	if s.opts.ReadOnly {
		return st, errReadOnly
	}
	rawEdge := now.Add(-s.opts.RawRetention)
	edge := now.Add(-s.opts.Retention)
	err := s.db.Update(func(tx *bolt.Tx) error {
		n, err := foldBucket[SystemPoint](tx.Bucket(bSystem), tx.Bucket(bSystem1m), rawEdge, foldSystem)
		if err != nil {
			return err
		}
		st.Folded += n
		n, err = foldFrames(tx, rawEdge)
		if err != nil {
			return err
		}
		st.Folded += n
		series1m := tx.Bucket(bSeries1m)
		for _, b := range []*bolt.Bucket{tx.Bucket(bSystem1m), tx.Bucket(bTop), tx.Bucket(bEvents)} {
			st.Deleted += deleteBefore(b, edge)
		}
		if err := series1m.ForEachBucket(func(k []byte) error {
			st.Deleted += deleteBefore(series1m.Bucket(k), edge)
			return nil
		}); err != nil {
			return err
		}
		// Containers removed before the edge go, with their series.
		info := tx.Bucket(bInfo)
		var gone [][]byte
		if err := info.ForEach(func(k, v []byte) error {
			var c containers.Container
			if json.Unmarshal(v, &c) == nil && !c.Removed.IsZero() && c.Removed.Before(edge) {
				gone = append(gone, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		// Its index goes too: its last frame is older than the raw
		// edge, which is before this one.
		for _, id := range gone {
			_ = info.Delete(id)
			_ = tx.Bucket(bIDs).Delete(id)
			_ = series1m.DeleteBucket(id)
			st.Deleted++
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("prune history: %w", err)
	}
	return st, nil
}

// foldBucket moves points of src older than edge into dst as minute
// points, merging with a minute point dst already has.
func foldBucket[P any](src, dst *bolt.Bucket, edge time.Time, fold func([]P, time.Duration) []P) (int, error) {
	if src == nil {
		return 0, nil
	}
	var pts []P
	var keys [][]byte
	c := src.Cursor()
	end := key(edge)
	for k, v := c.First(); k != nil && string(k) < string(end); k, v = c.Next() {
		var p P
		if err := json.Unmarshal(v, &p); err != nil {
			return 0, fmt.Errorf("fold point %v: %w", keyTime(k), err)
		}
		pts = append(pts, p)
		keys = append(keys, append([]byte(nil), k...))
	}
	if len(pts) == 0 {
		return 0, nil
	}
	for _, m := range fold(pts, time.Minute) {
		t := pointTime(m)
		if old := dst.Get(key(t)); old != nil {
			var prev P
			if json.Unmarshal(old, &prev) == nil {
				m = fold([]P{prev, m}, time.Minute)[0]
			}
		}
		if err := putJSON(dst, key(t), m); err != nil {
			return 0, err
		}
	}
	for _, k := range keys {
		if err := src.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// foldFrames turns frames older than edge into minute points per
// container, merged with the minute points already there, and deletes
// them. It returns how many container points it folded.
func foldFrames(tx *bolt.Tx, edge time.Time) (int, error) {
	byIndex := map[uint64][]ContainerPoint{}
	var keys [][]byte
	c := tx.Bucket(bFrames).Cursor()
	end := key(edge)
	all := func(uint64) bool { return true }
	for k, v := c.First(); k != nil && string(k) < string(end); k, v = c.Next() {
		at := keyTime(k)
		if err := walkFrame(v, all, func(i uint64, p ContainerPoint) {
			p.Time = at
			byIndex[i] = append(byIndex[i], p)
		}); err != nil {
			return 0, fmt.Errorf("fold frame %v: %w", at, err)
		}
		keys = append(keys, append([]byte(nil), k...))
	}
	if len(keys) == 0 {
		return 0, nil
	}
	ids := map[uint64][]byte{}
	if err := tx.Bucket(bIDs).ForEach(func(k, v []byte) error {
		if len(v) == 8 {
			ids[binary.BigEndian.Uint64(v)] = append([]byte(nil), k...)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	series1m := tx.Bucket(bSeries1m)
	folded := 0
	for i, pts := range byIndex {
		id, ok := ids[i]
		if !ok {
			return 0, fmt.Errorf("fold frames: %w: container index %d has no id", errCorrupt, i)
		}
		dst, err := series1m.CreateBucketIfNotExists(id)
		if err != nil {
			return 0, err
		}
		for _, m := range foldContainer(pts, time.Minute) {
			if old := dst.Get(key(m.Time)); old != nil {
				if prev, err := decodePoint(old); err == nil {
					prev.Time = m.Time
					m = foldContainer([]ContainerPoint{prev, m}, time.Minute)[0]
				}
			}
			b, err := appendPoint(nil, m)
			if err != nil {
				return 0, err
			}
			if err := dst.Put(key(m.Time), b); err != nil {
				return 0, err
			}
		}
		folded += len(pts)
	}
	for _, k := range keys {
		if err := tx.Bucket(bFrames).Delete(k); err != nil {
			return 0, err
		}
	}
	return folded, nil
}

func pointTime(p any) time.Time {
	switch p := p.(type) {
	case SystemPoint:
		return p.Time
	case ContainerPoint:
		return p.Time
	}
	return time.Time{}
}

// deleteBefore deletes keys of b older than edge.
func deleteBefore(b *bolt.Bucket, edge time.Time) int {
	if b == nil {
		return 0
	}
	var keys [][]byte
	end := key(edge)
	c := b.Cursor()
	for k, _ := c.First(); k != nil && string(k[:min(8, len(k))]) < string(end); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		_ = b.Delete(k)
	}
	return len(keys)
}
