package procview

import (
	"encoding/binary"
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
	buf := make([]byte, 128) // a few records a call: the loop goes on
	for range 2 {
		got, err := readListing(f, buf, nil)
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
	got, err := readListing(p, make([]byte, 64<<10), nil)
	if _, ok := slices.BinarySearch(got, int32(os.Getpid())); err != nil || !ok {
		t.Errorf("/proc listing (%d pids) lacks this process %d: %v", len(got), os.Getpid(), err)
	}
}

// dirent is one linux_dirent64 record, padded to 8 bytes as the kernel
// writes it.
func dirent(name string) []byte {
	n := (19 + len(name) + 1 + 7) &^ 7
	b := make([]byte, n)
	binary.NativeEndian.PutUint16(b[16:], uint16(n))
	copy(b[19:], name)
	return b
}

func TestAppendPIDs(t *testing.T) {
	var b []byte
	for _, n := range []string{".", "..", "1", "self", "4242", "0", "12abc", "2147483647"} {
		b = append(b, dirent(n)...)
	}
	if got := appendPIDs(nil, b); !slices.Equal(got, []int32{1, 4242, 2147483647}) {
		t.Errorf("pids %v", got)
	}
	// A record length that runs past the buffer, or below the header,
	// ends the parse: no panic, the pids before it kept.
	bad := append(dirent("7"), dirent("8")...)
	binary.NativeEndian.PutUint16(bad[len(dirent("7"))+16:], 4000)
	if got := appendPIDs(nil, bad); !slices.Equal(got, []int32{7}) {
		t.Errorf("pids before a bad record: %v", got)
	}
}

func FuzzAppendPIDs(f *testing.F) {
	f.Add(append(dirent("1"), dirent("self")...))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, pid := range appendPIDs(nil, b) {
			if pid <= 0 {
				t.Fatalf("pid %d", pid)
			}
		}
	})
}
