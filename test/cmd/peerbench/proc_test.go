package main

import (
	"os"
	"testing"
	"time"
)

// The stat fixture through procfs.ParseStat: the command name holds
// spaces and brackets, and the children's times are kept apart.
func TestProcFSFixture(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(dir+"/42", 0o755)
	for _, name := range []string{"stat", "status"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(dir+"/42/"+name, b, 0o644)
	}
	p := procFS{Root: dir}
	c, err := p.cpu(42)
	if err != nil {
		t.Fatal(err)
	}
	if want := (cpuTimes{utime: 1234, stime: 567, cutime: 89, cstime: 10}); c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if c.own() != 18010*time.Millisecond || c.children() != 990*time.Millisecond {
		t.Errorf("own %v, children %v", c.own(), c.children())
	}
	if r, err := p.rss(42); err != nil || r != 28160<<10 {
		t.Errorf("VmRSS = %d, %v; want %d", r, err, 28160<<10)
	}
	os.WriteFile(dir+"/42/status", []byte("Name:\tkthreadd\nState:\tS\nUid:\t0\t0\t0\t0\nThreads:\t1\n"), 0o644)
	if _, err := p.rss(42); err == nil {
		t.Error("a status without VmRSS read")
	}
	os.WriteFile(dir+"/42/stat", []byte("42 (x) S 1 2 3"), 0o644)
	if _, err := p.cpu(42); err == nil {
		t.Error("a short stat read")
	}
}

func TestProcFSReadsOwnProcess(t *testing.T) {
	var p procFS
	c, err := p.cpu(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if c.own() < 0 {
		t.Errorf("own CPU %v", c.own())
	}
	if r, err := p.rss(os.Getpid()); err != nil || r == 0 {
		t.Errorf("own RSS %d, %v", r, err)
	}
}
