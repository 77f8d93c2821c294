package bpf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/kwarden/kwarden/internal/crosscheck"
	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/test/testenv"
)

// The process walk (kw_snap) and the task iterator (kw_iter) are two
// routes to the same records. On this kernel (6.7 or later) Open picks
// the walk; a snapshot by each, cross-checked, differs only by churn.
func TestProcessWalkMatchesTaskIterator(t *testing.T) {
	walk := openCollector(t, Options{NoExits: true})
	testenv.Require(t, walk.SnapshotMethod() == SnapshotProcessWalk,
		"the process walk needs open-coded task iterators (kernel 6.7 or later)")
	iter := openCollector(t, Options{NoExits: true, TaskIterator: true})
	if m := iter.SnapshotMethod(); m != SnapshotTaskIterator {
		t.Fatalf("TaskIterator: snapshots by %q", m)
	}
	ctx := context.Background()
	var w procfs.Walker
	for round := range 3 {
		a, err := walk.Processes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := iter.Processes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r := crosscheck.Compare(
			crosscheck.View{Name: "walk", StartNs: a.TimeNs, EndNs: a.EndTimeNs, Processes: a.Processes},
			crosscheck.View{Name: "iter", StartNs: b.TimeNs, EndNs: b.EndTimeNs, Processes: b.Processes},
			crosscheck.Options{Alive: w.Alive})
		t.Logf("round %d: walk %d, iterator %d, matched %d, %d fields, churn %d", round, len(a.Processes), len(b.Processes),
			r.Matched, r.FieldsCompared, len(r.Churn))
		if r.Matched < 10 || r.FieldsCompared < 10*r.Matched {
			t.Fatalf("round %d: matched %d processes on %d fields", round, r.Matched, r.FieldsCompared)
		}
		if r.Discrepancies() != 0 {
			t.Errorf("round %d: missing %+v, drift %+v, duplicates %+v", round, r.Missing, r.Drift, r.Duplicates)
		}
	}
}

// More processes than the walk's array holds (here 8): kw_snap reports
// the overflow, and the snapshot comes whole from the task iterator.
func TestProcessWalkFullFallsBack(t *testing.T) {
	small := openCollector(t, Options{NoExits: true, walkEntries: 8})
	testenv.Require(t, small.walk != nil, "the process walk needs open-coded task iterators (kernel 6.7 or later)")
	if _, err := small.walk.read(nil); !errors.Is(err, errWalkFull) {
		t.Fatalf("walk of more than 8 processes into 8 entries: %v, want errWalkFull", err)
	}
	ps, err := small.Processes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ps.Processes) <= 8 {
		t.Fatalf("snapshot of %d processes after the overflow", len(ps.Processes))
	}
	t.Logf("%d processes through the fallback", len(ps.Processes))
}

// A reader in a child pid namespace sees that namespace, by either route:
// the walk declines (it would list the whole machine) and the iterator
// answers. Here the namespace holds the reader alone.
func TestSnapshotInChildPidNamespace(t *testing.T) {
	openCollector(t, Options{NoExits: true}).Close() // root, BTF
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=snapshot")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v: %s", err, out)
	}
	var n int
	var method string
	fmt.Sscanf(string(out), "%d", &n)
	method = strings.TrimSpace(strings.TrimPrefix(string(out), strconv.Itoa(n)))
	t.Logf("in a new pid namespace: %d processes (loaded route: %s)", n, method)
	if n != 1 {
		t.Fatalf("a reader alone in its pid namespace saw %d processes, want itself only", n)
	}
}
