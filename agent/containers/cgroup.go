package containers

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// Cgroups are the cgroup identities of a process, as the kernel views
// publish them: the unified (v2) cgroup id and the memory controller's
// cgroup id, both inode numbers of the cgroup directories.
type Cgroups = apiv1.Cgroups

// Resolver finds the cgroups of a process. Paths are settings so tests can
// point it at fixtures.
type Resolver struct {
	ProcRoot   string // default /proc
	CgroupRoot string // default /sys/fs/cgroup
}

func (r *Resolver) proc() string {
	if r.ProcRoot == "" {
		return "/proc"
	}
	return r.ProcRoot
}

func (r *Resolver) root() string {
	if r.CgroupRoot == "" {
		return "/sys/fs/cgroup"
	}
	return r.CgroupRoot
}

// unifiedMount is where the v2 hierarchy is: the root on a pure v2 host,
// root/unified on a hybrid one, "" when there is none.
func (r *Resolver) unifiedMount() string {
	if _, err := os.Stat(filepath.Join(r.root(), "cgroup.controllers")); err == nil {
		return r.root()
	}
	if _, err := os.Stat(filepath.Join(r.root(), "unified", "cgroup.procs")); err == nil {
		return filepath.Join(r.root(), "unified")
	}
	return ""
}

// ErrNoProcess reports that the process is gone.
var ErrNoProcess = errors.New("process gone")

// Of resolves the cgroups of pid.
func (r *Resolver) Of(pid int) (Cgroups, error) {
	var cg Cgroups
	b, err := os.ReadFile(filepath.Join(r.proc(), strconv.Itoa(pid), "cgroup"))
	if errors.Is(err, os.ErrNotExist) {
		return cg, fmt.Errorf("cgroups of %d: %w", pid, ErrNoProcess)
	}
	if err != nil {
		return cg, fmt.Errorf("cgroups of %d: %w", pid, err)
	}
	v2, mem, err := ParseProcCgroup(b)
	if err != nil {
		return cg, fmt.Errorf("cgroups of %d: %w", pid, err)
	}
	unified := r.unifiedMount()
	if v2 != "" && unified != "" {
		cg.V2Path = v2
		if cg.V2ID, err = inode(filepath.Join(unified, v2)); err != nil {
			return cg, err
		}
	}
	switch {
	case mem != "":
		cg.MemPath = mem
		if cg.MemID, err = inode(filepath.Join(r.root(), "memory", mem)); err != nil {
			return cg, err
		}
	case unified == r.root():
		// Pure v2: the memory controller lives in the unified tree.
		cg.MemPath, cg.MemID = cg.V2Path, cg.V2ID
	}
	return cg, nil
}

func inode(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("stat cgroup %s: %w", path, err)
	}
	return st.Ino, nil
}

// ParseProcCgroup reads /proc/<pid>/cgroup: the unified ("0::") path and
// the v1 memory controller's path; either may be "".
func ParseProcCgroup(b []byte) (v2, mem string, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	lines := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		lines++
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			return "", "", fmt.Errorf("malformed cgroup line %q", line)
		}
		if parts[0] == "0" && parts[1] == "" {
			v2 = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "memory" {
				mem = parts[2]
			}
		}
	}
	if lines == 0 {
		return "", "", errors.New("empty cgroup file")
	}
	return v2, mem, nil
}
