package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// UserHZ is the unit of the clock-tick fields of /proc/<pid>/stat. It is
// part of the kernel's user ABI (USER_HZ) and is 100 on every Linux
// architecture kwarden runs on, whatever the kernel's internal HZ.
const UserHZ = 100

// NsPerTick converts clock ticks to nanoseconds.
const NsPerTick = 1e9 / UserHZ

var errShort = errors.New("too few fields")

// Stat holds the fields of /proc/<pid>/stat that kwarden uses, in the
// file's own units.
type Stat struct {
	PID        int32
	Comm       string
	State      byte
	PPID       int32
	Flags      uint64 // task->flags; PF_KTHREAD marks kernel threads
	UTimeTicks uint64
	STimeTicks uint64
	// CUTimeTicks and CSTimeTicks are the CPU time of the children the
	// process waited for (signed in the kernel, never negative).
	CUTimeTicks uint64
	CSTimeTicks uint64
	Threads     uint32
	StartTicks  uint64
	VSZBytes    uint64
	RSSPages    uint64
}

// pfKthread is PF_KTHREAD from include/linux/sched.h, stable since 2.6.
const pfKthread = 0x00200000

// KThread reports whether the process is a kernel thread.
func (s *Stat) KThread() bool { return s.Flags&pfKthread != 0 }

// ParseStat parses /proc/<pid>/stat. The command name sits between the
// first '(' and the last ')' and may itself hold spaces and parentheses.
func ParseStat(b []byte) (Stat, error) {
	var s Stat
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 1 || closing < open {
		return s, errors.New("parse stat: no command name in parentheses")
	}
	pid, err := strconv.ParseInt(string(bytes.TrimSpace(b[:open])), 10, 32)
	if err != nil {
		return s, fmt.Errorf("parse stat: pid: %w", err)
	}
	s.PID = int32(pid)
	s.Comm = string(b[open+1 : closing])
	f := bytes.Fields(b[closing+1:])
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 22 {
		return s, fmt.Errorf("parse stat: %w (%d)", errShort, len(f)+2)
	}
	if len(f[0]) != 1 {
		return s, fmt.Errorf("parse stat: state %q", f[0])
	}
	s.State = f[0][0]
	var ppid, threads uint64
	for _, x := range []struct {
		field int
		dst   *uint64
	}{{4, &ppid}, {9, &s.Flags}, {14, &s.UTimeTicks}, {15, &s.STimeTicks},
		{16, &s.CUTimeTicks}, {17, &s.CSTimeTicks}, {20, &threads},
		{22, &s.StartTicks}, {23, &s.VSZBytes}, {24, &s.RSSPages}} {
		v, err := strconv.ParseUint(string(f[x.field-3]), 10, 64)
		if err != nil {
			return s, fmt.Errorf("parse stat: field %d: %w", x.field, err)
		}
		*x.dst = v
	}
	if ppid > 1<<31-1 || threads > 1<<32-1 {
		return s, errors.New("parse stat: ppid or thread count out of range")
	}
	s.PPID, s.Threads = int32(ppid), uint32(threads)
	return s, nil
}

// Statm holds /proc/<pid>/statm, in pages.
type Statm struct {
	Size, Resident, Shared uint64
}

// ParseStatm parses /proc/<pid>/statm.
func ParseStatm(b []byte) (Statm, error) {
	f := bytes.Fields(b)
	if len(f) < 3 {
		return Statm{}, fmt.Errorf("parse statm: %w", errShort)
	}
	var v [3]uint64
	for i := range v {
		n, err := strconv.ParseUint(string(f[i]), 10, 64)
		if err != nil {
			return Statm{}, fmt.Errorf("parse statm: %w", err)
		}
		v[i] = n
	}
	return Statm{Size: v[0], Resident: v[1], Shared: v[2]}, nil
}

// Status holds the fields of /proc/<pid>/status that kwarden uses. Sizes
// are in bytes (the file says kB, meaning KiB).
type Status struct {
	UID, EUID                       uint32
	Threads                         uint32
	VmSize, VmRSS                   uint64
	RssAnon, RssFile, RssShmem      uint64
	HasUID, HasThreads, HasMemory   bool
	NonVoluntaryCtxt, VoluntaryCtxt uint64
}

// ParseStatus parses /proc/<pid>/status. Memory lines are absent for
// kernel threads and zombies; Has* flags say what was present.
func ParseStatus(b []byte) (Status, error) {
	var s Status
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		var err error
		switch string(key) {
		case "Uid":
			f := bytes.Fields(val)
			if len(f) < 2 {
				return s, fmt.Errorf("parse status: Uid: %w", errShort)
			}
			var u, e uint64
			if u, err = strconv.ParseUint(string(f[0]), 10, 32); err == nil {
				e, err = strconv.ParseUint(string(f[1]), 10, 32)
			}
			s.UID, s.EUID, s.HasUID = uint32(u), uint32(e), true
		case "Threads":
			var n uint64
			n, err = strconv.ParseUint(string(bytes.TrimSpace(val)), 10, 32)
			s.Threads, s.HasThreads = uint32(n), true
		case "VmSize":
			s.VmSize, err = kib(val)
			s.HasMemory = true
		case "VmRSS":
			s.VmRSS, err = kib(val)
		case "RssAnon":
			s.RssAnon, err = kib(val)
		case "RssFile":
			s.RssFile, err = kib(val)
		case "RssShmem":
			s.RssShmem, err = kib(val)
		case "voluntary_ctxt_switches":
			s.VoluntaryCtxt, err = strconv.ParseUint(string(bytes.TrimSpace(val)), 10, 64)
		case "nonvoluntary_ctxt_switches":
			s.NonVoluntaryCtxt, err = strconv.ParseUint(string(bytes.TrimSpace(val)), 10, 64)
		}
		if err != nil {
			return s, fmt.Errorf("parse status: %s: %w", key, err)
		}
	}
	if !s.HasUID {
		return s, errors.New("parse status: no Uid line")
	}
	return s, nil
}

// kib parses "   1234 kB" into bytes.
func kib(val []byte) (uint64, error) {
	f := bytes.Fields(val)
	if len(f) != 2 || string(f[1]) != "kB" {
		return 0, fmt.Errorf("want \"N kB\", got %q", bytes.TrimSpace(val))
	}
	n, err := strconv.ParseUint(string(f[0]), 10, 64)
	if err != nil || n > 1<<54 {
		return 0, fmt.Errorf("size %q out of range", f[0])
	}
	return n * 1024, nil
}

// IO holds /proc/<pid>/io.
type IO struct {
	RChar, WChar, SyscR, SyscW                 uint64
	ReadBytes, WriteBytes, CancelledWriteBytes uint64
}

// ParseIO parses /proc/<pid>/io.
func ParseIO(b []byte) (IO, error) {
	var p IO
	seen := 0
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		var dst *uint64
		switch string(key) {
		case "rchar":
			dst = &p.RChar
		case "wchar":
			dst = &p.WChar
		case "syscr":
			dst = &p.SyscR
		case "syscw":
			dst = &p.SyscW
		case "read_bytes":
			dst = &p.ReadBytes
		case "write_bytes":
			dst = &p.WriteBytes
		case "cancelled_write_bytes":
			dst = &p.CancelledWriteBytes
		default:
			continue
		}
		v, err := strconv.ParseUint(string(bytes.TrimSpace(val)), 10, 64)
		if err != nil {
			return p, fmt.Errorf("parse io: %s: %w", key, err)
		}
		*dst = v
		seen++
	}
	if seen < 4 {
		return p, fmt.Errorf("parse io: %w", errShort)
	}
	return p, nil
}

// ParseCgroupV2 returns the path of the "0::" line of /proc/<pid>/cgroup,
// the process's place in the cgroup v2 hierarchy. The kernel prints that
// line only once cgroup2 has been mounted somewhere; until then every
// process is in the hierarchy's root, "/".
func ParseCgroupV2(b []byte) (string, error) {
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		if path, ok := bytes.CutPrefix(line, []byte("0::")); ok {
			return string(path), nil
		}
		if bytes.Count(line, []byte{':'}) < 2 {
			return "", fmt.Errorf("parse cgroup: malformed line %q", line)
		}
	}
	return "/", nil
}

// ParseSchedstat returns the first field of /proc/<pid>/task/<tid>/schedstat:
// the thread's time on CPU in nanoseconds.
func ParseSchedstat(b []byte) (uint64, error) {
	f := bytes.Fields(b)
	if len(f) != 3 {
		return 0, fmt.Errorf("parse schedstat: want 3 fields, got %d", len(f))
	}
	v, err := strconv.ParseUint(string(f[0]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse schedstat: %w", err)
	}
	return v, nil
}
