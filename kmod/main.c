// SPDX-License-Identifier: GPL-2.0
/*
 * kwarden - process and container figures as JSON under /proc/kwarden/.
 *
 * Module entry points and the version file. The format of every file is
 * specified in docs/proc-format.md (schema 1).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/init.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>
#include "kwarden.h"

static struct proc_dir_entry *kw_dir;

/*
 * version: {"schema":1,"kind":"version","time_ns":N,"module":"0.1.0",
 *           "kernel":"<release>"}
 */
static int kw_version_show(struct seq_file *m, void *v)
{
	kw_json_begin(m, "version", ktime_get_boottime_ns());
	seq_puts(m, ",\"module\":\"" KW_VERSION "\",\"kernel\":");
	kw_json_cstr(m, utsname()->release);
	seq_puts(m, "}\n");
	return 0;
}

struct proc_dir_entry *kw_version_create(struct proc_dir_entry *dir)
{
	return proc_create_single("version", 0444, dir, kw_version_show);
}

static int __init kw_init(void)
{
	struct proc_dir_entry *version, *system, *processes;

	kw_dir = proc_mkdir("kwarden", NULL);
	if (!kw_dir)
		return -ENOMEM;

	version = kw_version_create(kw_dir);
	if (!version)
		goto err_dir;
	system = kw_system_create(kw_dir);
	if (!system)
		goto err_version;
	processes = kw_processes_create(kw_dir);
	if (!processes)
		goto err_system;
	if (!kw_containers_create(kw_dir))
		goto err_processes;

	pr_info("loaded, schema %d\n", KW_SCHEMA);
	return 0;

err_processes:
	proc_remove(processes);
err_system:
	proc_remove(system);
err_version:
	proc_remove(version);
err_dir:
	proc_remove(kw_dir);
	return -ENOMEM;
}

static void __exit kw_exit(void)
{
	/*
	 * Removes the directory and its files. procfs waits for readers
	 * inside our callbacks and calls ->release for files still open,
	 * so no callback can run once this returns.
	 */
	proc_remove(kw_dir);
}

module_init(kw_init);
module_exit(kw_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION(KW_VERSION);
MODULE_AUTHOR("kwarden authors");
MODULE_DESCRIPTION("Process and container figures as JSON under /proc/kwarden");
