// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/kwarden/system: memory totals, per-CPU times, task counts, load.
 *
 * {"schema":1,"kind":"system","time_ns":N,"kernel":"...","page_size":N,
 *  "cpus":N,"memory":{...},"cpu_total":{...},"cpu":[{"cpu":0,...},...],
 *  "tasks":{...},"load":{"avg1":"0.00","avg5":"0.00","avg15":"0.00"}}
 *
 * One document produced by a single show() (single_open); seq_file calls
 * it again with a bigger buffer if it overflows.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/mm.h>
#include <linux/swap.h>
#include <linux/vmstat.h>
#include <linux/kernel_stat.h>
#include <linux/tick.h>
#include <linux/cpumask.h>
#include <linux/sched/signal.h>
#include <linux/sched/loadavg.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>
#include "kwarden.h"

enum {
	KW_USER, KW_NICE, KW_SYSTEM, KW_IDLE, KW_IOWAIT, KW_IRQ,
	KW_SOFTIRQ, KW_STEAL, KW_GUEST, KW_GUEST_NICE, KW_NR_CPUTIMES,
};

static const char *const kw_cputime_names[KW_NR_CPUTIMES] = {
	"user_ns", "nice_ns", "system_ns", "idle_ns", "iowait_ns", "irq_ns",
	"softirq_ns", "steal_ns", "guest_ns", "guest_nice_ns",
};

/*
 * Times of @cpu in ns, as fs/proc/stat.c computes them: idle and iowait
 * come from the NO_HZ tick code when it tracks them (it returns -1
 * otherwise, or for an offline CPU), else from kcpustat.
 */
static void kw_cpu_times(int cpu, u64 *t)
{
	struct kernel_cpustat kcs;
	u64 us;

	kcpustat_cpu_fetch(&kcs, cpu);
	t[KW_USER] = kcs.cpustat[CPUTIME_USER];
	t[KW_NICE] = kcs.cpustat[CPUTIME_NICE];
	t[KW_SYSTEM] = kcs.cpustat[CPUTIME_SYSTEM];
	t[KW_IRQ] = kcs.cpustat[CPUTIME_IRQ];
	t[KW_SOFTIRQ] = kcs.cpustat[CPUTIME_SOFTIRQ];
	t[KW_STEAL] = kcs.cpustat[CPUTIME_STEAL];
	t[KW_GUEST] = kcs.cpustat[CPUTIME_GUEST];
	t[KW_GUEST_NICE] = kcs.cpustat[CPUTIME_GUEST_NICE];

	us = cpu_online(cpu) ? get_cpu_idle_time_us(cpu, NULL) : -1ULL;
	t[KW_IDLE] = us == -1ULL ? kcs.cpustat[CPUTIME_IDLE] : us * NSEC_PER_USEC;
	us = cpu_online(cpu) ? get_cpu_iowait_time_us(cpu, NULL) : -1ULL;
	t[KW_IOWAIT] = us == -1ULL ? kcs.cpustat[CPUTIME_IOWAIT] : us * NSEC_PER_USEC;
}

static void kw_show_cputimes(struct seq_file *m, const u64 *t)
{
	int i;

	for (i = 0; i < KW_NR_CPUTIMES; i++)
		seq_printf(m, "%s\"%s\":%llu", i ? "," : "",
			   kw_cputime_names[i], t[i]);
}

static void kw_show_memory(struct seq_file *m)
{
	u64 total, free, buffers, cached, used;
	struct sysinfo si;
	long pages;

	si_meminfo(&si);
	/* As /proc/meminfo "Cached": page cache minus swap cache and buffers. */
	pages = global_node_page_state(NR_FILE_PAGES) -
		total_swapcache_pages() - si.bufferram;
	if (pages < 0)
		pages = 0;

	total = (u64)si.totalram * si.mem_unit;
	free = (u64)si.freeram * si.mem_unit;
	buffers = (u64)si.bufferram * si.mem_unit;
	cached = (u64)pages << PAGE_SHIFT;
	used = total - free - buffers - cached;
	if (free + buffers + cached > total)
		used = 0;

	seq_printf(m, ",\"memory\":{\"total_bytes\":%llu,\"free_bytes\":%llu,"
		   "\"available_bytes\":%llu,\"buffers_bytes\":%llu,"
		   "\"cached_bytes\":%llu,\"shmem_bytes\":%llu,\"used_bytes\":%llu}",
		   total, free, (u64)si_mem_available() << PAGE_SHIFT, buffers,
		   cached, (u64)si.sharedram * si.mem_unit, used);
}

static void kw_show_cpus(struct seq_file *m)
{
	u64 sum[KW_NR_CPUTIMES] = { 0 }, t[KW_NR_CPUTIMES];
	bool first = true;
	int cpu, i;

	/* As /proc/stat: the total over possible CPUs, a line per online CPU. */
	for_each_possible_cpu(cpu) {
		kw_cpu_times(cpu, t);
		for (i = 0; i < KW_NR_CPUTIMES; i++)
			sum[i] += t[i];
	}
	seq_puts(m, ",\"cpu_total\":{");
	kw_show_cputimes(m, sum);
	seq_puts(m, "},\"cpu\":[");
	for_each_online_cpu(cpu) {
		kw_cpu_times(cpu, t);
		seq_printf(m, "%s{\"cpu\":%d,", first ? "" : ",", cpu);
		kw_show_cputimes(m, t);
		seq_putc(m, '}');
		first = false;
	}
	seq_putc(m, ']');
}

static void kw_show_tasks(struct seq_file *m)
{
	unsigned long procs = 0, threads = 0, running = 0, blocked = 0;
	unsigned long zombie = 0;
	struct task_struct *p;

	/* The task list is RCU-safe to walk; counts are not a snapshot. */
	rcu_read_lock();
	for_each_process(p) {
		procs++;
		threads += READ_ONCE(p->signal->nr_threads);
		switch (task_state_to_char(p)) {
		case 'R':
			running++;
			break;
		case 'D':
			blocked++;
			break;
		case 'Z':
			zombie++;
			break;
		}
	}
	rcu_read_unlock();

	seq_printf(m, ",\"tasks\":{\"processes\":%lu,\"threads\":%lu,"
		   "\"running\":%lu,\"blocked\":%lu,\"zombie\":%lu}",
		   procs, threads, running, blocked, zombie);
}

/* Rounds and formats avenrun[] exactly as fs/proc/loadavg.c does. */
static void kw_show_load(struct seq_file *m)
{
	unsigned long a[3];
	int i;

	for (i = 0; i < 3; i++)
		a[i] = READ_ONCE(avenrun[i]) + FIXED_1 / 200;
	seq_printf(m, ",\"load\":{\"avg1\":\"%lu.%02lu\",\"avg5\":\"%lu.%02lu\","
		   "\"avg15\":\"%lu.%02lu\"}",
		   LOAD_INT(a[0]), LOAD_FRAC(a[0]), LOAD_INT(a[1]),
		   LOAD_FRAC(a[1]), LOAD_INT(a[2]), LOAD_FRAC(a[2]));
}

static int kw_system_show(struct seq_file *m, void *v)
{
	kw_json_begin(m, "system", ktime_get_boottime_ns());
	seq_puts(m, ",\"kernel\":");
	kw_json_cstr(m, utsname()->release);
	seq_printf(m, ",\"page_size\":%lu,\"cpus\":%u", PAGE_SIZE,
		   num_online_cpus());
	kw_show_memory(m);
	kw_show_cpus(m);
	kw_show_tasks(m);
	kw_show_load(m);
	seq_puts(m, "}\n");
	return 0;
}

struct proc_dir_entry *kw_system_create(struct proc_dir_entry *dir)
{
	/* single_open()/single_release(): nothing to leak per open. */
	return proc_create_single("system", 0444, dir, kw_system_show);
}
