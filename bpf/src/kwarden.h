/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record the eBPF programs hand to user space: one per thread group,
 * from the task iterator (snapshot) and from the exit hook (final figures
 * of a process whose last thread is exiting). Same figures, same counters
 * as the kwarden module (kmod/figures.c), so the two views compare like
 * with like. Sizes in pages, times in ns.
 *
 * Layout is fixed and 8-byte aligned; user space checks magic and size
 * before it trusts a record.
 */
#ifndef KWARDEN_BPF_H
#define KWARDEN_BPF_H

#define KW_MAGIC		0x4b57u	/* "KW" */
#define KW_VERSION		1

/* kw_proc.kind */
#define KW_KIND_SNAPSHOT	1
#define KW_KIND_EXIT		2

/* kw_proc.flags */
#define KW_F_KTHREAD		(1u << 0)
#define KW_F_HAS_MM		(1u << 1)
#define KW_F_RSS_EXACT		(1u << 2) /* per-CPU counter parts summed */
#define KW_F_THREADS_PARTIAL	(1u << 3) /* thread walk hit its bound */
#define KW_F_GROUP_DEAD		(1u << 4) /* exit: the last thread is exiting */

/* kw_proc.io[] */
#define KW_IO_RCHAR		0
#define KW_IO_WCHAR		1
#define KW_IO_SYSCR		2
#define KW_IO_SYSCW		3
#define KW_IO_READ_BYTES	4
#define KW_IO_WRITE_BYTES	5
#define KW_IO_CANCELLED		6
#define KW_IO_N			7

/* kw_proc.rss_pages[] */
#define KW_RSS_ANON		0
#define KW_RSS_FILE		1
#define KW_RSS_SHMEM		2
#define KW_RSS_N		3

struct kw_proc {
	__u16 magic;
	__u8 version;
	__u8 kind;
	__u32 flags;

	__u32 tgid;
	__u32 ppid;
	__u32 uid;
	__u32 euid;
	__u32 nr_threads;	/* signal->nr_threads */
	__u32 threads_seen;	/* threads summed by the walk */

	__u64 start_ns;		/* group leader's start_boottime */
	__u64 cpu_ns;		/* Σ threads' sum_exec_runtime + signal's */
	__u64 user_ns;
	__u64 system_ns;
	__u64 io[KW_IO_N];

	__u64 vsz_pages;
	__u64 rss_pages[KW_RSS_N];

	__u64 cgroup_id;	/* cgroup v2 (default hierarchy) */
	__u64 memcg_id;		/* memory controller's cgroup (v1 or v2) */

	__u64 exit_ns;		/* exit: CLOCK_BOOTTIME at the hook */
	__s32 exit_code;	/* exit: wait status, as task->exit_code */
	__u8 state;		/* 'R', 'S', ... as /proc prints it */
	__u8 pad[3];
	__u32 running;		/* threads in TASK_RUNNING */
	__u32 reserved;
	char comm[16];
};

#endif /* KWARDEN_BPF_H */
