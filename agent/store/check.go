package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/bits"
	"os"
)

// checkFile walks a bbolt file's structure before bbolt maps it: the
// size, both meta pages, and every page reachable from the newest valid
// meta, with the bounds of every element. bbolt trusts its file: a page
// it reaches with a wrong type, an element that points past its page or
// a child beyond the end of the file ends in an assertion panic in one
// of its own goroutines (which no recover can catch) or in a SIGBUS.
// What this walk accepts, bbolt can open and walk without either; what
// it refuses wraps ErrDamaged and says what is wrong.
//
// The format (bbolt's internal/common, version 2): a page begins with
// id u64, flags u16, count u16, overflow u32; a meta page then holds
// magic, version, page size, flags (u32 each), the root bucket (root
// pgid, sequence), the freelist pgid, the high-water pgid, the txid and
// an FNV-64a checksum of the 56 bytes before it. Branch elements are
// pos u32, ksize u32, pgid u64; leaf elements flags u32, pos u32,
// ksize u32, vsize u32, with pos counted from the element itself. A leaf
// element flagged as a bucket holds the bucket's root pgid and sequence,
// followed, when the root is 0, by an inline page.
//
// It reads with pread, one page at a time, so its memory is a page and
// a bitmap of the file's pages.
func checkFile(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	c := &checker{f: f, size: fi.Size()}
	if c.size == 0 {
		return nil // bbolt initialises an empty file
	}
	m, err := c.meta()
	if err != nil {
		return err
	}
	c.pageSize, c.hwm = int64(m.pageSize), m.pgid
	if c.size%c.pageSize != 0 {
		return damaged("size %d is not a whole number of %d-byte pages (truncated?)", c.size, c.pageSize)
	}
	if c.hwm < 4 || c.hwm > uint64(c.size/c.pageSize) {
		return damaged("the meta page counts %d pages but the file holds %d (truncated?)", c.hwm, c.size/c.pageSize)
	}
	c.seen = make([]uint64, (c.hwm+63)/64)
	c.mark(0)
	c.mark(1)
	if _, err := c.page(m.root, 0, nil, nil); err != nil {
		return err
	}
	if m.freelist != noFreelist {
		return c.freelist(m.freelist)
	}
	return nil
}

const (
	boltMagic   = 0xED0CDAED
	boltVersion = 2
	noFreelist  = ^uint64(0)

	pageHeader  = 16
	elementSize = 16
	bucketValue = 16 // root pgid, sequence

	branchFlag   = 0x01
	leafFlag     = 0x02
	metaFlag     = 0x04
	freelistFlag = 0x10
	bucketFlag   = 0x01

	maxDepth = 64 // bbolt's trees are a handful of levels deep
)

// ErrDamaged is wrapped by every error about a history file that is not
// a sound database: Open's checks, and a fault while the file is mapped.
var ErrDamaged = errors.New("history database damaged")

func damaged(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDamaged, fmt.Sprintf(format, args...))
}

type checker struct {
	f        *os.File
	size     int64
	pageSize int64
	hwm      uint64
	seen     []uint64 // bitmap of pages reached
	buf      []byte
}

type meta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64
	txid     uint64
}

// parseMeta decodes and validates a meta page as bbolt does (magic,
// version, checksum), plus what bbolt assumes of the figures.
func parseMeta(p []byte) (meta, bool) {
	var m meta
	if len(p) < pageHeader+64 || binary.LittleEndian.Uint16(p[8:]) != metaFlag {
		return m, false
	}
	b := p[pageHeader:]
	h := fnv.New64a()
	h.Write(b[:56])
	if binary.LittleEndian.Uint32(b) != boltMagic || binary.LittleEndian.Uint32(b[4:]) != boltVersion ||
		binary.LittleEndian.Uint64(b[56:]) != h.Sum64() {
		return m, false
	}
	m.pageSize = binary.LittleEndian.Uint32(b[8:])
	m.root = binary.LittleEndian.Uint64(b[16:])
	m.freelist = binary.LittleEndian.Uint64(b[32:])
	m.pgid = binary.LittleEndian.Uint64(b[40:])
	m.txid = binary.LittleEndian.Uint64(b[48:])
	ok := m.pageSize >= 1024 && m.pageSize <= 1<<16 && bits.OnesCount32(m.pageSize) == 1 &&
		m.root >= 2 && m.root < m.pgid && (m.freelist == noFreelist || (m.freelist >= 2 && m.freelist < m.pgid))
	return m, ok
}

// meta finds the meta page bbolt will use: the valid one with the
// higher txid. The second one sits one page in, and the page size comes
// from the first; bbolt probes sizes from 1 KiB when the first is bad.
func (c *checker) meta() (meta, error) {
	var first [4096]byte
	n, _ := c.f.ReadAt(first[:], 0)
	m0, ok0 := parseMeta(first[:n])
	sizes := []int64{int64(m0.pageSize)}
	if !ok0 {
		sizes = sizes[:0]
		for i := range 7 {
			sizes = append(sizes, 1024<<i)
		}
	}
	var m1 meta
	ok1 := false
	for _, ps := range sizes {
		var second [4096]byte
		if ps+pageHeader+64 > c.size {
			break
		}
		n, _ := c.f.ReadAt(second[:], ps)
		if m, ok := parseMeta(second[:n]); ok && int64(m.pageSize) == ps {
			m1, ok1 = m, true
			break
		}
	}
	switch {
	case ok0 && ok1 && m0.pageSize != m1.pageSize:
		return meta{}, damaged("the two meta pages disagree on the page size (%d, %d)", m0.pageSize, m1.pageSize)
	case ok0 && (!ok1 || m0.txid >= m1.txid):
		return m0, nil
	case ok1:
		return m1, nil
	}
	return meta{}, damaged("neither meta page is valid (not a kwarden history file, or overwritten)")
}

func (c *checker) mark(id uint64) bool {
	w, bit := id/64, uint64(1)<<(id%64)
	if c.seen[w]&bit != 0 {
		return false
	}
	c.seen[w] |= bit
	return true
}

// read returns page id with its overflow pages, after checking that they
// lie inside the file and were not reached before.
func (c *checker) read(id uint64) ([]byte, error) {
	if id < 2 || id >= c.hwm {
		return nil, damaged("a reference to page %d, outside pages 2..%d", id, c.hwm-1)
	}
	if cap(c.buf) < int(c.pageSize) {
		c.buf = make([]byte, c.pageSize)
	}
	p := c.buf[:c.pageSize]
	if _, err := c.f.ReadAt(p, int64(id)*c.pageSize); err != nil {
		return nil, fmt.Errorf("read page %d: %w", id, err)
	}
	if got := binary.LittleEndian.Uint64(p); got != id {
		return nil, damaged("page %d says it is page %d (overwritten?)", id, got)
	}
	over := uint64(binary.LittleEndian.Uint32(p[12:]))
	if over >= c.hwm-id {
		return nil, damaged("page %d claims %d overflow pages, past the end", id, over)
	}
	for i := id; i <= id+over; i++ {
		if !c.mark(i) {
			return nil, damaged("page %d is reached twice", i)
		}
	}
	if over > 0 {
		whole := make([]byte, (over+1)*uint64(c.pageSize))
		if _, err := c.f.ReadAt(whole, int64(id)*c.pageSize); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read page %d: %w", id, err)
		}
		return whole, nil
	}
	// The caller walks this page before reading another: hand it a copy
	// only for branch pages, which recurse.
	return p, nil
}

// page checks the tree rooted at page id, whose keys must lie in
// [lo, hi) (nil: unbounded), and returns its greatest key. The key
// rules are bbolt's own (tx_check.go), which it applies when it rebuilds
// the freelist at open and answers with a panic: keys ascend within a
// page; a branch key is at most the first key below it, and greater
// than every key of the child before it.
func (c *checker) page(id uint64, depth int, lo, hi []byte) ([]byte, error) {
	if depth > maxDepth {
		return nil, damaged("page %d: tree deeper than %d levels", id, maxDepth)
	}
	p, err := c.read(id)
	if err != nil {
		return nil, err
	}
	where := fmt.Sprintf("page %d", id)
	switch binary.LittleEndian.Uint16(p[8:]) {
	case branchFlag:
		p = bytes.Clone(p) // children reuse the buffer
		keys, children, err := branchElements(p, where)
		if err != nil {
			return nil, err
		}
		running := lo
		var last []byte
		for i, k := range keys {
			if err := keyInOrder(where, i, k, running, hi); err != nil {
				return nil, err
			}
			childHi := hi
			if i+1 < len(keys) {
				childHi = keys[i+1]
			}
			if last, err = c.page(children[i], depth+1, k, childHi); err != nil {
				return nil, err
			}
			running = last
		}
		return last, nil
	case leafFlag:
		keys, buckets, err := leafElements(p, where)
		if err != nil {
			return nil, err
		}
		running := lo
		for i, k := range keys {
			if err := keyInOrder(where, i, k, running, hi); err != nil {
				return nil, err
			}
			running = k
		}
		var last []byte
		if len(keys) > 0 {
			last = bytes.Clone(keys[len(keys)-1]) // the buffer is reused below
		}
		return last, c.buckets(buckets, depth)
	}
	return nil, damaged("%s has type %#x where a branch or leaf belongs", where, binary.LittleEndian.Uint16(p[8:]))
}

// keyInOrder checks key i of a page against the key before it (or the
// bound from above, for the first) and the bound after it.
func keyInOrder(where string, i int, k, prev, hi []byte) error {
	switch {
	case i == 0 && prev != nil && bytes.Compare(prev, k) > 0,
		i > 0 && bytes.Compare(prev, k) >= 0,
		hi != nil && bytes.Compare(k, hi) >= 0:
		return damaged("%s: key %d out of order", where, i)
	}
	return nil
}

// buckets checks nested buckets: their root pages, or their inline
// pages (which bbolt reads straight from the value).
func (c *checker) buckets(values [][]byte, depth int) error {
	for _, v := range values {
		root := binary.LittleEndian.Uint64(v)
		if root != 0 {
			if _, err := c.page(root, depth+1, nil, nil); err != nil {
				return err
			}
			continue
		}
		inline := v[bucketValue:]
		if len(inline) < pageHeader || binary.LittleEndian.Uint16(inline[8:]) != leafFlag {
			return damaged("an inline bucket without a leaf page")
		}
		keys, nested, err := leafElements(inline, "an inline bucket")
		if err != nil {
			return err
		}
		for i := 1; i < len(keys); i++ {
			if bytes.Compare(keys[i-1], keys[i]) >= 0 {
				return damaged("an inline bucket: keys out of order")
			}
		}
		if len(nested) > 0 {
			return damaged("an inline bucket holds buckets")
		}
	}
	return nil
}

// elements checks that a page's count of elements fits in it.
func elements(p []byte, where string) (int, error) {
	n := int(binary.LittleEndian.Uint16(p[10:]))
	if pageHeader+n*elementSize > len(p) {
		return 0, damaged("%s: %d elements do not fit in %d bytes", where, n, len(p))
	}
	return n, nil
}

// branchElements checks a branch page's elements and returns their keys
// and child page ids.
func branchElements(p []byte, where string) ([][]byte, []uint64, error) {
	n, err := elements(p, where)
	if err != nil {
		return nil, nil, err
	}
	if n == 0 {
		return nil, nil, damaged("%s: a branch page without elements", where)
	}
	keys, children := make([][]byte, n), make([]uint64, n)
	for i := range n {
		e := pageHeader + i*elementSize
		pos, ksize := uint64(binary.LittleEndian.Uint32(p[e:])), uint64(binary.LittleEndian.Uint32(p[e+4:]))
		if uint64(e)+pos+ksize > uint64(len(p)) {
			return nil, nil, damaged("%s: element %d points past the page", where, i)
		}
		keys[i] = p[uint64(e)+pos : uint64(e)+pos+ksize]
		children[i] = binary.LittleEndian.Uint64(p[e+8:])
	}
	return keys, children, nil
}

// leafElements checks a leaf page's elements and returns their keys
// (slices of p) and the values of those that are buckets (copies).
func leafElements(p []byte, where string) ([][]byte, [][]byte, error) {
	n, err := elements(p, where)
	if err != nil {
		return nil, nil, err
	}
	keys := make([][]byte, n)
	var buckets [][]byte
	for i := range n {
		e := pageHeader + i*elementSize
		flags := binary.LittleEndian.Uint32(p[e:])
		pos := uint64(binary.LittleEndian.Uint32(p[e+4:]))
		ksize := uint64(binary.LittleEndian.Uint32(p[e+8:]))
		vsize := uint64(binary.LittleEndian.Uint32(p[e+12:]))
		start := uint64(e) + pos
		if start+ksize+vsize > uint64(len(p)) {
			return nil, nil, damaged("%s: element %d points past the page", where, i)
		}
		keys[i] = p[start : start+ksize]
		if flags&bucketFlag != 0 {
			if vsize < bucketValue {
				return nil, nil, damaged("%s: bucket %q has a %d-byte header", where, keys[i], vsize)
			}
			buckets = append(buckets, bytes.Clone(p[start+ksize:start+ksize+vsize]))
		}
	}
	return keys, buckets, nil
}

// freelist checks a freelist page (files written without
// NoFreelistSync have one): its ids lie in the file and none is a page
// the tree uses.
func (c *checker) freelist(id uint64) error {
	p, err := c.read(id)
	if err != nil {
		return err
	}
	if binary.LittleEndian.Uint16(p[8:]) != freelistFlag {
		return damaged("page %d is not the freelist the meta page names", id)
	}
	data := p[pageHeader:]
	n := uint64(binary.LittleEndian.Uint16(p[10:]))
	if n == 0xFFFF { // the real count is the first element
		if len(data) < 8 {
			return damaged("freelist page %d: no count", id)
		}
		n, data = binary.LittleEndian.Uint64(data), data[8:]
	}
	if n > uint64(len(data))/8 {
		return damaged("freelist page %d: %d ids do not fit", id, n)
	}
	for i := range n {
		free := binary.LittleEndian.Uint64(data[i*8:])
		if free < 2 || free >= c.hwm || !c.mark(free) {
			return damaged("freelist page %d: page %d is out of range, in use or listed twice", id, free)
		}
	}
	return nil
}
