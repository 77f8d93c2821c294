package crosscheck

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// Read windows used by the tests, in CLOCK_BOOTTIME ns. Every fixture
// process started long before T0.
const (
	ms = uint64(1_000_000)
	T0 = 1_000_000 * ms
)

// proc returns a sleeping, single-threaded user process with plausible
// counters, distinct per pid.
func proc(pid int32, ppid int32) snapshot.Process {
	k := uint64(pid)
	return snapshot.Process{
		PID: pid, PPID: ppid, UID: 1000, EUID: 1000,
		Comm: fmt.Sprintf("proc-%d", pid), State: "S",
		StartTimeNs: 1000*ms + k*ms, Threads: 1,
		CPUNs: 5_000*ms + k, UserNs: 3_000 * ms, SystemNs: 2_000 * ms,
		VSZBytes: 200 << 20, RSSAnonBytes: 10<<20 + k<<12, RSSFileBytes: 5 << 20, RSSShmemBytes: 1 << 20,
		RChar: 1e6 + k, WChar: 2e6, SyscR: 300, SyscW: 400,
		ReadBytes: 4096 * k, WriteBytes: 8192, CancelledWriteBytes: 0,
		CgroupID: 42, CgroupPath: "/system.slice/x.service", Cmdline: []string{"x"},
	}
}

// world is a small machine: init, kthreadd, a parent (50), a subreaper
// (51) and the subject of the rule tests (100, child of 50).
func world() []snapshot.Process {
	ps := []snapshot.Process{proc(1, 0), proc(2, 0), proc(50, 1), proc(51, 1), proc(100, 50)}
	ps[1].KThread, ps[1].VSZBytes, ps[1].RSSAnonBytes, ps[1].RSSFileBytes, ps[1].RSSShmemBytes = true, 0, 0, 0, 0
	return ps
}

// views returns two reads of the same world with the given timing.
func views(timing string) (View, View) {
	a := View{Name: "kmod", Processes: world()}
	b := View{Name: "ebpf", Processes: world()}
	switch timing {
	case OrderAFirst:
		a.StartNs, a.EndNs, b.StartNs, b.EndNs = T0, T0+5*ms, T0+10*ms, T0+15*ms
	case OrderBFirst:
		b.StartNs, b.EndNs, a.StartNs, a.EndNs = T0, T0+5*ms, T0+10*ms, T0+15*ms
	case OrderOverlap:
		a.StartNs, a.EndNs, b.StartNs, b.EndNs = T0, T0+10*ms, T0+5*ms, T0+15*ms
	default:
		panic("unknown timing " + timing)
	}
	return a, b
}

func find(ps []snapshot.Process, pid int32) *snapshot.Process {
	for i := range ps {
		if ps[i].PID == pid {
			return &ps[i]
		}
	}
	panic(fmt.Sprintf("no pid %d", pid))
}

func remove(ps []snapshot.Process, pid int32) []snapshot.Process {
	return slices.DeleteFunc(ps, func(p snapshot.Process) bool { return p.PID == pid })
}

// fieldsPerIdleProcess is what one process that did not run, with a
// cgroup id in both views, contributes to FieldsCompared: kthread,
// threads, 3 CPU times, 7 I/O counters, uid, euid, comm, vsz, ppid, 3 RSS
// gauges and cgroup_id.
const fieldsPerIdleProcess = 21

func TestIdenticalViewsAreClean(t *testing.T) {
	for _, timing := range []string{OrderAFirst, OrderBFirst, OrderOverlap} {
		a, b := views(timing)
		r := Compare(a, b, Options{CPUs: 4})
		n := len(world())
		if !r.Clean() || r.Matched != n || r.InA != n || r.InB != n {
			t.Errorf("%s: want clean with %d matched, got %+v", timing, n, r)
		}
		if r.Order != timing {
			t.Errorf("order: want %s, got %s", timing, r.Order)
		}
		// The kthread has cgroup 42 too in the fixture, so every
		// process is idle with a cgroup.
		if want := n * fieldsPerIdleProcess; r.FieldsCompared != want {
			t.Errorf("%s: FieldsCompared = %d, want %d", timing, r.FieldsCompared, want)
		}
		if r.SpanNs != 15*ms {
			t.Errorf("%s: span %d, want %d", timing, r.SpanNs, 15*ms)
		}
	}
}

func TestDefaultsAreRecorded(t *testing.T) {
	a, b := views(OrderAFirst)
	r := Compare(a, b, Options{Tolerance: Tolerance{TickNs: 4 * ms}})
	if r.Tolerance != (Tolerance{TickNs: 4 * ms, IdleGrowthBytes: DefaultIdleGrowthBytes}) {
		t.Errorf("tolerance: %+v", r.Tolerance)
	}
	if r.CPUs != runtime.NumCPU() {
		t.Errorf("CPUs: %d, want runtime.NumCPU() = %d", r.CPUs, runtime.NumCPU())
	}
	if DefaultTolerance() != (Tolerance{}).withDefaults() {
		t.Errorf("DefaultTolerance %+v differs from the zero value's defaults", DefaultTolerance())
	}
}

// An inverted window is narrowed to an instant, not allowed to wrap the
// span around.
func TestInvertedWindow(t *testing.T) {
	a, b := views(OrderAFirst)
	a.EndNs = a.StartNs - 1
	r := Compare(a, b, Options{})
	if r.AEndNs != r.AStartNs || r.SpanNs != b.EndNs-a.StartNs || r.Order != OrderAFirst {
		t.Fatalf("window not normalised: %+v", r)
	}
}

func TestDuplicateKeys(t *testing.T) {
	a, b := views(OrderAFirst)
	a.Processes = append(a.Processes, *find(a.Processes, 50))
	r := Compare(a, b, Options{})
	want := []Duplicate{{PID: 50, StartTimeNs: find(a.Processes, 50).StartTimeNs, Comm: "proc-50", View: "kmod", Records: 2}}
	if !reflect.DeepEqual(r.Duplicates, want) {
		t.Fatalf("duplicates: got %+v, want %+v", r.Duplicates, want)
	}
	if r.InA != len(world()) || r.Matched != len(world()) || r.Clean() || r.Discrepancies() != 1 {
		t.Fatalf("duplicate must count once and be a discrepancy: %+v", r)
	}
}

// Of duplicated records the first is compared, whatever the input order.
func TestDuplicateFirstWins(t *testing.T) {
	a, b := views(OrderAFirst)
	stale := *find(a.Processes, 100)
	stale.UID = 0
	a.Processes = append([]snapshot.Process{stale}, a.Processes...)
	r := Compare(a, b, Options{})
	if len(r.Drift) != 1 || r.Drift[0].Field != "uid" || len(r.Duplicates) != 1 {
		t.Fatalf("first record must be compared: drift %+v, duplicates %+v", r.Drift, r.Duplicates)
	}
	a.Processes = append(a.Processes[1:], stale)
	if r := Compare(a, b, Options{}); len(r.Drift) != 0 {
		t.Fatalf("first record must be compared: drift %+v", r.Drift)
	}
}

// sampleResult returns a Result with an entry in every list.
func sampleResult() *Result {
	a, b := views(OrderAFirst)
	a.Processes = append(a.Processes, proc(300, 1), proc(301, 1), *find(a.Processes, 1))
	late := proc(400, 1)
	late.StartTimeNs = b.StartNs
	b.Processes = append(b.Processes, late)
	find(b.Processes, 100).RSSAnonBytes += 64 << 20
	return Compare(a, b, Options{CPUs: 2, Alive: func(k snapshot.Key) bool { return k.PID == 301 }})
}

func TestResultJSONRoundTrip(t *testing.T) {
	r := sampleResult()
	if len(r.Churn) == 0 || len(r.Missing) == 0 || len(r.Drift) == 0 || len(r.Duplicates) == 0 {
		t.Fatalf("sample does not cover every list: %+v", r)
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, &back) {
		t.Fatalf("round trip changed the result:\n%+v\n%+v", r, &back)
	}
	// Empty lists are [] rather than null, for the daemon's clients.
	a, b := views(OrderAFirst)
	data, _ = json.Marshal(Compare(a, b, Options{}))
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"churn", "missing", "drift", "duplicates"} {
		if string(raw[k]) != "[]" {
			t.Errorf("%s: %s, want []", k, raw[k])
		}
	}
}

// The order of the input must not matter, and every list must be sorted
// by pid, then start time.
func TestDeterministicOrder(t *testing.T) {
	want, err := json.Marshal(sampleResult())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		a, b := views(OrderAFirst)
		a.Processes = append(a.Processes, proc(300, 1), proc(301, 1), *find(a.Processes, 1))
		late := proc(400, 1)
		late.StartTimeNs = b.StartNs
		b.Processes = append(b.Processes, late)
		find(b.Processes, 100).RSSAnonBytes += 64 << 20
		rng.Shuffle(len(a.Processes), func(i, j int) { a.Processes[i], a.Processes[j] = a.Processes[j], a.Processes[i] })
		rng.Shuffle(len(b.Processes), func(i, j int) { b.Processes[i], b.Processes[j] = b.Processes[j], b.Processes[i] })
		r := Compare(a, b, Options{CPUs: 2, Alive: func(k snapshot.Key) bool { return k.PID == 301 }})
		got, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("shuffled input changed the result:\n%s\n%s", got, want)
		}
		checkSorted(t, r)
	}
}

func checkSorted(t testing.TB, r *Result) {
	t.Helper()
	byKey := func(x, y snapshot.Key) int {
		if x.PID != y.PID {
			return int(x.PID) - int(y.PID)
		}
		return cmpU(x.StartTimeNs, y.StartTimeNs)
	}
	for _, l := range [][]Absence{r.Churn, r.Missing} {
		if !slices.IsSortedFunc(l, func(x, y Absence) int { return byKey(x.Key(), y.Key()) }) {
			t.Errorf("absences not sorted: %+v", l)
		}
	}
	if !slices.IsSortedFunc(r.Drift, func(x, y Drift) int { return byKey(x.Key(), y.Key()) }) {
		t.Errorf("drift not sorted: %+v", r.Drift)
	}
}

func cmpU(x, y uint64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
