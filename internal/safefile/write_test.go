package safefile

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFile writes the file with the mode asked for, whatever the
// umask; replaces a file that was there; replaces a symbolic link
// planted at the path rather than writing through it; and on a failure
// leaves the path as it was and no temporary file behind.
func TestWriteFile(t *testing.T) {
	dir := private(t)
	path := filepath.Join(dir, "ram.svg")
	if err := WriteFile(path, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if b, _ := os.ReadFile(path); err != nil || string(b) != "two" || fi.Mode() != 0o644 {
		t.Errorf("after two writes: %q, mode %v, %v", b, fi.Mode(), err)
	}

	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "cpu.svg")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("graph"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("written through a planted link: the target holds %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the link was not replaced by a regular file: %v %v", fi.Mode(), err)
	}

	// A directory in the way: the rename fails, nothing is left over.
	blocked := filepath.Join(dir, "blocked")
	if err := os.MkdirAll(filepath.Join(blocked, "in"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(blocked, []byte("x"), 0o644); err == nil {
		t.Error("written over a directory")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); n != "ram.svg" && n != "victim" && n != "cpu.svg" && n != "blocked" {
			t.Errorf("left behind: %s", n)
		}
	}
}
