package crosscheck

import "github.com/kwarden/kwarden/internal/snapshot"

// Reasons of an Absence. Churn carries ReasonStarted, ReasonExited or
// ReasonReaped; Missing carries ReasonNoOracle, "alive: missing from
// <view>" or "exited after <view> finished reading", naming the view that
// should have listed the process.
const (
	// ReasonStarted: the process began after the other view started
	// reading, so that view may have passed its pid before it existed.
	ReasonStarted = "started during the other read"
	// ReasonExited: the process exited before the other view finished
	// reading, and may have been reaped before that view reached its pid;
	// or it is gone now and was not a zombie.
	ReasonExited = "exited"
	// ReasonReaped: the process was a zombie (state Z or X) and is gone
	// now: its parent collected it.
	ReasonReaped = "reaped"
	// ReasonNoOracle: nothing says whether the process still exists, so
	// its absence cannot be explained.
	ReasonNoOracle = "no liveness oracle"
)

// absent records a process that only view in listed.
func (cx *comparer) absent(p *snapshot.Process, in, other *side) {
	reason, explained := cx.classify(p, other)
	ab := Absence{
		PID: p.PID, StartTimeNs: p.StartTimeNs, Comm: p.Comm, State: p.State,
		OnlyIn: in.name, Reason: reason,
	}
	if explained {
		cx.res.Churn = append(cx.res.Churn, ab)
	} else {
		cx.res.Missing = append(cx.res.Missing, ab)
	}
}

// classify explains why view other lacks p, or says why it cannot. A view
// walks the pids upwards once and holds no lock between records, so it
// legitimately misses exactly two kinds of process: those that did not yet
// exist when it started (it may have passed their pid already) and those
// that were reaped before it reached their pid. Everything else was in the
// kernel's pid table for the whole read and should have been listed.
func (cx *comparer) classify(p *snapshot.Process, other *side) (reason string, explained bool) {
	// start_boottime is stamped in copy_process() shortly before the task
	// is linked into the pid table. The forking task can be preempted in
	// between, and on one CPU a whole read then runs before the child is
	// linked: a process stamped up to a tick before the read began may
	// not have been visible to it. (A tick, because the preempted task
	// is back on a CPU within about one; seen under qemu's TCG, where a
	// snapshot took 2 ms.)
	if p.StartTimeNs+cx.tol.TickNs >= other.start {
		return ReasonStarted, true
	}
	key := p.Key()
	// Still there after both reads (a zombie too: it stays in the pid
	// table until reaped) means it was there throughout the other read,
	// whatever the exit stream says.
	if cx.alive != nil && cx.alive(key) {
		return "alive: missing from " + other.name, false
	}
	if cx.exited != nil {
		if at, ok := cx.exited(key); ok {
			// The exit hook fires in do_exit(), before the task leaves
			// the pid table (release_task()). An exit after the other
			// read ended means the process was listed in the pid table
			// throughout that read: its exit explains nothing.
			if at > other.end {
				return "exited after " + other.name + " finished reading", false
			}
			return ReasonExited, true
		}
	}
	if cx.alive != nil {
		if zombie(p) {
			return ReasonReaped, true
		}
		return ReasonExited, true
	}
	return ReasonNoOracle, false
}

// zombie reports a process whose every thread has exited and that waits
// for its parent: it can vanish at any time without running.
func zombie(p *snapshot.Process) bool { return p.State == "Z" || p.State == "X" }
