package procview

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
)

// readListing returns the numeric names in dir (the pids /proc lists),
// sorted. /proc lists thread-group leaders only; their threads are
// reachable by name but not listed, as the kernel views list processes.
func readListing(dir *os.File) ([]int32, error) {
	if _, err := dir.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("list %s: %w", dir.Name(), err)
	}
	var pids []int32
	for {
		names, err := dir.Readdirnames(1024)
		for _, n := range names {
			if pid, ok := pidName(n); ok {
				pids = append(pids, pid)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", dir.Name(), err)
		}
	}
	slices.Sort(pids) // procfs lists in order; a served view need not
	return pids, nil
}

// pidName reads a directory name that is a pid: decimal digits, no sign,
// no leading zero, above 0.
func pidName(s string) (int32, bool) {
	if s == "" || s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}
