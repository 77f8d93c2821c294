package sample

import (
	"math"
	"testing"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/internal/snapshot"
)

const ms = uint64(1_000_000)

func proc(pid int32, start, cg, cpu, rss uint64) snapshot.Process {
	return snapshot.Process{PID: pid, StartTimeNs: start, MemCgroupID: cg, CPUNs: cpu, RSSAnonBytes: rss, Threads: 1}
}

func ctr(id string, memID uint64) containers.Container {
	return containers.Container{ID: id, Running: true, Cgroups: containers.Cgroups{MemID: memID}}
}

func TestCPUPercentAcrossExits(t *testing.T) {
	s := &Sampler{Thresholds: Thresholds{CPUPercent: 50, RAMPercent: 50}}
	cs := []containers.Container{ctr("a", 10), ctr("b", 20)}
	// t=0: a has two processes (100 ms, 50 ms), b one.
	s1 := &snapshot.Processes{TimeNs: 1000 * ms, Processes: []snapshot.Process{
		proc(1, 1, 10, 100*ms, 1<<20), proc(2, 2, 10, 50*ms, 1<<20), proc(3, 3, 20, 0, 1<<20), proc(4, 4, 99, 500*ms, 0)}}
	f := s.Sample(s1, cs, 100<<20)
	if f[0].CPUPercent != 0 || f[0].Class != "" || f[0].Processes != 2 || f[0].RSSBytes != 2<<20 || f[0].RAMPercent != 2 {
		t.Fatalf("first sample %+v", f[0])
	}
	// Process 2 exits after 80 ms (30 more), its zombie is still listed
	// with its final time; process 1 runs 400 ms more. 1 s later a has
	// used 430 ms: 43 %.
	s.Exited(Exit{Key: snapshot.Key{PID: 2, StartTimeNs: 2}, MemcgID: 10, CPUNs: 80 * ms, ExitNs: 1500 * ms})
	s2 := &snapshot.Processes{TimeNs: 2000 * ms, Processes: []snapshot.Process{
		proc(1, 1, 10, 500*ms, 1<<20), proc(2, 2, 10, 80*ms, 0), proc(3, 3, 20, 900*ms, 1<<20)}}
	f = s.Sample(s2, cs, 100<<20)
	if math.Abs(f[0].CPUPercent-43) > 1e-9 || f[0].Processes != 1 || f[0].Class != Low {
		t.Errorf("a: %.2f %%, %d processes, class %s; want 43 %%, 1, low", f[0].CPUPercent, f[0].Processes, f[0].Class)
	}
	if math.Abs(f[1].CPUPercent-90) > 1e-9 || f[1].Class != High {
		t.Errorf("b: %.2f %% class %s; want 90 %%, high", f[1].CPUPercent, f[1].Class)
	}
	// The zombie is reaped: a's cumulative time stays continuous.
	s3 := &snapshot.Processes{TimeNs: 3000 * ms, Processes: []snapshot.Process{proc(1, 1, 10, 500*ms, 1<<20)}}
	f = s.Sample(s3, cs, 100<<20)
	if f[0].CPUPercent != 0 || f[0].CPUNs != 580*ms {
		t.Errorf("after the reap: %.2f %%, cumulative %d; want 0, 580 ms", f[0].CPUPercent, f[0].CPUNs)
	}
}

// An exit reported after the snapshot started waits for the next one,
// so a process is never counted live and exited at once.
func TestLateExitWaits(t *testing.T) {
	s := &Sampler{}
	cs := []containers.Container{ctr("a", 10)}
	s.Sample(&snapshot.Processes{TimeNs: 1000 * ms, Processes: []snapshot.Process{proc(1, 1, 10, 100*ms, 0)}}, cs, 0)
	s.Exited(Exit{Key: snapshot.Key{PID: 1, StartTimeNs: 1}, MemcgID: 10, CPUNs: 300 * ms, ExitNs: 2500 * ms})
	f := s.Sample(&snapshot.Processes{TimeNs: 2000 * ms, Processes: []snapshot.Process{proc(1, 1, 10, 200*ms, 0)}}, cs, 0)
	if math.Abs(f[0].CPUPercent-10) > 1e-9 {
		t.Errorf("%.2f %%, want 10 %%: the exit after the snapshot was applied early", f[0].CPUPercent)
	}
	f = s.Sample(&snapshot.Processes{TimeNs: 3000 * ms}, cs, 0)
	if math.Abs(f[0].CPUPercent-10) > 1e-9 {
		t.Errorf("%.2f %%, want 10 %% (300 − 200 ms over 1 s)", f[0].CPUPercent)
	}
}

// Without an exit stream, the time of a process that exited is lost:
// the rate is clamped, not negative.
func TestLostExitClamps(t *testing.T) {
	s := &Sampler{}
	cs := []containers.Container{ctr("a", 10)}
	s.Sample(&snapshot.Processes{TimeNs: 1000 * ms, Processes: []snapshot.Process{proc(1, 1, 10, 900*ms, 0)}}, cs, 0)
	f := s.Sample(&snapshot.Processes{TimeNs: 2000 * ms}, cs, 0)
	if f[0].CPUPercent != 0 {
		t.Errorf("%.2f %%", f[0].CPUPercent)
	}
}

func TestTaskStates(t *testing.T) {
	var ts apiv1.TaskStates
	countTasks(&ts, &snapshot.Process{State: "S", Threads: 5, Running: 2})
	countTasks(&ts, &snapshot.Process{State: "D", Threads: 3})
	countTasks(&ts, &snapshot.Process{State: "T", Threads: 1})
	countTasks(&ts, &snapshot.Process{State: "R", Threads: 2})
	if ts != (apiv1.TaskStates{Running: 4, Sleeping: 3, Uninterruptible: 3, Stopped: 1}) {
		t.Errorf("%+v", ts)
	}
}
