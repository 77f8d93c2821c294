package daemon

import (
	"os"
	"path/filepath"
	"testing"
)

func TestProcSystem(t *testing.T) {
	root := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("meminfo", "MemTotal:       2000 kB\nMemFree:         500 kB\nMemAvailable:   1500 kB\nBuffers: 1 kB\n")
	write("stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3\n")
	p := procSystem{root: root}
	defer p.close()
	f, err := p.read()
	if err != nil {
		t.Fatal(err)
	}
	if f.MemTotal != 2000<<10 || f.MemFree != 500<<10 || f.MemAvail != 1500<<10 || f.MemUsed != 500<<10 || f.CPUPercent != 0 {
		t.Fatalf("first read: %+v", f)
	}
	// The same open files, read again: 100 busy of 200 jiffies.
	write("stat", "cpu  150 0 150 900 0 0 0 0 0 0\n")
	if f, err = p.read(); err != nil || f.CPUPercent != 50 {
		t.Fatalf("second read: %+v %v", f, err)
	}
	write("meminfo", "MemFree: 1 kB\n")
	if _, err := p.read(); err == nil {
		t.Error("meminfo without MemTotal accepted")
	}
	// The real /proc.
	var real procSystem
	defer real.close()
	if f, err := real.read(); err != nil || f.MemTotal == 0 || f.MemUsed > f.MemTotal {
		t.Fatalf("/proc: %+v %v", f, err)
	}
}
