package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// MaxSeriesPoints bounds the points of one ContainersSeries answer, all
// containers together: 500,000 points are about 60 MB in memory.
const MaxSeriesPoints = 500_000

// ContainersSeries returns the points of several containers over one
// range, as ContainerSeries does for each, in one read transaction and
// one pass over the tick frames: a panel of 50 containers reads the
// range once, not 50 times. The answers are in the order of ids, each
// with the step it was folded by. An id the history does not know is
// an error wrapping ErrNotFound; a step that would give more than
// MaxSeriesPoints points in all is one wrapping ErrTooMany, and without
// a step each container is folded to its share of that bound (and of
// q's). It is safe for concurrent use.
func (s *Store) ContainersSeries(ids []string, q RangeQuery) ([][]ContainerPoint, []time.Duration, error) {
	if err := q.check(); err != nil {
		return nil, nil, err
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	per := min(q.max(), MaxSeriesPoints/len(ids))
	if per < 2 {
		return nil, nil, fmt.Errorf("%d containers: %w (at most %d points in all)", len(ids), ErrTooMany, MaxSeriesPoints)
	}
	if q.Step > 0 && int64(q.To.Sub(q.From)/q.Step)+2 > int64(per) {
		return nil, nil, fmt.Errorf("step %v over %v for %d containers: %w (at most %d points in all)",
			q.Step, q.To.Sub(q.From), len(ids), ErrTooMany, MaxSeriesPoints)
	}
	folders := make([]*containerFolder, len(ids))
	for i := range folders {
		folders[i] = &containerFolder{step: q.Step}
		if q.Step > 0 {
			folders[i].out = make([]ContainerPoint, 0, int(q.To.Sub(q.From)/q.Step)+2)
		}
	}
	add := func(i int, p ContainerPoint) {
		f := folders[i]
		f.add(p)
		if f.step == 0 && len(f.out) > per {
			folders[i] = refoldContainer(f, pickStep(later(q.From, f.out[0].Time), q.To, per))
		}
	}
	bad := 0
	err := s.view(func(tx *bolt.Tx) error {
		// Each container's minute points (beyond the raw retention) have
		// a bucket of their own; its raw points are an entry of the
		// frames all containers share.
		minutes := make([]*bolt.Cursor, len(ids))
		mk := make([][]byte, len(ids))
		mv := make([][]byte, len(ids))
		// slots[index] are the answers a frame entry goes to (a container
		// named twice gets its points twice). Indexes are integers handed
		// out in order, so a slice is the fast lookup; a map takes the
		// rare index beyond it.
		var slots [][]int
		far := map[uint64][]int{}
		slot := func(idx uint64) []int {
			if idx < uint64(len(slots)) {
				return slots[idx]
			}
			return far[idx]
		}
		for i, id := range ids {
			known := false
			if m := tx.Bucket(bSeries1m).Bucket([]byte(id)); m != nil {
				minutes[i] = m.Cursor()
				mk[i], mv[i] = minutes[i].Seek(key(q.From))
				known = true
			}
			if v := tx.Bucket(bIDs).Get([]byte(id)); len(v) == 8 {
				if idx := binary.BigEndian.Uint64(v); idx < 1<<20 {
					for uint64(len(slots)) <= idx {
						slots = append(slots, nil)
					}
					slots[idx] = append(slots[idx], i)
				} else {
					far[idx] = append(far[idx], i)
				}
				known = true
			}
			if !known {
				return fmt.Errorf("container %q: %w", id, ErrNotFound)
			}
		}
		end := key(q.To)
		inRange := func(k []byte) bool { return len(k) >= 8 && bytes.Compare(k[:8], end) <= 0 }
		// minutesUpTo adds each container's minute points up to frame
		// key k (all of them in range when k is nil), so every
		// container's points arrive in time order, minute points first
		// at equal times, as ContainerSeries's merge has them.
		minutesUpTo := func(k []byte) {
			for i, c := range minutes {
				for c != nil && inRange(mk[i]) && (k == nil || bytes.Compare(mk[i], k) <= 0) {
					p, err := decodePoint(mv[i])
					if err != nil {
						bad++
					} else {
						p.Time = keyTime(mk[i])
						add(i, p)
					}
					mk[i], mv[i] = c.Next()
				}
			}
		}
		if len(slots)+len(far) > 0 {
			want := func(idx uint64) bool { return slot(idx) != nil }
			c := tx.Bucket(bFrames).Cursor()
			for k, v := c.Seek(key(q.From)); inRange(k); k, v = c.Next() {
				minutesUpTo(k)
				at := keyTime(k)
				err := walkFrame(v, want, func(idx uint64, p ContainerPoint) {
					p.Time = at
					for _, i := range slot(idx) {
						add(i, p)
					}
				})
				if err != nil {
					bad++
				}
			}
		}
		minutesUpTo(nil)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	s.reportBad("container record", bad)
	out := make([][]ContainerPoint, len(ids))
	steps := make([]time.Duration, len(ids))
	for i, f := range folders {
		f.flush()
		out[i], steps[i] = f.out, f.step
	}
	return out, steps, nil
}
