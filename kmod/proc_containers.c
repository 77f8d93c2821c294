// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/kwarden/containers: processes grouped by container, sorted by id.
 *
 * Format (docs/proc-format.md), one record per line:
 *
 *   {"schema":1,"kind":"containers","time_ns":N,"page_size":N,"containers":[
 *   {"id":"<64 hex>","runtime":"docker",...,"pids":[100,101]}
 *   ],"truncated":false}
 *
 * The grouping is computed when a reader reaches position 0 (the header),
 * into a table owned by the open file, in one pass over the task list
 * under RCU. Later positions index that table, so a read that starts
 * anywhere but 0 continues the same snapshot and pread()/lseek() (which
 * seq_file replays from 0) start a new one.
 *
 * Positions: 0 header, 1..n containers, n + 1 footer, beyond: nothing.
 * The table holds a reference on each container's cgroup (for its path)
 * until it is replaced or the file is released.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/sched/signal.h>
#include <linux/cgroup.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/hash.h>
#include <linux/limits.h>
#include <linux/timekeeping.h>
#include "kwarden.h"

/* Limits of docs/proc-format.md; overridable only for testing. */
#ifndef KW_MAX_CTRS
#define KW_MAX_CTRS	4096
#endif
#ifndef KW_MAX_PIDS
#define KW_MAX_PIDS	65536
#endif
#define KW_HASH_BITS	13		/* 8192 slots >= 2 * KW_MAX_CTRS */
#define KW_SLACK	64		/* room for tasks forked while we count */
#define KW_TRIES	3
#define KW_FOOTER	((void *)2)

struct kw_ctr {
	char id[KW_ID_LEN + 1];
	enum kw_runtime rt;
	struct cgroup *cgrp;		/* referenced, or NULL if dying */
	u64 cgroup_id;
	u64 cpu_ns, vsz, rss_anon, rss_file, rss_shmem;
	u64 rchar, wchar, read_bytes, write_bytes;
	u32 processes, threads;
	u32 orig;			/* index before sorting */
	u32 first;			/* its pids: pids[first .. first+processes) */
};

struct kw_cproc {
	u32 ctr;
	u32 pid;
};

struct kw_table {
	u64 time_ns;
	u32 nctr, cap_ctr;
	u32 npid, cap_pid;
	u32 seen;			/* container processes met, kept or not */
	bool full_pid, full_ctr;	/* some were left out for lack of room */
	bool truncated;
	struct kw_ctr *ctrs;
	struct kw_cproc *pids;
	u16 *hash;			/* ctr index + 1, 0 = empty; then reused */
};

/* Per-open state, allocated by seq_open_private(). */
struct kw_ctrs_state {
	bool first_done;
	struct kw_table *tab;
	char path[PATH_MAX];
};

static void kw_table_free(struct kw_table *tab)
{
	u32 i;

	if (!tab)
		return;
	for (i = 0; i < tab->nctr; i++)
		if (tab->ctrs[i].cgrp)
			cgroup_put(tab->ctrs[i].cgrp);
	kvfree(tab->ctrs);
	kvfree(tab->pids);
	kvfree(tab->hash);
	kfree(tab);
}

static struct kw_table *kw_table_alloc(u32 want)
{
	struct kw_table *tab = kzalloc(sizeof(*tab), GFP_KERNEL);

	if (!tab)
		return NULL;
	tab->cap_ctr = min_t(u32, want, KW_MAX_CTRS);
	tab->cap_pid = min_t(u32, want, KW_MAX_PIDS);
	tab->ctrs = kvcalloc(tab->cap_ctr, sizeof(*tab->ctrs), GFP_KERNEL);
	tab->pids = kvcalloc(tab->cap_pid, sizeof(*tab->pids), GFP_KERNEL);
	tab->hash = kvcalloc(1U << KW_HASH_BITS, sizeof(*tab->hash), GFP_KERNEL);
	if (!tab->ctrs || !tab->pids || !tab->hash) {
		kw_table_free(tab);
		return NULL;
	}
	return tab;
}

/*
 * Container entry for cgroup @cc, created if new. Runs under RCU: @cc is
 * alive because a task's css_set pins its cgroup and cgroups are freed
 * after a grace period. Returns NULL when the table is full.
 */
static struct kw_ctr *kw_table_ctr(struct kw_table *tab, struct cgroup *cc,
				   const struct kw_container *ct)
{
	u64 id = cgroup_id(cc);
	u32 h = hash_64(id, KW_HASH_BITS);
	struct kw_ctr *c;

	for (; tab->hash[h]; h = (h + 1) & ((1U << KW_HASH_BITS) - 1)) {
		c = &tab->ctrs[tab->hash[h] - 1];
		if (c->cgroup_id == id)
			return c;
	}
	if (tab->nctr == tab->cap_ctr)
		return NULL;
	c = &tab->ctrs[tab->nctr];
	c->orig = tab->nctr++;
	tab->hash[h] = tab->nctr;
	memcpy(c->id, ct->id, sizeof(c->id));
	c->rt = ct->rt;
	c->cgroup_id = id;
	/* Pin it for its path at show time; dropped in kw_table_free(). */
	c->cgrp = cgroup_tryget(cc) ? cc : NULL;
	return c;
}

/*
 * One pass over the task list. Everything here runs under RCU and must
 * not sleep: kw_gather() and kw_cgroup_path() take only spinlocks.
 */
static void kw_table_fill(struct kw_table *tab, char *path)
{
	struct cgroup *last = NULL, *cc = NULL;
	struct kw_container ct = { .rt = KW_RT_NONE };
	struct task_struct *p;
	struct kw_figures f;
	struct kw_ctr *c;
	unsigned int i;

	rcu_read_lock();
	for_each_process(p) {
		struct cgroup *cgrp = task_dfl_cgroup(p);

		/* Tasks of one cgroup tend to be neighbours: cache the last. */
		if (cgrp != last) {
			size_t len = kw_cgroup_path(cgrp, path, PATH_MAX);

			last = cgrp;
			cc = NULL;
			if (kw_container_from_path(path, len, &ct)) {
				cc = cgrp;
				for (i = 0; cc && i < ct.depth; i++)
					cc = cgroup_parent(cc);
			}
		}
		if (!cc)
			continue;
		tab->seen++;
		if (tab->npid == tab->cap_pid) {
			tab->full_pid = true;
			continue;
		}
		c = kw_table_ctr(tab, cc, &ct);
		if (!c) {
			tab->full_ctr = true;
			continue;
		}
		tab->pids[tab->npid].ctr = c->orig;
		tab->pids[tab->npid].pid = task_tgid_nr(p);
		tab->npid++;

		kw_gather(p, &f);
		c->processes++;
		c->threads += f.threads;
		c->cpu_ns += f.cpu_ns;
		c->vsz += f.vsz;
		c->rss_anon += f.rss_anon;
		c->rss_file += f.rss_file;
		c->rss_shmem += f.rss_shmem;
		c->rchar += f.rchar;
		c->wchar += f.wchar;
		c->read_bytes += f.read_bytes;
		c->write_bytes += f.write_bytes;
	}
	rcu_read_unlock();
}

static int kw_ctr_cmp(const void *a, const void *b)
{
	const struct kw_ctr *x = a, *y = b;
	int r = strcmp(x->id, y->id);

	if (r)
		return r;
	return x->cgroup_id < y->cgroup_id ? -1 : x->cgroup_id > y->cgroup_id;
}

static int kw_cproc_cmp(const void *a, const void *b)
{
	const struct kw_cproc *x = a, *y = b;

	if (x->ctr != y->ctr)
		return x->ctr < y->ctr ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Sorts containers by id and each container's pids; sets ->first. */
static void kw_table_sort(struct kw_table *tab)
{
	u32 i;

	sort(tab->ctrs, tab->nctr, sizeof(*tab->ctrs), kw_ctr_cmp, NULL);
	/* The hash is no longer needed: reuse it as old -> new index map. */
	for (i = 0; i < tab->nctr; i++)
		tab->hash[tab->ctrs[i].orig] = i;
	for (i = 0; i < tab->npid; i++)
		tab->pids[i].ctr = tab->hash[tab->pids[i].ctr];
	sort(tab->pids, tab->npid, sizeof(*tab->pids), kw_cproc_cmp, NULL);
	for (i = tab->npid; i-- > 0;)
		tab->ctrs[tab->pids[i].ctr].first = i;
}

static struct kw_table *kw_table_build(char *path)
{
	struct kw_table *tab = NULL;
	struct task_struct *p;
	u32 want = 0, tries;

	/* Size the table by the number of processes now, plus some slack. */
	rcu_read_lock();
	for_each_process(p)
		want++;
	rcu_read_unlock();
	want += KW_SLACK;

	for (tries = 0; tries < KW_TRIES; tries++) {
		kw_table_free(tab);
		tab = kw_table_alloc(want);
		if (!tab)
			return NULL;
		tab->time_ns = ktime_get_boottime_ns();
		kw_table_fill(tab, path);
		/* Full only because tasks were forked meanwhile: grow, redo. */
		if (!(tab->full_pid && tab->cap_pid < KW_MAX_PIDS) &&
		    !(tab->full_ctr && tab->cap_ctr < KW_MAX_CTRS))
			break;
		want = tab->seen + KW_SLACK;
	}
	tab->truncated = tab->full_pid || tab->full_ctr;
	kw_table_sort(tab);
	return tab;
}

static void *kw_ctrs_seq_start(struct seq_file *m, loff_t *pos)
{
	struct kw_ctrs_state *st = m->private;

	if (*pos == 0 || !st->tab) {
		kw_table_free(st->tab);
		st->tab = kw_table_build(st->path);
		if (!st->tab)
			return ERR_PTR(-ENOMEM);
	}
	if (*pos == 0)
		return SEQ_START_TOKEN;
	if (*pos <= st->tab->nctr)
		return &st->tab->ctrs[*pos - 1];
	if (*pos == st->tab->nctr + 1)
		return KW_FOOTER;
	return NULL;
}

static void *kw_ctrs_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct kw_ctrs_state *st = m->private;

	++*pos;
	if (*pos <= st->tab->nctr)
		return &st->tab->ctrs[*pos - 1];
	if (*pos == st->tab->nctr + 1)
		return KW_FOOTER;
	return NULL;
}

static void kw_ctrs_seq_stop(struct seq_file *m, void *v)
{
	/* Nothing held between calls: the table belongs to the open file. */
}

static void kw_show_ctr(struct seq_file *m, struct kw_ctrs_state *st,
			const struct kw_ctr *c)
{
	const struct kw_cproc *pids = st->tab->pids + c->first;
	size_t plen = 0;
	u32 i;

	if (c->cgrp)
		plen = kw_cgroup_path(c->cgrp, st->path, sizeof(st->path));

	seq_printf(m, "%s\n{\"id\":\"%s\",\"runtime\":\"%s\",\"cgroup_id\":%llu,"
		   "\"cgroup_path\":", st->first_done ? "," : "", c->id,
		   kw_runtime_name(c->rt), c->cgroup_id);
	kw_json_str(m, st->path, plen);
	seq_printf(m, ",\"processes\":%u,\"threads\":%u,\"cpu_ns\":%llu,"
		   "\"vsz_bytes\":%llu,\"rss_anon_bytes\":%llu,"
		   "\"rss_file_bytes\":%llu,\"rss_shmem_bytes\":%llu,"
		   "\"rchar\":%llu,\"wchar\":%llu,\"read_bytes\":%llu,"
		   "\"write_bytes\":%llu,\"pids\":[",
		   c->processes, c->threads, c->cpu_ns, c->vsz, c->rss_anon,
		   c->rss_file, c->rss_shmem, c->rchar, c->wchar,
		   c->read_bytes, c->write_bytes);
	for (i = 0; i < c->processes; i++)
		seq_put_decimal_ull(m, i ? "," : "", pids[i].pid);
	seq_puts(m, "]}");
}

static int kw_ctrs_seq_show(struct seq_file *m, void *v)
{
	struct kw_ctrs_state *st = m->private;

	if (v == SEQ_START_TOKEN) {
		st->first_done = false;
		kw_json_begin(m, "containers", st->tab->time_ns);
		seq_printf(m, ",\"page_size\":%lu,\"containers\":[", PAGE_SIZE);
		return 0;
	}
	if (v == KW_FOOTER) {
		seq_printf(m, "\n],\"truncated\":%s}\n",
			   kw_json_bool(st->tab->truncated));
		return 0;
	}
	kw_show_ctr(m, st, v);
	/* An overflowed record is re-shown by seq_file: see processes. */
	if (!seq_has_overflowed(m))
		st->first_done = true;
	return 0;
}

static const struct seq_operations kw_ctrs_seq_ops = {
	.start	= kw_ctrs_seq_start,
	.next	= kw_ctrs_seq_next,
	.stop	= kw_ctrs_seq_stop,
	.show	= kw_ctrs_seq_show,
};

static int kw_ctrs_open(struct inode *inode, struct file *file)
{
	return seq_open_private(file, &kw_ctrs_seq_ops,
				sizeof(struct kw_ctrs_state));
}

static int kw_ctrs_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;
	struct kw_ctrs_state *st = m->private;

	kw_table_free(st->tab);
	/* Frees the state and the seq_file. */
	return seq_release_private(inode, file);
}

static const struct proc_ops kw_ctrs_proc_ops = {
	.proc_open	= kw_ctrs_open,
	.proc_read_iter	= seq_read_iter,
	.proc_lseek	= seq_lseek,
	.proc_release	= kw_ctrs_release,
};

struct proc_dir_entry *kw_containers_create(struct proc_dir_entry *dir)
{
	return proc_create("containers", 0444, dir, &kw_ctrs_proc_ops);
}
