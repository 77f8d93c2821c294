package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Meminfo holds the fields of /proc/meminfo that kwarden uses, in bytes
// (the file says kB, meaning KiB).
type Meminfo struct {
	MemTotal, MemFree, MemAvailable uint64
	Buffers, Cached                 uint64
	SwapTotal, SwapFree             uint64
}

// Used is MemTotal − MemAvailable: memory the kernel could not hand out
// without swapping. ("Free" that counts buffers and cache as used is one
// of the course's known bugs.)
func (m Meminfo) Used() uint64 {
	if m.MemAvailable > m.MemTotal {
		return 0
	}
	return m.MemTotal - m.MemAvailable
}

// ParseMeminfo parses /proc/meminfo. MemTotal and MemAvailable (3.14+)
// must be there; the others are zero when absent.
func ParseMeminfo(b []byte) (Meminfo, error) {
	var m Meminfo
	var total, avail bool
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		var dst *uint64
		switch string(key) {
		case "MemTotal":
			dst, total = &m.MemTotal, true
		case "MemFree":
			dst = &m.MemFree
		case "MemAvailable":
			dst, avail = &m.MemAvailable, true
		case "Buffers":
			dst = &m.Buffers
		case "Cached":
			dst = &m.Cached
		case "SwapTotal":
			dst = &m.SwapTotal
		case "SwapFree":
			dst = &m.SwapFree
		default:
			continue
		}
		v, err := kib(val)
		if err != nil {
			return m, fmt.Errorf("parse meminfo: %s: %w", key, err)
		}
		*dst = v
	}
	if !total || !avail {
		return m, errors.New("parse meminfo: no MemTotal or MemAvailable line")
	}
	return m, nil
}

// CPUTimes is the first line of /proc/stat: the time all CPUs spent in
// each state, in clock ticks (UserHZ a second).
type CPUTimes struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal uint64
}

// Busy is the time in every state but idle and iowait. (Guest time is
// already counted in user time.)
func (c CPUTimes) Busy() uint64 { return c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ + c.Steal }

// Total is the time in every state.
func (c CPUTimes) Total() uint64 { return c.Busy() + c.Idle + c.IOWait }

// ParseCPUTimes parses the aggregate "cpu" line of /proc/stat.
func ParseCPUTimes(b []byte) (CPUTimes, error) {
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return CPUTimes{}, fmt.Errorf("parse stat: first line %q is not the cpu line", line)
	}
	var v [8]uint64
	for i := range v {
		n, err := strconv.ParseUint(string(f[i+1]), 10, 64)
		if err != nil {
			return CPUTimes{}, fmt.Errorf("parse stat: cpu field %d: %w", i+1, err)
		}
		v[i] = n
	}
	return CPUTimes{User: v[0], Nice: v[1], System: v[2], Idle: v[3], IOWait: v[4], IRQ: v[5], SoftIRQ: v[6], Steal: v[7]}, nil
}

// CPUPercent is the machine's CPU use between two reads, % of all CPUs;
// 0 when no time passed or the counters went back (a CPU went offline).
func CPUPercent(prev, cur CPUTimes) float64 {
	if cur.Total() <= prev.Total() || cur.Busy() < prev.Busy() {
		return 0
	}
	// At most 100: idle time that went back (it should not) cannot make
	// the busy share exceed the whole.
	return min(100, 100*float64(cur.Busy()-prev.Busy())/float64(cur.Total()-prev.Total()))
}
