package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
	"unsafe"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// The record layout comes from the generated kwardenKwProc, itself
// generated from src/kwarden.h: offsets are taken from it, so a change of
// the C struct cannot silently shift a field.
const recordSize = int(unsafe.Sizeof(kwardenKwProc{}))

// Constants mirrored from src/kwarden.h.
const (
	recMagic   = 0x4b57
	recVersion = 1

	kindSnapshot = 1
	kindExit     = 2

	flagKThread        = 1 << 0
	flagHasMM          = 1 << 1
	flagRSSExact       = 1 << 2
	flagThreadsPartial = 1 << 3
	flagGroupDead      = 1 << 4
)

// ErrMalformed reports a record that is not a kw_proc of this version:
// wrong size, magic, version or kind, or impossible values.
var ErrMalformed = errors.New("malformed eBPF record")

var rec kwardenKwProc

var (
	offMagic       = int(unsafe.Offsetof(rec.Magic))
	offVersion     = int(unsafe.Offsetof(rec.Version))
	offKind        = int(unsafe.Offsetof(rec.Kind))
	offFlags       = int(unsafe.Offsetof(rec.Flags))
	offTgid        = int(unsafe.Offsetof(rec.Tgid))
	offPpid        = int(unsafe.Offsetof(rec.Ppid))
	offUID         = int(unsafe.Offsetof(rec.Uid))
	offEUID        = int(unsafe.Offsetof(rec.Euid))
	offNrThreads   = int(unsafe.Offsetof(rec.NrThreads))
	offThreadsSeen = int(unsafe.Offsetof(rec.ThreadsSeen))
	offStart       = int(unsafe.Offsetof(rec.StartNs))
	offCPU         = int(unsafe.Offsetof(rec.CpuNs))
	offUser        = int(unsafe.Offsetof(rec.UserNs))
	offSystem      = int(unsafe.Offsetof(rec.SystemNs))
	offIO          = int(unsafe.Offsetof(rec.Io))
	offVSZ         = int(unsafe.Offsetof(rec.VszPages))
	offRSS         = int(unsafe.Offsetof(rec.RssPages))
	offCgroup      = int(unsafe.Offsetof(rec.CgroupId))
	offMemcg       = int(unsafe.Offsetof(rec.MemcgId))
	offExitNs      = int(unsafe.Offsetof(rec.ExitNs))
	offExitCode    = int(unsafe.Offsetof(rec.ExitCode))
	offState       = int(unsafe.Offsetof(rec.State))
	offRunning     = int(unsafe.Offsetof(rec.Running))
	offComm        = int(unsafe.Offsetof(rec.Comm))
	commLen        = len(rec.Comm)
)

// record is one decoded kw_proc with what does not fit snapshot.Process.
type record struct {
	kind        uint8
	flags       uint32
	threadsSeen uint32
	exitNs      uint64
	exitCode    int32
}

// decodeRecord checks one raw record and fills p from it. Sizes are
// converted from pages with pageSize. p is overwritten completely.
func decodeRecord(b []byte, pageSize uint64, p *snapshot.Process) (record, error) {
	le := binary.LittleEndian
	var r record
	if len(b) != recordSize {
		return r, fmt.Errorf("%w: %d bytes, want %d", ErrMalformed, len(b), recordSize)
	}
	if m := le.Uint16(b[offMagic:]); m != recMagic {
		return r, fmt.Errorf("%w: magic %#x", ErrMalformed, m)
	}
	if v := b[offVersion]; v != recVersion {
		return r, fmt.Errorf("%w: version %d, want %d", ErrMalformed, v, recVersion)
	}
	r.kind = b[offKind]
	if r.kind != kindSnapshot && r.kind != kindExit {
		return r, fmt.Errorf("%w: kind %d", ErrMalformed, r.kind)
	}
	r.flags = le.Uint32(b[offFlags:])
	tgid := le.Uint32(b[offTgid:])
	ppid := le.Uint32(b[offPpid:])
	if tgid == 0 || tgid > 1<<22 || ppid > 1<<22 {
		// PID_MAX_LIMIT is 4M; pid 0 (the idle task) is never listed.
		return r, fmt.Errorf("%w: pid %d ppid %d", ErrMalformed, tgid, ppid)
	}
	state := b[offState]
	if !validState(state) {
		return r, fmt.Errorf("%w: state %q", ErrMalformed, state)
	}
	r.threadsSeen = le.Uint32(b[offThreadsSeen:])
	r.exitNs = le.Uint64(b[offExitNs:])
	r.exitCode = int32(le.Uint32(b[offExitCode:]))

	io := func(i int) uint64 { return le.Uint64(b[offIO+8*i:]) }
	rss := func(i int) uint64 { return le.Uint64(b[offRSS+8*i:]) * pageSize }
	*p = snapshot.Process{
		PID:                 int32(tgid),
		PPID:                int32(ppid),
		UID:                 le.Uint32(b[offUID:]),
		EUID:                le.Uint32(b[offEUID:]),
		Comm:                commString(b[offComm : offComm+commLen]),
		State:               stateStrings[state],
		KThread:             r.flags&flagKThread != 0,
		StartTimeNs:         le.Uint64(b[offStart:]),
		Threads:             le.Uint32(b[offNrThreads:]),
		Running:             le.Uint32(b[offRunning:]),
		CPUNs:               le.Uint64(b[offCPU:]),
		UserNs:              le.Uint64(b[offUser:]),
		SystemNs:            le.Uint64(b[offSystem:]),
		VSZBytes:            le.Uint64(b[offVSZ:]) * pageSize,
		RSSAnonBytes:        rss(0),
		RSSFileBytes:        rss(1),
		RSSShmemBytes:       rss(2),
		RChar:               io(0),
		WChar:               io(1),
		SyscR:               io(2),
		SyscW:               io(3),
		ReadBytes:           io(4),
		WriteBytes:          io(5),
		CancelledWriteBytes: io(6),
		CgroupID:            le.Uint64(b[offCgroup:]),
		MemCgroupID:         le.Uint64(b[offMemcg:]),
	}
	return r, nil
}

// stateStrings holds the one-letter states /proc prints, as strings so
// that decoding allocates none.
var stateStrings = func() [256]string {
	var s [256]string
	for _, c := range "RSDTtXZPI" {
		s[c] = string(c)
	}
	return s
}()

func validState(c byte) bool { return stateStrings[c] != "" }

// commString turns the kernel's NUL-padded comm into text the way the
// module's JSON does: one U+FFFD per byte that is not valid UTF-8, so both
// views print the same string for the same bytes.
func commString(b []byte) string {
	n := 0
	for n < len(b) && b[n] != 0 {
		n++
	}
	b = b[:n]
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]rune, 0, n)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		out = append(out, r) // RuneError for an invalid byte, size 1
		b = b[size:]
	}
	return string(out)
}
