package crosscheck

import (
	"reflect"
	"testing"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// absenceCase adds processes to one view or the other and lists the
// expected churn and missing entries, as (pid, only-in, reason).
type absenceCase struct {
	name        string
	onlyA       []snapshot.Process
	onlyB       []snapshot.Process
	opt         Options
	churn, miss []want
}

type want struct {
	pid    int32
	onlyIn string
	reason string
}

// Under views(OrderAFirst), A reads [T0, T0+5ms] and B [T0+10ms, T0+15ms].
func startedAt(pid int32, ns uint64) snapshot.Process {
	p := proc(pid, 1)
	p.StartTimeNs = ns
	return p
}

func zombieProc(pid int32) snapshot.Process {
	p := proc(pid, 1)
	p.State = "Z"
	return p
}

func exitedAt(ns uint64, pids ...int32) func(snapshot.Key) (uint64, bool) {
	return func(k snapshot.Key) (uint64, bool) {
		for _, p := range pids {
			if k.PID == p {
				return ns, true
			}
		}
		return 0, false
	}
}

func aliveOnly(pids ...int32) func(snapshot.Key) bool {
	return func(k snapshot.Key) bool {
		for _, p := range pids {
			if k.PID == p {
				return true
			}
		}
		return false
	}
}

var absenceCases = []absenceCase{
	{name: "started after the other view began reading",
		onlyB: []snapshot.Process{startedAt(300, T0+ms)},
		churn: []want{{300, "ebpf", ReasonStarted}}},
	{name: "started exactly when the other view began",
		onlyB: []snapshot.Process{startedAt(300, T0)},
		churn: []want{{300, "ebpf", ReasonStarted}}},
	{name: "started in the later view's window, seen only by it",
		onlyA: []snapshot.Process{startedAt(300, T0+12*ms)},
		churn: []want{{300, "kmod", ReasonStarted}}},
	{name: "stamped within a tick before the other read: maybe linked after it began",
		onlyB: []snapshot.Process{startedAt(300, T0-DefaultTickNs)},
		churn: []want{{300, "ebpf", ReasonStarted}}},
	{name: "started more than a tick before the other read, no oracle",
		onlyB: []snapshot.Process{startedAt(300, T0-DefaultTickNs-1)},
		miss:  []want{{300, "ebpf", ReasonNoOracle}}},
	{name: "exited during the other read",
		onlyA: []snapshot.Process{proc(300, 1)},
		opt:   Options{Exited: exitedAt(T0+12*ms, 300)},
		churn: []want{{300, "kmod", ReasonExited}}},
	{name: "exited before the other read",
		onlyA: []snapshot.Process{zombieProc(300)},
		opt:   Options{Exited: exitedAt(T0+ms, 300), Alive: aliveOnly()},
		churn: []want{{300, "kmod", ReasonExited}}},
	{name: "exited but still an unreaped zombie after both reads",
		onlyA: []snapshot.Process{zombieProc(300)},
		opt:   Options{Exited: exitedAt(T0+ms, 300), Alive: aliveOnly(300)},
		miss:  []want{{300, "kmod", "alive: missing from ebpf"}}},
	{name: "exited after the other read ended",
		onlyA: []snapshot.Process{proc(300, 1)},
		opt:   Options{Exited: exitedAt(T0+16*ms, 300), Alive: aliveOnly()},
		miss:  []want{{300, "kmod", "exited after ebpf finished reading"}}},
	{name: "gone now",
		onlyB: []snapshot.Process{proc(300, 1)},
		opt:   Options{Alive: aliveOnly()},
		churn: []want{{300, "ebpf", ReasonExited}}},
	{name: "zombie gone now",
		onlyA: []snapshot.Process{zombieProc(300)},
		opt:   Options{Alive: aliveOnly()},
		churn: []want{{300, "kmod", ReasonReaped}}},
	{name: "alive but missing",
		onlyA: []snapshot.Process{proc(300, 1)},
		opt:   Options{Alive: aliveOnly(300)},
		miss:  []want{{300, "kmod", "alive: missing from ebpf"}}},
	{name: "alive zombie still missing",
		onlyB: []snapshot.Process{zombieProc(300)},
		opt:   Options{Alive: aliveOnly(300)},
		miss:  []want{{300, "ebpf", "alive: missing from kmod"}}},
	{name: "no oracles",
		onlyA: []snapshot.Process{proc(300, 1)},
		miss:  []want{{300, "kmod", ReasonNoOracle}}},
	{name: "no exit recorded and no liveness oracle",
		onlyA: []snapshot.Process{proc(300, 1)},
		opt:   Options{Exited: exitedAt(0)},
		miss:  []want{{300, "kmod", ReasonNoOracle}}},
	{name: "pid reused during the reads",
		onlyA: []snapshot.Process{proc(300, 1)},
		onlyB: []snapshot.Process{startedAt(300, T0+7*ms)},
		opt:   Options{Alive: func(k snapshot.Key) bool { return k.StartTimeNs == T0+7*ms }},
		churn: []want{{300, "kmod", ReasonExited}, {300, "ebpf", ReasonStarted}}},
	{name: "pid reused, old process unexplained",
		onlyA: []snapshot.Process{proc(300, 1)},
		onlyB: []snapshot.Process{startedAt(300, T0+7*ms)},
		churn: []want{{300, "ebpf", ReasonStarted}},
		miss:  []want{{300, "kmod", ReasonNoOracle}}},
	{name: "mixed, sorted by pid",
		onlyA: []snapshot.Process{proc(302, 1), proc(300, 1)},
		onlyB: []snapshot.Process{proc(301, 1), startedAt(303, T0+2*ms)},
		opt:   Options{Alive: aliveOnly(301)},
		churn: []want{{300, "kmod", ReasonExited}, {302, "kmod", ReasonExited}, {303, "ebpf", ReasonStarted}},
		miss:  []want{{301, "ebpf", "alive: missing from kmod"}}},
}

func TestAbsences(t *testing.T) {
	for _, tc := range absenceCases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := views(OrderAFirst)
			a.Processes = append(a.Processes, tc.onlyA...)
			b.Processes = append(b.Processes, tc.onlyB...)
			r := Compare(a, b, tc.opt)
			if got := summarise(r.Churn); !reflect.DeepEqual(got, tc.churn) {
				t.Errorf("churn: got %v, want %v", got, tc.churn)
			}
			if got := summarise(r.Missing); !reflect.DeepEqual(got, tc.miss) {
				t.Errorf("missing: got %v, want %v", got, tc.miss)
			}
			n := len(world())
			if r.Matched != n || r.InA != n+len(tc.onlyA) || r.InB != n+len(tc.onlyB) {
				t.Errorf("counts: matched %d, in a %d, in b %d", r.Matched, r.InA, r.InB)
			}
			if len(r.Drift) != 0 || r.Clean() != (len(tc.miss) == 0) {
				t.Errorf("clean %v with drift %+v", r.Clean(), r.Drift)
			}
			for _, ab := range append(r.Churn, r.Missing...) {
				if ab.Comm == "" || ab.State == "" || ab.StartTimeNs == 0 {
					t.Errorf("absence lacks identity: %+v", ab)
				}
			}
		})
	}
}

func summarise(l []Absence) []want {
	var out []want
	for _, ab := range l {
		out = append(out, want{ab.PID, ab.OnlyIn, ab.Reason})
	}
	return out
}

// The oracles are asked about absent processes only, once each, and never
// when the start time already explains the absence.
func TestOracleCalls(t *testing.T) {
	a, b := views(OrderAFirst)
	a.Processes = append(a.Processes, proc(300, 1))
	b.Processes = append(b.Processes, startedAt(301, T0+ms))
	var asked []snapshot.Key
	r := Compare(a, b, Options{
		Exited: func(k snapshot.Key) (uint64, bool) { asked = append(asked, k); return 0, false },
		Alive:  func(k snapshot.Key) bool { asked = append(asked, k); return false },
	})
	p300 := proc(300, 1)
	k := p300.Key()
	want := []snapshot.Key{k, k}
	if !reflect.DeepEqual(asked, want) {
		t.Fatalf("oracle calls: got %v, want %v", asked, want)
	}
	if len(r.Churn) != 2 || !r.Clean() {
		t.Fatalf("result: %+v", r)
	}
}
