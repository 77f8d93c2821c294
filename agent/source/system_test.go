package source

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSystem(t *testing.T) {
	root := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("meminfo", "MemTotal:       2000 kB\nMemFree:         500 kB\nMemAvailable:   1500 kB\nBuffers: 1 kB\n")
	write("stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3\n")
	s, err := OpenSystem(root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.Read()
	if err != nil || f.MemTotal != 2000<<10 || f.MemFree != 500<<10 || f.MemAvailable != 1500<<10 || f.Used() != 500<<10 || f.CPUPercent != 0 {
		t.Fatalf("first read: %+v %v", f, err)
	}
	// The same open files, read again: 100 busy of 200 ticks.
	write("stat", "cpu  150 0 150 900 0 0 0 0 0 0\n")
	if f, err = s.Read(); err != nil || f.CPUPercent != 50 {
		t.Fatalf("second read: %+v %v", f, err)
	}
	write("meminfo", "MemFree: 1 kB\n")
	if _, err := s.Read(); err == nil {
		t.Error("meminfo without MemTotal accepted")
	}
	if st := s.Status(); st.State != "failing" || st.Reads != 3 || st.Failures != 1 || st.Error == "" {
		t.Errorf("status after a bad read: %+v", st)
	}
	// The real /proc.
	real, err := OpenSystem("")
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	if f, err := real.Read(); err != nil || f.MemTotal == 0 || f.Used() > f.MemTotal {
		t.Fatalf("/proc: %+v %v", f, err)
	}
	if _, err := OpenSystem(filepath.Join(root, "none")); err == nil {
		t.Error("a /proc without meminfo opened")
	}
}
