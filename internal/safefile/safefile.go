package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrUntrusted is wrapped by every refusal.
var ErrUntrusted = errors.New("untrusted file")

// Options say what kind of file is opened.
type Options struct {
	// What names the file in errors ("history", "config", "token file").
	What string
	// Secret refuses a file that others (or its group) can read.
	Secret bool
	// Create creates the file, mode 0600, when it does not exist.
	Create bool
	// Write opens it read-write rather than read-only.
	Write bool
	// UID is the owner the file must have; -1 means the effective uid.
	UID int
}

func (o Options) what() string {
	if o.What == "" {
		return "file"
	}
	return o.What
}

func (o Options) uid() uint32 {
	if o.UID < 0 {
		return uint32(os.Geteuid())
	}
	return uint32(o.UID)
}

// Open opens path under the package's rules; created says that this call
// made the file. The caller closes f.
func Open(path string, o Options) (f *os.File, created bool, err error) {
	flag := os.O_RDONLY
	if o.Write {
		flag = os.O_RDWR
	}
	flag |= syscall.O_NOFOLLOW | syscall.O_CLOEXEC
	f, err = os.OpenFile(path, flag, 0)
	if errors.Is(err, fs.ErrNotExist) && o.Create {
		f, err = os.OpenFile(path, flag|os.O_CREATE|os.O_EXCL, 0o600)
		created = err == nil
	}
	if err != nil {
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, fs.ErrExist) {
			if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
				return nil, false, fmt.Errorf("%s %s is a symbolic link: %w (refusing to follow it; use the real path)", o.what(), path, ErrUntrusted)
			}
		}
		return nil, false, fmt.Errorf("open %s: %w", o.what(), err)
	}
	if err := checkOpened(f, path, o); err != nil {
		f.Close()
		return nil, false, err
	}
	return f, created, nil
}

func checkOpened(f *os.File, path string, o Options) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s %s: %w", o.what(), path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s %s is not a regular file (%s): %w", o.what(), path, fi.Mode().Type(), ErrUntrusted)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s %s: no owner information", o.what(), path)
	}
	if want := o.uid(); st.Uid != want {
		return fmt.Errorf("%s %s is owned by uid %d, not by uid %d that runs this program: %w (another user could read or truncate it; remove it or choose another path)",
			o.what(), path, st.Uid, want, ErrUntrusted)
	}
	perm := fi.Mode().Perm()
	if perm&0o022 != 0 {
		return fmt.Errorf("%s %s has mode %04o, writable by other users: %w (chmod go-w %s)", o.what(), path, perm, ErrUntrusted, path)
	}
	if o.Secret && perm&0o044 != 0 {
		return fmt.Errorf("%s %s has mode %04o, readable by other users, and holds a secret: %w (chmod 600 %s)", o.what(), path, perm, ErrUntrusted, path)
	}
	return nil
}

// ReadFile reads a whole small file (at most max bytes) under the
// package's rules.
func ReadFile(path string, max int64, o Options) ([]byte, error) {
	o.Write, o.Create = false, false
	f, _, err := Open(path, o)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", o.what(), path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s %s is larger than %d bytes", o.what(), path, max)
	}
	return b, nil
}

// CheckDir checks that dir and every directory above it can only be
// changed by root or the daemon's user (uid, -1 for the effective one):
// each is owned by one of them and is not writable by others unless it
// is sticky. Symbolic links among them are followed and their targets
// checked instead.
func CheckDir(dir string, uid int) error {
	want := uint32(uid)
	if uid < 0 {
		want = uint32(os.Geteuid())
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("directory %s: %w", dir, err)
	}
	for d := real; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("directory %s: %w", d, err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", d)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != 0 && st.Uid != want {
			return fmt.Errorf("directory %s is owned by uid %d: %w (another user could replace what it holds)", d, st.Uid, ErrUntrusted)
		}
		if perm := fi.Mode(); perm.Perm()&0o022 != 0 && perm&fs.ModeSticky == 0 {
			return fmt.Errorf("directory %s has mode %04o, writable by other users and not sticky: %w (another user could replace what it holds)",
				d, perm.Perm(), ErrUntrusted)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// MkdirPrivate creates dir with mode 0700 if it does not exist (its
// missing parents get 0755), then checks it with CheckDir.
func MkdirPrivate(dir string, uid int) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if parent := filepath.Dir(dir); parent != dir {
			if err := os.MkdirAll(parent, 0o755); err != nil {
				return fmt.Errorf("create directory %s: %w", parent, err)
			}
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create directory %s: %w", dir, err)
		}
	}
	return CheckDir(dir, uid)
}
