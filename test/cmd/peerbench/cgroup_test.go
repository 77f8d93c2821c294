package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fixture copies testdata files into a temporary tree: files maps a path
// below the tree to a testdata name (or, prefixed with "=", contents).
func fixture(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for path, src := range files {
		var b []byte
		if len(src) > 0 && src[0] == '=' {
			b = []byte(src[1:])
		} else {
			var err error
			if b, err = os.ReadFile(filepath.Join("testdata", src)); err != nil {
				t.Fatal(err)
			}
		}
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestParseProcCgroup(t *testing.T) {
	b, err := os.ReadFile("testdata/cgroup-v1")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := parseProcCgroup(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"memory", "cpu", "cpuacct", "blkio", "name=systemd"} {
		if pc.v1[c] != "/docker/0123abcd" {
			t.Errorf("%s: %q", c, pc.v1[c])
		}
	}
	if pc.unified != "/" {
		t.Errorf("unified %q, want /", pc.unified)
	}
	if _, err := parseProcCgroup([]byte("garbage\n")); err == nil {
		t.Error("a line without colons parsed")
	}
}

func TestCgroupTruthV1(t *testing.T) {
	root := fixture(t, map[string]string{
		"proc/7/cgroup": "cgroup-v1",
		"cg/cpu,cpuacct/docker/0123abcd/cpuacct.usage":    "=61234567890\n",
		"cg/memory/docker/0123abcd/memory.usage_in_bytes": "=136314880\n",
		"cg/memory/docker/0123abcd/memory.stat":           "memory.stat-v1",
	})
	c, err := newCgroupTruth(procFS{Root: filepath.Join(root, "proc")}, filepath.Join(root, "cg"), 7)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.read()
	if err != nil {
		t.Fatal(err)
	}
	// total_rss, not rss; usage − total_inactive_file.
	if want := (truth{cpuNs: 61234567890, workingSet: 136314880 - 1048576, rss: 134348800}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestCgroupTruthV2(t *testing.T) {
	dir := "cg/system.slice/docker-0123abcd.scope/"
	root := fixture(t, map[string]string{
		"proc/7/cgroup":         "cgroup-v2",
		dir + "cpu.stat":        "cpu.stat-v2",
		dir + "memory.current":  "=136577024\n",
		dir + "memory.stat":     "memory.stat-v2",
		"cg/memory/placeholder": "=a v1 directory the v2 process is not in\n",
	})
	c, err := newCgroupTruth(procFS{Root: filepath.Join(root, "proc")}, filepath.Join(root, "cg"), 7)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.read()
	if err != nil {
		t.Fatal(err)
	}
	if want := (truth{cpuNs: 61234567000, workingSet: 136577024 - 524288, rss: 134479872}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestCgroupTruthMissing(t *testing.T) {
	root := fixture(t, map[string]string{"proc/7/cgroup": "cgroup-v1"})
	if _, err := newCgroupTruth(procFS{Root: filepath.Join(root, "proc")}, filepath.Join(root, "cg"), 7); err == nil {
		t.Error("cgroups that are not mounted were found")
	}
}

func TestCPULogAt(t *testing.T) {
	t0 := time.Unix(100, 0)
	l := cpuLog{{t0, 1000}, {t0.Add(100 * time.Millisecond), 2000}, {t0.Add(300 * time.Millisecond), 2000}}
	for _, c := range []struct {
		at   time.Duration
		want float64
		ok   bool
	}{
		{0, 1000, true},
		{25 * time.Millisecond, 1250, true},
		{100 * time.Millisecond, 2000, true},
		{200 * time.Millisecond, 2000, true},
		{300 * time.Millisecond, 2000, true},
		{-time.Millisecond, 0, false},
		{301 * time.Millisecond, 0, false},
	} {
		got, ok := l.at(t0.Add(c.at))
		if got != c.want || ok != c.ok {
			t.Errorf("at %v: %v, %v; want %v, %v", c.at, got, ok, c.want, c.ok)
		}
	}
	if _, ok := (cpuLog{}).at(t0); ok {
		t.Error("an empty log answered")
	}
}
