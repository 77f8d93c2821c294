/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kwarden - process and container figures as JSON under /proc/kwarden/.
 *
 * Shared declarations. The output format is specified in
 * docs/proc-format.md (schema 1); every file below follows it.
 */
#ifndef KWARDEN_H
#define KWARDEN_H

#include <linux/types.h>
#include <linux/sched.h>

#define KW_SCHEMA		1
#define KW_VERSION		"0.1.0"

/* Bytes of a process's argument area that are published. */
#define KW_CMDLINE_MAX		4096
/* Hex digits of a container id. */
#define KW_ID_LEN		64

struct seq_file;
struct cgroup;
struct proc_dir_entry;

/* json.c */
void kw_json_begin(struct seq_file *m, const char *kind, u64 time_ns);
void kw_json_str(struct seq_file *m, const char *s, size_t len);
void kw_json_cstr(struct seq_file *m, const char *s);
const char *kw_json_bool(bool b);

/* figures.c */

/*
 * Figures of one process (thread group), taken by kw_gather(). Sizes are
 * bytes, times nanoseconds.
 */
struct kw_figures {
	pid_t pid;
	pid_t ppid;
	uid_t uid;
	uid_t euid;
	char comm[TASK_COMM_LEN];
	char state;
	bool kthread;
	unsigned int threads;
	unsigned int running;	/* threads in TASK_RUNNING */
	u64 start_time_ns;
	u64 cpu_ns;
	u64 user_ns;
	u64 system_ns;
	u64 vsz;
	u64 rss_anon;
	u64 rss_file;
	u64 rss_shmem;
	u64 rchar;
	u64 wchar;
	u64 syscr;
	u64 syscw;
	u64 read_bytes;
	u64 write_bytes;
	u64 cancelled_write_bytes;
	u64 cgroup_id;
	/* Default-hierarchy cgroup; valid only inside the caller's RCU section. */
	struct cgroup *cgrp;
	/* Argument area of the mm, read under mm->arg_lock; 0/0 if none. */
	unsigned long arg_start;
	unsigned long arg_end;
};

void kw_gather(struct task_struct *task, struct kw_figures *f);
size_t kw_cgroup_path(struct cgroup *cgrp, char *buf, size_t size);

/* container_id.c */
enum kw_runtime {
	KW_RT_NONE,
	KW_RT_DOCKER,
	KW_RT_CONTAINERD,
	KW_RT_CRIO,
	KW_RT_PODMAN,
};

struct kw_container {
	enum kw_runtime rt;
	/* Lower-case hex id, NUL-terminated; "" when rt == KW_RT_NONE. */
	char id[KW_ID_LEN + 1];
	/* Number of path components below the matched one. */
	unsigned int depth;
};

bool kw_container_from_path(const char *path, size_t len,
			    struct kw_container *c);
const char *kw_runtime_name(enum kw_runtime rt);

/* proc_*.c: each creates its file under @dir, NULL on failure. */
struct proc_dir_entry *kw_version_create(struct proc_dir_entry *dir);
struct proc_dir_entry *kw_system_create(struct proc_dir_entry *dir);
struct proc_dir_entry *kw_processes_create(struct proc_dir_entry *dir);
struct proc_dir_entry *kw_containers_create(struct proc_dir_entry *dir);

#endif /* KWARDEN_H */
