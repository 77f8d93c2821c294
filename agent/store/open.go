package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kwarden/kwarden/internal/safefile"
)

// Options configure Open.
type Options struct {
	// RawRetention keeps full-resolution points this long; 0 means 24 h.
	RawRetention time.Duration
	// Retention keeps one-minute points (and events, top processes) this
	// long; 0 means 7 days.
	Retention time.Duration
	// Timeout for the file lock (another kwardend holds it); 0 means 2 s.
	Timeout time.Duration
	// ReadOnly opens without the write lock (for tools and tests).
	ReadOnly bool
	// ResetDamaged moves a damaged file aside (to <path>.damaged-<time>)
	// and starts a new history, instead of failing. The damaged file is
	// kept for a person to look at; Store.MovedAside says where it went.
	ResetDamaged bool
	// Logger receives what the store does on its own (a reset, faults).
	Logger *slog.Logger
}

// Store is the history database. Safe for concurrent use.
type Store struct {
	db    *bolt.DB
	opts  Options
	path  string
	log   *slog.Logger
	aside string // where a damaged file was moved, if it was

	// file is bbolt's descriptor (from the OpenFile hook): its size is
	// checked before each transaction, and it is what Close closes once
	// the store is broken.
	file *os.File

	mu       sync.Mutex
	broken   error // set by a fault: every later call returns it
	lastSize int64 // the file's size after the last commit; bbolt never shrinks it
}

// initialMmap is what bbolt maps at open. bbolt remaps when the file
// outgrows its mapping, and a remap waits for every read transaction
// to end: an API query in flight would then hold up a tick's commit.
// Mapping 1 GiB up front (address space only; pages come as they are
// read) makes remaps rare: the file grows to about 0.8 GB a day at 200
// containers and 1 s.
const initialMmap = 1 << 30

// Open opens or creates the history at path and brings its schema up
// to date. The file and its directory must be trusted (internal/safefile:
// no symlink, owned by this user, not writable by others); a missing
// directory is created with mode 0700. Before bbolt maps the file, its
// structure is checked (checkFile), and after, its buckets against its
// schema: a damaged file gives an error wrapping ErrDamaged that names
// the file and what to do, never a panic. Another process holding the
// file gives ErrLocked, naming it when /proc/locks can.
func Open(path string, opts Options) (*Store, error) {
	if opts.RawRetention <= 0 {
		opts.RawRetention = 24 * time.Hour
	}
	if opts.Retention <= 0 {
		opts.Retention = 7 * 24 * time.Hour
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	dir := filepath.Dir(path)
	var err error
	if opts.ReadOnly {
		err = safefile.CheckDir(dir, -1)
	} else {
		err = safefile.MkdirPrivate(dir, -1)
	}
	if err != nil {
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	s, err := openChecked(path, opts)
	if errors.Is(err, ErrDamaged) && opts.ResetDamaged && !opts.ReadOnly {
		aside, merr := moveAside(path)
		if merr != nil {
			return nil, fmt.Errorf("%w; moving it aside failed: %v", err, merr)
		}
		opts.Logger.Warn("history damaged: moved aside, starting a new one", "path", path, "moved_to", aside, "err", err)
		if s, err = openChecked(path, opts); err == nil {
			s.aside = aside
		}
	}
	if errors.Is(err, ErrDamaged) {
		err = fmt.Errorf("%w\n  history %s cannot be used as it is. Move it aside (mv %s %s.damaged) or start kwardend with -db-reset-damaged, which does so and starts a new history; the damaged file is kept either way",
			err, path, path, path)
	}
	return s, err
}

func openChecked(path string, opts Options) (*Store, error) {
	s := &Store{opts: opts, path: path, log: opts.Logger}
	openFile := func(name string, flag int, _ os.FileMode) (*os.File, error) {
		f, created, err := safefile.Open(name, safefile.Options{What: "history", Create: flag&os.O_CREATE != 0,
			Write: flag&(os.O_RDWR|os.O_WRONLY) != 0, UID: -1})
		if err != nil {
			return nil, err
		}
		if err := lockFile(f, name, !opts.ReadOnly, opts.Timeout); err != nil {
			f.Close()
			return nil, err
		}
		if !created {
			if err := checkFile(f); err != nil {
				f.Close()
				return nil, err
			}
		}
		s.file = f
		return f, nil
	}
	// The hashmap freelist, not synced: a commit then writes only the
	// pages it changed, and Open rebuilds the freelist by a scan (what
	// etcd does). A crash cannot leave a stale freelist behind.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly,
		FreelistType: bolt.FreelistMapType, NoFreelistSync: true, InitialMmapSize: initialMmap, OpenFile: openFile})
	if err != nil {
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	s.db = db
	s.noteSize()
	if err := s.view(checkBuckets); err != nil {
		db.Close()
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	if !opts.ReadOnly {
		if err := s.migrate(); err != nil {
			db.Close()
			return nil, fmt.Errorf("open history %s: %w", path, err)
		}
	} else if v, err := s.Schema(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open history %s: %w", path, err)
	} else if v > SchemaVersion {
		db.Close()
		return nil, fmt.Errorf("open history %s: %w: schema %d, this build reads %d", path, ErrNewerSchema, v, SchemaVersion)
	} else if v != SchemaVersion {
		db.Close()
		return nil, fmt.Errorf("open history %s: schema %d, this build reads %d: open it read-write once to migrate it", path, v, SchemaVersion)
	}
	return s, nil
}

// moveAside renames a damaged file to <path>.damaged-<UTC time>, never
// over an existing file.
func moveAside(path string) (string, error) {
	for i := 0; ; i++ {
		aside := fmt.Sprintf("%s.damaged-%s", path, time.Now().UTC().Format("20060102T150405Z"))
		if i > 0 {
			aside = fmt.Sprintf("%s.%d", aside, i)
		}
		if _, err := os.Lstat(aside); errors.Is(err, fs.ErrNotExist) {
			return aside, os.Rename(path, aside)
		}
	}
}

// MovedAside is where Open moved a damaged file (ResetDamaged), or "".
func (s *Store) MovedAside() string { return s.aside }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the file. A broken store's bbolt may have been left with
// its locks held by the fault, and its Close would wait for them: the
// file lock is released and the descriptor closed directly instead (the
// mapping, which also holds the open file, goes with the process).
func (s *Store) Close() error {
	if s.brokenErr() != nil {
		unlockFile(s.file)
		return s.file.Close()
	}
	return s.db.Close()
}

// view and update run a bbolt transaction under a guard. bbolt maps the
// file: if it shrinks or is overwritten under the daemon (only its owner,
// root, can do that once Open's checks passed), a read of the mapping
// faults with SIGBUS, or bbolt meets a page it cannot make sense of and
// panics. SetPanicOnFault turns the fault into a panic of this
// goroutine, the recover turns either into an error wrapping ErrDamaged,
// and the store refuses every later call: the daemon then stops with a
// message that names the file, rather than a crash dump. bbolt's own
// deferred rollback releases the transaction on the way out.
func (s *Store) view(fn func(*bolt.Tx) error) (err error) {
	if err := s.usable(); err != nil {
		return err
	}
	defer s.recoverFault(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return s.db.View(fn)
}

func (s *Store) update(fn func(*bolt.Tx) error) (err error) {
	if err := s.usable(); err != nil {
		return err
	}
	if s.opts.ReadOnly {
		return errReadOnly
	}
	defer s.noteSize()
	defer s.recoverFault(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return s.db.Update(fn)
}

// usable refuses a broken store, and breaks one whose file shrank: a
// truncation is then reported before bbolt reads past the new end.
// Reading there would fault, and the fault can come in bbolt's own
// rollback (which rescans the file) or in a goroutine of its own, where
// no recover reaches.
func (s *Store) usable() error {
	if err := s.brokenErr(); err != nil {
		return err
	}
	fi, err := s.file.Stat()
	if err != nil {
		return fmt.Errorf("history %s: %w", s.path, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if fi.Size() < s.lastSize && s.broken == nil {
		s.broken = fmt.Errorf("%w: history %s shrank from %d to %d bytes under the daemon: the file was truncated",
			ErrDamaged, s.path, s.lastSize, fi.Size())
		s.log.Error("history truncated", "path", s.path, "was", s.lastSize, "now", fi.Size())
	}
	return s.broken
}

func (s *Store) noteSize() {
	if fi, err := s.file.Stat(); err == nil {
		s.mu.Lock()
		s.lastSize = max(s.lastSize, fi.Size())
		s.mu.Unlock()
	}
}

func (s *Store) recoverFault(err *error) {
	r := recover()
	if r == nil {
		return
	}
	e := fmt.Errorf("%w: history %s faulted while mapped (%v): the file was truncated or overwritten under the daemon",
		ErrDamaged, s.path, r)
	s.mu.Lock()
	if s.broken == nil {
		s.broken = e
	}
	s.mu.Unlock()
	s.log.Error("history fault", "path", s.path, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	*err = e
}

func (s *Store) brokenErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.broken
}

// Broken returns the fault that made the store unusable, or nil.
func (s *Store) Broken() error { return s.brokenErr() }

// checkBuckets makes sure the file has every bucket its schema says it
// has; a file with the schema key and missing buckets would otherwise
// fail later on a nil bucket.
func checkBuckets(tx *bolt.Tx) error {
	v := schemaOf(tx)
	if v > SchemaVersion {
		return nil // migrate refuses it, with its own message
	}
	for _, name := range schemaBuckets[v] {
		if tx.Bucket(name) == nil {
			return damaged("schema %d but no %q bucket", v, name)
		}
	}
	if v == 0 {
		// No schema key: only a new file (no buckets at all) or one
		// that crashed in its first migration (the buckets it made).
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if !isBucketName(name) {
				return damaged("no schema, and a bucket %q kwarden does not write", name)
			}
			return nil
		})
	}
	return nil
}
