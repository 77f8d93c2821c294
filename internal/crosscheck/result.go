package crosscheck

import "github.com/kwarden/kwarden/internal/snapshot"

// Order of the two reads, as Result.Order reports it.
const (
	OrderAFirst  = "a_first" // A ended before B began
	OrderBFirst  = "b_first" // B ended before A began
	OrderOverlap = "overlap" // the windows overlap: no per-process order
)

// Result is the outcome of one Compare. It is plain data: every list is
// sorted by pid, then start time, then (for Drift) field in the order of
// the tolerance model, and no list is nil, so that two Compares of the same
// input serialise to the same bytes.
type Result struct {
	A        string `json:"a"`
	B        string `json:"b"`
	AStartNs uint64 `json:"a_start_ns"`
	AEndNs   uint64 `json:"a_end_ns"`
	BStartNs uint64 `json:"b_start_ns"`
	BEndNs   uint64 `json:"b_end_ns"`
	// Order is OrderAFirst, OrderBFirst or OrderOverlap; SpanNs is the
	// time from the first start to the last end, the window in which any
	// legitimate change happened.
	Order  string `json:"order"`
	SpanNs uint64 `json:"span_ns"`
	// Tolerance, CPUs and RSSSlackBytes are the constants the rules used,
	// kept so that a stored Result can be re-judged.
	Tolerance     Tolerance `json:"tolerance"`
	CPUs          int       `json:"cpus"`
	RSSSlackBytes uint64    `json:"rss_slack_bytes"`

	// InA and InB count distinct processes (keys) in each view; Matched
	// counts those in both. InA == Matched + absences only in A.
	InA     int `json:"in_a"`
	InB     int `json:"in_b"`
	Matched int `json:"matched"`
	// FieldsCompared counts the (process, field) pairs on which a rule
	// constrained the two values. A field that the rules leave free (for
	// example RSS of a process that ran) is not counted, so this is the
	// amount of agreement actually checked.
	FieldsCompared int `json:"fields_compared"`

	// Churn lists processes in only one view whose absence from the other
	// is explained by their start or exit.
	Churn []Absence `json:"churn"`
	// Missing lists processes in only one view whose absence is not
	// explained: a process hidden from, or missed by, the other view.
	Missing []Absence `json:"missing"`
	// Drift lists fields of matched processes that differ by more than
	// the tolerance model allows.
	Drift []Drift `json:"drift"`
	// Duplicates lists keys that one view returned more than once, which
	// no correct reader does.
	Duplicates []Duplicate `json:"duplicates"`
}

// Absence is a process that only one view listed.
type Absence struct {
	PID         int32  `json:"pid"`
	StartTimeNs uint64 `json:"start_time_ns"`
	Comm        string `json:"comm"`
	State       string `json:"state"`
	// OnlyIn is the name of the view that listed it.
	OnlyIn string `json:"only_in"`
	// Reason is one of the Reason* constants, or "alive: missing from
	// <view>" or "exited after <view> finished reading" for Missing.
	Reason string `json:"reason"`
}

// Key returns the identity of the absent process.
func (a *Absence) Key() snapshot.Key { return snapshot.Key{PID: a.PID, StartTimeNs: a.StartTimeNs} }

// Drift is one field of one process on which the views disagree beyond
// tolerance.
type Drift struct {
	PID         int32  `json:"pid"`
	StartTimeNs uint64 `json:"start_time_ns"`
	Comm        string `json:"comm"` // as view A has it
	// Field is the JSON name of the snapshot.Process field.
	Field string `json:"field"`
	// A and B are the two values as decimal or plain text.
	A string `json:"a"`
	B string `json:"b"`
	// Rule says which rule failed and with what numbers.
	Rule string `json:"rule"`
}

// Key returns the identity of the drifting process.
func (d *Drift) Key() snapshot.Key { return snapshot.Key{PID: d.PID, StartTimeNs: d.StartTimeNs} }

// Duplicate is a key that one view listed more than once.
type Duplicate struct {
	PID         int32  `json:"pid"`
	StartTimeNs uint64 `json:"start_time_ns"`
	Comm        string `json:"comm"`
	View        string `json:"view"`
	Records     int    `json:"records"`
}

// Discrepancies counts what the views disagree on: unexplained absences,
// drifting fields and duplicated keys. Churn is not a discrepancy.
func (r *Result) Discrepancies() int {
	return len(r.Missing) + len(r.Drift) + len(r.Duplicates)
}

// Clean reports that the two views agree within tolerance.
func (r *Result) Clean() bool { return r.Discrepancies() == 0 }
