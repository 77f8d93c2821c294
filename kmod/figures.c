// SPDX-License-Identifier: GPL-2.0
/*
 * Per-process figures, shared by the processes and containers files so
 * that both use the same counters.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/cgroup.h>
#include <linux/kernfs.h>
#include <linux/string.h>
#include <linux/version.h>
#include "kwarden.h"

/*
 * RSS counter @member of @mm in pages, as /proc/<pid>/status reports it.
 * Since 6.2 the counters are per-CPU and get_mm_counter() returns only the
 * folded part, which lags by up to a batch per CPU; sum them exactly, as
 * task_mem() does on current stable kernels (the sum takes the counter's
 * raw spinlock: it does not sleep). Before 6.2 the counter is one atomic.
 */
static unsigned long kw_mm_counter(struct mm_struct *mm, int member)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	return percpu_counter_sum_positive(&mm->rss_stat[member]);
#else
	return get_mm_counter(mm, member);
#endif
}

static void kw_add_ioac(struct kw_figures *f,
			const struct task_io_accounting *ioac)
{
#ifdef CONFIG_TASK_XACCT
	f->rchar += READ_ONCE(ioac->rchar);
	f->wchar += READ_ONCE(ioac->wchar);
	f->syscr += READ_ONCE(ioac->syscr);
	f->syscw += READ_ONCE(ioac->syscw);
#endif
#ifdef CONFIG_TASK_IO_ACCOUNTING
	f->read_bytes += READ_ONCE(ioac->read_bytes);
	f->write_bytes += READ_ONCE(ioac->write_bytes);
	f->cancelled_write_bytes += READ_ONCE(ioac->cancelled_write_bytes);
#endif
}

/*
 * kw_gather - take the figures of the thread group led by @task.
 *
 * The caller holds rcu_read_lock() and keeps @task alive (a reference,
 * or the RCU section of for_each_process()). Nothing here sleeps: the
 * only locks are task_lock() and mm->arg_lock, both spinlocks.
 *
 * f->cgrp is only valid until the caller leaves its RCU section; a caller
 * that needs it afterwards must pin it with cgroup_tryget() first.
 */
void kw_gather(struct task_struct *task, struct kw_figures *f)
{
	struct signal_struct *sig = task->signal;
	const struct cred *cred;
	struct task_struct *t;
	struct mm_struct *mm;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "kw_gather() needs RCU");

	memset(f, 0, sizeof(*f));
	f->pid = task_tgid_nr(task);
	/* real_parent is RCU-protected; it is stale once the task is reaped. */
	if (pid_alive(task))
		f->ppid = task_tgid_nr(rcu_dereference(task->real_parent));
	cred = __task_cred(task);
	f->uid = from_kuid_munged(&init_user_ns, cred->uid);
	f->euid = from_kuid_munged(&init_user_ns, cred->euid);
	f->state = task_state_to_char(task);
	f->kthread = task->flags & PF_KTHREAD;
	f->start_time_ns = task->start_boottime;

	/*
	 * The signal struct lives as long as any task_struct of the group;
	 * its counters hold what exited threads used. Live threads are
	 * added on top. The thread list is RCU-safe (this is what
	 * thread_group_cputime() does); the sums are not an atomic
	 * snapshot, which the format does not promise.
	 */
	f->threads = READ_ONCE(sig->nr_threads);
	f->cpu_ns = READ_ONCE(sig->sum_sched_runtime);
	f->user_ns = READ_ONCE(sig->utime);
	f->system_ns = READ_ONCE(sig->stime);
	kw_add_ioac(f, &sig->ioac);
	for_each_thread(task, t) {
		/*
		 * On a CPU or queued for one. A thread that ran since its
		 * last tick shows no new CPU time yet; this tells readers
		 * that comparing two reads it may still have done work.
		 */
		if (task_is_running(t))
			f->running++;
		f->cpu_ns += READ_ONCE(t->se.sum_exec_runtime);
		f->user_ns += READ_ONCE(t->utime);
		f->system_ns += READ_ONCE(t->stime);
		kw_add_ioac(f, &t->ioac);
	}

	/* task->cgroups is RCU-protected; the css_set pins its cgroups. */
	f->cgrp = task_dfl_cgroup(task);
	f->cgroup_id = cgroup_id(f->cgrp);

	/*
	 * task_lock() keeps task->mm from being cleared and dropped by
	 * exit_mm() while we read it, and serialises against comm updates.
	 */
	task_lock(task);
	strscpy(f->comm, task->comm, sizeof(f->comm));
	mm = task->mm;
	/* A kernel thread may be borrowing an mm (kthread_use_mm()). */
	if (mm && !f->kthread) {
		f->vsz = (u64)READ_ONCE(mm->total_vm) << PAGE_SHIFT;
		f->rss_anon = (u64)kw_mm_counter(mm, MM_ANONPAGES) << PAGE_SHIFT;
		f->rss_file = (u64)kw_mm_counter(mm, MM_FILEPAGES) << PAGE_SHIFT;
		f->rss_shmem = (u64)kw_mm_counter(mm, MM_SHMEMPAGES) << PAGE_SHIFT;
		/* arg_lock guards arg_start/arg_end against prctl(PR_SET_MM). */
		spin_lock(&mm->arg_lock);
		f->arg_start = mm->arg_start;
		f->arg_end = mm->arg_end;
		spin_unlock(&mm->arg_lock);
	}
	task_unlock(task);
}

/*
 * kw_cgroup_path - cgroup v2 path of @cgrp from the hierarchy root.
 *
 * The caller keeps @cgrp alive (RCU or a reference); the cgroup pins its
 * kernfs node. kernfs_path_from_node() only takes kernfs_rename_lock, a
 * spinning lock, so this may run inside an RCU section. Returns the
 * length written to @buf (NUL-terminated), 0 with "" on failure.
 */
size_t kw_cgroup_path(struct cgroup *cgrp, char *buf, size_t size)
{
	int ret = kernfs_path_from_node(cgrp->kn, NULL, buf, size);

	if (ret < 0 || (size_t)ret >= size) {
		buf[0] = '\0';
		return 0;
	}
	return ret;
}
