package procview

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPidName(t *testing.T) {
	for s, want := range map[string]int32{"1": 1, "4242": 4242, "2147483647": 2147483647} {
		if got, ok := pidName(s); !ok || got != want {
			t.Errorf("%q: %d %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "0", "01", "-1", "+1", "12a", "self", "2147483648", "thread-self"} {
		if got, ok := pidName(s); ok {
			t.Errorf("%q read as pid %d", s, got)
		}
	}
}

// A listing is the numeric names, sorted, whatever order the directory
// gives; the same open directory reads again from the start.
func TestReadListing(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"30", "7", "self", "sys", "100", "007"} {
		if err := os.Mkdir(filepath.Join(dir, n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for range 2 {
		got, err := readListing(f)
		if err != nil || !slices.Equal(got, []int32{7, 30, 100}) {
			t.Fatalf("listing %v %v", got, err)
		}
	}
	// The real /proc lists this process.
	p, err := os.Open("/proc")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got, err := readListing(p)
	if _, ok := slices.BinarySearch(got, int32(os.Getpid())); err != nil || !ok {
		t.Errorf("/proc listing (%d pids) lacks this process %d: %v", len(got), os.Getpid(), err)
	}
}
