package bpf

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// goodRecord builds a valid raw record as the programs write it.
func goodRecord(kind uint8) []byte {
	b := make([]byte, recordSize)
	le := binary.LittleEndian
	le.PutUint16(b[offMagic:], recMagic)
	b[offVersion] = recVersion
	b[offKind] = kind
	le.PutUint32(b[offFlags:], flagHasMM|flagRSSExact)
	le.PutUint32(b[offTgid:], 4242)
	le.PutUint32(b[offPpid:], 1)
	le.PutUint32(b[offUID:], 1000)
	le.PutUint32(b[offEUID:], 0)
	le.PutUint32(b[offNrThreads:], 3)
	le.PutUint32(b[offThreadsSeen:], 3)
	le.PutUint32(b[offRunning:], 1)
	le.PutUint64(b[offStart:], 123456789)
	le.PutUint64(b[offCPU:], 5_000_000)
	le.PutUint64(b[offUser:], 4_000_000)
	le.PutUint64(b[offSystem:], 1_000_000)
	for i := range 7 {
		le.PutUint64(b[offIO+8*i:], uint64(100+i))
	}
	le.PutUint64(b[offVSZ:], 1000)
	le.PutUint64(b[offRSS:], 10)
	le.PutUint64(b[offRSS+8:], 20)
	le.PutUint64(b[offRSS+16:], 30)
	le.PutUint64(b[offCgroup:], 77)
	le.PutUint64(b[offMemcg:], 78)
	le.PutUint64(b[offExitNs:], 999)
	le.PutUint32(b[offExitCode:], 7<<8)
	b[offState] = 'S'
	copy(b[offComm:], "worker\xff\x00junk")
	return b
}

func TestDecodeRecord(t *testing.T) {
	var p snapshot.Process
	r, err := decodeRecord(goodRecord(kindExit), 4096, &p)
	if err != nil {
		t.Fatal(err)
	}
	want := snapshot.Process{PID: 4242, PPID: 1, UID: 1000, Comm: "worker\uFFFD", State: "S",
		StartTimeNs: 123456789, Threads: 3, Running: 1, CPUNs: 5_000_000, UserNs: 4_000_000, SystemNs: 1_000_000,
		VSZBytes: 1000 * 4096, RSSAnonBytes: 10 * 4096, RSSFileBytes: 20 * 4096, RSSShmemBytes: 30 * 4096,
		RChar: 100, WChar: 101, SyscR: 102, SyscW: 103, ReadBytes: 104, WriteBytes: 105, CancelledWriteBytes: 106,
		CgroupID: 77, MemCgroupID: 78}
	if p.Comm != want.Comm || p.Cmdline != nil {
		t.Errorf("comm %q cmdline %v", p.Comm, p.Cmdline)
	}
	p.Cmdline = nil
	if !reflect.DeepEqual(p, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", p, want)
	}
	if r.kind != kindExit || r.exitNs != 999 || r.exitCode != 7<<8 || r.flags&flagHasMM == 0 {
		t.Errorf("record meta %+v", r)
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	edit := func(f func(b []byte)) []byte { b := goodRecord(kindSnapshot); f(b); return b }
	le := binary.LittleEndian
	cases := map[string][]byte{
		"empty":       nil,
		"short":       goodRecord(kindSnapshot)[:recordSize-1],
		"long":        append(goodRecord(kindSnapshot), 0),
		"magic":       edit(func(b []byte) { b[offMagic] ^= 0xff }),
		"version":     edit(func(b []byte) { b[offVersion] = 9 }),
		"kind":        edit(func(b []byte) { b[offKind] = 0 }),
		"pid 0":       edit(func(b []byte) { le.PutUint32(b[offTgid:], 0) }),
		"pid too big": edit(func(b []byte) { le.PutUint32(b[offTgid:], 1<<23) }),
		"ppid":        edit(func(b []byte) { le.PutUint32(b[offPpid:], 1<<31) }),
		"state":       edit(func(b []byte) { b[offState] = 'Q' }),
	}
	for name, b := range cases {
		var p snapshot.Process
		if _, err := decodeRecord(b, 4096, &p); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

func TestDecodeSnapshot(t *testing.T) {
	two := append(goodRecord(kindSnapshot), goodRecord(kindSnapshot)...)
	var out snapshot.Processes
	if err := decodeSnapshot(two, 4096, &out); err != nil || len(out.Processes) != 2 {
		t.Fatalf("two records: %v, %d processes", err, len(out.Processes))
	}
	for name, b := range map[string][]byte{
		"torn":          two[:len(two)-5],
		"exit in iter":  append(goodRecord(kindSnapshot), goodRecord(kindExit)...),
		"corrupt later": append(goodRecord(kindSnapshot), make([]byte, recordSize)...),
	} {
		err := decodeSnapshot(b, 4096, &out)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	if err := decodeSnapshot(nil, 4096, &out); err != nil || len(out.Processes) != 0 {
		t.Errorf("empty: %v %d", err, len(out.Processes))
	}
}

// decodeExit is the ring-buffer path: a bad record is counted and
// reported, never delivered; a repeat is dropped.
func TestDecodeExit(t *testing.T) {
	c := &Collector{pageSize: 4096}
	if _, dup, err := c.decodeExit(goodRecord(kindExit)); err != nil || dup {
		t.Fatalf("first exit: dup %v, %v", dup, err)
	}
	if _, dup, err := c.decodeExit(goodRecord(kindExit)); err != nil || !dup {
		t.Fatalf("repeat: dup %v, %v", dup, err)
	}
	_, _, err := c.decodeExit(goodRecord(kindSnapshot))
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "exit ring") {
		t.Errorf("snapshot record on the ring: %v", err)
	}
	if _, _, err := c.decodeExit([]byte{1, 2, 3}); !errors.Is(err, ErrMalformed) {
		t.Errorf("short: %v", err)
	}
	if c.exits.malformed != 2 || c.exits.duplicates != 1 {
		t.Errorf("malformed %d duplicates %d", c.exits.malformed, c.exits.duplicates)
	}
}

func TestDuplicateFilterIsBounded(t *testing.T) {
	var s exitState
	for i := range recentExits + 10 {
		if s.seen(snapshot.Key{PID: int32(i + 1)}) {
			t.Fatalf("key %d seen before", i)
		}
	}
	if len(s.recent) != recentExits || len(s.order) != recentExits {
		t.Errorf("filter holds %d/%d keys, bound %d", len(s.recent), len(s.order), recentExits)
	}
	if s.seen(snapshot.Key{PID: 1}) {
		t.Error("the oldest key was not evicted")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(goodRecord(kindSnapshot))
	f.Add(goodRecord(kindExit))
	f.Add(append(goodRecord(kindSnapshot), goodRecord(kindSnapshot)[:10]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var out snapshot.Processes
		err := decodeSnapshot(b, 4096, &out)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error without ErrMalformed: %v", err)
		}
		if err == nil {
			for _, p := range out.Processes {
				if p.PID <= 0 || len(p.State) != 1 || p.VSZBytes%4096 != 0 {
					t.Fatalf("accepted an impossible record: %+v", p)
				}
			}
		}
		c := &Collector{pageSize: 4096}
		if _, _, err := c.decodeExit(b); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("exit error without ErrMalformed: %v", err)
		}
	})
}
