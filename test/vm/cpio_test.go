package vm

import (
	"bytes"
	"io"
	"io/fs"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// cpioEntry is one entry parsed back from a newc archive.
type cpioEntry struct {
	name      string
	mode      uint32
	data      []byte
	rdevMajor uint32
	rdevMinor uint32
}

// readCPIO parses a newc archive up to its trailer, checking the format
// strictly (magic, alignment, padding bytes, trailer).
func readCPIO(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	off := 0
	for {
		if off%4 != 0 {
			t.Fatalf("entry at offset %d not 4-byte aligned", off)
		}
		if len(b)-off < cpioHeaderLen {
			t.Fatalf("truncated header at %d", off)
		}
		h := string(b[off : off+cpioHeaderLen])
		if h[:6] != cpioMagic {
			t.Fatalf("bad magic %q at %d", h[:6], off)
		}
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(h[6+8*i:14+8*i], 16, 32)
			if err != nil {
				t.Fatalf("bad header field %d at %d: %v", i, off, err)
			}
			return uint32(v)
		}
		mode, size, namesize := field(1), int(field(6)), int(field(11))
		nameEnd := off + cpioHeaderLen + namesize
		name := string(b[off+cpioHeaderLen : nameEnd-1])
		if b[nameEnd-1] != 0 {
			t.Fatalf("name %q not NUL-terminated", name)
		}
		dataOff := nameEnd + pad4(nameEnd)
		checkZero(t, b[nameEnd:dataOff], name)
		if name == cpioTrailer {
			if len(b) != dataOff {
				t.Fatalf("%d bytes after trailer", len(b)-dataOff)
			}
			return out
		}
		dataEnd := dataOff + size
		next := dataEnd + pad4(dataEnd)
		checkZero(t, b[dataEnd:next], name)
		out = append(out, cpioEntry{name: name, mode: mode, data: b[dataOff:dataEnd], rdevMajor: field(9), rdevMinor: field(10)})
		off = next
	}
}

func checkZero(t *testing.T, pad []byte, name string) {
	t.Helper()
	for _, c := range pad {
		if c != 0 {
			t.Fatalf("non-zero padding after %q", name)
		}
	}
}

func writeSampleCPIO(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	cw := newCPIOWriter(&buf)
	steps := []error{
		cw.Dir("bin", 0o755),
		cw.File("bin/a", 0o755, 3, strings.NewReader("abc")),
		cw.File("empty", 0o600, 0, strings.NewReader("")),
		cw.File("four", 0o644, 4, strings.NewReader("1234")),
		cw.Symlink("bin/sh", "/bin/busybox"),
		cw.CharDev("console", 0o600, 5, 1),
		cw.Close(),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	return buf.Bytes()
}

func TestCPIORoundTrip(t *testing.T) {
	got := readCPIO(t, writeSampleCPIO(t))
	want := []cpioEntry{
		{name: "bin", mode: 0o40755},
		{name: "bin/a", mode: 0o100755, data: []byte("abc")},
		{name: "empty", mode: 0o100600},
		{name: "four", mode: 0o100644, data: []byte("1234")},
		{name: "bin/sh", mode: 0o120777, data: []byte("/bin/busybox")},
		{name: "console", mode: 0o20600, rdevMajor: 5, rdevMinor: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.name != w.name || g.mode != w.mode || !bytes.Equal(g.data, w.data) || g.rdevMajor != w.rdevMajor || g.rdevMinor != w.rdevMinor {
			t.Errorf("entry %d = %+v, want %+v", i, g, w)
		}
	}
}

// TestCPIOWithGNUCpio checks the archive with an independent reader,
// Debian's cpio.
func TestCPIOWithGNUCpio(t *testing.T) {
	bin, err := exec.LookPath("cpio")
	if err != nil {
		skipOrFail(t, "cpio not installed (apt-get install cpio): %v", err)
	}
	cmd := exec.CommandContext(t.Context(), bin, "-t", "-v", "--quiet")
	cmd.Stdin = bytes.NewReader(writeSampleCPIO(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -t: %v\n%s", err, out)
	}
	listing := string(out)
	for _, want := range []string{"drwxr-xr-x", " bin\n", " bin/a\n", " empty\n", " four\n", "bin/sh -> /bin/busybox", "crw-------", " 5,"} {
		if !strings.Contains(listing, want) {
			t.Errorf("cpio -tv output lacks %q:\n%s", want, listing)
		}
	}
}

func TestCPIOFileShortRead(t *testing.T) {
	cw := newCPIOWriter(io.Discard)
	err := cw.File("x", 0o644, 10, strings.NewReader("short"))
	if err == nil || !strings.Contains(err.Error(), "got 5 bytes, want 10") {
		t.Fatalf("File with short reader: %v", err)
	}
}

func TestCPIOName(t *testing.T) {
	for in, want := range map[string]string{"/bin/sh": "bin/sh", "a//b/": "a/b", "/x/../y": "y", "/../../etc": "etc"} {
		got, err := cpioName(in)
		if err != nil || got != want {
			t.Errorf("cpioName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"/", "", "a\x00b"} {
		if _, err := cpioName(in); err == nil {
			t.Errorf("cpioName(%q) succeeded", in)
		}
	}
}

func TestUnixPerm(t *testing.T) {
	for m, want := range map[fs.FileMode]uint32{
		fs.ModeDir | 0o755:                    0o755,
		fs.ModeSticky | 0o777:                 0o1777,
		fs.ModeSetuid | fs.ModeSetgid | 0o750: 0o6750,
	} {
		if got := unixPerm(m); got != want {
			t.Errorf("unixPerm(%v) = %o, want %o", m, got, want)
		}
	}
}
