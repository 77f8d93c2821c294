package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// PruneStats says what pruning did.
type PruneStats struct {
	Folded  int `json:"folded"`  // raw points folded into minute points
	Deleted int `json:"deleted"` // points, events and containers past retention
	Damaged int `json:"damaged"` // records that did not decode, dropped
	Steps   int `json:"steps"`   // transactions
}

func (p *PruneStats) add(q PruneStats) {
	p.Folded += q.Folded
	p.Deleted += q.Deleted
	p.Damaged += q.Damaged
	p.Steps += q.Steps
}

// pruneBudget is the work of one PruneStep, in records read or deleted.
// A step of it takes tens of milliseconds and a few MiB (measured with
// cmd/prunebench, docs/benchmarks.md), so a tick that waits for the
// write lock behind one waits about that long, whatever the backlog.
const pruneBudget = 40_000

// jsonCost is what a JSON record (a system point) costs against the
// budget, for a container point in a frame costing 1: decoding it takes
// about as long as five.
const jsonCost = 5

// Prune runs PruneStep until nothing is left to do. A backlog (a day of
// history after the machine was off) is worked through in bounded steps,
// each committed: a crash part way keeps what was done.
func (s *Store) Prune(now time.Time) (PruneStats, error) {
	var total PruneStats
	for {
		st, more, err := s.PruneStep(now)
		total.add(st)
		if err != nil || !more {
			return total, err
		}
	}
}

// PruneStep does one bounded step of pruning in one transaction: it
// folds raw points older than RawRetention into one point per minute,
// then deletes what is older than Retention (minute points, top
// processes, events, removed containers). more says that work is left.
//
// now is bounded by the newest point stored: a wall clock that jumped
// forward cannot age out the history, and the newest data stays
// whatever the clock says (the daemon also bounds now by its monotonic
// clock; see agent/daemon).
func (s *Store) PruneStep(now time.Time) (st PruneStats, more bool, err error) {
	err = s.update(func(tx *bolt.Tx) error {
		st, more = PruneStats{Steps: 1}, false
		newest, ok := newestPoint(tx)
		if !ok {
			return nil
		}
		if newest.Before(now) {
			now = newest
		}
		// Before anything is deleted: a bbolt cursor's Last in a bucket
		// whose leaves this transaction emptied never returns (bbolt's
		// Cursor.Last loops on prev while the leaf is empty).
		p := pruner{tx: tx, budget: pruneBudget, st: &st, live: liveIndexes(tx)}
		rawEdge, edge := now.Add(-s.opts.RawRetention), now.Add(-s.opts.Retention)
		for _, phase := range []func(time.Time) (bool, error){
			func(time.Time) (bool, error) { return p.foldSystem(rawEdge) },
			func(time.Time) (bool, error) { return p.foldFrames(rawEdge) },
			p.trimBuckets,
			p.trimLive,
			p.dropRemoved,
		} {
			done, err := phase(edge)
			if err != nil {
				return err
			}
			if !done {
				more = true
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return st, false, fmt.Errorf("prune history: %w", err)
	}
	return st, more, nil
}

// newestPoint is the time of the newest point stored, raw or minute.
func newestPoint(tx *bolt.Tx) (time.Time, bool) {
	var newest time.Time
	for _, b := range [][]byte{bSystem, bFrames, bSystem1m} {
		if k, _ := tx.Bucket(b).Cursor().Last(); len(k) >= 8 {
			t := keyTime(k)
			if string(b) == string(bSystem1m) {
				t = t.Add(time.Minute)
			}
			if t.After(newest) {
				newest = t
			}
		}
	}
	return newest, !newest.IsZero()
}

// pruner is one step's work.
type pruner struct {
	tx     *bolt.Tx
	budget int
	st     *PruneStats
	live   []uint64 // frame indexes of the containers in the newest frame
}

// liveIndexes are the frame indexes of the containers in the newest
// frame: those still running.
func liveIndexes(tx *bolt.Tx) []uint64 {
	_, last := tx.Bucket(bFrames).Cursor().Last()
	var live []uint64
	if last == nil || walkFrame(last, func(uint64) bool { return true }, func(i uint64, _ ContainerPoint) { live = append(live, i) }) != nil {
		return nil // none, or damaged: foldFrames meets it and counts it
	}
	return live
}

// foldSystem folds raw system points older than edge into minute
// points, whole minutes at a time, until the budget is spent.
func (p *pruner) foldSystem(edge time.Time) (bool, error) {
	src, dst := p.tx.Bucket(bSystem), p.tx.Bucket(bSystem1m)
	end := key(edge)
	var keys [][]byte
	var minute time.Time
	f := systemFolder{step: time.Minute}
	done := true
	c := src.Cursor()
	for k, v := c.First(); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
		at := stepStart(keyTime(k), time.Minute)
		if p.budget <= 0 && !at.Equal(minute) {
			done = false
			break
		}
		minute = at
		p.budget -= jsonCost
		keys = append(keys, bytes.Clone(k))
		var pt SystemPoint
		if err := json.Unmarshal(v, &pt); err != nil {
			p.st.Damaged++
			continue
		}
		f.add(pt)
	}
	f.flush()
	for _, m := range f.out {
		if old := dst.Get(key(m.Time)); old != nil {
			var prev SystemPoint
			if json.Unmarshal(old, &prev) == nil {
				m = foldSystem([]SystemPoint{prev, m}, time.Minute)[0]
			}
		}
		if err := putJSON(dst, key(m.Time), m); err != nil {
			return false, err
		}
	}
	if err := deleteKeys(src, keys); err != nil {
		return false, err
	}
	p.st.Folded += len(keys)
	return done, nil
}

// foldFrames turns frames older than edge into minute points per
// container, merged with the minute points already there, whole minutes
// at a time until the budget is spent. It holds one minute's sums per
// container, never the frames it read.
func (p *pruner) foldFrames(edge time.Time) (bool, error) {
	frames := p.tx.Bucket(bFrames)
	end := key(edge)
	var keys [][]byte
	var minute time.Time
	sums := map[uint64]*containerFolder{}
	done := true
	c := frames.Cursor()
	for k, v := c.First(); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
		at := keyTime(k)
		m := stepStart(at, time.Minute)
		if !m.Equal(minute) {
			if p.budget <= 0 {
				done = false
				break
			}
			if err := p.flushMinute(sums); err != nil {
				return false, err
			}
			minute = m
		}
		keys = append(keys, bytes.Clone(k))
		n := 0
		err := walkFrame(v, func(uint64) bool { return true }, func(i uint64, pt ContainerPoint) {
			pt.Time = at
			f := sums[i]
			if f == nil {
				f = &containerFolder{step: time.Minute}
				sums[i] = f
			}
			f.add(pt)
			n++
		})
		if err != nil {
			// The points it gave before the damage are kept.
			p.st.Damaged++
		}
		p.budget -= max(n, 1)
		p.st.Folded += n
	}
	if err := p.flushMinute(sums); err != nil {
		return false, err
	}
	return done, deleteKeys(frames, keys)
}

// flushMinute writes each container's minute point and empties sums.
func (p *pruner) flushMinute(sums map[uint64]*containerFolder) error {
	series1m, index := p.tx.Bucket(bSeries1m), p.tx.Bucket(bIndex)
	for i, f := range sums {
		f.flush()
		delete(sums, i)
		id := index.Get(binary.BigEndian.AppendUint64(nil, i))
		if id == nil {
			p.st.Damaged++ // a frame entry of no known container
			continue
		}
		dst, err := series1m.CreateBucketIfNotExists(id)
		if err != nil {
			return err
		}
		for _, m := range f.out {
			if old := dst.Get(key(m.Time)); old != nil {
				if prev, err := decodePoint(old); err == nil {
					prev.Time = m.Time
					m = foldContainer([]ContainerPoint{prev, m}, time.Minute)[0]
				}
			}
			b, err := appendPoint(nil, m)
			if err != nil {
				return err
			}
			if err := dst.Put(key(m.Time), b); err != nil {
				return err
			}
		}
	}
	return nil
}

// trimBuckets deletes minute points, top processes and events older
// than edge.
func (p *pruner) trimBuckets(edge time.Time) (bool, error) {
	for _, name := range [][]byte{bSystem1m, bTop} {
		done, err := p.deleteBefore(p.tx.Bucket(name), edge)
		if err != nil || !done {
			return done, err
		}
	}
	return p.trimEvents(edge)
}

// trimEvents deletes the events older than edge with their entries in
// the order of recording, so that the order never names a deleted
// event (a follower that meets a gap counts it as pruned: tail.go).
func (p *pruner) trimEvents(edge time.Time) (bool, error) {
	events, order := p.tx.Bucket(bEvents), p.tx.Bucket(bEventOrder)
	keys, done := p.keysBefore(events, edge)
	p.st.Deleted += len(keys)
	if err := deleteKeys(events, keys); err != nil {
		return false, err
	}
	for _, k := range keys {
		if len(k) == eventKeyLen {
			if err := order.Delete(k[8:]); err != nil {
				return false, err
			}
		}
	}
	return done, nil
}

// trimLive trims the minute points of the containers in the newest
// frame, those still running. A removed container's minute points go
// with it, once its removal is past retention (dropRemoved): visiting
// every container's bucket each pass would cost a course-long history
// (a hundred thousand containers a week) on every prune.
func (p *pruner) trimLive(edge time.Time) (bool, error) {
	series1m, index := p.tx.Bucket(bSeries1m), p.tx.Bucket(bIndex)
	for _, i := range p.live {
		id := index.Get(binary.BigEndian.AppendUint64(nil, i))
		if id == nil {
			continue
		}
		done, err := p.deleteBefore(series1m.Bucket(id), edge)
		if err != nil || !done {
			return done, err
		}
	}
	return true, nil
}

// dropRemoved deletes the containers removed before edge: description,
// index entries and minute points.
func (p *pruner) dropRemoved(edge time.Time) (bool, error) {
	removed := p.tx.Bucket(bRemoved)
	end := key(edge)
	var gone [][]byte
	done := true
	c := removed.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k[:min(8, len(k))], end) < 0; k, _ = c.Next() {
		if p.budget <= 0 {
			done = false
			break
		}
		p.budget -= 10 // a bucket to drop, a description, three index keys
		gone = append(gone, bytes.Clone(k))
	}
	ids, index, info, series1m := p.tx.Bucket(bIDs), p.tx.Bucket(bIndex), p.tx.Bucket(bInfo), p.tx.Bucket(bSeries1m)
	for _, k := range gone {
		id := k[min(8, len(k)):]
		if v := ids.Get(id); len(v) == 8 {
			if err := index.Delete(v); err != nil {
				return false, err
			}
		}
		for _, b := range []*bolt.Bucket{ids, info} {
			if err := b.Delete(id); err != nil {
				return false, err
			}
		}
		if series1m.Bucket(id) != nil {
			if err := series1m.DeleteBucket(id); err != nil {
				return false, err
			}
		}
		if err := removed.Delete(k); err != nil {
			return false, err
		}
		p.st.Deleted++
	}
	return done, nil
}

// deleteBefore deletes keys of b older than edge, within the budget.
func (p *pruner) deleteBefore(b *bolt.Bucket, edge time.Time) (bool, error) {
	if b == nil {
		return true, nil
	}
	keys, done := p.keysBefore(b, edge)
	p.st.Deleted += len(keys)
	return done, deleteKeys(b, keys)
}

// keysBefore collects the keys of b older than edge, as many as the
// budget allows; done says that none is left beyond them.
func (p *pruner) keysBefore(b *bolt.Bucket, edge time.Time) (keys [][]byte, done bool) {
	end := key(edge)
	c := b.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k[:min(8, len(k))], end) < 0; k, _ = c.Next() {
		if p.budget <= 0 {
			return keys, false
		}
		p.budget--
		keys = append(keys, bytes.Clone(k))
	}
	return keys, true
}

// deleteKeys deletes keys collected by a cursor walk: deleting under a
// bbolt cursor makes it skip keys.
func deleteKeys(b *bolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
