package crosscheck

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// pair is one process as both views saw it, with what the tolerance model
// derives from the two records.
type pair struct {
	a, b *snapshot.Process
	// ran says the process may have executed between the two reads.
	// sum_exec_runtime only advances on a tick or a context switch of one
	// of its threads, so a thread that ran and slept again changed cpu_ns;
	// one still running without a tick since is in state R, which Running
	// counts over all threads (State is only the leader's);
	// a thread that started or was released changed the thread count.
	ran bool
	// threadsChanged marks the window in which a released thread's times
	// and I/O move from its task into the signal struct: a reader that
	// sums threads without the stats lock can miss or count them twice.
	threadsChanged bool
	// n is how many of its threads can run at once: the larger thread
	// count, at least one, at most the CPUs.
	n uint64
	// cpuBound is the most CPU time the process can gain between the
	// reads: n threads for the whole span, plus one tick each of runtime
	// that the earlier read had not yet seen flushed.
	cpuBound uint64
}

// counter is one uint64 field of a process, named as in its JSON.
type counter struct {
	name string
	get  func(*snapshot.Process) uint64
}

var cpuCounters = [...]counter{
	{"cpu_ns", func(p *snapshot.Process) uint64 { return p.CPUNs }},
	{"user_ns", func(p *snapshot.Process) uint64 { return p.UserNs }},
	{"system_ns", func(p *snapshot.Process) uint64 { return p.SystemNs }},
}

var ioCounters = [...]counter{
	{"rchar", func(p *snapshot.Process) uint64 { return p.RChar }},
	{"wchar", func(p *snapshot.Process) uint64 { return p.WChar }},
	{"syscr", func(p *snapshot.Process) uint64 { return p.SyscR }},
	{"syscw", func(p *snapshot.Process) uint64 { return p.SyscW }},
	{"read_bytes", func(p *snapshot.Process) uint64 { return p.ReadBytes }},
	{"write_bytes", func(p *snapshot.Process) uint64 { return p.WriteBytes }},
	{"cancelled_write_bytes", func(p *snapshot.Process) uint64 { return p.CancelledWriteBytes }},
}

var rssCounters = [...]counter{
	{"rss_anon_bytes", func(p *snapshot.Process) uint64 { return p.RSSAnonBytes }},
	{"rss_file_bytes", func(p *snapshot.Process) uint64 { return p.RSSFileBytes }},
	{"rss_shmem_bytes", func(p *snapshot.Process) uint64 { return p.RSSShmemBytes }},
}

// matched applies every rule to a process both views listed, in the order
// of docs/crosscheck.md, which is also the order of its Drift entries.
func (cx *comparer) matched(a, b *snapshot.Process) {
	p := pair{a: a, b: b, threadsChanged: a.Threads != b.Threads}
	p.ran = a.CPUNs != b.CPUNs || a.State == "R" || b.State == "R" || p.threadsChanged ||
		a.Running > 0 || b.Running > 0
	p.n = min(uint64(max(a.Threads, b.Threads, 1)), cx.cpus)
	p.cpuBound = satMul(satAdd(cx.span, cx.tol.TickNs), p.n)

	cx.count()
	if a.KThread != b.KThread {
		cx.drift(&p, "kthread", strconv.FormatBool(a.KThread), strconv.FormatBool(b.KThread),
			"PF_KTHREAD is fixed when the task is created")
	}
	if !p.ran {
		// Equal by the definition of ran; counted because it is
		// agreement between the views all the same.
		cx.count()
	}
	for i := range cpuCounters {
		cx.cpuTime(&p, &cpuCounters[i])
	}
	for i := range ioCounters {
		cx.ioCounter(&p, &ioCounters[i])
	}
	cx.owned(&p, "uid", uint64(a.UID), uint64(b.UID), "only commit_creds() by the process itself changes it")
	cx.owned(&p, "euid", uint64(a.EUID), uint64(b.EUID), "only commit_creds() by the process itself changes it")
	if !p.ran {
		cx.count()
		if a.Comm != b.Comm {
			cx.drift(&p, "comm", a.Comm, b.Comm,
				"did not run, yet changed: only its own threads rename it (exec, PR_SET_NAME, /proc/self/comm)")
		}
	}
	cx.owned(&p, "vsz_bytes", a.VSZBytes, b.VSZBytes, "only its own mmap/munmap/brk/mremap change it")
	cx.ppid(&p)
	for i := range rssCounters {
		cx.rss(&p, &rssCounters[i])
	}
	cx.cgroup(&p)
}

// cpuTime checks cpu_ns, user_ns and system_ns: cumulative, advanced only
// for a thread on a CPU, by at most the time it spent there.
func (cx *comparer) cpuTime(p *pair, c *counter) {
	va, vb := c.get(p.a), c.get(p.b)
	cx.count()
	switch {
	case !p.ran:
		if va != vb {
			cx.drift(p, c.name, u(va), u(vb),
				"did not run, yet changed: only the tick or a context switch of its own threads advances it")
		}
	case absDiff(va, vb) > p.cpuBound:
		cx.drift(p, c.name, u(va), u(vb), fmt.Sprintf(
			"changed by %d ns, more than (span %d + tick %d) ns × %d threads = %d ns",
			absDiff(va, vb), cx.span, cx.tol.TickNs, p.n, p.cpuBound))
	case cx.order != 0 && !p.threadsChanged && cx.fell(va, vb):
		cx.drift(p, c.name, u(va), u(vb), cx.fellRule())
	}
}

// ioCounter checks the I/O accounting: cumulative, advanced only in the
// context of the process's own threads (current), with no upper bound
// because splice and sendfile move any amount in one call.
func (cx *comparer) ioCounter(p *pair, c *counter) {
	va, vb := c.get(p.a), c.get(p.b)
	switch {
	case !p.ran:
		cx.count()
		if va != vb {
			cx.drift(p, c.name, u(va), u(vb),
				"did not run, yet changed: only its own threads account I/O")
		}
	case cx.order != 0 && !p.threadsChanged:
		cx.count()
		if cx.fell(va, vb) {
			cx.drift(p, c.name, u(va), u(vb), cx.fellRule())
		}
	}
}

// owned checks a value that only the process itself can change, so any
// value is legitimate once it ran.
func (cx *comparer) owned(p *pair, field string, va, vb uint64, why string) {
	if p.ran {
		return
	}
	cx.count()
	if va != vb {
		cx.drift(p, field, u(va), u(vb), "did not run, yet changed: "+why)
	}
}

// ppid checks the parent: it changes only when the parent process exits
// and the kernel reparents its children, which needs no help from them.
func (cx *comparer) ppid(p *pair) {
	cx.count()
	pa, pb := p.a.PPID, p.b.PPID
	if pa == pb || cx.parentGone(pa, cx.a, cx.b) || cx.parentGone(pb, cx.b, cx.a) {
		return
	}
	// A task being released has lost its pid link (pid_alive() is false)
	// and the module then reports ppid 0, while eBPF still follows
	// real_parent: legitimate for a process that has exited.
	if (pa == 0 || pb == 0) && (cx.selfGone(p.a) || cx.selfGone(p.b)) {
		return
	}
	cx.drift(p, "ppid", strconv.Itoa(int(pa)), strconv.Itoa(int(pb)),
		"changed while both parents are present: only the parent's exit reparents a child")
}

// parentGone reports whether the process that view from names as parent
// pid may have exited: the other view lacks it or lists another process
// under its pid, either view lists it as a zombie, or an oracle says so.
// selfGone reports that the process itself has exited or been reaped.
func (cx *comparer) selfGone(p *snapshot.Process) bool {
	if zombie(p) {
		return true
	}
	if cx.exited != nil {
		if _, ok := cx.exited(p.Key()); ok {
			return true
		}
	}
	return cx.alive != nil && !cx.alive(p.Key())
}

func (cx *comparer) parentGone(pid int32, from, other *side) bool {
	if pid <= 0 {
		// The idle task, parent of init and kthreadd, never exits.
		return false
	}
	po := other.byPID(pid)
	if po == nil {
		return true
	}
	pf := from.byPID(pid)
	if pf != nil && (pf.StartTimeNs != po.StartTimeNs || zombie(pf)) {
		return true
	}
	if zombie(po) {
		return true
	}
	key := po.Key()
	if cx.exited != nil {
		if _, ok := cx.exited(key); ok {
			return true
		}
	}
	return cx.alive != nil && !cx.alive(key)
}

// rss checks the resident-set gauges, which only a process that did not
// run can be held to: without it the kernel can only unmap its pages
// (reclaim, swap-out, the OOM reaper) or, rarely, map a collapsed huge
// page in for it (khugepaged).
func (cx *comparer) rss(p *pair, c *counter) {
	if p.ran {
		return
	}
	va, vb := c.get(p.a), c.get(p.b)
	cx.count()
	allow := satAdd(cx.tol.IdleGrowthBytes, cx.slack)
	if cx.order == 0 {
		if d := absDiff(va, vb); d > allow {
			cx.drift(p, c.name, u(va), u(vb), fmt.Sprintf(
				"did not run, yet changed by %d bytes between overlapping reads, more than idle growth %d + slack %d",
				d, cx.tol.IdleGrowthBytes, cx.slack))
		}
		return
	}
	earlier, later := va, vb
	if cx.order > 0 {
		earlier, later = vb, va
	}
	if later > earlier && later-earlier > allow {
		first, second := cx.names()
		cx.drift(p, c.name, u(va), u(vb), fmt.Sprintf(
			"did not run, yet rose by %d bytes from %s (read first) to %s, more than idle growth %d + slack %d",
			later-earlier, first, second, cx.tol.IdleGrowthBytes, cx.slack))
	}
}

// cgroup checks the cgroup v2 id when both views know it. Only a process
// that did not run is held to it; see docs/crosscheck.md for the false
// positive of a sleeping process moved by another one.
func (cx *comparer) cgroup(p *pair) {
	va, vb := p.a.CgroupID, p.b.CgroupID
	if p.ran || va == 0 || vb == 0 {
		return
	}
	cx.count()
	if va != vb {
		cx.drift(p, "cgroup_id", u(va), u(vb),
			"did not run, yet changed cgroup (unless another process moved it)")
	}
}

// fell reports a cumulative value that went down from the earlier read to
// the later one. It must only be called for ordered reads.
func (cx *comparer) fell(va, vb uint64) bool {
	if cx.order < 0 {
		return vb < va
	}
	return va < vb
}

func (cx *comparer) fellRule() string {
	first, second := cx.names()
	return "fell from " + first + " (read first) to " + second + ": a cumulative counter only grows"
}

// names returns the view names, the earlier read first.
func (cx *comparer) names() (string, string) {
	if cx.order > 0 {
		return cx.b.name, cx.a.name
	}
	return cx.a.name, cx.b.name
}

func (cx *comparer) count() { cx.res.FieldsCompared++ }

func (cx *comparer) drift(p *pair, field, va, vb, rule string) {
	cx.res.Drift = append(cx.res.Drift, Drift{
		PID: p.a.PID, StartTimeNs: p.a.StartTimeNs, Comm: p.a.Comm,
		Field: field, A: va, B: vb, Rule: rule,
	})
}

func u(v uint64) string { return strconv.FormatUint(v, 10) }

func absDiff(x, y uint64) uint64 {
	if x > y {
		return x - y
	}
	return y - x
}

// satAdd and satMul saturate instead of wrapping, so that absurd windows
// or thread counts widen a bound instead of shrinking it.
func satAdd(x, y uint64) uint64 {
	s, carry := bits.Add64(x, y, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return s
}

func satMul(x, y uint64) uint64 {
	hi, lo := bits.Mul64(x, y)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}
