package procview

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// readListing returns the numeric names in dir (the pids /proc lists),
// sorted, into buf's storage. /proc lists thread-group leaders only;
// their threads are reachable by name but not listed, as the kernel
// views list processes. It reads the directory with getdents64 and
// parses the records in place: 10,000 names as strings, which
// Readdirnames makes, were a third of a check.
func readListing(dir *os.File, buf []byte, pids []int32) ([]int32, error) {
	if _, err := dir.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("list %s: %w", dir.Name(), err)
	}
	pids = pids[:0]
	for {
		n, err := unix.Getdents(int(dir.Fd()), buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", dir.Name(), err)
		}
		if n <= 0 {
			break
		}
		pids = appendPIDs(pids, buf[:n])
	}
	slices.Sort(pids) // procfs lists in order; a served view need not
	return pids, nil
}

// appendPIDs appends the pids named by the linux_dirent64 records in b:
// u64 inode, s64 offset, u16 record length, u8 type, then the name,
// NUL-terminated.
func appendPIDs(pids []int32, b []byte) []int32 {
	const nameOff = 19
	for len(b) >= nameOff {
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		if reclen < nameOff || reclen > len(b) {
			break // a record the kernel would not write
		}
		name := b[nameOff:reclen]
		if i := indexNUL(name); i >= 0 {
			name = name[:i]
		}
		if pid, ok := pidName(name); ok {
			pids = append(pids, pid)
		}
		b = b[reclen:]
	}
	return pids
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// pidName reads a directory name that is a pid: decimal digits, no sign,
// no leading zero, above 0, within int32.
func pidName[T string | []byte](s T) (int32, bool) {
	if len(s) == 0 || len(s) > 10 || s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if n > 1<<31-1 {
		return 0, false
	}
	return int32(n), true
}
