// SPDX-License-Identifier: GPL-2.0
/*
 * kwarden's eBPF view: the same per-process figures as the kwarden module
 * (kmod/figures.c), gathered from a different path.
 *
 *  - kw_snap (syscall): one struct kw_proc per process into the snap
 *    array, walking the process list with an open-coded task iterator
 *    (6.7 and later); user space runs it with BPF_PROG_RUN.
 *  - kw_iter (iter/task): the same records, one per thread group, written
 *    with bpf_seq_write when user space reads the iterator (every kernel;
 *    the fallback where kw_snap does not load).
 *  - kw_exit_fentry (fentry/taskstats_exit) or, where that function cannot
 *    be traced, kw_exit_tp (tp_btf/sched_process_exit): the final figures
 *    of a process when its last thread exits, into the ring buffer.
 *
 * Every read of kernel memory goes through CO-RE (BPF_CORE_READ or
 * bpf_core_field_offset), so one object runs on 6.1, 6.12 and 6.18.
 *
 * Locking: kw_iter and the exit hooks run inside an RCU read-side section
 * (bpf_iter_run_prog and the trampoline take it; kw_snap takes it itself
 * with bpf_rcu_read_lock), which is what makes the
 * thread-list walk below as safe as the module's for_each_thread(): the
 * list is RCU-protected and task_structs are RCU-freed. The reads are not
 * an atomic snapshot of a group, exactly as in the module.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "kwarden.h"

char LICENSE[] SEC("license") = "GPL";

/* Emit BTF for bpf2go -type kw_proc. */
const struct kw_proc *kw_proc_type __attribute__((unused));

/*
 * Set by the loader. nr_cpu_ids bounds the per-CPU RSS sum; exact_rss
 * selects it at all (it needs CAP_PERFMON for the pointer arithmetic
 * below; without it the verifier would reject the program, and the loader
 * retries with exact_rss = false, which the verifier then prunes).
 */
const volatile __u32 nr_cpu_ids = 1;
const volatile bool exact_rss;

/* Lost exit records: the ring buffer was full. Read by user space. */
__u64 exits_lost;

/* Task state bits, unchanged from 6.1 to 6.18 (include/linux/sched.h). */
#define KW_TASK_UNINTERRUPTIBLE	0x0002
#define KW_TASK_REPORT		0x007f
#define KW_TASK_NOLOAD		0x0400
#define KW_TASK_RTLOCK_WAIT	0x1000
#define KW_TASK_FROZEN		0x8000
#define KW_TASK_IDLE		(KW_TASK_UNINTERRUPTIBLE | KW_TASK_NOLOAD)
#define KW_TASK_REPORT_IDLE	(KW_TASK_REPORT + 1)
#define KW_PF_KTHREAD		0x00200000

/* MM counter indices: MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES (anonymous enum). */
#define KW_MM_FILEPAGES		0
#define KW_MM_ANONPAGES		1
#define KW_MM_SHMEMPAGES	3
#define KW_NR_MM_COUNTERS	4

#define KW_MAX_CPUS		8192	/* a power of two: indices are masked */
#define KW_MAX_THREADS		(1u << 20)

/*
 * Local flavours of kernel types: preserve_access_index makes plain
 * member accesses relocatable, as everything in vmlinux.h is.
 */

/* The mm counters before 6.2: one atomic per counter. */
struct __attribute__((preserve_access_index)) mm_rss_stat___old {
	atomic_long_t count[KW_NR_MM_COUNTERS];
};

struct __attribute__((preserve_access_index)) mm_struct___old {
	struct mm_rss_stat___old rss_stat;
};

/* Since 6.2: a percpu_counter per counter. */
struct __attribute__((preserve_access_index)) percpu_counter___new {
	s64 count;
	s32 *counters;
};

struct __attribute__((preserve_access_index)) mm_struct___new {
	struct percpu_counter___new rss_stat[KW_NR_MM_COUNTERS];
};

/*
 * The per-CPU offsets of this machine (__per_cpu_offset[]), learnt from a
 * per-CPU array map: bpf_map_lookup_percpu_elem(map, 0, cpu) is the
 * array's per-CPU base plus the CPU's offset. They never change while the
 * kernel runs, so the first reader fills pcpu_off[] and sets pcpu_ready;
 * concurrent first readers write the same values.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_probe SEC(".maps");

__u64 pcpu_off[KW_MAX_CPUS];
__u32 pcpu_ready;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} exits SEC(".maps");

/* Wake the reader only once this much is queued; it also polls. */
const volatile __u64 wakeup_bytes = 64 << 10;

/*
 * A verifier-tracked pointer as a plain number. Reading the stack slot
 * that holds it through bpf_probe_read_kernel() is the only way to do
 * arithmetic on a map value's address; it is a pointer leak, allowed with
 * CAP_PERFMON.
 */
static __always_inline __u64 kw_addr(const void *p)
{
	volatile const void *slot = p;
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), (const void *)&slot);
	return v;
}

static long kw_learn_cpu(__u32 cpu, void *ctx)
{
	__u64 base = *(__u64 *)ctx;
	__u32 zero = 0;
	void *e;

	e = bpf_map_lookup_percpu_elem(&pcpu_probe, &zero, cpu);
	if (!e)
		return 1;
	/* The loader enables exact_rss only for nr_cpu_ids <= KW_MAX_CPUS. */
	pcpu_off[cpu & (KW_MAX_CPUS - 1)] = kw_addr(e) - base;
	return 0;
}

static __always_inline bool kw_pcpu_offsets(void)
{
	struct bpf_array *arr;
	__u64 base = 0;

	if (pcpu_ready)
		return true;
	arr = (void *)kw_addr(&pcpu_probe);
	if (bpf_core_read(&base, sizeof(base), &arr->pptrs[0]) || !base)
		return false;
	if (bpf_loop(nr_cpu_ids, kw_learn_cpu, &base, 0) != nr_cpu_ids)
		return false;
	pcpu_ready = 1;
	return true;
}

struct kw_rss_sum {
	__u64 counters[KW_RSS_N];	/* s32 __percpu * of each counter */
	__s64 sum[KW_RSS_N];
};

static long kw_sum_cpu(__u32 cpu, void *ctx)
{
	struct kw_rss_sum *s = ctx;
	__u64 off;
	int i;

	off = pcpu_off[cpu & (KW_MAX_CPUS - 1)];
	for (i = 0; i < KW_RSS_N; i++) {
		s32 v = 0;

		bpf_probe_read_kernel(&v, sizeof(v), (void *)(s->counters[i] + off));
		s->sum[i] += v;
	}
	return 0;
}

/*
 * RSS in pages, as /proc/<pid>/status and the module report it: since
 * 6.2 the folded count plus every CPU's unfolded part
 * (percpu_counter_sum_positive); before, the single atomic.
 */
static __always_inline void kw_rss(struct kw_proc *r, struct mm_struct *mm)
{
	int i;

	if (bpf_core_type_exists(struct mm_rss_stat___old)) {
		struct mm_struct___old *old = (void *)mm;

		/*
		 * Probe reads: 6.1's verifier refuses a plain load from an
		 * array of atomic_long_t ("not a struct": it does not see
		 * through the typedef).
		 */
		r->rss_pages[KW_RSS_ANON] = BPF_CORE_READ(old, rss_stat.count[KW_MM_ANONPAGES].counter);
		r->rss_pages[KW_RSS_FILE] = BPF_CORE_READ(old, rss_stat.count[KW_MM_FILEPAGES].counter);
		r->rss_pages[KW_RSS_SHMEM] = BPF_CORE_READ(old, rss_stat.count[KW_MM_SHMEMPAGES].counter);
		r->flags |= KW_F_RSS_EXACT;	/* nothing per-CPU to miss */
		return;
	}

	/*
	 * Constant indices: CO-RE relocates rss_stat[N] with the kernel's
	 * element size (a variable index would scale by the local one).
	 * counters points to an int, so the verifier hands it out as a
	 * plain number, ready for the per-CPU offsets.
	 */
	struct mm_struct___new *m = (void *)mm;
	struct kw_rss_sum s = {
		.sum = {
			[KW_RSS_ANON] = m->rss_stat[KW_MM_ANONPAGES].count,
			[KW_RSS_FILE] = m->rss_stat[KW_MM_FILEPAGES].count,
			[KW_RSS_SHMEM] = m->rss_stat[KW_MM_SHMEMPAGES].count,
		},
		.counters = {
			[KW_RSS_ANON] = (__u64)m->rss_stat[KW_MM_ANONPAGES].counters,
			[KW_RSS_FILE] = (__u64)m->rss_stat[KW_MM_FILEPAGES].counters,
			[KW_RSS_SHMEM] = (__u64)m->rss_stat[KW_MM_SHMEMPAGES].counters,
		},
	};

	if (exact_rss && kw_pcpu_offsets() &&
	    bpf_loop(nr_cpu_ids, kw_sum_cpu, &s, 0) == nr_cpu_ids)
		r->flags |= KW_F_RSS_EXACT;
	for (i = 0; i < KW_RSS_N; i++)
		r->rss_pages[i] = s.sum[i] > 0 ? s.sum[i] : 0;
}

/* Through a BTF pointer: plain loads, no helper calls. */
static __always_inline void kw_add_io_direct(__u64 *io, const struct task_io_accounting *ioac)
{
	io[KW_IO_RCHAR] += ioac->rchar;
	io[KW_IO_WCHAR] += ioac->wchar;
	io[KW_IO_SYSCR] += ioac->syscr;
	io[KW_IO_SYSCW] += ioac->syscw;
	io[KW_IO_READ_BYTES] += ioac->read_bytes;
	io[KW_IO_WRITE_BYTES] += ioac->write_bytes;
	io[KW_IO_CANCELLED] += ioac->cancelled_write_bytes;
}

/* Through an address the walk computed: every read is a probe. */
/*
 * The I/O counters of a thread reached through a computed address: one
 * probe read of the whole struct, each field then taken at its CO-RE
 * offset. Seven reads of 8 bytes cost seven helper calls per thread,
 * which made them the largest part of a snapshot's thread walk.
 */
#define KW_IOAC_WORDS	8

static __always_inline __u64 kw_word_at(const __u64 *buf, __u32 off)
{
	return off / 8 < KW_IOAC_WORDS ? buf[off / 8] : 0;
}

static __always_inline void kw_add_io(__u64 *io, const struct task_io_accounting *ioac)
{
	__u64 buf[KW_IOAC_WORDS] = {};
	__u32 size = bpf_core_type_size(struct task_io_accounting);

	if (size > sizeof(buf))
		size = sizeof(buf);
	bpf_probe_read_kernel(buf, size, ioac);
	io[KW_IO_RCHAR] += kw_word_at(buf, bpf_core_field_offset(struct task_io_accounting, rchar));
	io[KW_IO_WCHAR] += kw_word_at(buf, bpf_core_field_offset(struct task_io_accounting, wchar));
	io[KW_IO_SYSCR] += kw_word_at(buf, bpf_core_field_offset(struct task_io_accounting, syscr));
	io[KW_IO_SYSCW] += kw_word_at(buf, bpf_core_field_offset(struct task_io_accounting, syscw));
	io[KW_IO_READ_BYTES] += kw_word_at(buf, bpf_core_field_offset(struct task_io_accounting, read_bytes));
	io[KW_IO_WRITE_BYTES] += kw_word_at(buf, bpf_core_field_offset(struct task_io_accounting, write_bytes));
	io[KW_IO_CANCELLED] += kw_word_at(buf,
		bpf_core_field_offset(struct task_io_accounting, cancelled_write_bytes));
}

/* The thread-list walk's state, kept on the caller's stack for bpf_loop. */
struct kw_walk {
	__u64 head;	/* &signal->thread_head */
	__u64 node;	/* current list_head, a task's thread_node */
	__u64 node_off;	/* offsetof(struct task_struct, thread_node) */
	__u64 cpu_ns, user_ns, system_ns;
	__u64 io[KW_IO_N];
	__u32 seen;
	__u32 running;
	bool done;
};

static long kw_walk_thread(__u32 i, void *ctx)
{
	struct kw_walk *w = ctx;
	struct task_struct *t;
	__u64 next = 0;

	if (!w->node || w->node == w->head) {
		w->done = true;
		return 1;
	}
	t = (void *)(w->node - w->node_off);
	if (BPF_CORE_READ(t, __state) == 0)	/* TASK_RUNNING */
		w->running++;
	w->cpu_ns += BPF_CORE_READ(t, se.sum_exec_runtime);
	/* utime and stime sit side by side on every kernel we know: one read. */
	if (bpf_core_field_offset(struct task_struct, stime) ==
	    bpf_core_field_offset(struct task_struct, utime) + 8) {
		__u64 ut[2] = {};

		bpf_probe_read_kernel(ut, sizeof(ut), __builtin_preserve_access_index(&t->utime));
		w->user_ns += ut[0];
		w->system_ns += ut[1];
	} else {
		w->user_ns += BPF_CORE_READ(t, utime);
		w->system_ns += BPF_CORE_READ(t, stime);
	}
	kw_add_io(w->io, &t->ioac);
	w->seen++;
	bpf_probe_read_kernel(&next, sizeof(next), (void *)w->node);
	w->node = next;
	return 0;
}

/* One thread's share, through a BTF pointer (the common, single-threaded case). */
static __always_inline void kw_thread_direct(struct kw_walk *w, struct task_struct *t)
{
	if (t->__state == 0)	/* TASK_RUNNING */
		w->running++;
	w->cpu_ns += t->se.sum_exec_runtime;
	w->user_ns += t->utime;
	w->system_ns += t->stime;
	kw_add_io_direct(w->io, &t->ioac);
	w->seen++;
}

static __always_inline char kw_state(struct task_struct *t)
{
	unsigned int st = t->__state;
	unsigned int rep = (st | t->exit_state) & KW_TASK_REPORT;
	int idx = 0;

	if ((st & KW_TASK_IDLE) == KW_TASK_IDLE)
		rep = KW_TASK_REPORT_IDLE;
	if ((st & KW_TASK_RTLOCK_WAIT) || (st & KW_TASK_FROZEN))
		rep = KW_TASK_UNINTERRUPTIBLE;
	/* fls(): the highest set bit, 1-based; 0 for TASK_RUNNING. */
	while (rep && idx < 9) {
		rep >>= 1;
		idx++;
	}
	return "RSDTtXZPI"[idx < 9 ? idx : 0];
}

/*
 * kw_gather - the figures of the thread group led by @leader, as
 * kw_gather() in the module computes them. @self is a thread of the group
 * the program holds a BTF pointer to (the leader in the iterator, the
 * exiting thread in the exit hook); it supplies the mm, which the
 * leader may already have dropped when a non-leader exits last. Without
 * @walk_threads (kw_snap, whose iterator visits the threads itself) the
 * threads' own figures are left to the caller (kw_walk_apply()).
 *
 * Fields are read with plain loads through BTF pointers (the JIT turns
 * them into guarded moves); only what is reached through computed
 * addresses (other threads, per-CPU counters) needs probe reads.
 */
/* Adds the threads' figures a walk summed to the group's record. */
static __always_inline void kw_walk_apply(struct kw_proc *r, const struct kw_walk *w)
{
	if (!w->done)
		r->flags |= KW_F_THREADS_PARTIAL;
	r->threads_seen = w->seen;
	r->running = w->running;
	r->cpu_ns += w->cpu_ns;
	r->user_ns += w->user_ns;
	r->system_ns += w->system_ns;
	for (int i = 0; i < KW_IO_N; i++)
		r->io[i] += w->io[i];
}

static __always_inline void kw_gather(struct kw_proc *r, struct task_struct *leader,
				      struct task_struct *self, bool walk_threads)
{
	struct signal_struct *sig = leader->signal;
	const struct cred *cred = leader->real_cred;
	struct kw_walk w = {};
	struct mm_struct *mm;
	__u64 first = 0;

	r->magic = KW_MAGIC;
	r->version = KW_VERSION;
	r->tgid = leader->tgid;
	r->ppid = leader->real_parent->tgid;
	r->uid = cred->uid.val;
	r->euid = cred->euid.val;
	r->state = kw_state(leader);
	if (leader->flags & KW_PF_KTHREAD)
		r->flags |= KW_F_KTHREAD;
	r->start_ns = leader->start_boottime;
	BPF_CORE_READ_STR_INTO(&r->comm, leader, comm);

	r->nr_threads = sig->nr_threads;
	r->cpu_ns = sig->sum_sched_runtime;
	r->user_ns = sig->utime;
	r->system_ns = sig->stime;
	kw_add_io_direct(r->io, &sig->ioac);

	/*
	 * nr_threads and the thread list change together under siglock, so
	 * one thread means @self is the only one on the list.
	 */
	if (!walk_threads) {
		/* the caller sums the threads */
	} else if (r->nr_threads == 1) {
		kw_thread_direct(&w, self);
		w.done = true;
	} else {
		w.head = (__u64)sig + bpf_core_field_offset(struct signal_struct, thread_head);
		w.node_off = bpf_core_field_offset(struct task_struct, thread_node);
		bpf_probe_read_kernel(&first, sizeof(first), (void *)w.head);
		w.node = first;
		bpf_loop(KW_MAX_THREADS, kw_walk_thread, &w, 0);
	}
	if (walk_threads)
		kw_walk_apply(r, &w);

	r->cgroup_id = leader->cgroups->dfl_cgrp->kn->id;
	int memid = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);

	if (memid >= 0 && memid < CGROUP_SUBSYS_COUNT) {
		struct cgroup_subsys_state *css = BPF_CORE_READ(leader, cgroups, subsys[memid]);

		if (css)
			r->memcg_id = BPF_CORE_READ(css, cgroup, kn, id);
	}

	/* A kernel thread may be borrowing an mm (kthread_use_mm()). */
	mm = self->mm;
	if (mm && !(r->flags & KW_F_KTHREAD)) {
		r->flags |= KW_F_HAS_MM;
		r->vsz_pages = mm->total_vm;
		kw_rss(r, mm);
	}
}

SEC("iter/task")
int kw_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct kw_proc r = {};

	/* One record per thread group: its leader stands for it. */
	if (!t || t->pid != t->tgid)
		return 0;
	r.kind = KW_KIND_SNAPSHOT;
	kw_gather(&r, t, t, true);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/*
 * kw_snap: the same records without the task iterator, for kernels with
 * open-coded task iterators (6.7 and later; the loader falls back to
 * kw_iter elsewhere). kw_iter is called for every thread and returns at
 * once for all but the leaders, yet the kernel still looks each thread
 * up, pins and releases it; at 200 containers that is 3,700 threads for
 * 470 processes. BPF_TASK_ITER_ALL_THREADS follows the process list and
 * each process's thread list itself, pinning nothing, and hands out
 * every thread as a BTF pointer: a process's threads come right after
 * its leader, so they are summed into the leader's record with plain
 * loads, where the list walk (kw_walk_thread()) pays five probe reads a
 * thread. User space runs the program (BPF_PROG_RUN) and reads the
 * mmapped array.
 *
 * Locking: the process list and every task_struct reached from it are
 * RCU-protected; this program is sleepable, so it takes the RCU read lock
 * itself around the whole walk, and the iterator's kfuncs insist on it.
 */
#define KW_SNAP_MAX	16384

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, KW_SNAP_MAX);
	__type(key, __u32);
	__type(value, struct kw_proc);
} snap SEC(".maps");

/*
 * Records the last kw_snap run wrote, whether it ran out of room, and
 * whether it declined because the reader is in a child pid namespace.
 */
__u32 snap_count;
__u32 snap_full;
__u32 snap_nested;

extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task,
			     unsigned int flags) __weak __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __weak __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __weak __ksym;
extern void bpf_rcu_read_lock(void) __weak __ksym;
extern void bpf_rcu_read_unlock(void) __weak __ksym;

SEC("syscall")
int kw_snap(void *ctx)
{
	struct bpf_iter_task it;
	struct task_struct *t;
	struct kw_proc *r = NULL;
	struct kw_walk w = {};
	__u32 n = 0;

	snap_full = 0;
	snap_count = 0;
	/*
	 * The process list holds every process of the machine, whereas the
	 * task iterator walks the reader's pid namespace. A reader in a child
	 * namespace gets the iterator (user space falls back), so that both
	 * routes always answer the same.
	 */
	snap_nested = bpf_get_current_task_btf()->thread_pid->level > 0;
	if (snap_nested)
		return 0;
	bpf_rcu_read_lock();
	bpf_iter_task_new(&it, NULL, BPF_TASK_ITER_ALL_THREADS);
	while ((t = bpf_iter_task_next(&it))) {
		/* The walk starts at init_task, pid 0, which /proc does not list. */
		if (t->pid == 0)
			continue;
		if (t->pid == t->tgid) {
			__u32 i = n;

			if (r)
				kw_walk_apply(r, &w);
			r = bpf_map_lookup_elem(&snap, &i);
			if (!r) {
				snap_full = 1;
				break;
			}
			__builtin_memset(r, 0, sizeof(*r));
			r->kind = KW_KIND_SNAPSHOT;
			kw_gather(r, t, t, false);
			__builtin_memset(&w, 0, sizeof(w));
			w.done = true;
			n++;
		} else if (!r || r->tgid != t->tgid) {
			/*
			 * Not the last leader's: the leader was not seen (it
			 * cannot be, the iterator gives a leader before its
			 * threads), or the array ran out. Skip it.
			 */
			continue;
		}
		kw_thread_direct(&w, t);
	}
	if (r)
		kw_walk_apply(r, &w);
	bpf_iter_task_destroy(&it);
	bpf_rcu_read_unlock();
	snap_count = n;
	return 0;
}

static __always_inline void kw_emit_exit(struct task_struct *t)
{
	struct kw_proc *r;
	__u64 queued;

	r = bpf_ringbuf_reserve(&exits, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&exits_lost, 1);
		return;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->kind = KW_KIND_EXIT;
	r->flags = KW_F_GROUP_DEAD;
	kw_gather(r, t->group_leader, t, true);
	r->exit_ns = bpf_ktime_get_boot_ns();
	r->exit_code = t->exit_code;
	/*
	 * A wakeup per exit would put the reader on a CPU for every exit of a
	 * fork-heavy workload; batch instead, the reader polls meanwhile.
	 */
	queued = bpf_ringbuf_query(&exits, BPF_RB_AVAIL_DATA);
	bpf_ringbuf_submit(r, queued >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/*
 * do_exit() calls taskstats_exit() right after it decided group_dead and
 * before exit_mm(), so the mm (RSS) is still there on every kernel.
 */
SEC("fentry/taskstats_exit")
int BPF_PROG(kw_exit_fentry, struct task_struct *t, int group_dead)
{
	if (group_dead)
		kw_emit_exit(t);
	return 0;
}

/*
 * Fallback where taskstats_exit cannot be traced. signal->live was
 * decremented by do_exit() before this tracepoint; two threads exiting
 * at once may both see 0, so user space keeps the later of two records
 * with the same identity. On 6.1 and 6.12 the tracepoint follows
 * exit_mm(): no RSS.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(kw_exit_tp, struct task_struct *t)
{
	if (t->signal->live.counter == 0)
		kw_emit_exit(t);
	return 0;
}
