package procfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"syscall"

	"github.com/kwarden/kwarden/internal/cgpath"
	"github.com/kwarden/kwarden/internal/snapshot"
)

// Sample is everything read for one process, in the files' own units.
type Sample struct {
	Stat       Stat
	Statm      Statm
	Status     Status
	IO         IO
	HasIO      bool // io needs ptrace access; unreadable for others' processes without root
	CgroupPath string
	// Cmdline is the raw argument area, NUL-separated (only with
	// Options.Cmdline).
	Cmdline []byte
	// SchedNs is Σ over live threads of schedstat's run time (only with
	// Options.Schedstat).
	SchedNs uint64
}

// Options says which optional files a read includes.
type Options struct {
	Cmdline   bool
	Schedstat bool
}

// Walker reads processes from a procfs mount. It keeps a read buffer, so
// one Walker must not be used by two goroutines at once.
type Walker struct {
	// Root is the procfs mount; "" means /proc.
	Root string
	// PageSize converts statm pages to bytes; 0 means os.Getpagesize().
	PageSize uint64
	Options  Options

	buf []byte
}

// ErrGone reports a process that exited while it was being read.
var ErrGone = errors.New("process gone")

func (w *Walker) root() string {
	if w.Root == "" {
		return "/proc"
	}
	return w.Root
}

func (w *Walker) pageSize() uint64 {
	if w.PageSize == 0 {
		return uint64(os.Getpagesize())
	}
	return w.PageSize
}

// readFile reads a small file into the walker's buffer. The result is
// valid until the next call.
func (w *Walker) readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if w.buf == nil {
		w.buf = make([]byte, 8192)
	}
	n := 0
	for {
		if n == len(w.buf) {
			w.buf = append(w.buf, make([]byte, len(w.buf))...)
		}
		m, err := f.Read(w.buf[n:])
		n += m
		if err == io.EOF || (err == nil && m == 0) {
			return w.buf[:n], nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// gone maps the errors of a vanished process to ErrGone.
func gone(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%w: %v", ErrGone, err)
	}
	return err
}

// Read reads one process. A process that exits meanwhile gives ErrGone.
func (w *Walker) Read(pid int32) (*Sample, error) {
	dir := w.root() + "/" + strconv.Itoa(int(pid)) + "/"
	var s Sample
	b, err := w.readFile(dir + "stat")
	if err != nil {
		return nil, gone(err)
	}
	if s.Stat, err = ParseStat(b); err != nil {
		return nil, err
	}
	if b, err = w.readFile(dir + "statm"); err != nil {
		return nil, gone(err)
	}
	if s.Statm, err = ParseStatm(b); err != nil {
		return nil, err
	}
	if b, err = w.readFile(dir + "status"); err != nil {
		return nil, gone(err)
	}
	if s.Status, err = ParseStatus(b); err != nil {
		return nil, err
	}
	if b, err = w.readFile(dir + "io"); err == nil {
		if s.IO, err = ParseIO(b); err != nil {
			return nil, err
		}
		s.HasIO = true
	} else if !errors.Is(err, fs.ErrPermission) {
		return nil, gone(err)
	}
	if b, err = w.readFile(dir + "cgroup"); err != nil {
		return nil, gone(err)
	}
	if s.CgroupPath, err = ParseCgroupV2(b); err != nil {
		return nil, err
	}
	if w.Options.Cmdline {
		if b, err = w.readFile(dir + "cmdline"); err != nil {
			return nil, gone(err)
		}
		s.Cmdline = bytes.Clone(b)
	}
	if w.Options.Schedstat {
		if s.SchedNs, err = w.schedSum(dir + "task"); err != nil {
			return nil, err
		}
	}
	return &s, nil
}

func (w *Walker) schedSum(taskDir string) (uint64, error) {
	tids, err := os.ReadDir(taskDir)
	if err != nil {
		return 0, gone(err)
	}
	var sum uint64
	for _, t := range tids {
		b, err := w.readFile(taskDir + "/" + t.Name() + "/schedstat")
		if err != nil {
			if errors.Is(gone(err), ErrGone) {
				continue // a thread exited; the group's total moved to signal
			}
			return 0, err
		}
		ns, err := ParseSchedstat(b)
		if err != nil {
			return 0, err
		}
		sum += ns
	}
	return sum, nil
}

// PIDs lists the process ids in the procfs mount, in directory order.
func (w *Walker) PIDs() ([]int32, error) {
	d, err := os.Open(w.root())
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	pids := make([]int32, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.ParseInt(n, 10, 32); err == nil && pid > 0 {
			pids = append(pids, int32(pid))
		}
	}
	return pids, nil
}

// Walk reads every process. Processes that exit during the walk are left
// out; any other failure ends the walk with an error.
func (w *Walker) Walk(ctx context.Context) (*snapshot.Processes, error) {
	out := &snapshot.Processes{}
	if err := w.WalkInto(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// WalkInto is Walk reusing the capacity of out.Processes.
func (w *Walker) WalkInto(ctx context.Context, out *snapshot.Processes) error {
	pids, err := w.PIDs()
	if err != nil {
		return err
	}
	out.PageSize = w.pageSize()
	if cap(out.Processes) < len(pids) {
		out.Processes = make([]snapshot.Process, 0, len(pids))
	}
	out.Processes = out.Processes[:0]
	for i, pid := range pids {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		s, err := w.Read(pid)
		if errors.Is(err, ErrGone) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read process %d: %w", pid, err)
		}
		out.Processes = append(out.Processes, s.Process(w.pageSize()))
	}
	return nil
}

// Process converts a sample to the common type. Fields procfs does not
// offer (cgroup id) stay zero; CPU and start times carry the 10 ms
// resolution of clock ticks.
func (s *Sample) Process(pageSize uint64) snapshot.Process {
	p := snapshot.Process{
		PID:           s.Stat.PID,
		PPID:          s.Stat.PPID,
		UID:           s.Status.UID,
		EUID:          s.Status.EUID,
		Comm:          s.Stat.Comm,
		KThread:       s.Stat.KThread(),
		State:         string(rune(s.Stat.State)),
		StartTimeNs:   s.Stat.StartTicks * NsPerTick,
		Threads:       s.Stat.Threads,
		CPUNs:         (s.Stat.UTimeTicks + s.Stat.STimeTicks) * NsPerTick,
		UserNs:        s.Stat.UTimeTicks * NsPerTick,
		SystemNs:      s.Stat.STimeTicks * NsPerTick,
		VSZBytes:      s.Statm.Size * pageSize,
		RSSAnonBytes:  s.Status.RssAnon,
		RSSFileBytes:  s.Status.RssFile,
		RSSShmemBytes: s.Status.RssShmem,
		CgroupPath:    s.CgroupPath,
	}
	if s.HasIO {
		p.RChar, p.WChar, p.SyscR, p.SyscW = s.IO.RChar, s.IO.WChar, s.IO.SyscR, s.IO.SyscW
		p.ReadBytes, p.WriteBytes, p.CancelledWriteBytes = s.IO.ReadBytes, s.IO.WriteBytes, s.IO.CancelledWriteBytes
	}
	p.ContainerID, p.ContainerRuntime = cgpath.Container(s.CgroupPath)
	if s.Cmdline != nil {
		p.Cmdline = SplitCmdline(s.Cmdline)
	}
	return p
}

// SplitCmdline splits a raw argument area at NUL bytes. A trailing NUL
// ends the last argument rather than starting an empty one.
func SplitCmdline(b []byte) []string {
	if len(b) == 0 {
		return []string{}
	}
	b = bytes.TrimSuffix(b, []byte{0})
	parts := bytes.Split(b, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}
