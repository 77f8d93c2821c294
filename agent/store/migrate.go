package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout this build writes.
const SchemaVersion = 1

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
}

// Schema returns the database's schema version (0: empty).
func (s *Store) Schema() (int, error) {
	v := 0
	err := s.db.View(func(tx *bolt.Tx) error {
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
		err := s.db.Update(func(tx *bolt.Tx) error {
			v := schemaOf(tx)
			if v > SchemaVersion {
				return fmt.Errorf("history schema %d is newer than this build's %d: refusing to touch it", v, SchemaVersion)
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
