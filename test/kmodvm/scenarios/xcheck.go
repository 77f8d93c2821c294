package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kwarden/kwarden/bpf"
	"github.com/kwarden/kwarden/internal/crosscheck"
	"github.com/kwarden/kwarden/internal/kmodfmt"
	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/internal/snapshot"
	"github.com/kwarden/kwarden/test/burn"
	"github.com/kwarden/kwarden/test/kmodvm/report"
	"github.com/kwarden/kwarden/test/vm/record"
)

// xcheck compares the module's view with the eBPF view. Modes:
//
//	steady N ROUNDS   N processes, idle; every round reads both views
//	churn SECONDS     the same while two forkers fork and reap
//	pidns             the eBPF reader in a child pid namespace: a real
//	                  case of a view that misses processes
//	exits MS...       children burn MS ms on two threads and exit
func xcheck(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("xcheck: mode missing")
	}
	switch args[0] {
	case "steady":
		n, err := intArg(args, 1, 1000)
		if err != nil {
			return err
		}
		rounds, err := intArg(args, 2, 4)
		if err != nil {
			return err
		}
		return xcheckSteady(ctx, n, rounds)
	case "churn":
		secs, err := intArg(args, 1, 20)
		if err != nil {
			return err
		}
		return xcheckChurn(ctx, secs)
	case "pidns":
		return xcheckPidns(ctx)
	case "exits":
		return xcheckExits(ctx, args[1:])
	case "ebpf-dump": // internal: run inside the child pid namespace
		return ebpfDump(ctx, args[1])
	case "burn": // internal: a child for "exits"
		ms, err := intArg(args, 1, 100)
		if err != nil {
			return err
		}
		burn.AndExit(time.Duration(ms) * time.Millisecond)
		return nil
	}
	return fmt.Errorf("xcheck: unknown mode %q", args[0])
}

// views reads both kernel views and the exit stream.
type views struct {
	mod    kmodfmt.Reader
	col    *bpf.Collector
	walker procfs.Walker

	mu     sync.Mutex
	exited map[snapshot.Key]uint64
}

func openViews(ctx context.Context) (*views, error) {
	col, err := bpf.Open(bpf.Options{ExitPoll: 20 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	v := &views{col: col, exited: map[snapshot.Key]uint64{}}
	go func() {
		for {
			e, err := col.ReadExit(ctx)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, bpf.ErrClosed) {
					return
				}
				fmt.Fprintln(os.Stderr, "read exit:", err)
				continue
			}
			v.mu.Lock()
			v.exited[e.Process.Key()] = e.ExitNs
			v.mu.Unlock()
		}
	}()
	return v, nil
}

func boottime() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts)
	return uint64(ts.Nano())
}

func (v *views) readKmod(ctx context.Context) (crosscheck.View, error) {
	view := crosscheck.View{Name: "kmod", StartNs: boottime()}
	ps, err := v.mod.Processes(ctx)
	view.EndNs = boottime()
	if err != nil {
		return view, err
	}
	view.Processes = ps.Processes
	return view, nil
}

func (v *views) readEBPF(ctx context.Context) (crosscheck.View, error) {
	ps, err := v.col.Processes(ctx)
	if err != nil {
		return crosscheck.View{}, err
	}
	return crosscheck.View{Name: "ebpf", StartNs: ps.TimeNs, EndNs: ps.EndTimeNs,
		Processes: ps.Processes, RSSSlackBytes: v.col.RSSSlackBytes()}, nil
}

// compare reads both views in the given order and compares them, with
// the exit stream and /proc as the oracles for absences.
func (v *views) compare(ctx context.Context, kmodFirst bool) (*crosscheck.Result, error) {
	var a, b crosscheck.View
	var err error
	if kmodFirst {
		if a, err = v.readKmod(ctx); err == nil {
			b, err = v.readEBPF(ctx)
		}
	} else {
		if b, err = v.readEBPF(ctx); err == nil {
			a, err = v.readKmod(ctx)
		}
	}
	if err != nil {
		return nil, err
	}
	// Exit records may still sit in the ring: let the reader catch up.
	time.Sleep(60 * time.Millisecond)
	opt := crosscheck.Options{
		// Under qemu's TCG the guest's timer interrupts arrive late (the
		// vCPU takes them between translated blocks, and shares two host
		// cores with the host's work), so a running thread's
		// sum_exec_runtime can lag by more than the 10 ms default: a churn
		// round once saw 35.9 ms of CPU in a 33.3 ms bound.
		Tolerance: crosscheck.Tolerance{TickNs: 20_000_000},
		Exited: func(k snapshot.Key) (uint64, bool) {
			v.mu.Lock()
			defer v.mu.Unlock()
			ns, ok := v.exited[k]
			return ns, ok
		},
		Alive: v.walker.Alive,
	}
	return crosscheck.Compare(a, b, opt), nil
}

func (v *views) record(mode string, round int, kmodFirst bool, r *crosscheck.Result) *report.CrossCheck {
	rep := &report.CrossCheck{Mode: mode, Round: round, Order: "ebpf-first",
		InKmod: r.InA, InEBPF: r.InB, Matched: r.Matched, Fields: r.FieldsCompared,
		Churn: len(r.Churn), Missing: len(r.Missing), Drift: len(r.Drift) + len(r.Duplicates),
		ExitHook: v.col.ExitHook(), Snapshot: v.col.SnapshotMethod(), RSSExact: v.col.RSSExact()}
	if kmodFirst {
		rep.Order = "kmod-first"
	}
	v.mu.Lock()
	rep.ExitsSeen = len(v.exited)
	v.mu.Unlock()
	for _, m := range r.Missing {
		if len(rep.Shown) < 20 {
			rep.Shown = append(rep.Shown, fmt.Sprintf("missing %d %q only in %s: %s", m.PID, m.Comm, m.OnlyIn, m.Reason))
		}
	}
	for _, d := range r.Drift {
		if len(rep.Shown) < 40 {
			rep.Shown = append(rep.Shown, fmt.Sprintf("drift %d %q %s: kmod %s ebpf %s (%s)", d.PID, d.Comm, d.Field, d.A, d.B, d.Rule))
		}
	}
	for _, d := range r.Duplicates {
		rep.Shown = append(rep.Shown, fmt.Sprintf("duplicate %d in %s ×%d", d.PID, d.View, d.Records))
	}
	return rep
}

func xcheckSteady(ctx context.Context, n, rounds int) error {
	var g group
	defer g.abandon()
	if err := os.WriteFile("/proc/sys/kernel/threads-max", []byte("100000"), 0); err != nil {
		return err
	}
	ps, err := (&kmodfmt.Reader{}).Processes(ctx)
	if err != nil {
		return err
	}
	if missing := n - len(ps.Processes); missing > 0 {
		if _, _, err := g.start(ctx, "kw-steady", "sleepers", strconv.Itoa(missing)); err != nil {
			return err
		}
	}
	settle()
	v, err := openViews(ctx)
	if err != nil {
		return record.Emit("xcheck", &report.CrossCheck{Mode: "steady", Error: err.Error()})
	}
	defer v.col.Close()
	for round := range rounds {
		kmodFirst := round%2 == 0
		r, err := v.compare(ctx, kmodFirst)
		if err != nil {
			return err
		}
		if err := record.Emit("xcheck", v.record("steady", round, kmodFirst, r)); err != nil {
			return err
		}
	}
	return nil
}

func xcheckChurn(ctx context.Context, secs int) error {
	v, err := openViews(ctx)
	if err != nil {
		return record.Emit("xcheck", &report.CrossCheck{Mode: "churn", Error: err.Error()})
	}
	defer v.col.Close()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = exec.CommandContext(ctx, taskfarm, "churn", strconv.Itoa(secs)).Run()
		}()
	}
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	for round := 0; time.Now().Before(deadline); round++ {
		kmodFirst := round%2 == 0
		r, err := v.compare(ctx, kmodFirst)
		if err != nil {
			return err
		}
		if err := record.Emit("xcheck", v.record("churn", round, kmodFirst, r)); err != nil {
			return err
		}
	}
	wg.Wait()
	return nil
}

// xcheckPidns reads the eBPF view from inside a new pid namespace. The
// task iterator walks the reader's namespace, so every process outside
// it is missing from that view while it runs on, alive, in the module's:
// a real case of a view that lacks processes, which the cross-check must
// report as Missing, not as churn.
func xcheckPidns(ctx context.Context) error {
	var g group
	defer g.stop()
	outsider, _, err := g.start(ctx, "kw-outside", "sleepers", "3")
	if err != nil {
		return err
	}
	outside, err := childrenOf(outsider)
	if err != nil {
		return err
	}
	outside = append(outside, int32(outsider))
	settle()

	dump := "/tmp/ebpf-ns.json"
	cmd := exec.CommandContext(ctx, "/proc/self/exe", "xcheck", "ebpf-dump", dump)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	line := make([]byte, 64)
	n, _ := out.Read(line)
	if string(line[:n]) != "dumped\n" {
		return fmt.Errorf("ebpf-dump said %q", line[:n])
	}
	var b crosscheck.View
	raw, err := os.ReadFile(dump)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return err
	}
	// The namespaced reader is still alive, so it is in both views.
	var mod kmodfmt.Reader
	a := crosscheck.View{Name: "kmod", StartNs: boottime()}
	ps, err := mod.Processes(ctx)
	if err != nil {
		return err
	}
	a.EndNs, a.Processes = boottime(), ps.Processes
	var w procfs.Walker
	r := crosscheck.Compare(a, b, crosscheck.Options{Alive: w.Alive})
	rep := &report.CrossCheck{Mode: "pidns", InKmod: r.InA, InEBPF: r.InB, Matched: r.Matched,
		Fields: r.FieldsCompared, Churn: len(r.Churn), Missing: len(r.Missing), Drift: len(r.Drift),
		Outside: outside}
	missed := map[int32]string{}
	for _, m := range r.Missing {
		missed[m.PID] = m.Reason
	}
	for _, pid := range outside {
		if reason, ok := missed[pid]; ok && strings.Contains(reason, "alive") {
			rep.OutsideMissed = append(rep.OutsideMissed, pid)
		}
	}
	for _, c := range r.Churn {
		rep.Shown = append(rep.Shown, fmt.Sprintf("churn %d %q %s", c.PID, c.Comm, c.Reason))
	}
	return record.Emit("xcheck", rep)
}

// ebpfDump runs as pid 1 of a new pid namespace: it takes one eBPF
// snapshot, writes it to path, says so and waits for stdin to close.
func ebpfDump(ctx context.Context, path string) error {
	col, err := bpf.Open(bpf.Options{NoExits: true})
	if err != nil {
		return err
	}
	defer col.Close()
	ps, err := col.Processes(ctx)
	if err != nil {
		return err
	}
	b, err := json.Marshal(crosscheck.View{Name: "ebpf", StartNs: ps.TimeNs, EndNs: ps.EndTimeNs,
		Processes: ps.Processes, RSSSlackBytes: col.RSSSlackBytes()})
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	fmt.Println("dumped")
	_, _ = os.Stdin.Read(make([]byte, 1))
	return nil
}

// xcheckExits runs one child per argument that burns that many ms on two
// threads and exits 7, and reports what it, the exit hook and wait4 saw.
func xcheckExits(ctx context.Context, args []string) error {
	col, err := bpf.Open(bpf.Options{ExitPoll: 20 * time.Millisecond})
	if err != nil {
		return record.Emit("exit", &report.Exit{Error: err.Error()})
	}
	defer col.Close()
	want := map[int]*report.Exit{}
	for _, a := range args {
		cmd := exec.CommandContext(ctx, "/proc/self/exe", "xcheck", "burn", a)
		out, err := cmd.Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != burn.ExitCode {
			return fmt.Errorf("burn child: %v", err)
		}
		self, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			return fmt.Errorf("burn child said %q", out)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		want[cmd.Process.Pid] = &report.Exit{Hook: col.ExitHook(), PID: cmd.Process.Pid, SelfNs: self,
			RusageNs: uint64(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))}
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for len(want) > 0 {
		e, err := col.ReadExit(rctx)
		if err != nil {
			for _, rep := range want {
				rep.Error = "no exit event: " + err.Error()
				_ = record.Emit("exit", rep)
			}
			return nil
		}
		rep, ok := want[int(e.Process.PID)]
		if !ok {
			continue
		}
		delete(want, int(e.Process.PID))
		rep.EventNs, rep.ExitCode, rep.HasMM = e.Process.CPUNs, e.ExitCode, e.HasMM
		rep.RSSBytes, rep.Threads = e.Process.RSSBytes(), e.Process.Threads
		if err := record.Emit("exit", rep); err != nil {
			return err
		}
	}
	return nil
}
