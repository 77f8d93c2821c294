// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/kwarden/processes: one record per thread group, in pid order.
 *
 * Format (docs/proc-format.md), one record per line:
 *
 *   {"schema":1,"kind":"processes","time_ns":N,"page_size":N,"processes":[
 *   {"pid":1,...,"cmdline":["/init"],"cmdline_truncated":false},
 *   {"pid":2,...}
 *   ]}
 *
 * Iterator positions:
 *   0                 the header (SEQ_START_TOKEN)
 *   P >= 1            the first thread-group leader with tgid >= P - 1,
 *                     or the footer if there is none
 *   KW_POS_END        past the footer: nothing
 * next() on task T sets *pos = T.tgid + 2, i.e. "first tgid > T.tgid".
 * Positions thus survive tasks coming and going between reads, and
 * start() can resume anywhere: seq_file re-shows a record that did not
 * fit, and replays from 0 for pread()/lseek().
 *
 * Between start() and stop() the iterator holds exactly one task
 * reference (the current element) and no lock; next() and stop() drop it.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/threads.h>
#include <linux/cgroup.h>
#include <linux/mm.h>
#include <linux/limits.h>
#include <linux/timekeeping.h>
#include "kwarden.h"

#define KW_FOOTER	((void *)2)
#define KW_POS_END	((loff_t)PID_MAX_LIMIT + 3)

/* Per-open state, allocated by seq_open_private(). */
struct kw_procs_state {
	bool first_done;		/* a record was emitted: next needs ',' */
	char path[PATH_MAX];		/* cgroup path of the current record */
	char cmdline[KW_CMDLINE_MAX];	/* argument area of the current record */
};

static bool kw_is_task(void *v)
{
	return v && v != SEQ_START_TOKEN && v != KW_FOOTER && !IS_ERR(v);
}

/* First thread-group leader with tgid >= @nr, referenced, or NULL. */
static struct task_struct *kw_get_tgid(loff_t nr)
{
	struct task_struct *task = NULL;
	struct pid *pid;
	int n = nr;

	/*
	 * RCU keeps the struct pid and the task found through it alive
	 * while we look; the reference keeps the task once we leave.
	 */
	rcu_read_lock();
	while ((pid = find_ge_pid(n, &init_pid_ns))) {
		task = pid_task(pid, PIDTYPE_TGID);
		if (task) {
			get_task_struct(task);
			break;
		}
		/* A thread's pid, or the group is being reaped: skip it. */
		n = pid_nr(pid) + 1;
	}
	rcu_read_unlock();
	return task;
}

static void *kw_procs_seq_start(struct seq_file *m, loff_t *pos)
{
	struct task_struct *task;

	if (*pos == 0)
		return SEQ_START_TOKEN;
	if (*pos >= KW_POS_END)
		return NULL;
	task = kw_get_tgid(*pos - 1);
	return task ? task : KW_FOOTER;
}

static void *kw_procs_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct task_struct *task;
	loff_t from = 0;

	if (v == KW_FOOTER) {
		*pos = KW_POS_END;
		return NULL;
	}
	if (v != SEQ_START_TOKEN) {
		task = v;
		from = task_tgid_nr(task) + 1;
		put_task_struct(task);
	}
	*pos = from + 1;
	task = kw_get_tgid(from);
	return task ? task : KW_FOOTER;
}

static void kw_procs_seq_stop(struct seq_file *m, void *v)
{
	if (kw_is_task(v))
		put_task_struct(v);
}

/* Emits the argument area split at NUL as a JSON array of strings. */
static void kw_show_cmdline(struct seq_file *m, const char *buf, size_t len)
{
	size_t i, start = 0;
	bool first = true;

	seq_putc(m, '[');
	for (i = 0; i < len; i++) {
		if (buf[i])
			continue;
		if (!first)
			seq_putc(m, ',');
		kw_json_str(m, buf + start, i - start);
		first = false;
		start = i + 1;
	}
	if (start < len) {
		if (!first)
			seq_putc(m, ',');
		kw_json_str(m, buf + start, len - start);
	}
	seq_putc(m, ']');
}

static void kw_show_task(struct seq_file *m, struct kw_procs_state *st,
			 struct task_struct *task)
{
	struct cgroup *cgrp = NULL;
	struct kw_container ct;
	struct kw_figures f;
	bool truncated = false;
	size_t plen = 0, clen = 0;

	/* Short RCU section: nothing in kw_gather() sleeps. */
	rcu_read_lock();
	kw_gather(task, &f);
	/*
	 * Pin the cgroup so that it (and its kernfs node) outlives the RCU
	 * section. tryget fails only if it is already being freed; the
	 * path is then left empty.
	 */
	if (cgroup_tryget(f.cgrp))
		cgrp = f.cgrp;
	rcu_read_unlock();
	f.cgrp = NULL;

	if (cgrp) {
		plen = kw_cgroup_path(cgrp, st->path, sizeof(st->path));
		cgroup_put(cgrp);
	}
	kw_container_from_path(st->path, plen, &ct);

	/*
	 * access_process_vm() takes a reference on the task's mm and its
	 * mmap_lock, and may sleep: we hold no RCU, spinlock or mmap_lock
	 * here, only our reference on @task.
	 */
	if (!f.kthread && f.arg_end > f.arg_start) {
		unsigned long want = f.arg_end - f.arg_start;
		int got;

		if (want > KW_CMDLINE_MAX) {
			want = KW_CMDLINE_MAX;
			truncated = true;
		}
		got = access_process_vm(task, f.arg_start, st->cmdline, want, 0);
		if (got > 0)
			clen = got;
	}

	seq_printf(m, "%s\n{\"pid\":%d,\"ppid\":%d,\"uid\":%u,\"euid\":%u,\"comm\":",
		   st->first_done ? "," : "", f.pid, f.ppid, f.uid, f.euid);
	kw_json_cstr(m, f.comm);
	seq_printf(m, ",\"state\":\"%c\",\"kthread\":%s,\"start_time_ns\":%llu,"
		   "\"threads\":%u,\"cpu_ns\":%llu,\"user_ns\":%llu,"
		   "\"system_ns\":%llu,\"vsz_bytes\":%llu,\"rss_anon_bytes\":%llu,"
		   "\"rss_file_bytes\":%llu,\"rss_shmem_bytes\":%llu,"
		   "\"rchar\":%llu,\"wchar\":%llu,\"syscr\":%llu,\"syscw\":%llu,"
		   "\"read_bytes\":%llu,\"write_bytes\":%llu,"
		   "\"cancelled_write_bytes\":%llu,\"cgroup_id\":%llu,"
		   "\"cgroup_path\":",
		   f.state, kw_json_bool(f.kthread), f.start_time_ns, f.threads,
		   f.cpu_ns, f.user_ns, f.system_ns, f.vsz, f.rss_anon,
		   f.rss_file, f.rss_shmem, f.rchar, f.wchar, f.syscr, f.syscw,
		   f.read_bytes, f.write_bytes, f.cancelled_write_bytes,
		   f.cgroup_id);
	kw_json_str(m, st->path, plen);
	seq_printf(m, ",\"container_id\":\"%s\",\"container_runtime\":\"%s\","
		   "\"cmdline\":", ct.id, kw_runtime_name(ct.rt));
	kw_show_cmdline(m, st->cmdline, clen);
	seq_printf(m, ",\"cmdline_truncated\":%s}", kw_json_bool(truncated));
}

static int kw_procs_seq_show(struct seq_file *m, void *v)
{
	struct kw_procs_state *st = m->private;

	if (v == SEQ_START_TOKEN) {
		/* Every (re)play of the document starts here. */
		st->first_done = false;
		kw_json_begin(m, "processes", ktime_get_boottime_ns());
		seq_printf(m, ",\"page_size\":%lu,\"processes\":[", PAGE_SIZE);
		return 0;
	}
	if (v == KW_FOOTER) {
		seq_puts(m, "\n]}\n");
		return 0;
	}
	kw_show_task(m, st, v);
	/*
	 * seq_file discards and re-shows a record that overflowed its
	 * buffer, so only a record that fitted counts as emitted.
	 */
	if (!seq_has_overflowed(m))
		st->first_done = true;
	return 0;
}

static const struct seq_operations kw_procs_seq_ops = {
	.start	= kw_procs_seq_start,
	.next	= kw_procs_seq_next,
	.stop	= kw_procs_seq_stop,
	.show	= kw_procs_seq_show,
};

struct proc_dir_entry *kw_processes_create(struct proc_dir_entry *dir)
{
	return proc_create_seq_private("processes", 0444, dir,
				       &kw_procs_seq_ops,
				       sizeof(struct kw_procs_state), NULL);
}
