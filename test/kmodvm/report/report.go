// Package report defines the records the guest program (kwarden-scenarios)
// emits from inside the test VM and the host side decodes: one type per
// scenario, shared so that both sides agree on the fields. The exit
// bench's record is exitbench.Result, the type the measurement returns,
// so that the bench depends on no test harness.
package report

import "fmt"

// maxShown bounds the failure lists so that a record stays one short
// console line.
const maxShown = 40

// Reload: the module is unloaded and loaded Cycles times with reads in
// between, then unloaded under a reader holding a file open.
type Reload struct {
	Cycles        int      `json:"cycles"`
	Failures      []string `json:"failures"`
	HeldOpenError string   `json:"held_open_error"` // the error of the read after rmmod
}

// GroundTruth compares the module with procfs (see scenarios/groundtruth.go
// for the tolerances).
type GroundTruth struct {
	Processes  int      `json:"processes"`
	Compared   int      `json:"compared"`
	Fields     int      `json:"fields"`
	Mismatches []string `json:"mismatches"` // the first maxShown
	Mismatched int      `json:"mismatched"`
	Workloads  []int    `json:"workloads"`
}

// Failf records one mismatch.
func (r *GroundTruth) Failf(format string, args ...any) {
	r.Mismatched++
	if len(r.Mismatches) < maxShown {
		r.Mismatches = append(r.Mismatches, fmt.Sprintf(format, args...))
	}
}

// Hostile checks names and command lines that stress JSON escaping.
type Hostile struct {
	Checked    int      `json:"checked"`
	Mismatches []string `json:"mismatches"`
}

// Churn: concurrent readers while processes fork and exit.
type Churn struct {
	Seconds   float64        `json:"seconds"`
	Forks     int            `json:"forks"`
	Reads     map[string]int `json:"reads"` // complete, parsed reads per file
	Failures  []string       `json:"failures"`
	MaxProcs  int            `json:"max_processes"`
	ReadBytes int64          `json:"read_bytes"`
}

// Failf records one failure; safe only under the caller's lock.
func (r *Churn) Failf(format string, args ...any) {
	if len(r.Failures) < maxShown {
		r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
	}
}

// Scale shows a complete read at Sleepers idle processes and how much
// kernel memory a reader of the process view costs. Readers opens the
// file that many times and reads 64 KiB from each (so each has its
// private state and seq_file buffer allocated and sits half-way through
// the file); ReaderBytes is the growth of the kernel's own memory
// (MemTotal − MemFree − Buffers − Cached − AnonPages, which counts slab,
// page-allocator and vmalloc allocations alike) over that, divided by
// Readers. Nothing else runs in the VM, the workload is idle and the
// guest allocates nothing meanwhile, so the growth is the readers'.
type Scale struct {
	Sleepers    int    `json:"sleepers"`
	Processes   int    `json:"processes"`
	Missing     int    `json:"missing"` // sleepers absent from the read
	Bytes       int    `json:"bytes"`
	Readers     int    `json:"readers"`
	ReaderBytes int64  `json:"reader_bytes"`
	Containers  int    `json:"containers"`
	Error       string `json:"error,omitempty"`
}

// Containers checks the container view against cgroups the guest made.
type Containers struct {
	Checked  int      `json:"checked"`
	Expected int      `json:"expected_containers"`
	Got      int      `json:"got_containers"`
	Failures []string `json:"failures"`
}

// Failf records one failure.
func (r *Containers) Failf(format string, args ...any) {
	if len(r.Failures) < maxShown {
		r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
	}
}

// Hygiene: memory before and after many open/read/close cycles. A leak
// of one seq_file buffer per open (the missing single_release of earlier
// modules) shows as at least 4 KiB per open.
type Hygiene struct {
	Cycles          int   `json:"cycles"`
	KernelDelta     int64 `json:"kernel_used_delta_bytes"`
	SUnreclaimDelta int64 `json:"sunreclaim_delta_bytes"`
	VmallocDelta    int64 `json:"vmalloc_delta_bytes"`
	ReadErrors      int   `json:"read_errors"`
}

// Bench compares one full read of every process's figures through the
// module (read and parse) with a procfs walk reading stat, statm,
// status, io and cgroup of every process, at one process count. Times
// are medians of Rounds alternating runs; both sides reuse their result
// from the previous round, as a sampling loop would.
type Bench struct {
	Processes   int     `json:"processes"`
	Rounds      int     `json:"rounds"`
	ModuleMs    float64 `json:"module_ms"`
	ModuleRawMs float64 `json:"module_read_only_ms"`
	WalkMs      float64 `json:"procfs_walk_ms"`
	Ratio       float64 `json:"ratio"`
	ModuleBytes int     `json:"module_bytes"`
	// The eBPF task iterator (read and decode into the same types).
	EBPFMs    float64 `json:"ebpf_ms"`
	EBPFRatio float64 `json:"ebpf_ratio"` // procfs walk / eBPF
	EBPFError string  `json:"ebpf_error,omitempty"`
	// EBPFMethod is how the eBPF view took its snapshots.
	EBPFMethod string `json:"ebpf_method,omitempty"`
}

// CrossCheck is one module-vs-eBPF comparison round (see
// internal/crosscheck): counts, and the first discrepancies as text.
type CrossCheck struct {
	Mode      string   `json:"mode"` // steady, churn, pidns
	Round     int      `json:"round"`
	Order     string   `json:"order"` // which view was read first
	InKmod    int      `json:"in_kmod"`
	InEBPF    int      `json:"in_ebpf"`
	Matched   int      `json:"matched"`
	Fields    int      `json:"fields"`
	Churn     int      `json:"churn"`
	Missing   int      `json:"missing"`
	Drift     int      `json:"drift"`
	Shown     []string `json:"shown"` // the first discrepancies
	ExitHook  string   `json:"exit_hook"`
	Snapshot  string   `json:"snapshot"` // the eBPF view's snapshot method
	RSSExact  bool     `json:"rss_exact"`
	ExitsSeen int      `json:"exits_seen"`
	// For pidns: the pids the test placed outside the reader's namespace,
	// and those of them reported Missing from the eBPF view.
	Outside       []int32 `json:"outside,omitempty"`
	OutsideMissed []int32 `json:"outside_missed,omitempty"`
	Error         string  `json:"error,omitempty"`
}

// Exit is one process that exited under the eBPF exit hook: what it
// measured of itself just before exiting, what the hook reported, and
// what wait4 reported after.
type Exit struct {
	Hook     string `json:"hook"`
	PID      int    `json:"pid"`
	SelfNs   uint64 `json:"self_ns"`
	EventNs  uint64 `json:"event_ns"`
	RusageNs uint64 `json:"rusage_ns"`
	ExitCode int32  `json:"exit_code"`
	HasMM    bool   `json:"has_mm"`
	RSSBytes uint64 `json:"rss_bytes"`
	Threads  uint32 `json:"threads"`
	Error    string `json:"error,omitempty"`
}
