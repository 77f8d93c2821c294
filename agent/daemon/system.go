package daemon

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kwarden/kwarden/internal/rereader"
)

// procSystem reads the machine's memory and CPU figures from /proc, so
// that the daemon has them without the module. "Used" is MemTotal −
// MemAvailable: free RAM that counts buffers and cache as used is one of
// the course's known bugs.
type procSystem struct {
	root     string
	prevBusy uint64
	prevAll  uint64

	meminfo, stat *rereader.File // kept open: read every tick
}

type sysFigures struct {
	MemTotal, MemFree, MemAvail, MemUsed uint64
	CPUPercent                           float64 // of all CPUs, since the last read
}

// file returns the open file *fp, opening root/name on first use.
func (p *procSystem) file(fp **rereader.File, name string) (*rereader.File, error) {
	if *fp == nil {
		root := p.root
		if root == "" {
			root = "/proc"
		}
		f, err := rereader.Open(filepath.Join(root, name))
		if err != nil {
			return nil, err
		}
		*fp = f
	}
	return *fp, nil
}

func (p *procSystem) close() {
	for _, f := range []*rereader.File{p.meminfo, p.stat} {
		if f != nil {
			f.Close()
		}
	}
}

func (p *procSystem) read() (sysFigures, error) {
	var f sysFigures
	mf, err := p.file(&p.meminfo, "meminfo")
	if err != nil {
		return f, err
	}
	mi, err := mf.Read()
	if err != nil {
		return f, err
	}
	for len(mi) > 0 {
		var line []byte
		line, mi, _ = bytes.Cut(mi, []byte{'\n'})
		name, rest, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		var dst *uint64
		switch string(name) {
		case "MemTotal":
			dst = &f.MemTotal
		case "MemFree":
			dst = &f.MemFree
		case "MemAvailable":
			dst = &f.MemAvail
		default:
			continue
		}
		fs := bytes.Fields(rest)
		if len(fs) >= 1 {
			v, _ := strconv.ParseUint(string(fs[0]), 10, 64)
			*dst = v << 10 // kB
		}
	}
	if f.MemTotal == 0 {
		return f, fmt.Errorf("meminfo without MemTotal")
	}
	if f.MemAvail <= f.MemTotal {
		f.MemUsed = f.MemTotal - f.MemAvail
	}
	sf, err := p.file(&p.stat, "stat")
	if err != nil {
		return f, err
	}
	st, err := sf.Read()
	if err != nil {
		return f, err
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
