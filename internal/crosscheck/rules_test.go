package crosscheck

import (
	"slices"
	"testing"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// ruleCase edits the subject (pid 100) in each view, and optionally the
// views themselves, and lists the fields that must drift (nil: clean).
type ruleCase struct {
	name   string
	timing string // an Order* constant; ordered reads put the first at T0
	opt    Options
	edit   func(a, b *snapshot.Process)
	views  func(a, b *View)
	want   []string
}

// With the timings of views(), span is 15 ms, so one thread may gain
// (15 + 10) ms of CPU time under the default tick.
const cpuBound1 = 25 * ms

// running marks the subject as having run between the reads.
func running(a, b *snapshot.Process) { b.CPUNs += ms }

var ruleCases = []ruleCase{
	// Identity.
	{name: "kthread flip is drift even when running", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { running(a, b); b.KThread = true }, want: []string{"kthread"}},

	// CPU times.
	{name: "cpu grew within bound", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.CPUNs += cpuBound1; b.UserNs += cpuBound1 }},
	{name: "cpu grew beyond bound", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.CPUNs += cpuBound1 + 1 }, want: []string{"cpu_ns"}},
	{name: "cpu bound scales with threads", timing: OrderAFirst, opt: Options{CPUs: 8},
		edit: func(a, b *snapshot.Process) { a.Threads, b.Threads = 4, 4; b.CPUNs += 4 * cpuBound1 }},
	{name: "thread scaling is capped by CPUs", timing: OrderAFirst, opt: Options{CPUs: 2},
		edit: func(a, b *snapshot.Process) { a.Threads, b.Threads = 4, 4; b.CPUNs += 3 * cpuBound1 },
		want: []string{"cpu_ns"}},
	{name: "larger tick widens the bound", timing: OrderAFirst, opt: Options{Tolerance: Tolerance{TickNs: 20 * ms}},
		edit: func(a, b *snapshot.Process) { b.CPUNs += cpuBound1 + 10*ms }},
	{name: "cpu fell in ordered reads", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.CPUNs -= ms }, want: []string{"cpu_ns"}},
	{name: "cpu fell from b to a when b was read first", timing: OrderBFirst,
		edit: func(a, b *snapshot.Process) { a.CPUNs -= ms }, want: []string{"cpu_ns"}},
	{name: "cpu grew from b to a when b was read first", timing: OrderBFirst,
		edit: func(a, b *snapshot.Process) { a.CPUNs += ms }},
	{name: "cpu fell in overlapping reads", timing: OrderOverlap,
		edit: func(a, b *snapshot.Process) { b.CPUNs -= ms; b.SystemNs -= 10 * ms }},
	{name: "cpu fell beyond bound in overlapping reads", timing: OrderOverlap,
		edit: func(a, b *snapshot.Process) { b.CPUNs -= cpuBound1 + 1 }, want: []string{"cpu_ns"}},
	{name: "cpu fell while a thread was released", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { a.Threads = 2; b.CPUNs -= ms; b.UserNs -= 10 * ms }},
	{name: "user time changed while idle", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.UserNs += 10 * ms }, want: []string{"user_ns"}},
	{name: "system time fell in ordered reads", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { running(a, b); b.SystemNs -= 10 * ms }, want: []string{"system_ns"}},
	{name: "running without a tick: state R, equal cpu", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { a.State = "R"; b.UserNs += 10 * ms; b.RChar += 1 << 30 }},
	{name: "a non-leader thread running without a tick: running > 0, equal cpu", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) {
			a.Threads, b.Threads, b.Running = 3, 3, 1
			b.RChar += 12800
			b.SyscR += 2
		}},
	{name: "leader sleeping, no thread running, io changed", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { a.Threads, b.Threads = 3, 3; b.RChar += 12800 }, want: []string{"rchar"}},

	// I/O counters.
	{name: "io changed while idle", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.RChar++ }, want: []string{"rchar"}},
	{name: "every io counter is checked while idle", timing: OrderOverlap,
		edit: func(a, b *snapshot.Process) {
			b.WChar++
			b.SyscR++
			b.SyscW++
			b.ReadBytes++
			b.WriteBytes++
			b.CancelledWriteBytes++
		}, want: []string{"wchar", "syscr", "syscw", "read_bytes", "write_bytes", "cancelled_write_bytes"}},
	{name: "io grew without bound while running", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { running(a, b); b.WChar += 1 << 40; b.WriteBytes += 1 << 40 }},
	{name: "io fell in ordered reads", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { running(a, b); b.SyscW-- }, want: []string{"syscw"}},
	{name: "io fell in overlapping reads", timing: OrderOverlap,
		edit: func(a, b *snapshot.Process) { running(a, b); b.SyscW-- }},
	{name: "io fell while a thread was released", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.Threads = 3; b.ReadBytes = 0 }},

	// Values only the process changes.
	{name: "uid changed while idle", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.UID = 0 }, want: []string{"uid"}},
	{name: "euid changed while idle", timing: OrderOverlap,
		edit: func(a, b *snapshot.Process) { b.EUID = 0 }, want: []string{"euid"}},
	{name: "comm changed while idle", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.Comm = "renamed" }, want: []string{"comm"}},
	{name: "vsz changed while idle", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.VSZBytes += 4096 }, want: []string{"vsz_bytes"}},
	{name: "setuid, exec and mmap while running", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) {
			running(a, b)
			b.UID, b.EUID, b.Comm, b.VSZBytes = 0, 0, "sshd", 1<<40
		}},
	{name: "thread count change counts as running", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.Threads = 2; b.VSZBytes += 8 << 20; b.RSSAnonBytes += 8 << 20 }},

	// Parent.
	{name: "ppid changed with parent still present", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { running(a, b); b.PPID = 51 }, want: []string{"ppid"}},
	{name: "ppid changed because parent absent from b", timing: OrderAFirst,
		edit:  func(a, b *snapshot.Process) { b.PPID = 51 },
		views: func(a, b *View) { b.Processes = remove(b.Processes, 50) }},
	{name: "ppid changed because parent absent from a (b read first)", timing: OrderBFirst,
		edit:  func(a, b *snapshot.Process) { a.PPID = 51 },
		views: func(a, b *View) { a.Processes = remove(a.Processes, 50) }},
	{name: "ppid changed because parent is a zombie", timing: OrderAFirst,
		edit:  func(a, b *snapshot.Process) { b.PPID = 1 },
		views: func(a, b *View) { find(b.Processes, 50).State = "Z" }},
	{name: "ppid changed because parent pid was reused", timing: OrderAFirst,
		edit:  func(a, b *snapshot.Process) { b.PPID = 1 },
		views: func(a, b *View) { find(b.Processes, 50).StartTimeNs = b.StartNs }},
	{name: "ppid changed because Alive says parent gone", timing: OrderOverlap,
		opt:  Options{Alive: func(k snapshot.Key) bool { return k.PID != 50 }},
		edit: func(a, b *snapshot.Process) { b.PPID = 1 }},
	{name: "ppid changed because Exited says parent exited", timing: OrderOverlap,
		opt:  Options{Exited: func(k snapshot.Key) (uint64, bool) { return T0 + 7*ms, k.PID == 50 }},
		edit: func(a, b *snapshot.Process) { b.PPID = 1 }},
	{name: "ppid changed and Alive says parent still there", timing: OrderAFirst,
		opt:  Options{Alive: func(snapshot.Key) bool { return true }},
		edit: func(a, b *snapshot.Process) { b.PPID = 1 }, want: []string{"ppid"}},
	{name: "ppid changed from the idle task", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { a.PPID = 0 }, want: []string{"ppid"}},
	// Seen in the VM churn test: the module reads a task being released
	// (pid_alive() false) and prints ppid 0; eBPF follows real_parent.
	{name: "ppid 0 in one view for a process that exited", timing: OrderAFirst,
		opt:  Options{Exited: func(k snapshot.Key) (uint64, bool) { return T0 + 7*ms, k.PID == 100 }},
		edit: func(a, b *snapshot.Process) { running(a, b); a.PPID = 0 }},
	{name: "ppid 0 in one view for a process still alive", timing: OrderAFirst,
		opt:  Options{Alive: func(snapshot.Key) bool { return true }},
		edit: func(a, b *snapshot.Process) { running(a, b); a.PPID = 0 }, want: []string{"ppid"}},

	// RSS gauges.
	{name: "rss_anon differs while idle", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.RSSAnonBytes += 3 << 20 }, want: []string{"rss_anon_bytes"}},
	{name: "rss rose by one huge page while idle", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.RSSAnonBytes += 2 << 20 }},
	{name: "rss fell without bound while idle", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.RSSFileBytes = 0; b.RSSAnonBytes = 0; b.RSSShmemBytes = 0 }},
	{name: "rss rose from b to a when b was read first", timing: OrderBFirst,
		edit: func(a, b *snapshot.Process) { a.RSSShmemBytes += 3 << 20 }, want: []string{"rss_shmem_bytes"}},
	{name: "rss fell from b to a when b was read first", timing: OrderBFirst,
		edit: func(a, b *snapshot.Process) { a.RSSShmemBytes = 0 }},
	{name: "rss changed while running", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { running(a, b); b.RSSAnonBytes += 1 << 30; b.RSSFileBytes = 0 }},
	{name: "rss within idle growth in overlapping reads", timing: OrderOverlap,
		edit: func(a, b *snapshot.Process) { b.RSSFileBytes -= 2 << 20 }},
	{name: "rss beyond idle growth in overlapping reads", timing: OrderOverlap,
		edit: func(a, b *snapshot.Process) { b.RSSFileBytes -= 2<<20 + 4096 }, want: []string{"rss_file_bytes"}},
	{name: "rss within slack", timing: OrderAFirst,
		views: func(a, b *View) { b.RSSSlackBytes = 1 << 20 },
		edit:  func(a, b *snapshot.Process) { b.RSSAnonBytes += 3 << 20 }},
	{name: "rss slack of both views is summed", timing: OrderOverlap,
		views: func(a, b *View) { a.RSSSlackBytes, b.RSSSlackBytes = 512<<10, 512<<10 },
		edit:  func(a, b *snapshot.Process) { a.RSSAnonBytes += 3 << 20 }},
	{name: "rss beyond slack", timing: OrderAFirst,
		views: func(a, b *View) { b.RSSSlackBytes = 1 << 20 },
		edit:  func(a, b *snapshot.Process) { b.RSSAnonBytes += 3<<20 + 1 }, want: []string{"rss_anon_bytes"}},

	// Cgroup.
	{name: "cgroup changed while idle", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.CgroupID = 43 }, want: []string{"cgroup_id"}},
	{name: "cgroup changed while running", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { running(a, b); b.CgroupID = 43 }},
	{name: "cgroup unknown to one view", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) { b.CgroupID = 0 }},

	// Not compared.
	{name: "state, cmdline and paths are not compared", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) {
			b.State, b.Cmdline, b.CgroupPath, b.ContainerID, b.ContainerRuntime, b.CmdlineTruncated =
				"D", nil, "", "ab", "docker", true
		}},

	// Several rules at once come out in the order of the model.
	{name: "drift is listed in model order", timing: OrderAFirst,
		edit: func(a, b *snapshot.Process) {
			b.CgroupID, b.RSSAnonBytes, b.PPID, b.Comm, b.UID, b.WChar, b.UserNs, b.KThread =
				7, 1<<40, 51, "x", 0, 0, 0, true
		},
		want: []string{"kthread", "user_ns", "wchar", "uid", "comm", "ppid", "rss_anon_bytes", "cgroup_id"}},
}

func TestRules(t *testing.T) {
	for _, tc := range ruleCases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := views(tc.timing)
			if tc.views != nil {
				tc.views(&a, &b)
			}
			if tc.edit != nil {
				tc.edit(find(a.Processes, 100), find(b.Processes, 100))
			}
			opt := tc.opt
			if opt.CPUs == 0 {
				opt.CPUs = 4
			}
			r := Compare(a, b, opt)
			var got []string
			for _, d := range r.Drift {
				if d.PID != 100 {
					t.Errorf("drift on pid %d, not the subject: %+v", d.PID, d)
					continue
				}
				if d.Rule == "" || d.A == d.B {
					t.Errorf("drift without a rule or a difference: %+v", d)
				}
				got = append(got, d.Field)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("drift fields: got %v, want %v\n%+v", got, tc.want, r.Drift)
			}
			// Cases that remove or replace a parent leave it absent
			// from one view; the subject itself must always match.
			if r.Matched != r.InA-len(absent(r.Churn, "kmod"))-len(absent(r.Missing, "kmod")) {
				t.Errorf("matched count inconsistent: %+v", r)
			}
			for _, ab := range slices.Concat(r.Churn, r.Missing) {
				if ab.PID == 100 {
					t.Errorf("subject reported absent: %+v", ab)
				}
			}
		})
	}
}

func absent(l []Absence, view string) []Absence {
	return slices.DeleteFunc(slices.Clone(l), func(ab Absence) bool { return ab.OnlyIn != view })
}

// A process that ran is held to fewer rules, and FieldsCompared says so.
func TestFieldsComparedDependsOnRunning(t *testing.T) {
	a, b := views(OrderAFirst)
	idle := Compare(a, b, Options{CPUs: 4}).FieldsCompared
	running(find(a.Processes, 100), find(b.Processes, 100))
	ran := Compare(a, b, Options{CPUs: 4}).FieldsCompared
	// Ran, ordered, same threads: kthread, 3 CPU times, 7 I/O, ppid.
	if want := fieldsPerIdleProcess - 12; idle-ran != want {
		t.Fatalf("running subject: %d fields fewer, want %d", idle-ran, want)
	}
}
