package source

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/internal/rereader"
)

// SystemFigures are the machine's memory and CPU at one read.
type SystemFigures struct {
	procfs.Meminfo
	// CPUPercent is the CPU use since the last read, % of all CPUs (0
	// at the first).
	CPUPercent float64
}

// System reads the machine's figures from /proc/meminfo and
// /proc/stat, so that the daemon has them without the module. Both
// files stay open and are re-read with one pread (internal/rereader):
// they are read every tick.
type System struct {
	*Meter
	meminfo, stat *rereader.File
	prev          procfs.CPUTimes
	read          bool
}

// OpenSystem opens root's meminfo and stat ("" for /proc).
func OpenSystem(root string) (*System, error) {
	if root == "" {
		root = "/proc"
	}
	m, err := rereader.Open(filepath.Join(root, "meminfo"))
	if err != nil {
		return nil, err
	}
	st, err := rereader.Open(filepath.Join(root, "stat"))
	if err != nil {
		m.Close()
		return nil, err
	}
	return &System{Meter: newMeter("procfs"), meminfo: m, stat: st}, nil
}

// Read reads both files. Not safe for concurrent use: the daemon's loop
// owns it.
func (s *System) Read() (SystemFigures, error) {
	start := time.Now()
	f, err := s.readFiles()
	return f, s.observe(start, err)
}

func (s *System) readFiles() (SystemFigures, error) {
	var f SystemFigures
	b, err := s.meminfo.Read()
	if err != nil {
		return f, fmt.Errorf("read meminfo: %w", err)
	}
	if f.Meminfo, err = procfs.ParseMeminfo(b); err != nil {
		return f, err
	}
	if b, err = s.stat.Read(); err != nil {
		return f, fmt.Errorf("read stat: %w", err)
	}
	cpu, err := procfs.ParseCPUTimes(b)
	if err != nil {
		return f, err
	}
	if s.read {
		f.CPUPercent = procfs.CPUPercent(s.prev, cpu)
	}
	s.prev, s.read = cpu, true
	return f, nil
}

// Close closes the files.
func (s *System) Close() error {
	s.meminfo.Close()
	return s.stat.Close()
}
