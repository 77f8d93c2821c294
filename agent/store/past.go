package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/containers"
)

// Past ticks are what a policy needs to decide again on a moment the
// history recorded (kwardenctl policy dry-run -at): the machine and every
// running container, described and with its figures, at that tick and
// the few before it, from which a round's rates come.

// ErrNoTick reports that the history holds no tick near the time asked.
var ErrNoTick = errors.New("no tick recorded")

// MaxPastGap is how long before the time asked the nearest recorded tick
// may be. Further back, the daemon was not running then, and what it
// recorded last says nothing of that moment.
const MaxPastGap = 10 * time.Minute

// Past is a run of recorded ticks, oldest first.
type Past struct {
	// States are the ticks as the daemon's State: the time, the system
	// point and the running containers with their descriptions and
	// figures. Tick counts from 1; sources, Docker and the cross-check
	// are not recorded and stay empty.
	States []apiv1.State
	// Step is 0 for raw ticks, or the minute that each State averages
	// once the raw ticks of that time were folded (past raw retention).
	Step time.Duration
}

// PastTicks returns up to n ticks ending with the last one at or before
// at: raw ticks while the history keeps them, else one-minute points. A
// container's description is its last one (a removed container's
// included), with Running set, since it ran at the tick. ErrNoTick when
// nothing was recorded within MaxPastGap before at.
func (s *Store) PastTicks(at time.Time, n int) (Past, error) {
	if n <= 0 {
		return Past{}, fmt.Errorf("past ticks: n = %d", n)
	}
	var past Past
	err := s.view(func(tx *bolt.Tx) error {
		raw, _ := atOrBefore(tx.Bucket(bSystem).Cursor(), at)
		minute, _ := atOrBefore(tx.Bucket(bSystem1m).Cursor(), at)
		var newest []byte
		switch {
		case raw != nil && (minute == nil || bytes.Compare(raw, minute) >= 0):
			newest = raw
		case minute != nil:
			newest, past.Step = minute, time.Minute
		}
		if newest == nil || at.Sub(keyTime(newest)) > MaxPastGap+past.Step {
			last := "nothing"
			if newest != nil {
				last = "the last one before it at " + keyTime(newest).UTC().Format(time.RFC3339)
			}
			return fmt.Errorf("%w within %v before %s: %s", ErrNoTick, MaxPastGap, at.UTC().Format(time.RFC3339), last)
		}
		r := pastReader{tx: tx, info: map[string]*containers.Container{}}
		var err error
		if past.Step == 0 {
			past.States, err = r.raw(newest, n)
		} else {
			past.States, err = r.minutes(newest, n)
		}
		s.reportBad("past tick record", r.bad)
		return err
	})
	for i := range past.States {
		past.States[i].Tick = uint64(i + 1)
	}
	return past, err
}

// atOrBefore positions c on the last key at or before t.
func atOrBefore(c *bolt.Cursor, t time.Time) ([]byte, []byte) {
	if k, _ := c.Seek(key(t.Add(time.Nanosecond))); k == nil {
		return c.Last()
	}
	return c.Prev()
}

type pastReader struct {
	tx   *bolt.Tx
	info map[string]*containers.Container // descriptions read so far; nil for none
	bad  int
}

// raw reads the n raw ticks ending at the system key newest.
func (r *pastReader) raw(newest []byte, n int) ([]apiv1.State, error) {
	var out []apiv1.State
	c := r.tx.Bucket(bSystem).Cursor()
	frames, index := r.tx.Bucket(bFrames), r.tx.Bucket(bIndex)
	for k, v := c.Seek(newest); k != nil && len(out) < n; k, v = c.Prev() {
		st, ok := r.system(k, v)
		if !ok {
			continue
		}
		if f := frames.Get(k); f != nil {
			err := walkFrame(f, func(uint64) bool { return true }, func(idx uint64, p ContainerPoint) {
				if id := index.Get(binary.BigEndian.AppendUint64(nil, idx)); id != nil {
					st.Containers = append(st.Containers, r.figures(string(id), p))
				}
			})
			if err != nil {
				r.bad++
				continue
			}
		}
		out = append(out, st)
	}
	slices.Reverse(out)
	return out, nil
}

// minutes reads the n minute points ending at the system_1m key newest.
// A container's minute points sit in a bucket of their own, so each
// minute looks in every container's bucket: a one-off read, as long as
// the history holds containers, not a request's hot path.
func (r *pastReader) minutes(newest []byte, n int) ([]apiv1.State, error) {
	var out []apiv1.State
	c := r.tx.Bucket(bSystem1m).Cursor()
	for k, v := c.Seek(newest); k != nil && len(out) < n; k, v = c.Prev() {
		if st, ok := r.system(k, v); ok {
			out = append(out, st)
		}
	}
	slices.Reverse(out)
	series := r.tx.Bucket(bSeries1m)
	err := series.ForEachBucket(func(id []byte) error {
		b := series.Bucket(id)
		for i := range out {
			v := b.Get(key(out[i].Time))
			if v == nil {
				continue
			}
			p, err := decodePoint(v)
			if err != nil {
				r.bad++
				continue
			}
			out[i].Containers = append(out[i].Containers, r.figures(string(id), p))
		}
		return nil
	})
	return out, err
}

func (r *pastReader) system(k, v []byte) (apiv1.State, bool) {
	var sp SystemPoint
	if err := json.Unmarshal(v, &sp); err != nil {
		r.bad++
		return apiv1.State{}, false
	}
	sp.Time = keyTime(k)
	return apiv1.State{Time: sp.Time, System: sp}, true
}

// figures is a container at a past tick: its last description (or only
// its id, when the history has lost it) and its point.
func (r *pastReader) figures(id string, p ContainerPoint) apiv1.ContainerFigures {
	c, seen := r.info[id]
	if !seen {
		if v := r.tx.Bucket(bInfo).Get([]byte(id)); v != nil {
			c = new(containers.Container)
			if json.Unmarshal(v, c) != nil {
				c, r.bad = nil, r.bad+1
			}
		}
		r.info[id] = c
	}
	f := apiv1.ContainerFigures{Processes: p.Processes, Threads: p.Threads, CPUNs: p.CPUNs, CPUPercent: p.CPUPercent,
		RSSBytes: p.RSSBytes, VSZBytes: p.VSZBytes, RAMPercent: p.RAMPercent, MemUsageBytes: p.MemUsageBytes,
		WorkingSetBytes: p.WorkingSetBytes, ReadBytes: p.ReadBytes, WriteBytes: p.WriteBytes, Class: p.Class}
	if c != nil {
		f.Container = *c
	}
	f.ID, f.Running, f.State = id, true, "running"
	f.Finished, f.Removed = time.Time{}, time.Time{} // not yet, at that tick
	return f
}
