package store

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kwarden/kwarden/agent/containers"
)

// Bucket names.
var (
	bMeta       = []byte("meta")
	bSystem     = []byte("system")     // time → SystemPoint
	bSystem1m   = []byte("system_1m")  // minute → SystemPoint (downsampled)
	bSeries     = []byte("containers") // schema 1 only: id → (time → ContainerPoint JSON)
	bFrames     = []byte("frames")     // time → frame of every container's point (frame.go)
	bIDs        = []byte("container_ids")
	bSeries1m   = []byte("containers_1m")  // id → (minute → point, frame.go's encoding)
	bInfo       = []byte("container_info") // id → containers.Container
	bTop        = []byte("top")            // time → []ProcessPoint
	bEvents     = []byte("events")         // time+seq → Event
	keySchema   = []byte("schema")
	errReadOnly = errors.New("store opened read-only")
)

// Options configure Open.
type Options struct {
	// RawRetention keeps full-resolution points this long; 0 means 24 h.
	RawRetention time.Duration
	// Retention keeps one-minute points (and events, top processes) this
	// long; 0 means 7 days.
	Retention time.Duration
	// Timeout for the file lock (another kwardend holds it); 0 means 5 s.
	Timeout time.Duration
	// ReadOnly opens without the write lock (for kwardenctl and tests).
	ReadOnly bool
}

// Store is the history database. Safe for concurrent use.
type Store struct {
	db   *bolt.DB
	opts Options
}

// Open opens or creates the database at path and brings its schema up
// to date.
func Open(path string, opts Options) (*Store, error) {
	if opts.RawRetention <= 0 {
		opts.RawRetention = 24 * time.Hour
	}
	if opts.Retention <= 0 {
		opts.Retention = 7 * 24 * time.Hour
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("open history: %w", err)
		}
	}
	// The hashmap freelist, not synced: a commit then writes only the
	// pages it changed, and Open rebuilds the freelist by a scan (what
	// etcd does). A crash cannot leave a stale freelist behind.
	db, err := bolt.Open(path, 0o640, &bolt.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly,
		FreelistType: bolt.FreelistMapType, NoFreelistSync: true})
	if err != nil {
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	s := &Store{db: db, opts: opts}
	if !opts.ReadOnly {
		if err := s.migrate(); err != nil {
			db.Close()
			return nil, err
		}
	} else if v, err := s.Schema(); err != nil || v != SchemaVersion {
		db.Close()
		return nil, fmt.Errorf("open history %s: schema %d, this build reads %d (%v)", path, v, SchemaVersion, err)
	}
	return s, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

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
	if s.opts.ReadOnly {
		return errReadOnly
	}
	at := t.System.Time
	if at.IsZero() {
		return errors.New("write tick: no time")
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bSystem), key(at), t.System); err != nil {
			return err
		}
		if err := putFrame(tx, at, t.Containers); err != nil {
			return err
		}
		info := tx.Bucket(bInfo)
		for _, c := range t.Info {
			if err := putJSON(info, []byte(c.ID), c); err != nil {
				return err
			}
		}
		if len(t.Top) > 0 {
			if err := putJSON(tx.Bucket(bTop), key(at), t.Top); err != nil {
				return err
			}
		}
		return addEvents(tx, t.Events)
	})
	if err != nil {
		return fmt.Errorf("write tick: %w", err)
	}
	return nil
}

// AddEvents stores events outside a tick (Docker outages, policy
// decisions).
func (s *Store) AddEvents(evs ...Event) error {
	if s.opts.ReadOnly {
		return errReadOnly
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return addEvents(tx, evs) }); err != nil {
		return fmt.Errorf("add events: %w", err)
	}
	return nil
}

func addEvents(tx *bolt.Tx, evs []Event) error {
	b := tx.Bucket(bEvents)
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
	}
	return nil
}

// putFrame stores one tick's container points as a frame.
func putFrame(tx *bolt.Tx, at time.Time, pts map[string]ContainerPoint) error {
	if len(pts) == 0 {
		return nil
	}
	ids := tx.Bucket(bIDs)
	entries := make([]frameEntry, 0, len(pts))
	for id, p := range pts {
		idx, err := containerIndex(ids, id)
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
// one to a container seen for the first time.
func containerIndex(ids *bolt.Bucket, id string) (uint64, error) {
	if v := ids.Get([]byte(id)); len(v) == 8 {
		return binary.BigEndian.Uint64(v), nil
	}
	seq, err := ids.NextSequence()
	if err != nil {
		return 0, err
	}
	return seq, ids.Put([]byte(id), binary.BigEndian.AppendUint64(nil, seq))
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

// ContainerInfo returns every container the history knows, removed ones
// included.
func (s *Store) ContainerInfo() ([]containers.Container, error) {
	var out []containers.Container
	err := s.db.View(func(tx *bolt.Tx) error {
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
