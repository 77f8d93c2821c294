package apiv1

import "time"

// CrossCheck is one comparison of two kernel views (A, the module, and
// B, eBPF), process by process; docs/crosscheck.md gives the rules.
type CrossCheck struct {
	// A names the first view (kmod).
	A string `json:"a"`
	// B names the second view (ebpf).
	B string `json:"b"`
	// AStartNs is when A's read began (CLOCK_BOOTTIME, ns).
	AStartNs uint64 `json:"a_start_ns"`
	// AEndNs is when A's read ended.
	AEndNs uint64 `json:"a_end_ns"`
	// BStartNs is when B's read began.
	BStartNs uint64 `json:"b_start_ns"`
	// BEndNs is when B's read ended.
	BEndNs uint64 `json:"b_end_ns"`
	// Order is a_first, b_first or overlap: how the two reads lie.
	Order string `json:"order"`
	// SpanNs is from the first start to the last end.
	SpanNs uint64 `json:"span_ns"`
	// Tolerance is the kernel constants the rules used.
	Tolerance Tolerance `json:"tolerance"`
	// CPUs is the number of CPUs the rules assumed.
	CPUs int `json:"cpus"`
	// RSSSlackBytes is the error B may have on each RSS counter.
	RSSSlackBytes uint64 `json:"rss_slack_bytes"`
	// InA counts the processes in A.
	InA int `json:"in_a"`
	// InB counts the processes in B.
	InB int `json:"in_b"`
	// Matched counts the processes in both.
	Matched int `json:"matched"`
	// FieldsCompared counts the (process, field) pairs a rule checked.
	FieldsCompared int `json:"fields_compared"`
	// Churn are processes in one view only, explained by their start or
	// exit.
	Churn []Absence `json:"churn"`
	// Missing are processes in one view only, not explained: hidden
	// from, or missed by, the other view.
	Missing []Absence `json:"missing"`
	// Drift are the fields that differ beyond tolerance.
	Drift []Drift `json:"drift"`
	// Duplicates are processes a view listed twice.
	Duplicates []Duplicate `json:"duplicates"`
}

// Discrepancies counts what the views disagree on (churn is not a
// discrepancy).
func (c *CrossCheck) Discrepancies() int { return len(c.Missing) + len(c.Drift) + len(c.Duplicates) }

// Tolerance holds the kernel constants the cross-check's rules use.
type Tolerance struct {
	// TickNs is the scheduler tick the CPU rules allow for.
	TickNs uint64 `json:"tick_ns"`
	// IdleGrowthBytes is how much RSS an idle process may gain (a huge
	// page collapsed by khugepaged).
	IdleGrowthBytes uint64 `json:"idle_growth_bytes"`
}

// Absence is a process that only one view listed.
type Absence struct {
	// PID is the process's id.
	PID int32 `json:"pid"`
	// StartTimeNs is its start time (ns since boot): with the pid, its
	// identity.
	StartTimeNs uint64 `json:"start_time_ns"`
	// Comm is its command name.
	Comm string `json:"comm"`
	// State is its scheduler state in the view that listed it.
	State string `json:"state"`
	// OnlyIn names the view that listed it.
	OnlyIn string `json:"only_in"`
	// Reason says why it is absent from the other view.
	Reason string `json:"reason"`
}

// Drift is one field of one process on which the views disagree beyond
// tolerance.
type Drift struct {
	// PID is the process's id.
	PID int32 `json:"pid"`
	// StartTimeNs is its start time (ns since boot).
	StartTimeNs uint64 `json:"start_time_ns"`
	// Comm is its command name as A has it.
	Comm string `json:"comm"`
	// Field is the JSON name of the process figure.
	Field string `json:"field"`
	// A is the value in view A.
	A string `json:"a"`
	// B is the value in view B.
	B string `json:"b"`
	// Rule says which rule failed, with its numbers.
	Rule string `json:"rule"`
}

// Duplicate is a process one view listed more than once.
type Duplicate struct {
	// PID is the process's id.
	PID int32 `json:"pid"`
	// StartTimeNs is its start time (ns since boot).
	StartTimeNs uint64 `json:"start_time_ns"`
	// Comm is its command name.
	Comm string `json:"comm"`
	// View names the view that listed it twice.
	View string `json:"view"`
	// Records counts the times it was listed.
	Records int `json:"records"`
}

// ProcView is one comparison of the kernel views with what /proc shows:
// the third view (docs/crosscheck.md#the-third-view-proc). A process
// the kernel views list that /proc does not show, and that did not exit,
// is hidden: from ps, top and every procfs tool.
type ProcView struct {
	// Listed counts the pids in /proc's directory listing.
	Listed int `json:"listed"`
	// Checked counts the processes the kernel views listed.
	Checked int `json:"checked"`
	// Candidates counts those /proc did not show, exits aside, that have
	// not failed enough checks in a row to be reported yet.
	Candidates int `json:"candidates"`
	// Churn counts those /proc did not show because they exited.
	Churn int `json:"churn"`
	// Hidden are the processes the kernel views list and /proc does not
	// show, by pid.
	Hidden []Hidden `json:"hidden"`
	// MountInfoError says why the mount table could not be read; the
	// findings then lack their mounts.
	MountInfoError string `json:"mountinfo_error,omitempty"`
}

// Hidden is a process the kernel views list that /proc does not show,
// with the evidence.
type Hidden struct {
	// PID is the process's id.
	PID int32 `json:"pid"`
	// StartTimeNs is its start time (ns since boot).
	StartTimeNs uint64 `json:"start_time_ns"`
	// Comm is its command name, as the kernel views have it.
	Comm string `json:"comm"`
	// PPID is its parent's pid.
	PPID int32 `json:"ppid"`
	// UID is its real user id.
	UID uint32 `json:"uid"`
	// SeenBy names the kernel views that listed it (kmod, ebpf).
	SeenBy []string `json:"seen_by"`
	// Listed is true when its pid is in /proc's directory listing (a
	// mask over its directory); false when the listing lacks it (a
	// filter).
	Listed bool `json:"listed"`
	// Stat says what /proc/<pid>/stat gave when it is listed: an error,
	// or the other process it names.
	Stat string `json:"stat,omitempty"`
	// Mounts are the mounts over its /proc directory or below it.
	Mounts []HiddenMount `json:"mounts,omitempty"`
	// Since is when a check first found it hidden.
	Since time.Time `json:"since"`
	// Checks counts the checks in a row that found it hidden.
	Checks int `json:"checks"`
	// Reason says it in words.
	Reason string `json:"reason"`
}

// HiddenMount is a mount over a process's /proc directory, from
// /proc/self/mountinfo.
type HiddenMount struct {
	// ID is the mount's id.
	ID int `json:"id"`
	// ParentID is its parent mount's id.
	ParentID int `json:"parent_id"`
	// MountPoint is where it is mounted (/proc/4242).
	MountPoint string `json:"mount_point"`
	// Root is the directory of its filesystem mounted there: the source
	// of a bind mount.
	Root string `json:"root"`
	// FSType is its filesystem's type.
	FSType string `json:"fstype"`
	// Source is its filesystem's source.
	Source string `json:"source"`
}
