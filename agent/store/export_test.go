package store

import (
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

func setSchema(s *Store, v int) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := make([]byte, 8)
		binary.BigEndian.PutUint64(b, uint64(v))
		return tx.Bucket(bMeta).Put(keySchema, b)
	})
}
