package sample

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kwarden/kwarden/agent/containers"
)

// Memory reads a container's memory cgroup: usage, and the working set
// as cAdvisor (and so container_memory_working_set_bytes) defines it,
// usage minus inactive file pages.
type Memory struct {
	CgroupRoot string // default /sys/fs/cgroup
}

func (m Memory) root() string {
	if m.CgroupRoot == "" {
		return "/sys/fs/cgroup"
	}
	return m.CgroupRoot
}

// Of returns usage and working set in bytes; zeros when unreadable.
func (m Memory) Of(cg containers.Cgroups) (usage, workingSet uint64) {
	var usageFile, statKey, dir string
	switch {
	case cg.MemPath != "" && dirExists(filepath.Join(m.root(), "memory", cg.MemPath)):
		dir = filepath.Join(m.root(), "memory", cg.MemPath) // v1
		usageFile, statKey = "memory.usage_in_bytes", "total_inactive_file"
	case cg.V2Path != "":
		dir = filepath.Join(m.root(), cg.V2Path) // v2
		usageFile, statKey = "memory.current", "inactive_file"
	default:
		return 0, 0
	}
	usage = readUint(filepath.Join(dir, usageFile))
	inactive := statValue(filepath.Join(dir, "memory.stat"), statKey)
	if inactive < usage {
		workingSet = usage - inactive
	}
	return usage, workingSet
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func readUint(path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return v
}

func statValue(path, key string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n
		}
	}
	return 0
}
