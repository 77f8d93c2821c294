package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kwarden/kwarden/internal/procfs"
)

// cpuTimes is a process's CPU time from /proc/<pid>/stat, in clock
// ticks (procfs.UserHZ a second: over a 60 s window a reading's
// resolution is 0.017 % of a core).
type cpuTimes struct {
	utime, stime   uint64 // its own threads, live and exited
	cutime, cstime uint64 // its children that it waited for
}

func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / procfs.UserHZ }

// own is the process's own CPU time.
func (c cpuTimes) own() time.Duration { return ticks(c.utime + c.stime) }

// children is the CPU time of the children it reaped.
func (c cpuTimes) children() time.Duration { return ticks(c.cutime + c.cstime) }

// procFS reads processes' figures below Root (/proc by default).
type procFS struct{ Root string }

func (p procFS) file(pid int, name string) ([]byte, error) {
	root := p.Root
	if root == "" {
		root = "/proc"
	}
	return os.ReadFile(filepath.Join(root, strconv.Itoa(pid), name))
}

// cpu returns pid's CPU times.
func (p procFS) cpu(pid int) (cpuTimes, error) {
	b, err := p.file(pid, "stat")
	if err != nil {
		return cpuTimes{}, fmt.Errorf("read stat: %w", err)
	}
	st, err := procfs.ParseStat(b)
	if err != nil {
		return cpuTimes{}, err
	}
	return cpuTimes{utime: st.UTimeTicks, stime: st.STimeTicks, cutime: st.CUTimeTicks, cstime: st.CSTimeTicks}, nil
}

// rss returns pid's resident memory in bytes.
func (p procFS) rss(pid int) (uint64, error) {
	b, err := p.file(pid, "status")
	if err != nil {
		return 0, fmt.Errorf("read status: %w", err)
	}
	st, err := procfs.ParseStatus(b)
	if err != nil {
		return 0, err
	}
	if !st.HasMemory {
		return 0, fmt.Errorf("pid %d: no VmRSS (a kernel thread, or a zombie)", pid)
	}
	return st.VmRSS, nil
}
