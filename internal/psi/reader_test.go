package psi

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kwarden/kwarden/test/testenv"
)

const systemMemory = "/proc/pressure/memory"

func requirePSI(t *testing.T) {
	t.Helper()
	_, err := os.Stat(systemMemory)
	testenv.RequireNoErr(t, err, "PSI in the running kernel")
}

func TestReaderFixtures(t *testing.T) {
	r, err := OpenReader(SystemFiles("testdata/6.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if p.Memory.Some.Total != us(4371839) || p.CPU.Some.Avg10 != 2.57 || p.CPU.Full != (Figures{}) || p.IO.Full.Avg10 != 0.30 {
		t.Errorf("read %+v", p)
	}
}

// A Reader re-reads the files it holds open: a file rewritten in place
// is read anew, with no reopening.
func TestReaderRereads(t *testing.T) {
	dir := t.TempDir()
	files := CgroupFiles(dir)
	for _, p := range []string{files.Memory, files.CPU, files.IO} {
		if err := os.WriteFile(p, fixture(t, "6.18/cgroup-cpu.pressure"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r, err := OpenReader(files)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if p, err := r.Read(); err != nil || p.CPU.Full.Total != us(502769680) {
		t.Fatalf("%+v, %v", p, err)
	}
	f, err := os.OpenFile(files.IO, os.O_WRONLY, 0) // in place: same inode
	if err != nil {
		t.Fatal(err)
	}
	// The same length, so the file's other bytes stay as they were.
	rewritten := strings.Replace(string(fixture(t, "6.18/cgroup-cpu.pressure")), "avg10=0.00", "avg10=9.99", 1)
	if _, err := f.WriteAt([]byte(rewritten), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p, err := r.Read()
	if err != nil || p.IO.Some.Avg10 != 9.99 || p.IO.Full.Total != us(502769680) {
		t.Errorf("after the rewrite: %+v, %v", p.IO, err)
	}
}

// A kernel without PSI has no /proc/pressure: ErrUnsupported, with the
// path. A malformed file is named with its line. A closed Reader fails.
func TestReaderErrors(t *testing.T) {
	_, err := OpenReader(SystemFiles(filepath.Join(t.TempDir(), "pressure")))
	if !errors.Is(err, ErrUnsupported) || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "pressure/memory") {
		t.Errorf("no pressure directory: %v", err)
	}

	dir := t.TempDir()
	for _, name := range []string{"memory", "cpu", "io"} {
		if err := os.WriteFile(filepath.Join(dir, name), fixture(t, "6.12/"+name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "io"), fixture(t, "broken/truncated"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(SystemFiles(dir))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Read()
	if want := filepath.Join(dir, "io") + `: parse pressure: line 2 "full`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("malformed io: %v, want %q", err, want)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Read(); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Read after Close: %v", err)
	}
}

func TestUnsupportedErrnos(t *testing.T) {
	for errno, want := range map[syscall.Errno]bool{
		syscall.ENOENT: true, syscall.EOPNOTSUPP: true, syscall.EACCES: false, syscall.ENODEV: false,
	} {
		err := unsupported(&fs.PathError{Op: "read", Path: "/proc/pressure/cpu", Err: errno})
		if errors.Is(err, ErrUnsupported) != want || !errors.Is(err, errno) {
			t.Errorf("%v: %v", errno, err)
		}
	}
}

// The running kernel's files: read twice through the same descriptors,
// totals never go back, and the machine-wide cpu full line is zero
// (absent before 5.13, undefined and printed as zeros since).
func TestReaderOnThisKernel(t *testing.T) {
	requirePSI(t)
	r, err := OpenReader(SystemFiles("/proc/pressure"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		before Resource
		after  Resource
	}{{"memory", a.Memory, b.Memory}, {"cpu", a.CPU, b.CPU}, {"io", a.IO, b.IO}} {
		if c.after.Some.Total < c.before.Some.Total || c.after.Full.Total < c.before.Full.Total {
			t.Errorf("%s went back: %+v then %+v", c.name, c.before, c.after)
		}
	}
	if b.CPU.Full != (Figures{}) {
		t.Errorf("system-wide cpu full is not zero: %+v", b.CPU.Full)
	}
	t.Logf("this kernel: memory %+v, cpu some %+v, io %+v", b.Memory, b.CPU.Some, b.IO)

	_, v2 := cgroupMounts(t)
	if v2 == "" {
		return
	}
	own := filepath.Join(v2, ownCgroup(t, ""))
	cr, err := OpenReader(CgroupFiles(own))
	if err != nil {
		t.Fatalf("this process's cgroup v2 %s: %v", own, err)
	}
	defer cr.Close()
	if p, err := cr.Read(); err != nil {
		t.Error(err)
	} else {
		t.Logf("this process's cgroup %s: memory some %+v", own, p.Memory.Some)
	}
}
