package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Cursors are the positions of the history's followers (agent/webhook),
// kept in the meta bucket beside the schema. They live in the history
// file itself rather than in a file beside it because a position means
// something only in the history it was read from: the two are written
// with the same fsync, locked by the same lock, and go together when a
// damaged history is moved aside or a file is restored from a backup.
// A file beside it could outlive its history and name a position that
// a new history reaches only later, and what was recorded meanwhile
// would be skipped without a word.

// cursorPrefix keeps cursors apart from the meta bucket's other keys.
const cursorPrefix = "cursor/"

// Bounds of a cursor's name (a key of the meta bucket) and of its
// value: followers store positions of a few dozen bytes.
const (
	maxCursorName = 128
	maxCursorLen  = 256
)

func cursorKey(name string) ([]byte, error) {
	if name == "" || len(name) > maxCursorName {
		return nil, fmt.Errorf("cursor name %q: want 1 to %d bytes", name, maxCursorName)
	}
	return []byte(cursorPrefix + name), nil
}

// PutCursor records the position of the follower called name, in its
// own transaction (committed and fsynced when it returns). Safe for
// concurrent use; the last write wins.
func (s *Store) PutCursor(name, cursor string) error {
	k, err := cursorKey(name)
	if err != nil {
		return err
	}
	if len(cursor) > maxCursorLen {
		return fmt.Errorf("cursor %s: %d bytes, at most %d", name, len(cursor), maxCursorLen)
	}
	err = s.update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(k, []byte(cursor)) })
	if err != nil {
		return fmt.Errorf("put cursor %s: %w", name, err)
	}
	return nil
}

// Cursor returns the position last recorded by PutCursor for name; ok
// is false when there is none (a follower's first start).
func (s *Store) Cursor(name string) (cursor string, ok bool, err error) {
	k, err := cursorKey(name)
	if err != nil {
		return "", false, err
	}
	err = s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bMeta).Get(k)
		if v == nil {
			return nil
		}
		cursor, ok = string(v), true
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("read cursor %s: %w", name, err)
	}
	return cursor, ok, nil
}
