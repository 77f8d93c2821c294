package bpf

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
)

// processWalk runs kw_snap, which writes one record per process into the
// mmapped snap array, and copies them out. One run at a time: the array
// is shared.
type processWalk struct {
	mu     sync.Mutex
	prog   *ebpf.Program
	arr    *ebpf.Map
	mem    *ebpf.Memory
	count  *ebpf.Variable
	full   *ebpf.Variable
	nested *ebpf.Variable
}

// errWalkFull reports more processes than the array holds, and
// errWalkNested a reader in a child pid namespace (the walk would see the
// whole machine, the iterator that namespace); the caller reads the task
// iterator instead.
var (
	errWalkFull   = errors.New("more processes than the walk's array holds")
	errWalkNested = errors.New("the reader is in a child pid namespace")
)

func loadProcessWalk(spec *ebpf.CollectionSpec, kernelTypes *btf.Spec) (*processWalk, error) {
	var objs struct {
		Prog   *ebpf.Program  `ebpf:"kw_snap"`
		Arr    *ebpf.Map      `ebpf:"snap"`
		Count  *ebpf.Variable `ebpf:"snap_count"`
		Full   *ebpf.Variable `ebpf:"snap_full"`
		Nested *ebpf.Variable `ebpf:"snap_nested"`
	}
	if err := spec.LoadAndAssign(&objs, &ebpf.CollectionOptions{
		Programs: ebpf.ProgramOptions{KernelTypes: kernelTypes},
	}); err != nil {
		return nil, classify("load process walk", err)
	}
	w := &processWalk{prog: objs.Prog, arr: objs.Arr, count: objs.Count, full: objs.Full, nested: objs.Nested}
	mem, err := objs.Arr.Memory()
	if err != nil {
		w.close()
		return nil, fmt.Errorf("map the process walk's array: %w", err)
	}
	w.mem = mem
	// One trial run: a kernel may load the program yet refuse to run it.
	if _, err := w.read(nil); err != nil && !errors.Is(err, errWalkFull) && !errors.Is(err, errWalkNested) {
		w.close()
		return nil, err
	}
	return w, nil
}

// read runs the walk and appends its records to buf.
func (w *processWalk) read(buf []byte) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.prog.Run(&ebpf.RunOptions{}); err != nil {
		return buf, classify("run process walk", err)
	}
	var n, full, nested uint32
	if err := w.count.Get(&n); err != nil {
		return buf, fmt.Errorf("process walk count: %w", err)
	}
	if err := w.full.Get(&full); err != nil {
		return buf, fmt.Errorf("process walk overflow flag: %w", err)
	}
	if err := w.nested.Get(&nested); err != nil {
		return buf, fmt.Errorf("process walk namespace flag: %w", err)
	}
	switch {
	case nested != 0:
		return buf, errWalkNested
	case full != 0:
		return buf, errWalkFull
	}
	size := int(n) * recordSize
	if uint64(size) > uint64(w.mem.Size()) {
		return buf, fmt.Errorf("process walk: %w: %d records do not fit its %d-byte array", ErrMalformed, n, w.mem.Size())
	}
	start := len(buf)
	buf = slices.Grow(buf, size)[:start+size] // no zeroing: ReadAt fills it
	if _, err := w.mem.ReadAt(buf[start:], 0); err != nil {
		return buf[:start], fmt.Errorf("read process walk: %w", err)
	}
	return buf, nil
}

func (w *processWalk) close() error {
	var errs []error
	if w.prog != nil {
		errs = append(errs, w.prog.Close())
	}
	if w.arr != nil {
		errs = append(errs, w.arr.Close())
	}
	return errors.Join(errs...)
}
