package crosscheck

import (
	"runtime"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// View is one read of one source.
type View struct {
	// Name identifies the source in the Result ("kmod", "ebpf").
	Name string
	// StartNs is CLOCK_BOOTTIME just before the read began and EndNs just
	// after it ended. The window bounds when each record was taken, which
	// is all the tolerance model knows about timing. An EndNs before
	// StartNs is treated as equal to StartNs.
	StartNs uint64
	EndNs   uint64
	// Processes is the read itself, in any order. Each key should appear
	// once; a key listed more than once is reported in Result.Duplicates
	// and only its first record is compared.
	Processes []snapshot.Process
	// RSSSlackBytes is the error this view may have on each RSS counter:
	// 0 for an exact reader; an eBPF reader that cannot sum the per-CPU
	// counters of kernels >= 6.2 reports batch × CPUs × page size.
	RSSSlackBytes uint64
}

// Tolerance holds the kernel constants the model cannot read from the
// views. A zero field takes its default, so the zero Options is usable.
type Tolerance struct {
	// TickNs is the scheduler tick: the sum_exec_runtime of a thread that
	// is running lags by up to one tick, and utime/stime advance by whole
	// ticks. Default 10 ms, the worst case (HZ=100).
	TickNs uint64 `json:"tick_ns"`
	// IdleGrowthBytes is how much an RSS counter of a process that did not
	// run may rise: khugepaged collapsing a range into one PMD-sized huge
	// page maps up to 2 MiB that the process never touched. Default 2 MiB.
	IdleGrowthBytes uint64 `json:"idle_growth_bytes"`
}

// Defaults of Tolerance.
const (
	DefaultTickNs          = 10_000_000
	DefaultIdleGrowthBytes = 2 << 20
)

// DefaultTolerance returns the worst-case tolerance for the kernels kwarden
// supports (x86-64, HZ >= 100, 2 MiB PMD huge pages).
func DefaultTolerance() Tolerance {
	return Tolerance{TickNs: DefaultTickNs, IdleGrowthBytes: DefaultIdleGrowthBytes}
}

// withDefaults fills the zero fields, so that callers can override one
// constant without restating the others.
func (t Tolerance) withDefaults() Tolerance {
	if t.TickNs == 0 {
		t.TickNs = DefaultTickNs
	}
	if t.IdleGrowthBytes == 0 {
		t.IdleGrowthBytes = DefaultIdleGrowthBytes
	}
	return t
}

// Options configures Compare. The zero value is valid: default tolerance,
// runtime.NumCPU() CPUs and no oracles.
type Options struct {
	Tolerance Tolerance
	// Exited reports whether the process with this key is known to have
	// exited (from the eBPF exit-event stream) and when, in CLOCK_BOOTTIME
	// ns. It may be nil.
	Exited func(snapshot.Key) (exitNs uint64, ok bool)
	// Alive reports whether the process still exists after both reads
	// (for example /proc/<pid> exists with the same start time; an
	// unreaped zombie exists). It may be nil. It outranks Exited: a
	// process alive after both reads was in the pid table throughout
	// both, whatever its exit time.
	//
	// Compare calls each oracle at most once for each process present in
	// only one view and for each parent of a process whose ppid differs,
	// from the calling goroutine.
	Alive func(snapshot.Key) bool
	// CPUs bounds how many threads of one process can run at once. Pass
	// the online CPU count (the module's system view publishes it): 0
	// means runtime.NumCPU(), which counts only the CPUs this process may
	// run on and so is too low for a daemon pinned to fewer CPUs.
	CPUs int
}

// cpus returns the CPU bound Compare uses.
func (o *Options) cpus() int {
	if o.CPUs > 0 {
		return o.CPUs
	}
	return max(runtime.NumCPU(), 1)
}
