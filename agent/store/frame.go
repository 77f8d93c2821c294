package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// A frame is every running container's point at one tick, stored under
// the tick's time key. One key per tick, rather than one per container
// in a bucket per container, is what keeps a tick's transaction to a few
// pages: with 200 containers the nested layout dirtied 200 leaf pages
// (about 1 MiB written and 7 ms of CPU per tick), a frame is 10 KiB.
//
// Layout, little-endian where fixed:
//
//	byte     frameVersion
//	uvarint  number of entries
//	entries: uvarint container index (from the container_ids bucket),
//	         uvarint length of the point, the point
//
// and a point (also the value of a one-minute point) is
//
//	float64 cpu_percent, float64 ram_percent,
//	uvarint cpu_ns, rss, usage, working set, read, write, processes, samples,
//	byte    class (0 none, 1 high, 2 low),
//	uvarint vsz, threads (appended later: absent in older points, read as 0)
//
// The length before each point lets a reader skip the containers it
// does not want, and lets a later version append fields.
const frameVersion = 1

// errCorrupt wraps every decoding failure.
var errCorrupt = errors.New("corrupt history record")

var classCodes = map[string]byte{"": 0, "high": 1, "low": 2}
var classNames = [...]string{"", "high", "low"}

// appendPoint encodes p (its time is the key's, not stored).
func appendPoint(b []byte, p ContainerPoint) ([]byte, error) {
	code, ok := classCodes[p.Class]
	if !ok {
		return b, fmt.Errorf("container point: unknown class %q", p.Class)
	}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.CPUPercent))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.RAMPercent))
	for _, v := range [...]uint64{p.CPUNs, p.RSSBytes, p.MemUsageBytes, p.WorkingSetBytes,
		p.ReadBytes, p.WriteBytes, uint64(max(p.Processes, 0)), uint64(max(p.Samples, 0))} {
		b = binary.AppendUvarint(b, v)
	}
	b = append(b, code)
	b = binary.AppendUvarint(b, p.VSZBytes)
	return binary.AppendUvarint(b, uint64(max(p.Threads, 0))), nil
}

// decodePoint is appendPoint's inverse. Bytes after the known fields are
// ignored (a newer minor layout).
func decodePoint(b []byte) (ContainerPoint, error) {
	var p ContainerPoint
	if len(b) < 16 {
		return p, fmt.Errorf("%w: point of %d bytes", errCorrupt, len(b))
	}
	p.CPUPercent = math.Float64frombits(binary.LittleEndian.Uint64(b))
	p.RAMPercent = math.Float64frombits(binary.LittleEndian.Uint64(b[8:]))
	b = b[16:]
	var vals [8]uint64
	for i := range vals {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return p, fmt.Errorf("%w: point field %d", errCorrupt, i)
		}
		vals[i], b = v, b[n:]
	}
	if vals[6] > math.MaxInt32 || vals[7] > math.MaxInt32 {
		return p, fmt.Errorf("%w: %d processes, %d samples", errCorrupt, vals[6], vals[7])
	}
	p.CPUNs, p.RSSBytes, p.MemUsageBytes, p.WorkingSetBytes = vals[0], vals[1], vals[2], vals[3]
	p.ReadBytes, p.WriteBytes, p.Processes, p.Samples = vals[4], vals[5], int(vals[6]), int(vals[7])
	if len(b) < 1 || int(b[0]) >= len(classNames) {
		return p, fmt.Errorf("%w: class", errCorrupt)
	}
	p.Class = classNames[b[0]]
	b = b[1:]
	if len(b) == 0 {
		return p, nil // a point written before vsz and threads were
	}
	vsz, n := binary.Uvarint(b)
	if n <= 0 {
		return p, fmt.Errorf("%w: point vsz", errCorrupt)
	}
	threads, m := binary.Uvarint(b[n:])
	if m <= 0 || threads > math.MaxInt32 {
		return p, fmt.Errorf("%w: point threads", errCorrupt)
	}
	p.VSZBytes, p.Threads = vsz, int(threads)
	return p, nil
}

// frameEntry is one container's point in a frame.
type frameEntry struct {
	index uint64
	point ContainerPoint
}

// encodeFrame encodes a tick's entries.
func encodeFrame(entries []frameEntry) ([]byte, error) {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(entries)*64)
	b = append(b, frameVersion)
	b = binary.AppendUvarint(b, uint64(len(entries)))
	var pt []byte
	for _, e := range entries {
		var err error
		if pt, err = appendPoint(pt[:0], e.point); err != nil {
			return nil, err
		}
		b = binary.AppendUvarint(b, e.index)
		b = binary.AppendUvarint(b, uint64(len(pt)))
		b = append(b, pt...)
	}
	return b, nil
}

// walkFrame calls fn for each entry of frame b whose index want accepts;
// the others are skipped undecoded.
func walkFrame(b []byte, want func(index uint64) bool, fn func(index uint64, p ContainerPoint)) error {
	return walkEntries(b, func(index uint64, body []byte) error {
		if !want(index) {
			return nil
		}
		p, err := decodePoint(body)
		if err != nil {
			return err
		}
		fn(index, p)
		return nil
	})
}

// walkEntries calls fn with each entry of frame b, its point still
// encoded; an error from fn ends the walk.
func walkEntries(b []byte, fn func(index uint64, point []byte) error) error {
	if len(b) < 1 || b[0] != frameVersion {
		return fmt.Errorf("%w: frame version", errCorrupt)
	}
	b = b[1:]
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)) {
		return fmt.Errorf("%w: frame count", errCorrupt)
	}
	b = b[n:]
	for range count {
		index, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("%w: frame entry index", errCorrupt)
		}
		b = b[n:]
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return fmt.Errorf("%w: frame entry length", errCorrupt)
		}
		body := b[n : n+int(size)]
		b = b[n+int(size):]
		if err := fn(index, body); err != nil {
			return err
		}
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d bytes after the frame's entries", errCorrupt, len(b))
	}
	return nil
}

// pointField reads one field of an encoded point without decoding the
// rest: fields 0 and 1 are the leading floats (cpu_percent,
// ram_percent), 2 and on the uvarints in order (cpu_ns, rss, usage,
// working set, …). A ranking reads one figure of every point of a
// range; decoding whole points cost it four times as much.
func pointField(b []byte, field int) (float64, error) {
	if len(b) < 16 {
		return 0, fmt.Errorf("%w: point of %d bytes", errCorrupt, len(b))
	}
	if field < 2 {
		return math.Float64frombits(binary.LittleEndian.Uint64(b[8*field:])), nil
	}
	b = b[16:]
	for i := 2; ; i++ {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, fmt.Errorf("%w: point field %d", errCorrupt, i)
		}
		if i == field {
			return float64(v), nil
		}
		b = b[n:]
	}
}
