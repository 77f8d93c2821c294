package procview

import (
	"reflect"
	"testing"
)

const mountinfo = `22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
28 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
412 22 254:1 /tmp/empty\040dir /proc/4242 rw,relatime shared:1 - ext4 /dev/vda1 rw
413 22 0:55 /fake /proc/77/stat rw master:3 - tmpfs tmpfs rw
414 22 0:56 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw
415 28 0:57 / /srv/proc/99 rw - tmpfs tmpfs rw
this line is broken
416 22 0:58 / /proc/self rw - tmpfs none rw
`

// The mounts over a pid's directory, or below it, under the given root;
// nothing else (sys, self, another tree), and a broken line is counted.
func TestParseMountinfo(t *testing.T) {
	got, bad := parseMountinfo([]byte(mountinfo), "/proc")
	want := map[int32][]Mount{
		4242: {{ID: 412, ParentID: 22, MountPoint: "/proc/4242", Root: "/tmp/empty dir", FSType: "ext4", Source: "/dev/vda1"}},
		77:   {{ID: 413, ParentID: 22, MountPoint: "/proc/77/stat", Root: "/fake", FSType: "tmpfs", Source: "tmpfs"}},
	}
	if !reflect.DeepEqual(got, want) || bad != 1 {
		t.Errorf("got %+v, %d bad; want %+v", got, bad, want)
	}
	if got, _ := parseMountinfo([]byte(mountinfo), "/srv/proc"); len(got) != 1 || got[99] == nil {
		t.Errorf("under /srv/proc: %+v", got)
	}
}

func TestParseMountLineRejects(t *testing.T) {
	for _, l := range []string{
		"", "1 2 3:4 / /x rw", // no separator
		"1 2 3:4 / /x rw - ext4", // no source
		"a 2 3:4 / /x rw - ext4 s rw", "1 2 3:4 /\\04 /x rw - ext4 s rw", "1 2 3:4 / /x\\999 rw - ext4 s rw",
	} {
		if m, err := parseMountLine(l); err == nil {
			t.Errorf("%q parsed as %+v", l, m)
		}
	}
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add([]byte(mountinfo), "/proc")
	f.Add([]byte("1 2 3:4 \\134 /proc/1 rw - x y z\n"), "/proc")
	f.Fuzz(func(t *testing.T, b []byte, root string) {
		got, _ := parseMountinfo(b, root)
		for pid, ms := range got {
			if pid <= 0 || len(ms) == 0 {
				t.Fatalf("pid %d with %d mounts", pid, len(ms))
			}
		}
	})
}
