package rereader

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRereadsFromTheStart(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := f.Read(); err != nil || string(b) != "one\n" {
		t.Fatalf("%q %v", b, err)
	}
	long := strings.Repeat("x", 10000)
	if err := os.WriteFile(p, []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := f.Read(); err != nil || string(b) != long {
		t.Fatalf("after growing the file: %d bytes, %v", len(b), err)
	}
	f.Close()
	if _, err := f.Read(); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("read after close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

// /proc/stat is generated anew by every read at offset 0: two reads a
// moment apart differ (the counters move), and each is whole.
func TestProcFileRegenerates(t *testing.T) {
	f, err := Open("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := f.Read()
	if err != nil {
		t.Fatal(err)
	}
	first := string(a)
	time.Sleep(50 * time.Millisecond) // the idle counters move every tick
	b, err := f.Read()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first, "cpu ") || !strings.HasPrefix(string(b), "cpu ") || !strings.Contains(string(b), "\nprocs_running ") {
		t.Fatalf("not whole /proc/stat reads:\n%.200s\n%.200s", first, b)
	}
	if first == string(b) {
		t.Error("the second read repeated the first: not regenerated")
	}
	if _, err := Open("/nonexistent/x"); err == nil || !strings.Contains(err.Error(), "/nonexistent/x") {
		t.Errorf("open of a missing file: %v", err)
	}
}

// ReadFile reads a file whole (growing the buffer), says which file
// failed and how, and a missing file is fs.ErrNotExist.
func TestReadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	long := strings.Repeat("y", 9000)
	if err := os.WriteFile(p, []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	if b, err := ReadFile(p, &buf); err != nil || string(b) != long {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
	if b, err := ReadFile("/proc/self/stat", &buf); err != nil || !strings.Contains(string(b), ") ") {
		t.Fatalf("/proc/self/stat: %q, %v", b, err)
	}
	_, err := ReadFile(p+".missing", &buf)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p+".missing") {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := ReadFile(t.TempDir(), &buf); !errors.Is(err, syscall.EISDIR) {
		t.Fatalf("a directory: %v", err)
	}
}
