package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kwarden/kwarden/internal/safefile"
	"github.com/kwarden/kwarden/test/testenv"
)

// sample writes a small history and returns its file, cut to the pages
// bbolt uses (the rest of a new file is a sparse 16 MiB of growth room).
func sample(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	history(t, s, 300, 20)
	for i := range 5 {
		s.AddEvents(Event{Time: t0.Add(time.Duration(i) * time.Second), Kind: "docker.outage", Message: "gone"})
	}
	s.Close()
	hwm, pageSize := highWater(t, path)
	if err := os.Truncate(path, int64(hwm)*pageSize); err != nil {
		t.Fatal(err)
	}
	return path
}

// highWater reads the high-water page count and page size of a file's
// newest meta page.
func highWater(t testing.TB, path string) (uint64, int64) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := &checker{f: f}
	fi, _ := f.Stat()
	c.size = fi.Size()
	m, err := c.meta()
	if err != nil {
		t.Fatal(err)
	}
	return m.pgid, int64(m.pageSize)
}

// wantDamaged opens path and wants a clear ErrDamaged that names the file
// and the way out.
func wantDamaged(t *testing.T, path, why string) {
	t.Helper()
	s, err := Open(path, Options{})
	if err == nil {
		s.Close()
		t.Fatalf("%s: opened", why)
	}
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "-db-reset-damaged") {
		t.Fatalf("%s: %v; want ErrDamaged naming the file and -db-reset-damaged", why, err)
	}
	t.Logf("%s: %s", why, strings.SplitN(err.Error(), "\n", 2)[0])
}

func TestOpenRefusesDamagedFiles(t *testing.T) {
	good := sample(t)
	orig, _ := os.ReadFile(good)
	variant := func(name string, mutate func(b []byte) []byte) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, mutate(append([]byte(nil), orig...)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, pageSize := highWater(t, good)
	wantDamaged(t, variant("half", func(b []byte) []byte { return b[:len(b)/2/int(pageSize)*int(pageSize)] }), "truncated to half")
	wantDamaged(t, variant("odd", func(b []byte) []byte { return b[:len(b)-1001] }), "truncated to an odd size")
	wantDamaged(t, variant("text", func([]byte) []byte { return []byte(strings.Repeat("not a database\n", 1000)) }), "not a database")
	wantDamaged(t, variant("metas", func(b []byte) []byte {
		clear(b[:2*pageSize])
		return b
	}), "both meta pages zeroed")
	// The root page of the root bucket, overwritten with noise.
	wantDamaged(t, variant("root", func(b []byte) []byte {
		root := binary.LittleEndian.Uint64(b[pageHeader+16:])
		if m1 := binary.LittleEndian.Uint64(b[pageSize+pageHeader+48:]); m1 > binary.LittleEndian.Uint64(b[pageHeader+48:]) {
			root = binary.LittleEndian.Uint64(b[pageSize+pageHeader+16:])
		}
		r := rand.New(rand.NewPCG(1, 2))
		for i := range pageSize {
			b[int64(root)*pageSize+i] = byte(r.Uint32())
		}
		return b
	}), "root page overwritten")

	// A schema key and no buckets (a file written by something else).
	bare := filepath.Join(t.TempDir(), "bare")
	db, err := bolt.Open(bare, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucket(bMeta)
		return m.Put(keySchema, binary.BigEndian.AppendUint64(nil, SchemaVersion))
	})
	db.Close()
	wantDamaged(t, bare, "schema key without buckets")
}

// Random pages written over a sound file: Open refuses the file or
// opens it, and what it opens can be read, pruned and written. No seed
// may panic or fault.
func TestOpenSurvivesOverwrittenPages(t *testing.T) {
	good := sample(t)
	orig, _ := os.ReadFile(good)
	hwm, pageSize := highWater(t, good)
	refused := 0
	const files = 60
	for seed := range uint64(files) {
		r := rand.New(rand.NewPCG(seed, 7))
		b := append([]byte(nil), orig...)
		for range 1 + r.IntN(3) {
			pg := int64(2 + r.Uint64N(hwm-2))
			switch seed % 3 {
			case 0: // the whole page
				for i := range pageSize {
					b[pg*pageSize+i] = byte(r.Uint32())
				}
			case 1: // the body, keeping the page's header
				for i := int64(pageHeader); i < pageSize; i++ {
					b[pg*pageSize+i] = byte(r.Uint32())
				}
			case 2: // a few bytes
				for range 4 {
					b[pg*pageSize+r.Int64N(pageSize)] ^= byte(1 + r.IntN(255))
				}
			}
		}
		p := filepath.Join(t.TempDir(), "h.db")
		os.WriteFile(p, b, 0o600)
		s, err := Open(p, Options{RawRetention: time.Minute})
		if err != nil {
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("seed %d: %v, want ErrDamaged", seed, err)
			}
			refused++
			continue
		}
		exercise(s)
		s.Close()
	}
	t.Logf("%d files with overwritten pages: %d refused, %d opened and used", files, refused, files-refused)
	if refused == 0 {
		t.Error("no damaged file was refused: the check is not checking")
	}
}

// exercise runs every kind of call on s; errors are fine, panics not.
func exercise(s *Store) {
	q := RangeQuery{From: t0, To: t0.Add(time.Hour)}
	s.SystemRange(q)
	s.ContainerSeries("0000000000000000000000000000000000000000000000000000000000000003", q)
	s.Events(EventQuery{From: t0, To: t0.Add(time.Hour)})
	s.Top(t0.Add(time.Hour))
	s.ContainerInfo()
	s.WriteTick(tick(400))
	s.Prune(t0.Add(time.Hour))
}

func TestResetDamagedMovesAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	junk := []byte(strings.Repeat("x", 8192))
	os.WriteFile(path, junk, 0o600)
	s, err := Open(path, Options{ResetDamaged: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	aside := s.MovedAside()
	if b, err := os.ReadFile(aside); err != nil || string(b) != string(junk) || !strings.HasPrefix(aside, path+".damaged-") {
		t.Fatalf("damaged file kept at %q: %v", aside, err)
	}
	if err := s.WriteTick(tick(0)); err != nil {
		t.Fatalf("the new history: %v", err)
	}
	// A file refused for its owner or a lock is not moved, only damage.
	s.Close()
	os.Chmod(path, 0o666)
	if _, err := Open(path, Options{ResetDamaged: true}); !errors.Is(err, safefile.ErrUntrusted) {
		t.Fatalf("world-writable with reset: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("an untrusted file was moved: %v", err)
	}
}

// The file and its directory are trusted only when no other user can
// have chosen them; a refused open creates nothing.
func TestOpenRefusesUntrustedPaths(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.db")
	link := filepath.Join(dir, "h.db")
	os.Symlink(target, link)
	if _, err := Open(link, Options{}); !errors.Is(err, safefile.ErrUntrusted) {
		t.Errorf("symlink: %v", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the symlink's target was created")
	}
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o700)
	os.Chmod(open, 0o777)
	if _, err := Open(filepath.Join(open, "h.db"), Options{}); !errors.Is(err, safefile.ErrUntrusted) {
		t.Errorf("world-writable directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(open, "h.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was created in the world-writable directory")
	}
	fresh := filepath.Join(dir, "var", "lib", "kwarden", "history.db")
	s, err := Open(fresh, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for p, want := range map[string]os.FileMode{filepath.Dir(fresh): 0o700, fresh: 0o600} {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", p, fi.Mode().Perm(), want)
		}
	}
}

func TestOpenRefusesForeignFile(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "chown needs root")
	path := filepath.Join(t.TempDir(), "h.db")
	os.WriteFile(path, nil, 0o600)
	os.Chown(path, 65534, 65534) // nobody pre-created it
	if _, err := Open(path, Options{}); !errors.Is(err, safefile.ErrUntrusted) || !strings.Contains(err.Error(), "uid 65534") {
		t.Fatalf("foreign file: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Errorf("the foreign file was written: %d bytes", fi.Size())
	}
}

// A second opener is told who holds the file, without bbolt's bare
// "timeout".
func TestOpenNamesTheHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KWARDEN_STORE_WRITER="+path)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	sc := bufio.NewScanner(out)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "wrote") {
		t.Fatalf("writer: %q", sc.Text())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	_, err := Open(path, Options{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "store.test") {
		t.Fatalf("second open: %v; want ErrLocked naming the writer", err)
	}
	t.Log(err)
}

// A file cut short under an open store (only its owner can, once Open's
// checks passed) faults in bbolt's mapping: calls return ErrDamaged, the
// store stays broken, the process lives.
func TestTruncatedUnderTheStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := open(t, path, Options{})
	history(t, s, 3600, 20)
	if err := os.Truncate(path, 8192); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.SystemRange(RangeQuery{From: t0, To: t0.Add(time.Hour)})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("query of a truncated file: %v", err)
	}
	if err := s.WriteTick(tick(5000)); !errors.Is(err, ErrDamaged) || s.Broken() == nil {
		t.Errorf("write after the fault: %v", err)
	}
	t.Log(err)
	if err := s.Close(); err != nil {
		t.Errorf("close of a broken store: %v", err)
	}
	// Its lock went with it: the file can be opened again (and is
	// refused, for it is damaged).
	if _, err := Open(path, Options{Timeout: 100 * time.Millisecond}); !errors.Is(err, ErrDamaged) {
		t.Errorf("reopen: %v", err)
	}
}

// Pages zeroed under an open store (its size unchanged): bbolt meets
// nonsense in the mapping and panics in the query's goroutine; the guard
// turns that into ErrDamaged.
func TestZeroedUnderTheStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := open(t, path, Options{})
	history(t, s, 3600, 20)
	fi, _ := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, fi.Size()-8192)
	if _, err := f.WriteAt(zeros, 8192); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, _, err = s.ContainerSeries("0000000000000000000000000000000000000000000000000000000000000003", RangeQuery{From: t0, To: t0.Add(time.Hour)})
	if !errors.Is(err, ErrDamaged) || s.Broken() == nil {
		t.Fatalf("query of a zeroed file: %v", err)
	}
	t.Log(err)
	_ = syscall.Getpid
}

// FuzzOpen: a sound history file changed byte by byte is refused as
// damaged (or, when the change lands in the schema key, as a newer
// build's), or opens and can be used; it never panics or faults.
func FuzzOpen(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.db")
	s, err := Open(path, Options{})
	if err != nil {
		f.Fatal(err)
	}
	history(f, s, 30, 3)
	s.AddEvents(Event{Time: t0, Kind: "docker.outage", Message: "gone"})
	s.Close()
	hwm, pageSize := highWater(f, path)
	os.Truncate(path, int64(hwm)*pageSize)
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "h.db")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(p, Options{Timeout: time.Second})
		if err != nil {
			if !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrNewerSchema) {
				t.Fatalf("%v: neither ErrDamaged nor ErrNewerSchema", err)
			}
			return
		}
		exercise(s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
