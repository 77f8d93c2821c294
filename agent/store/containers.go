package store

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/kwarden/kwarden/agent/containers"
)

// Container descriptions: the history keeps every container it saw until
// its removal is past retention. The course's generator starts 10 a
// minute, so a week of it is some 100,000 descriptions: nothing that
// answers a request reads them all at once.

// ContainerInfo returns every container the history knows, removed ones
// included. It reads them all: for tools and tests, not for requests.
func (s *Store) ContainerInfo() ([]containers.Container, error) {
	var out []containers.Container
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bInfo).ForEach(func(k, v []byte) error {
			var c containers.Container
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("container %s: %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// NotRemoved returns the containers the history does not know to be
// removed: at start the daemon compares them with Docker's view, and
// marks those gone while it was down.
func (s *Store) NotRemoved() ([]containers.Container, error) {
	var out []containers.Container
	err := s.view(func(tx *bolt.Tx) error {
		removed := map[string]bool{}
		if err := tx.Bucket(bRemoved).ForEach(func(k, _ []byte) error {
			if len(k) > 8 {
				removed[string(k[8:])] = true
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bInfo).ForEach(func(k, v []byte) error {
			if removed[string(k)] {
				return nil
			}
			var c containers.Container
			if json.Unmarshal(v, &c) != nil {
				return nil // damaged: nothing to reconcile
			}
			if c.Removed.IsZero() {
				out = append(out, c)
			}
			return nil
		})
	})
	return out, err
}

// RemovedPage is a page of removed containers, most recently removed
// first.
type RemovedPage struct {
	Containers []containers.Container
	// Next continues with older removals (pass it as before); "" when
	// there are none.
	Next string
}

// Removed returns up to limit removed containers, most recently removed
// first, from the cursor before (a page's Next; "" for the newest).
func (s *Store) Removed(limit int, before string) (RemovedPage, error) {
	var page RemovedPage
	var end []byte
	if before != "" {
		k, err := hex.DecodeString(before)
		if err != nil || len(k) < 9 {
			return page, fmt.Errorf("before %q: %w", before, ErrBadCursor)
		}
		end = k
	}
	err := s.view(func(tx *bolt.Tx) error {
		info := tx.Bucket(bInfo)
		c := tx.Bucket(bRemoved).Cursor()
		// The cursor is the first entry not yet returned; if it went
		// meanwhile, the one before where it was.
		var k []byte
		if end == nil {
			k, _ = c.Last()
		} else if k, _ = c.Seek(end); k == nil {
			k, _ = c.Last()
		} else if !bytes.Equal(k, end) {
			k, _ = c.Prev()
		}
		for ; k != nil; k, _ = c.Prev() {
			if len(page.Containers) >= limit {
				page.Next = hex.EncodeToString(k)
				return nil
			}
			if len(k) <= 8 {
				continue
			}
			v := info.Get(k[8:])
			var ct containers.Container
			if v == nil || json.Unmarshal(v, &ct) != nil {
				continue
			}
			page.Containers = append(page.Containers, ct)
		}
		return nil
	})
	return page, err
}

// Find resolves what a person calls a container: its full id, a unique
// prefix of it (found by a seek: ids are the keys), or its name (which
// needs every description read, so it comes last).
func (s *Store) Find(ref string) (string, error) {
	var id string
	var matches int
	err := s.view(func(tx *bolt.Tx) error {
		info := tx.Bucket(bInfo)
		if info.Get([]byte(ref)) != nil {
			id, matches = ref, 1
			return nil
		}
		c := info.Cursor()
		for k, _ := c.Seek([]byte(ref)); k != nil && bytes.HasPrefix(k, []byte(ref)); k, _ = c.Next() {
			id = string(k)
			if matches++; matches > 1 {
				break
			}
		}
		if matches > 0 {
			return nil
		}
		return info.ForEach(func(k, v []byte) error {
			if !bytes.Contains(v, []byte(ref)) {
				return nil // a cheap test before the decode
			}
			var head struct {
				Name string `json:"name"`
			}
			if json.Unmarshal(v, &head) == nil && head.Name == ref {
				id, matches = string(k), 1
				return errFound
			}
			return nil
		})
	})
	if err == errFound {
		err = nil
	}
	switch {
	case err != nil:
		return "", err
	case matches == 0:
		return "", fmt.Errorf("container %q: %w", ref, ErrNotFound)
	case matches > 1:
		return "", fmt.Errorf("container id %q: %w", ref, ErrAmbiguous)
	}
	return id, nil
}

// ErrAmbiguous reports a prefix of more than one container's id.
var ErrAmbiguous = fmt.Errorf("ambiguous: several containers match")

var errFound = fmt.Errorf("found")
