package daemon

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procSystem reads the machine's memory and CPU figures from /proc, so
// that the daemon has them without the module. "Used" is MemTotal −
// MemAvailable: free RAM that counts buffers and cache as used is one of
// the course's known bugs.
type procSystem struct {
	root     string
	prevBusy uint64
	prevAll  uint64
}

type sysFigures struct {
	MemTotal, MemFree, MemAvail, MemUsed uint64
	CPUPercent                           float64 // of all CPUs, since the last read
}

func (p *procSystem) read() (sysFigures, error) {
	var f sysFigures
	root := p.root
	if root == "" {
		root = "/proc"
	}
	mi, err := os.ReadFile(filepath.Join(root, "meminfo"))
	if err != nil {
		return f, fmt.Errorf("read meminfo: %w", err)
	}
	vals := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(mi))
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 {
			v, _ := strconv.ParseUint(fs[1], 10, 64)
			vals[strings.TrimSuffix(fs[0], ":")] = v << 10 // kB
		}
	}
	f.MemTotal, f.MemFree, f.MemAvail = vals["MemTotal"], vals["MemFree"], vals["MemAvailable"]
	if f.MemTotal == 0 {
		return f, fmt.Errorf("meminfo without MemTotal")
	}
	if f.MemAvail <= f.MemTotal {
		f.MemUsed = f.MemTotal - f.MemAvail
	}
	st, err := os.ReadFile(filepath.Join(root, "stat"))
	if err != nil {
		return f, fmt.Errorf("read stat: %w", err)
	}
	line, _, _ := bytes.Cut(st, []byte("\n"))
	fs := strings.Fields(string(line))
	if len(fs) < 8 || fs[0] != "cpu" {
		return f, fmt.Errorf("stat: unexpected first line %q", line)
	}
	var all, idle uint64
	for i, s := range fs[1:] {
		if i >= 8 { // guest time is already in user time
			break
		}
		v, _ := strconv.ParseUint(s, 10, 64)
		all += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	busy := all - idle
	if p.prevAll > 0 && all > p.prevAll && busy >= p.prevBusy {
		f.CPUPercent = 100 * float64(busy-p.prevBusy) / float64(all-p.prevAll)
	}
	p.prevAll, p.prevBusy = all, busy
	return f, nil
}
