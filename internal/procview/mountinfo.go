package procview

import (
	"bufio"
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Mount is a mount over a process's /proc directory (or below it), as
// /proc/self/mountinfo describes it: the evidence that the directory a
// tool reads is not the one procfs serves.
type Mount struct {
	// ID and ParentID are the mount's and its parent's ids.
	ID, ParentID int
	// MountPoint is where it is mounted (/proc/4242, /proc/4242/stat).
	MountPoint string
	// Root is the directory of its filesystem mounted there: the source
	// of a bind mount (/tmp/empty).
	Root string
	// FSType and Source are its filesystem's type and source.
	FSType, Source string
}

// parseMountinfo returns, by pid, the mounts whose mount point is root's
// <pid> directory or lies below it. root must be clean and absolute.
// Lines that do not parse are counted, not fatal: one odd mount must
// not blind the check to the others.
func parseMountinfo(b []byte, root string) (map[int32][]Mount, int) {
	out := map[int32][]Mount{}
	bad := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	prefix := strings.TrimSuffix(root, "/") + "/"
	for sc.Scan() {
		m, err := parseMountLine(sc.Text())
		if err != nil {
			bad++
			continue
		}
		rest, ok := strings.CutPrefix(m.MountPoint, prefix)
		if !ok {
			continue
		}
		first, _, _ := strings.Cut(rest, "/")
		if pid, ok := pidName(first); ok {
			out[pid] = append(out[pid], m)
		}
	}
	if sc.Err() != nil {
		bad++
	}
	return out, bad
}

// parseMountLine reads one mountinfo line (proc(5)):
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// fields 1-6, optional fields up to a lone "-", then type, source and
// super options; paths escape space, tab, newline and backslash in
// octal.
func parseMountLine(line string) (Mount, error) {
	f := strings.Fields(line)
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if len(f) < 6 || sep < 0 || sep+2 >= len(f) {
		return Mount{}, fmt.Errorf("mountinfo line %q: too few fields", line)
	}
	id, err1 := strconv.Atoi(f[0])
	parent, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return Mount{}, fmt.Errorf("mountinfo line %q: ids", line)
	}
	root, err1 := unescape(f[3])
	point, err2 := unescape(f[4])
	source, err3 := unescape(f[sep+2])
	if err1 != nil || err2 != nil || err3 != nil {
		return Mount{}, fmt.Errorf("mountinfo line %q: escapes", line)
	}
	return Mount{ID: id, ParentID: parent, Root: root, MountPoint: filepath.Clean(point), FSType: f[sep+1], Source: source}, nil
}

// unescape undoes the kernel's octal escapes (\040 is a space).
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+4 > len(s) {
			return "", fmt.Errorf("short escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
		if err != nil {
			return "", fmt.Errorf("escape in %q: %w", s, err)
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String(), nil
}
