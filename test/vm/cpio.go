package vm

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// The "newc" cpio format (cpio -H newc), the one the kernel's initramfs
// unpacker reads: every entry is a 110-byte ASCII header of "070701" and
// thirteen 8-digit hex fields, the NUL-terminated name padded to a multiple
// of 4 bytes, then the data padded to a multiple of 4 bytes. The archive ends
// with an entry named "TRAILER!!!".
const (
	cpioMagic      = "070701"
	cpioHeaderLen  = 110
	cpioTrailer    = "TRAILER!!!"
	cpioMaxSize    = 1<<32 - 1
	cpioTypeDir    = 0o040000
	cpioTypeFile   = 0o100000
	cpioTypeLink   = 0o120000
	cpioTypeChrDev = 0o020000
)

// cpioWriter writes a newc cpio archive. Names are stored relative (without
// a leading slash). All entries are owned by root and have mtime 0, so the
// output is reproducible. It is not safe for concurrent use.
type cpioWriter struct {
	w   io.Writer
	ino uint32
}

func newCPIOWriter(w io.Writer) *cpioWriter { return &cpioWriter{w: w} }

type cpioHeader struct {
	name      string
	mode      uint32 // file type and permission bits
	nlink     uint32
	size      int64
	rdevMajor uint32
	rdevMinor uint32
}

// cpioName turns an absolute or relative slash path into an archive name.
func cpioName(p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("clean archive name %q: contains NUL", p)
	}
	clean := strings.TrimPrefix(path.Clean("/"+p), "/")
	if clean == "" {
		return "", fmt.Errorf("clean archive name %q: names the root", p)
	}
	return clean, nil
}

func (cw *cpioWriter) header(h cpioHeader) error {
	if h.size < 0 || h.size > cpioMaxSize {
		return fmt.Errorf("write cpio header %q: size %d out of range", h.name, h.size)
	}
	ino := uint32(0)
	if h.name != cpioTrailer {
		cw.ino++
		ino = cw.ino
	}
	name := h.name + "\x00"
	hdr := fmt.Sprintf("%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		cpioMagic, ino, h.mode, 0, 0, h.nlink, 0, h.size, 0, 0,
		h.rdevMajor, h.rdevMinor, len(name), 0)
	buf := make([]byte, 0, cpioHeaderLen+len(name)+3)
	buf = append(buf, hdr...)
	buf = append(buf, name...)
	buf = append(buf, make([]byte, pad4(len(buf)))...)
	if _, err := cw.w.Write(buf); err != nil {
		return fmt.Errorf("write cpio header %q: %w", h.name, err)
	}
	return nil
}

func pad4(n int) int { return (4 - n%4) % 4 }

func (cw *cpioWriter) padData(name string, size int64) error {
	if p := pad4(int(size % 4)); p > 0 {
		if _, err := cw.w.Write(make([]byte, p)); err != nil {
			return fmt.Errorf("write cpio padding %q: %w", name, err)
		}
	}
	return nil
}

// Dir writes a directory entry.
func (cw *cpioWriter) Dir(name string, perm fs.FileMode) error {
	return cw.header(cpioHeader{name: name, mode: cpioTypeDir | unixPerm(perm), nlink: 2})
}

// File writes a regular file of exactly size bytes read from r.
func (cw *cpioWriter) File(name string, perm fs.FileMode, size int64, r io.Reader) error {
	if err := cw.header(cpioHeader{name: name, mode: cpioTypeFile | unixPerm(perm), nlink: 1, size: size}); err != nil {
		return err
	}
	n, err := io.Copy(cw.w, io.LimitReader(r, size))
	if err != nil {
		return fmt.Errorf("write cpio file %q: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("write cpio file %q: got %d bytes, want %d (file changed while archiving?)", name, n, size)
	}
	return cw.padData(name, size)
}

// Symlink writes a symbolic link to target.
func (cw *cpioWriter) Symlink(name, target string) error {
	if err := cw.header(cpioHeader{name: name, mode: cpioTypeLink | 0o777, nlink: 1, size: int64(len(target))}); err != nil {
		return err
	}
	if _, err := io.WriteString(cw.w, target); err != nil {
		return fmt.Errorf("write cpio symlink %q: %w", name, err)
	}
	return cw.padData(name, int64(len(target)))
}

// CharDev writes a character device node.
func (cw *cpioWriter) CharDev(name string, perm fs.FileMode, major, minor uint32) error {
	return cw.header(cpioHeader{name: name, mode: cpioTypeChrDev | unixPerm(perm), nlink: 1, rdevMajor: major, rdevMinor: minor})
}

// Close writes the trailer. It does not close the underlying writer.
func (cw *cpioWriter) Close() error {
	return cw.header(cpioHeader{name: cpioTrailer, nlink: 1})
}

// unixPerm converts the permission and special bits of m to their Unix
// values.
func unixPerm(m fs.FileMode) uint32 {
	p := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		p |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		p |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		p |= 0o1000
	}
	return p
}
