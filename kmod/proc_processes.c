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
#include <linux/slab.h>
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

/*
 * seq_file's default buffer is one page, and a read() returns after
 * filling it once: about eight records, the last of which overflows, is
 * thrown away and is built again (command line included) by the next
 * read(). A larger buffer per open file makes reads of thousands of
 * processes take few system calls and waste few records.
 */
#define KW_PROCS_BUF	(32 * 1024)

/* Per-open state, allocated by __seq_open_private(). */
struct kw_procs_state {
	bool first_done;		/* a record was emitted: next needs ',' */
	/*
	 * Most processes share a few cgroups, so the path and container of
	 * the last cgroup seen are kept. Cgroup ids are never reused within
	 * a boot, so an equal id means the same cgroup and the same path
	 * (cgroup v2 directories cannot be renamed).
	 */
	u64 path_cgid;			/* cgroup id of path[], 0 = none */
	size_t path_len;
	struct kw_container path_ct;
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

/* Path and container of @f's cgroup, from the cache or from kernfs. */
static void kw_task_cgroup(struct kw_procs_state *st, struct cgroup *cgrp,
			   u64 cgid)
{
	if (cgid == st->path_cgid)
		return;
	st->path_cgid = 0;
	st->path_len = 0;
	st->path[0] = '\0';
	if (cgrp) {
		st->path_len = kw_cgroup_path(cgrp, st->path, sizeof(st->path));
		if (st->path_len)
			st->path_cgid = cgid;
	}
	kw_container_from_path(st->path, st->path_len, &st->path_ct);
}

/*
 * Numbers are written with seq_put_decimal_ull(), not one long
 * seq_printf(): formatting two dozen numbers per record through
 * vsnprintf() was most of the cost of a read at 10,000 processes.
 */
static void kw_put_u64(struct seq_file *m, const char *key, u64 v)
{
	seq_put_decimal_ull(m, key, v);
}

static void kw_show_task(struct seq_file *m, struct kw_procs_state *st,
			 struct task_struct *task)
{
	struct cgroup *cgrp = NULL;
	struct kw_figures f;
	bool truncated = false;
	size_t clen = 0;

	/* Short RCU section: nothing in kw_gather() sleeps. */
	rcu_read_lock();
	kw_gather(task, &f);
	/*
	 * Pin the cgroup so that it (and its kernfs node) outlives the RCU
	 * section, unless its path is cached already. tryget fails only if
	 * it is already being freed; the path is then left empty.
	 */
	if (f.cgroup_id != st->path_cgid && cgroup_tryget(f.cgrp))
		cgrp = f.cgrp;
	rcu_read_unlock();
	f.cgrp = NULL;

	kw_task_cgroup(st, cgrp, f.cgroup_id);
	if (cgrp)
		cgroup_put(cgrp);

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

	seq_puts(m, st->first_done ? ",\n" : "\n");
	seq_put_decimal_ll(m, "{\"pid\":", f.pid);
	seq_put_decimal_ll(m, ",\"ppid\":", f.ppid);
	kw_put_u64(m, ",\"uid\":", f.uid);
	kw_put_u64(m, ",\"euid\":", f.euid);
	seq_puts(m, ",\"comm\":");
	kw_json_cstr(m, f.comm);
	seq_puts(m, ",\"state\":\"");
	seq_putc(m, f.state);
	seq_puts(m, f.kthread ? "\",\"kthread\":true" : "\",\"kthread\":false");
	kw_put_u64(m, ",\"start_time_ns\":", f.start_time_ns);
	kw_put_u64(m, ",\"threads\":", f.threads);
	kw_put_u64(m, ",\"running\":", f.running);
	kw_put_u64(m, ",\"cpu_ns\":", f.cpu_ns);
	kw_put_u64(m, ",\"user_ns\":", f.user_ns);
	kw_put_u64(m, ",\"system_ns\":", f.system_ns);
	kw_put_u64(m, ",\"vsz_bytes\":", f.vsz);
	kw_put_u64(m, ",\"rss_anon_bytes\":", f.rss_anon);
	kw_put_u64(m, ",\"rss_file_bytes\":", f.rss_file);
	kw_put_u64(m, ",\"rss_shmem_bytes\":", f.rss_shmem);
	kw_put_u64(m, ",\"rchar\":", f.rchar);
	kw_put_u64(m, ",\"wchar\":", f.wchar);
	kw_put_u64(m, ",\"syscr\":", f.syscr);
	kw_put_u64(m, ",\"syscw\":", f.syscw);
	kw_put_u64(m, ",\"read_bytes\":", f.read_bytes);
	kw_put_u64(m, ",\"write_bytes\":", f.write_bytes);
	kw_put_u64(m, ",\"cancelled_write_bytes\":", f.cancelled_write_bytes);
	kw_put_u64(m, ",\"cgroup_id\":", f.cgroup_id);
	seq_puts(m, ",\"cgroup_path\":");
	kw_json_str(m, st->path, st->path_len);
	seq_puts(m, ",\"container_id\":\"");
	seq_puts(m, st->path_ct.id);
	seq_puts(m, "\",\"container_runtime\":\"");
	seq_puts(m, kw_runtime_name(st->path_ct.rt));
	seq_puts(m, "\",\"cmdline\":");
	kw_show_cmdline(m, st->cmdline, clen);
	seq_puts(m, truncated ? ",\"cmdline_truncated\":true}" :
				",\"cmdline_truncated\":false}");
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

static int kw_procs_open(struct inode *inode, struct file *file)
{
	struct seq_file *m;

	if (!__seq_open_private(file, &kw_procs_seq_ops,
				sizeof(struct kw_procs_state)))
		return -ENOMEM;
	/*
	 * seq_read_iter() uses a buffer set before the first read, and
	 * seq_release() frees it with kvfree(). If this fails, seq_file
	 * falls back to its own one-page buffer.
	 */
	m = file->private_data;
	m->buf = kvmalloc(KW_PROCS_BUF, GFP_KERNEL_ACCOUNT);
	if (m->buf)
		m->size = KW_PROCS_BUF;
	return 0;
}

static const struct proc_ops kw_procs_proc_ops = {
	.proc_open	= kw_procs_open,
	.proc_read_iter	= seq_read_iter,
	.proc_lseek	= seq_lseek,
	.proc_release	= seq_release_private,
};

struct proc_dir_entry *kw_processes_create(struct proc_dir_entry *dir)
{
	return proc_create("processes", 0444, dir, &kw_procs_proc_ops);
}
