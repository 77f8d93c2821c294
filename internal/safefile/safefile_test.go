package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kwarden/kwarden/test/testenv"
)

const nobody = 65534

func private(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Chmod(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCreateAndReopen(t *testing.T) {
	path := filepath.Join(private(t), "h.db")
	o := Options{What: "history", Create: true, Write: true, UID: -1}
	f, created, err := Open(path, o)
	if err != nil || !created {
		t.Fatalf("create: %v, created %v", err, created)
	}
	f.Close()
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("created with mode %04o, want 0600", fi.Mode().Perm())
	}
	f, created, err = Open(path, o)
	if err != nil || created {
		t.Fatalf("reopen: %v, created %v", err, created)
	}
	f.Close()
}

func TestRefusesSymlink(t *testing.T) {
	dir := private(t)
	target := filepath.Join(dir, "target")
	link := filepath.Join(dir, "h.db")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, create := range []bool{true, false} {
		_, _, err := Open(link, Options{What: "history", Create: create, Write: true, UID: -1})
		if !errors.Is(err, ErrUntrusted) || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("create=%v: %v, want a refusal naming the link", create, err)
		}
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the link's target was created: %v", err)
	}
	// An existing target is not followed either.
	os.WriteFile(target, nil, 0o600)
	if _, _, err := Open(link, Options{UID: -1}); !errors.Is(err, ErrUntrusted) {
		t.Errorf("link to an existing file: %v", err)
	}
}

func TestRefusesModes(t *testing.T) {
	dir := private(t)
	for mode, secret := range map[os.FileMode]bool{0o620: false, 0o602: false, 0o604: true, 0o640: true} {
		path := filepath.Join(dir, "f"+mode.String())
		os.WriteFile(path, []byte("x"), 0o600)
		os.Chmod(path, mode)
		if _, err := ReadFile(path, 10, Options{Secret: secret, UID: -1}); !errors.Is(err, ErrUntrusted) || !strings.Contains(err.Error(), "mode") {
			t.Errorf("mode %04o secret %v: %v, want a refusal", mode, secret, err)
		}
	}
	path := filepath.Join(dir, "ok")
	os.WriteFile(path, []byte("x"), 0o644)
	if b, err := ReadFile(path, 10, Options{UID: -1}); err != nil || string(b) != "x" {
		t.Errorf("0644, not secret: %q %v", b, err)
	}
	if _, err := ReadFile(path, 0, Options{UID: -1}); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("size bound: %v", err)
	}
	if _, err := ReadFile(dir, 10, Options{UID: -1}); err == nil {
		t.Error("a directory was read as a file")
	}
}

func TestRefusesForeignOwner(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "chown needs root")
	dir := private(t)
	path := filepath.Join(dir, "h.db")
	os.WriteFile(path, []byte("planted"), 0o600)
	if err := os.Chown(path, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	_, _, err := Open(path, Options{What: "history", Create: true, Write: true, UID: -1})
	if !errors.Is(err, ErrUntrusted) || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Fatalf("foreign owner: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "planted" {
		t.Errorf("the planted file was changed: %q", b)
	}
}

func TestCheckDir(t *testing.T) {
	if err := CheckDir(os.TempDir(), -1); err != nil {
		t.Errorf("%s (sticky): %v", os.TempDir(), err)
	}
	dir := private(t)
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o700)
	os.Chmod(open, 0o777)
	if err := CheckDir(filepath.Join(open), -1); !errors.Is(err, ErrUntrusted) {
		t.Errorf("world-writable directory: %v", err)
	}
	os.Chmod(open, 0o777|os.ModeSticky)
	if err := CheckDir(open, -1); err != nil {
		t.Errorf("sticky directory: %v", err)
	}
	// A link to the bad directory is judged by its target.
	os.Chmod(open, 0o777)
	link := filepath.Join(dir, "link")
	os.Symlink(open, link)
	if err := CheckDir(link, -1); !errors.Is(err, ErrUntrusted) {
		t.Errorf("link to a world-writable directory: %v", err)
	}
}

func TestCheckDirForeignOwner(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "chown needs root")
	dir := filepath.Join(private(t), "theirs")
	os.Mkdir(dir, 0o755)
	os.Chown(dir, nobody, nobody)
	if err := CheckDir(dir, -1); !errors.Is(err, ErrUntrusted) || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("foreign directory: %v", err)
	}
	if err := MkdirPrivate(filepath.Join(dir, "sub"), -1); !errors.Is(err, ErrUntrusted) {
		t.Errorf("MkdirPrivate below a foreign directory: %v", err)
	}
}

func TestMkdirPrivate(t *testing.T) {
	dir := filepath.Join(private(t), "var", "lib", "kwarden")
	if err := MkdirPrivate(dir, -1); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %04o, want 0700", fi.Mode().Perm())
	}
	if err := MkdirPrivate(dir, -1); err != nil {
		t.Errorf("existing: %v", err)
	}
}
