package kmodfmt

import (
	"bytes"
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
const requiredProcessFields = 1<<fPID | 1<<fPPID | 1<<fComm | 1<<fState | 1<<fStart | 1<<fCPU | 1<<fThreads

// ParseProcesses parses the contents of /proc/kwarden/processes.
//
// The result owns its memory; data may be reused after the call.
func ParseProcesses(data []byte) (*snapshot.Processes, error) {
	out := &snapshot.Processes{}
	if err := ParseProcessesInto(out, data); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseProcessesInto is ParseProcesses writing into out and reusing the
// capacity of out.Processes, which a sampling loop keeps from one tick to
// the next. Records of a previous parse are overwritten; on error out
// holds a partial result.
func ParseProcessesInto(out *snapshot.Processes, data []byte) error {
	// The module writes one record per line: counting lines sizes the
	// slice once instead of growing (and clearing) it a dozen times.
	// The cap on hostile input keeps a tiny document from reserving much.
	estimate := min(bytes.Count(data, []byte{'\n'})+1, len(data)/64+1)
	return parseProcesses(&lexer{buf: data}, out, estimate)
}

func parseProcesses(l *lexer, out *snapshot.Processes, estimate int) error {
	if cap(out.Processes) < estimate {
		out.Processes = make([]snapshot.Process, 0, estimate)
	}
	out.Processes = out.Processes[:0]
	out.TimeNs, out.PageSize = 0, 0
	var h header
	// Processes of one cgroup share the path string.
	paths := map[string]string{}
	l.line()
	err := l.object(func(key string) error {
		if key != "processes" {
			return h.field(l, key, out)
		}
		if err := l.expect('['); err != nil {
			return err
		}
		l.line()
		if l.peek() == ']' {
			l.pos++
			l.line()
			return nil
		}
		for {
			l.line()
			out.Processes = append(out.Processes, snapshot.Process{})
			if err := parseProcess(l, paths, &out.Processes[len(out.Processes)-1]); err != nil {
				return err
			}
			l.line()
			switch l.peek() {
			case ',':
				l.pos++
			case ']':
				l.pos++
				l.line()
				return nil
			default:
				return l.errorf("want ',' or ']' after array element")
			}
		}
	})
	if err != nil {
		return err
	}
	if err := l.end(); err != nil {
		return err
	}
	return h.check("processes")
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

// Process record fields, in the order the module writes them.
const (
	fPID = iota
	fPPID
	fUID
	fEUID
	fComm
	fState
	fKThread
	fStart
	fThreads
	fRunning
	fCPU
	fUser
	fSystem
	fVSZ
	fRSSAnon
	fRSSFile
	fRSSShmem
	fRChar
	fWChar
	fSyscR
	fSyscW
	fReadBytes
	fWriteBytes
	fCancelled
	fCgroupID
	fCgroupPath
	fContainerID
	fContainerRuntime
	fCmdline
	fCmdlineTruncated
	numFields
)

var fieldNames = [numFields]string{
	"pid", "ppid", "uid", "euid", "comm", "state", "kthread", "start_time_ns",
	"threads", "running", "cpu_ns", "user_ns", "system_ns", "vsz_bytes", "rss_anon_bytes",
	"rss_file_bytes", "rss_shmem_bytes", "rchar", "wchar", "syscr", "syscw",
	"read_bytes", "write_bytes", "cancelled_write_bytes", "cgroup_id",
	"cgroup_path", "container_id", "container_runtime", "cmdline", "cmdline_truncated",
}

// fieldKeys holds `"name":` for each field: the bytes the decoder expects
// next when the input follows the module's order.
var fieldKeys, fieldIndex = func() ([numFields][]byte, map[string]int) {
	var keys [numFields][]byte
	index := make(map[string]int, numFields)
	for i, n := range fieldNames {
		keys[i] = []byte(`"` + n + `":`)
		index[n] = i
	}
	return keys, index
}()

// parseProcess decodes one record. The module writes the fields in a
// fixed order without spaces, so the decoder first tries the expected
// key with one prefix comparison and only falls back to scanning the key
// when the input differs (another writer, a newer schema, reordering).
func parseProcess(l *lexer, intern map[string]string, p *snapshot.Process) error {
	start := l.pos
	*p = snapshot.Process{Cmdline: noArgs} // never nil, even when the field is absent
	if err := l.expect('{'); err != nil {
		return err
	}
	var seen int
	if l.peek() != '}' {
		next := 0
		for {
			l.skipWS()
			field := -1
			if next < numFields && bytes.HasPrefix(l.buf[l.pos:], fieldKeys[next]) {
				field = next
				l.pos += len(fieldKeys[next])
			} else {
				key, err := l.key()
				if err != nil {
					return err
				}
				if i, ok := fieldIndex[key]; ok {
					field = i
				}
			}
			next = field + 1 // an unknown key resets the guess to the start
			if err := setField(l, p, field, intern); err != nil {
				return err
			}
			if field >= 0 && field < 30 {
				seen |= 1 << field
			}
			if c := l.peek(); c == ',' {
				l.pos++
				continue
			} else if c != '}' {
				return l.errorf("want ',' or '}' after object member")
			}
			break
		}
	}
	l.pos++ // the closing brace
	if missing := requiredProcessFields &^ seen; missing != 0 {
		for i, name := range fieldNames {
			if missing&(1<<i) != 0 {
				return &SyntaxError{Offset: start, Msg: "process record without " + name}
			}
		}
	}
	if p.PID <= 0 {
		return &SyntaxError{Offset: start, Msg: fmt.Sprintf("process record with pid %d", p.PID)}
	}
	if len(p.State) != 1 {
		return &SyntaxError{Offset: start, Msg: fmt.Sprintf("process %d: state %q is not one character", p.PID, p.State)}
	}
	return nil
}

// setField decodes the value of field (-1: unknown, skipped) into p.
func setField(l *lexer, p *snapshot.Process, field int, intern map[string]string) error {
	var err error
	switch field {
	case fPID:
		p.PID, err = int32Field(l)
	case fPPID:
		p.PPID, err = int32Field(l)
	case fUID:
		p.UID, err = uint32Field(l)
	case fEUID:
		p.EUID, err = uint32Field(l)
	case fComm:
		p.Comm, err = internedString(l, intern)
	case fState:
		p.State, err = internedString(l, intern)
	case fKThread:
		p.KThread, err = l.boolean()
	case fStart:
		p.StartTimeNs, err = l.uint()
	case fThreads:
		p.Threads, err = uint32Field(l)
	case fRunning:
		p.Running, err = uint32Field(l)
	case fCPU:
		p.CPUNs, err = l.uint()
	case fUser:
		p.UserNs, err = l.uint()
	case fSystem:
		p.SystemNs, err = l.uint()
	case fVSZ:
		p.VSZBytes, err = l.uint()
	case fRSSAnon:
		p.RSSAnonBytes, err = l.uint()
	case fRSSFile:
		p.RSSFileBytes, err = l.uint()
	case fRSSShmem:
		p.RSSShmemBytes, err = l.uint()
	case fRChar:
		p.RChar, err = l.uint()
	case fWChar:
		p.WChar, err = l.uint()
	case fSyscR:
		p.SyscR, err = l.uint()
	case fSyscW:
		p.SyscW, err = l.uint()
	case fReadBytes:
		p.ReadBytes, err = l.uint()
	case fWriteBytes:
		p.WriteBytes, err = l.uint()
	case fCancelled:
		p.CancelledWriteBytes, err = l.uint()
	case fCgroupID:
		p.CgroupID, err = l.uint()
	case fCgroupPath:
		p.CgroupPath, err = internedString(l, intern)
	case fContainerID:
		p.ContainerID, err = internedString(l, intern)
	case fContainerRuntime:
		p.ContainerRuntime, err = internedString(l, intern)
	case fCmdline:
		p.Cmdline, err = stringArray(l)
	case fCmdlineTruncated:
		p.CmdlineTruncated, err = l.boolean()
	default:
		err = l.skipValue(0)
	}
	return err
}

// stringArray decodes an array of strings.
func stringArray(l *lexer) ([]string, error) {
	out := noArgs
	err := l.array(func() error {
		s, err := l.str()
		out = append(out, s)
		return err
	})
	return out, err
}

// internedString returns one shared string for every equal value, which
// saves an allocation per process for cgroup paths, runtimes and the
// names of processes that share a program.
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
