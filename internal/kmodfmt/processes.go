package kmodfmt

import (
	"fmt"
	"math"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// noArgs is shared by every process without a command line (kernel
// threads, zombies). It has zero capacity, so appending to it copies.
var noArgs = []string{}

// Schema is the format version this package understands.
const Schema = 1

// Fields every process record must carry; anything else may be absent in
// a future minor revision and then stays zero.
const (
	hasPID = 1 << iota
	hasPPID
	hasComm
	hasState
	hasStart
	hasCPU
	hasThreads
	requiredProcessFields = hasPID | hasPPID | hasComm | hasState | hasStart | hasCPU | hasThreads
)

var requiredNames = []string{"pid", "ppid", "comm", "state", "start_time_ns", "cpu_ns", "threads"}

// ParseProcesses parses the contents of /proc/kwarden/processes.
//
// The result owns its memory; data may be reused after the call.
func ParseProcesses(data []byte) (*snapshot.Processes, error) {
	l := &lexer{buf: data}
	out := &snapshot.Processes{Processes: []snapshot.Process{}}
	var h header
	// Processes of one cgroup share the path string.
	paths := map[string]string{}
	err := l.object(func(key string) error {
		if key == "processes" {
			return l.array(func() error {
				p, err := parseProcess(l, paths)
				if err != nil {
					return err
				}
				out.Processes = append(out.Processes, p)
				return nil
			})
		}
		return h.field(l, key, out)
	})
	if err != nil {
		return nil, err
	}
	if err := l.end(); err != nil {
		return nil, err
	}
	if err := h.check("processes"); err != nil {
		return nil, err
	}
	return out, nil
}

// header collects the fields common to every document.
type header struct {
	schema    uint64
	hasSchema bool
	kind      string
}

func (h *header) field(l *lexer, key string, p *snapshot.Processes) error {
	var err error
	switch key {
	case "schema":
		h.schema, err = l.uint()
		h.hasSchema = true
	case "kind":
		h.kind, err = l.str()
	case "time_ns":
		p.TimeNs, err = l.uint()
	case "page_size":
		p.PageSize, err = l.uint()
	default:
		err = l.skipValue(0)
	}
	return err
}

func (h *header) check(kind string) error {
	if !h.hasSchema {
		return fmt.Errorf("kwarden format: no schema field: %w", ErrSchema)
	}
	if h.schema != Schema {
		return fmt.Errorf("kwarden format: schema %d, this reader knows %d: %w", h.schema, Schema, ErrSchema)
	}
	if h.kind != kind {
		return fmt.Errorf("kwarden format: document kind %q, want %q", h.kind, kind)
	}
	return nil
}

func parseProcess(l *lexer, paths map[string]string) (snapshot.Process, error) {
	var p snapshot.Process
	var seen int
	start := l.pos
	err := l.object(func(key string) error {
		var err error
		switch key {
		case "pid":
			p.PID, err = int32Field(l)
			seen |= hasPID
		case "ppid":
			p.PPID, err = int32Field(l)
			seen |= hasPPID
		case "uid":
			p.UID, err = uint32Field(l)
		case "euid":
			p.EUID, err = uint32Field(l)
		case "comm":
			p.Comm, err = l.str()
			seen |= hasComm
		case "state":
			p.State, err = l.str()
			seen |= hasState
		case "kthread":
			p.KThread, err = l.boolean()
		case "start_time_ns":
			p.StartTimeNs, err = l.uint()
			seen |= hasStart
		case "threads":
			p.Threads, err = uint32Field(l)
			seen |= hasThreads
		case "cpu_ns":
			p.CPUNs, err = l.uint()
			seen |= hasCPU
		case "user_ns":
			p.UserNs, err = l.uint()
		case "system_ns":
			p.SystemNs, err = l.uint()
		case "vsz_bytes":
			p.VSZBytes, err = l.uint()
		case "rss_anon_bytes":
			p.RSSAnonBytes, err = l.uint()
		case "rss_file_bytes":
			p.RSSFileBytes, err = l.uint()
		case "rss_shmem_bytes":
			p.RSSShmemBytes, err = l.uint()
		case "rchar":
			p.RChar, err = l.uint()
		case "wchar":
			p.WChar, err = l.uint()
		case "syscr":
			p.SyscR, err = l.uint()
		case "syscw":
			p.SyscW, err = l.uint()
		case "read_bytes":
			p.ReadBytes, err = l.uint()
		case "write_bytes":
			p.WriteBytes, err = l.uint()
		case "cancelled_write_bytes":
			p.CancelledWriteBytes, err = l.uint()
		case "cgroup_id":
			p.CgroupID, err = l.uint()
		case "cgroup_path":
			p.CgroupPath, err = internedString(l, paths)
		case "container_id":
			p.ContainerID, err = l.str()
		case "container_runtime":
			p.ContainerRuntime, err = internedString(l, paths)
		case "cmdline":
			p.Cmdline = p.Cmdline[:0]
			err = l.array(func() error {
				s, err := l.str()
				p.Cmdline = append(p.Cmdline, s)
				return err
			})
			if p.Cmdline == nil {
				p.Cmdline = noArgs
			}
		case "cmdline_truncated":
			p.CmdlineTruncated, err = l.boolean()
		default:
			err = l.skipValue(0)
		}
		return err
	})
	if err != nil {
		return p, err
	}
	if missing := requiredProcessFields &^ seen; missing != 0 {
		for i, name := range requiredNames {
			if missing&(1<<i) != 0 {
				return p, &SyntaxError{Offset: start, Msg: "process record without " + name}
			}
		}
	}
	if p.PID <= 0 {
		return p, &SyntaxError{Offset: start, Msg: fmt.Sprintf("process record with pid %d", p.PID)}
	}
	if len(p.State) != 1 {
		return p, &SyntaxError{Offset: start, Msg: fmt.Sprintf("process %d: state %q is not one character", p.PID, p.State)}
	}
	return p, nil
}

// internedString returns one shared string for every equal value, which
// saves an allocation per process for cgroup paths and runtimes.
func internedString(l *lexer, seen map[string]string) (string, error) {
	start := l.pos
	raw, escaped, err := l.rawString()
	if err != nil || escaped {
		l.pos = start
		return l.str()
	}
	if s, ok := seen[string(raw)]; ok {
		return s, nil
	}
	s := string(raw)
	if len(seen) < 65536 {
		seen[s] = s
	}
	return s, nil
}

func int32Field(l *lexer) (int32, error) {
	v, err := l.uint()
	if err == nil && v > math.MaxInt32 {
		err = l.errorf("value %d out of range", v)
	}
	return int32(v), err
}

func uint32Field(l *lexer) (uint32, error) {
	v, err := l.uint()
	if err == nil && v > math.MaxUint32 {
		err = l.errorf("value %d out of range", v)
	}
	return uint32(v), err
}
