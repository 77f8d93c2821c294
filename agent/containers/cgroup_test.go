package containers

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestParseProcCgroup(t *testing.T) {
	for _, c := range []struct{ in, v2, mem string }{
		{"0::/system.slice/docker-abc.scope\n", "/system.slice/docker-abc.scope", ""},
		{"12:memory:/docker/abc\n11:cpu,cpuacct:/docker/abc\n0::/docker/abc\n", "/docker/abc", "/docker/abc"},
		{"4:memory:/process_api/x\n1:name=systemd:/\n", "", "/process_api/x"},
		{"3:cpuset,memory:/a b/c\n", "", "/a b/c"},
	} {
		v2, mem, err := ParseProcCgroup([]byte(c.in))
		if err != nil || v2 != c.v2 || mem != c.mem {
			t.Errorf("%q → %q, %q, %v; want %q, %q", c.in, v2, mem, err, c.v2, c.mem)
		}
	}
	for _, bad := range []string{"", "\n\n", "garbage", "0::relative", "1:memory"} {
		if _, _, err := ParseProcCgroup([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseProcCgroup(f *testing.F) {
	f.Add([]byte("12:memory:/docker/abc\n0::/docker/abc\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v2, mem, err := ParseProcCgroup(b)
		if err == nil && (v2 != "" && v2[0] != '/' || mem != "" && mem[0] != '/') {
			t.Fatalf("relative path accepted: %q %q", v2, mem)
		}
	})
}

// A fixture tree: a pure v2 host (cgroup.controllers at the root), where
// the memory cgroup is the unified one.
func TestResolverPureV2(t *testing.T) {
	root := t.TempDir()
	proc := filepath.Join(root, "proc")
	cg := filepath.Join(root, "cgroup")
	dir := filepath.Join(cg, "system.slice", "docker-abc.scope")
	for _, d := range []string{filepath.Join(proc, "42"), dir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(cg, "cgroup.controllers"), []byte("memory\n"), 0o644)
	os.WriteFile(filepath.Join(proc, "42", "cgroup"), []byte("0::/system.slice/docker-abc.scope\n"), 0o644)
	r := Resolver{ProcRoot: proc, CgroupRoot: cg}
	got, err := r.Of(42)
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	syscall.Stat(dir, &st)
	if got.V2ID != st.Ino || got.MemID != st.Ino || got.V2Path != "/system.slice/docker-abc.scope" {
		t.Errorf("resolved %+v, want both ids %d", got, st.Ino)
	}
	if _, err := r.Of(43); !errors.Is(err, ErrNoProcess) {
		t.Errorf("missing process: %v", err)
	}
}
