package store

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kwarden/kwarden/agent/containers"
)

// Bucket names.
var (
	bMeta       = []byte("meta")
	bSystem     = []byte("system")            // time → SystemPoint
	bSystem1m   = []byte("system_1m")         // minute → SystemPoint (downsampled)
	bSeries     = []byte("containers")        // schema 1 only: id → (time → ContainerPoint JSON)
	bFrames     = []byte("frames")            // time → frame of every container's point (frame.go)
	bIDs        = []byte("container_ids")     // id → index in frames
	bIndex      = []byte("container_index")   // index → id (schema 3)
	bRemoved    = []byte("container_removed") // removal time + id → nothing (schema 3)
	bSeries1m   = []byte("containers_1m")     // id → (minute → point, frame.go's encoding)
	bInfo       = []byte("container_info")    // id → containers.Container
	bTop        = []byte("top")               // time → []ProcessPoint
	bEvents     = []byte("events")            // time+seq → Event
	bEventOrder = []byte("event_order")       // seq → events key, the order of recording (schema 4)
	keySchema   = []byte("schema")
	errReadOnly = errors.New("store opened read-only")
)

// key is a time as a big-endian, order-preserving key.
func key(t time.Time) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano()))
	return k
}

func keyTime(k []byte) time.Time {
	if len(k) < 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(k)))
}

// WriteTick stores one sample in one transaction: either all of it is
// there after a crash, or none of it.
func (s *Store) WriteTick(t Tick) error {
	return s.WriteTicks(t)
}

// WriteTicks stores several samples in one transaction (one fsync):
// for imports, and for tests that need days of history in seconds.
func (s *Store) WriteTicks(ts ...Tick) error {
	for _, t := range ts {
		if t.System.Time.IsZero() {
			return errors.New("write tick: no time")
		}
	}
	err := s.update(func(tx *bolt.Tx) error {
		for _, t := range ts {
			if err := writeTick(tx, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write tick: %w", err)
	}
	return nil
}

func writeTick(tx *bolt.Tx, t Tick) error {
	at := t.System.Time
	if err := putJSON(tx.Bucket(bSystem), key(at), t.System); err != nil {
		return err
	}
	if err := putFrame(tx, at, t.Containers); err != nil {
		return err
	}
	if err := putInfo(tx, t.Info); err != nil {
		return err
	}
	if len(t.Top) > 0 {
		if err := putJSON(tx.Bucket(bTop), key(at), t.Top); err != nil {
			return err
		}
	}
	return addEvents(tx, t.Events)
}

// AddEvents stores events outside a tick (Docker outages, policy
// decisions).
func (s *Store) AddEvents(evs ...Event) error {
	if err := s.update(func(tx *bolt.Tx) error { return addEvents(tx, evs) }); err != nil {
		return fmt.Errorf("add events: %w", err)
	}
	return nil
}

func addEvents(tx *bolt.Tx, evs []Event) error {
	b, order := tx.Bucket(bEvents), tx.Bucket(bEventOrder)
	for _, e := range evs {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		// time, then a sequence: events of the same ns keep their order.
		k := append(key(e.Time), make([]byte, 8)...)
		binary.BigEndian.PutUint64(k[8:], seq)
		if err := putJSON(b, k, e); err != nil {
			return err
		}
		// The order of recording, which is not the order of the times
		// (tail.go): readers that follow the history walk this.
		if err := order.Put(k[8:], k); err != nil {
			return err
		}
	}
	return nil
}

// putFrame stores one tick's container points as a frame.
func putFrame(tx *bolt.Tx, at time.Time, pts map[string]ContainerPoint) error {
	if len(pts) == 0 {
		return nil
	}
	entries := make([]frameEntry, 0, len(pts))
	for id, p := range pts {
		idx, err := containerIndex(tx, id)
		if err != nil {
			return err
		}
		entries = append(entries, frameEntry{index: idx, point: p})
	}
	slices.SortFunc(entries, func(a, b frameEntry) int { return cmp.Compare(a.index, b.index) })
	f, err := encodeFrame(entries)
	if err != nil {
		return err
	}
	return tx.Bucket(bFrames).Put(key(at), f)
}

// containerIndex returns id's small number in frames, assigning the next
// one to a container seen for the first time (and the reverse entry, by
// which folding finds the container of a frame's entry).
func containerIndex(tx *bolt.Tx, id string) (uint64, error) {
	ids := tx.Bucket(bIDs)
	if v := ids.Get([]byte(id)); len(v) == 8 {
		return binary.BigEndian.Uint64(v), nil
	}
	seq, err := ids.NextSequence()
	if err != nil {
		return 0, err
	}
	idx := binary.BigEndian.AppendUint64(nil, seq)
	if err := ids.Put([]byte(id), idx); err != nil {
		return 0, err
	}
	return seq, tx.Bucket(bIndex).Put(idx, []byte(id))
}

// putInfo stores container descriptions, and indexes the removed ones
// by their removal time, which is how retention finds them.
func putInfo(tx *bolt.Tx, cs []containers.Container) error {
	info, removed := tx.Bucket(bInfo), tx.Bucket(bRemoved)
	for _, c := range cs {
		if err := putJSON(info, []byte(c.ID), c); err != nil {
			return err
		}
		if !c.Removed.IsZero() {
			if err := removed.Put(append(key(c.Removed), c.ID...), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}
