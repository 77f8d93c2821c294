package store

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/kwarden/kwarden/agent/containers"
)

// SchemaVersion is the layout this build writes.
const SchemaVersion = 4

// ErrNewerSchema is wrapped by the refusal of a file whose schema key is
// past SchemaVersion. It is not ErrDamaged: the file may be sound and
// belong to a newer build, so -db-reset-damaged leaves it alone. (A
// damaged file whose schema key happens to read as a large number lands
// here too; either way nothing is written to it.)
var ErrNewerSchema = errors.New("history schema newer than this build")

// schemaBuckets[v] are the buckets a file of schema v has.
var schemaBuckets = [][][]byte{
	0: nil,
	1: {bMeta, bSystem, bSystem1m, bSeries, bSeries1m, bInfo, bTop, bEvents},
	2: {bMeta, bSystem, bSystem1m, bFrames, bIDs, bSeries1m, bInfo, bTop, bEvents},
	3: {bMeta, bSystem, bSystem1m, bFrames, bIDs, bIndex, bRemoved, bSeries1m, bInfo, bTop, bEvents},
	4: {bMeta, bSystem, bSystem1m, bFrames, bIDs, bIndex, bRemoved, bSeries1m, bInfo, bTop, bEvents, bEventOrder},
}

func isBucketName(name []byte) bool {
	for _, b := range [][]byte{bMeta, bSystem, bSystem1m, bSeries, bFrames, bIDs, bIndex, bRemoved, bSeries1m, bInfo, bTop, bEvents, bEventOrder} {
		if string(b) == string(name) {
			return true
		}
	}
	return false
}

// migrations[i] brings a database from schema i to i+1, in its own
// transaction together with the new version number.
var migrations = []func(tx *bolt.Tx) error{
	// 0 → 1: the buckets.
	func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bSystem, bSystem1m, bSeries, bSeries1m, bInfo, bTop, bEvents} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	},
	// 1 → 2: container points move from a bucket per container (JSON)
	// to one binary frame per tick; minute points become binary too.
	migrateFrames,
	// 2 → 3: the indexes retention walks instead of every container:
	// frame index → id, and removed containers by removal time.
	migrateIndexes,
	// 3 → 4: events in the order they were recorded, which followers
	// of the history (agent/webhook) walk: see tail.go.
	migrateEventOrder,
}

// migrateEventOrder indexes the events already there by their
// sequence. A key that is not time+sequence was not written by kwarden
// and has no place in the order; it stays where it is.
func migrateEventOrder(tx *bolt.Tx) error {
	order, err := tx.CreateBucketIfNotExists(bEventOrder)
	if err != nil {
		return err
	}
	return tx.Bucket(bEvents).ForEach(func(k, _ []byte) error {
		if len(k) != eventKeyLen {
			return nil
		}
		return order.Put(k[8:], k)
	})
}

func migrateIndexes(tx *bolt.Tx) error {
	index, err := tx.CreateBucketIfNotExists(bIndex)
	if err != nil {
		return err
	}
	removed, err := tx.CreateBucketIfNotExists(bRemoved)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bIDs).ForEach(func(id, v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("container %s: index of %d bytes", id, len(v))
		}
		return index.Put(v, id)
	}); err != nil {
		return err
	}
	return tx.Bucket(bInfo).ForEach(func(id, v []byte) error {
		var c containers.Container
		if json.Unmarshal(v, &c) == nil && !c.Removed.IsZero() {
			return removed.Put(append(key(c.Removed), id...), nil)
		}
		return nil
	})
}

// containerIndexV2 is containerIndex as schema 2 had it, without the
// reverse index (migrateIndexes builds that from these).
func containerIndexV2(ids *bolt.Bucket, id string) (uint64, error) {
	if v := ids.Get([]byte(id)); len(v) == 8 {
		return binary.BigEndian.Uint64(v), nil
	}
	seq, err := ids.NextSequence()
	if err != nil {
		return 0, err
	}
	return seq, ids.Put([]byte(id), binary.BigEndian.AppendUint64(nil, seq))
}

func migrateFrames(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bFrames); err != nil {
		return err
	}
	ids, err := tx.CreateBucketIfNotExists(bIDs)
	if err != nil {
		return err
	}
	if old := tx.Bucket(bSeries); old != nil {
		byTime := map[string][]frameEntry{}
		if err := old.ForEachBucket(func(id []byte) error {
			idx, err := containerIndexV2(ids, string(id))
			if err != nil {
				return err
			}
			return old.Bucket(id).ForEach(func(k, v []byte) error {
				var p ContainerPoint
				if err := json.Unmarshal(v, &p); err != nil {
					return fmt.Errorf("container %s point %v: %w", id, keyTime(k), err)
				}
				byTime[string(k)] = append(byTime[string(k)], frameEntry{index: idx, point: p})
				return nil
			})
		}); err != nil {
			return err
		}
		for k, entries := range byTime {
			slices.SortFunc(entries, func(a, b frameEntry) int { return cmp.Compare(a.index, b.index) })
			f, err := encodeFrame(entries)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bFrames).Put([]byte(k), f); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bSeries); err != nil {
			return err
		}
	}
	// Minute points: ids first, since a bucket must not change under
	// its own ForEach.
	m1 := tx.Bucket(bSeries1m)
	var names [][]byte
	if err := m1.ForEachBucket(func(id []byte) error {
		names = append(names, append([]byte(nil), id...))
		return nil
	}); err != nil {
		return err
	}
	for _, id := range names {
		b := m1.Bucket(id)
		type kv struct{ k, v []byte }
		var conv []kv
		if err := b.ForEach(func(k, v []byte) error {
			var p ContainerPoint
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("container %s minute point %v: %w", id, keyTime(k), err)
			}
			enc, err := appendPoint(nil, p)
			conv = append(conv, kv{append([]byte(nil), k...), enc})
			return err
		}); err != nil {
			return err
		}
		for _, c := range conv {
			if err := b.Put(c.k, c.v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Schema returns the database's schema version (0: empty).
func (s *Store) Schema() (int, error) {
	v := 0
	err := s.view(func(tx *bolt.Tx) error {
		v = schemaOf(tx)
		return nil
	})
	return v, err
}

func schemaOf(tx *bolt.Tx) int {
	m := tx.Bucket(bMeta)
	if m == nil {
		return 0
	}
	b := m.Get(keySchema)
	if len(b) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(b))
}

func (s *Store) migrate() error {
	for {
		done := false
		err := s.update(func(tx *bolt.Tx) error {
			v := schemaOf(tx)
			if v > SchemaVersion {
				return fmt.Errorf("%w: history schema %d, this build's is %d: refusing to touch it", ErrNewerSchema, v, SchemaVersion)
			}
			if v == SchemaVersion {
				done = true
				return nil
			}
			if err := migrations[v](tx); err != nil {
				return fmt.Errorf("migrate history %d → %d: %w", v, v+1, err)
			}
			m, err := tx.CreateBucketIfNotExists(bMeta)
			if err != nil {
				return err
			}
			b := make([]byte, 8)
			binary.BigEndian.PutUint64(b, uint64(v+1))
			return m.Put(keySchema, b)
		})
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}
