package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/containers"
)

// Rankings of containers over a range: the course's "top 5 by RAM" and
// "top 5 by CPU", which count the containers a policy removed as much
// as those still running. Every container with a point in the range is
// ranked, however short its life: a ranking that sampled the ticks
// would lose the generator's 30-second containers, the very ones the
// course asks about. So the query reads every point of the range, as a
// series does (ContainerSeries walks the same frames), and its bound is
// on the points read (MaxScan), not on what it returns.

// TopContainer is one container of a ranking.
type TopContainer = apiv1.TopContainer

// Bounds of a ranking.
const (
	DefaultTopN = 5
	MaxTopN     = 1_000
	// DefaultTopScan is the points a ranking reads at most: a month of
	// the default retentions at 200 containers (a day of raw points at
	// 1 s, 17 million, and 30 days of minute points, 9 million) fits,
	// and costs about a second at 25–35 ns a point
	// (BenchmarkTopContainers).
	DefaultTopScan = 30_000_000
)

// TopQuery asks for the containers that used the most of a figure in
// [From, To].
type TopQuery struct {
	From, To time.Time
	// By is one of apiv1.TopFigures.
	By string
	// Rank is apiv1.RankMean or apiv1.RankPeak; "" is RankMean.
	Rank string
	// N is how many to return; 0 means DefaultTopN, and it is at most
	// MaxTopN.
	N int
	// MaxScan bounds the points (and minute series) read; 0 means
	// DefaultTopScan. A range that holds more is refused with
	// ErrTooMany.
	MaxScan int
}

// TopResult is a ranking.
type TopResult struct {
	// Containers are the first N, highest first.
	Containers []TopContainer
	// Present counts the containers with a point in the range.
	Present int
}

// figures are where each figure sits in an encoded point (pointField).
var figures = map[string]int{
	apiv1.FigureCPUPercent:      0,
	apiv1.FigureRAMPercent:      1,
	apiv1.FigureRSSBytes:        3,
	apiv1.FigureMemUsageBytes:   4,
	apiv1.FigureWorkingSetBytes: 5,
}

// topSums is one container's figure over the points read so far.
type topSums struct {
	sum         float64 // of value × ticks
	ticks       int
	peak        float64
	first, last time.Time
}

func (a *topSums) add(at time.Time, v float64, ticks int) {
	if a.ticks == 0 || v > a.peak {
		a.peak = v
	}
	if a.ticks == 0 || at.Before(a.first) {
		a.first = at
	}
	if at.After(a.last) {
		a.last = at
	}
	a.sum += v * float64(ticks)
	a.ticks += ticks
}

// merge adds b's points: a container's minute points and raw points.
func (a *topSums) merge(b *topSums) {
	if b.ticks == 0 {
		return
	}
	if a.ticks == 0 {
		*a = *b
		return
	}
	a.peak = max(a.peak, b.peak)
	if b.first.Before(a.first) {
		a.first = b.first
	}
	if b.last.After(a.last) {
		a.last = b.last
	}
	a.sum += b.sum
	a.ticks += b.ticks
}

// TopContainers ranks the containers with a point in [q.From, q.To] by
// the mean of a figure over the ticks each was present (a one-minute
// point counting for the ticks it folded), or by its peak, and returns
// the first q.N with their description, removed containers included.
// It reads every raw point of the range and, where the range reaches
// minute points, every container's minute points in it; more than
// q.MaxScan of them is ErrTooMany. Ties go to the higher other figure,
// then to the smaller id, so that a ranking is the same every time.
// It runs in one read transaction, beside the ticks' writes.
func (s *Store) TopContainers(q TopQuery) (TopResult, error) {
	field, ok := figures[q.By]
	if !ok {
		return TopResult{}, fmt.Errorf("top containers: no figure %q (want one of %v)", q.By, apiv1.TopFigures)
	}
	byPeak := false
	switch q.Rank {
	case "", apiv1.RankMean:
	case apiv1.RankPeak:
		byPeak = true
	default:
		return TopResult{}, fmt.Errorf("top containers: rank %q: want %s or %s", q.Rank, apiv1.RankMean, apiv1.RankPeak)
	}
	if q.To.Before(q.From) {
		return TopResult{}, fmt.Errorf("top containers: from %v is after to %v", q.From, q.To)
	}
	n := q.N
	if n <= 0 {
		n = DefaultTopN
	}
	n = min(n, MaxTopN)
	budget := q.MaxScan
	if budget <= 0 {
		budget = DefaultTopScan
	}
	var res TopResult
	bad := 0
	err := s.view(func(tx *bolt.Tx) error {
		sums := map[string]*topSums{}
		raw, err := topRaw(tx, q.From, q.To, field, &budget, &bad)
		if err != nil {
			return err
		}
		index := tx.Bucket(bIndex)
		for idx, a := range raw {
			id := index.Get(binary.BigEndian.AppendUint64(nil, idx))
			if id == nil {
				// Its description went with its retention (a raw
				// retention set longer than the retention): nothing to
				// name it by.
				continue
			}
			sums[string(id)] = a
		}
		if err := topMinutes(tx, q.From, q.To, field, sums, &budget, &bad); err != nil {
			return err
		}
		res.Present = len(sums)
		res.Containers = rank(tx, sums, n, byPeak)
		return nil
	})
	s.reportBad("container record", bad)
	if err != nil {
		return TopResult{}, fmt.Errorf("top containers: %w", err)
	}
	return res, nil
}

// errScan is the refusal of a range that holds more than the budget.
func errScan(from, to time.Time) error {
	return fmt.Errorf("%s to %s holds more container points than one ranking reads: %w (narrow the range)",
		from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), ErrTooMany)
}

// topRaw sums the raw points of [from, to], by frame index.
func topRaw(tx *bolt.Tx, from, to time.Time, field int, budget, bad *int) (map[uint64]*topSums, error) {
	sums := map[uint64]*topSums{}
	end := key(to)
	c := tx.Bucket(bFrames).Cursor()
	for k, v := c.Seek(key(from)); k != nil && bytes.Compare(k, end) <= 0; k, v = c.Next() {
		if *budget <= 0 {
			return nil, errScan(from, to)
		}
		at := keyTime(k)
		read := 0
		err := walkEntries(v, func(idx uint64, point []byte) error {
			f, err := pointField(point, field)
			if err != nil {
				return err
			}
			a := sums[idx]
			if a == nil {
				a = &topSums{}
				sums[idx] = a
			}
			a.add(at, f, 1)
			read++
			return nil
		})
		if err != nil {
			*bad++ // the points before the damage are counted
		}
		*budget -= max(read, 1)
	}
	return sums, nil
}

// topMinutes adds the minute points of [from, to] to sums. They sit in
// a bucket per container, so a range that holds none is told by the
// machine's minute points, which are folded in the same pass and before
// (retention.go): without one in the range, no container's bucket is
// opened. With one, every container's is, as each may hold points
// there; a bucket costs the budget one point.
func topMinutes(tx *bolt.Tx, from, to time.Time, field int, sums map[string]*topSums, budget, bad *int) error {
	end := key(to)
	if k, _ := tx.Bucket(bSystem1m).Cursor().Seek(key(from)); k == nil || bytes.Compare(k, end) > 0 {
		return nil
	}
	series1m := tx.Bucket(bSeries1m)
	return series1m.ForEachBucket(func(id []byte) error {
		if *budget <= 0 {
			return errScan(from, to)
		}
		*budget--
		var a topSums
		c := series1m.Bucket(id).Cursor()
		for k, v := c.Seek(key(from)); k != nil && bytes.Compare(k, end) <= 0; k, v = c.Next() {
			if *budget <= 0 {
				return errScan(from, to)
			}
			*budget--
			p, err := decodePoint(v)
			f, ferr := pointField(v, field)
			if err != nil || ferr != nil {
				*bad++
				continue
			}
			a.add(keyTime(k), f, max(p.Samples, 1))
		}
		if a.ticks == 0 {
			return nil
		}
		if sums[string(id)] == nil {
			sums[string(id)] = &topSums{}
		}
		sums[string(id)].merge(&a)
		return nil
	})
}

// rank orders sums and describes the first n.
func rank(tx *bolt.Tx, sums map[string]*topSums, n int, byPeak bool) []TopContainer {
	type entry struct {
		id        string
		mean, alt float64 // the value ranked by, and the other
		a         *topSums
	}
	all := make([]entry, 0, len(sums))
	for id, a := range sums {
		mean := a.sum / float64(a.ticks)
		e := entry{id: id, mean: mean, alt: a.peak, a: a}
		if byPeak {
			e.mean, e.alt = a.peak, mean
		}
		all = append(all, e)
	}
	slices.SortFunc(all, func(x, y entry) int {
		if c := cmp.Compare(y.mean, x.mean); c != 0 {
			return c
		}
		if c := cmp.Compare(y.alt, x.alt); c != 0 {
			return c
		}
		return cmp.Compare(x.id, y.id)
	})
	info := tx.Bucket(bInfo)
	out := make([]TopContainer, 0, min(n, len(all)))
	for _, e := range all[:min(n, len(all))] {
		t := TopContainer{ID: e.id, Mean: e.a.sum / float64(e.a.ticks), Peak: e.a.peak, Samples: e.a.ticks,
			First: e.a.first, Last: e.a.last}
		var c containers.Container
		if v := info.Get([]byte(e.id)); v != nil && json.Unmarshal(v, &c) == nil {
			t.Name, t.Image, t.Kind, t.Removed = c.Name, c.Image, c.Kind, c.Removed
		}
		out = append(out, t)
	}
	return out
}
