// SPDX-License-Identifier: GPL-2.0
/*
 * taskfarm: the workloads the kernel-module tests run inside the test
 * VM. It is C rather than Go because the scale tests fork ten thousand
 * processes, which only a small static binary can do in a small VM, and
 * because it sets comm with prctl() on the thread that owns it.
 *
 * Every mode that leaves processes behind prints "ready <pid>..." once they
 * exist and then waits for a signal. Modes:
 *   sleepers N          fork N children that pause()
 *   name COMM           set comm to COMM (raw bytes), then pause
 *   threads N MS        run N threads that burn MS ms of CPU each and exit
 *   mem ANON_MB SHM_MB  touch anonymous and shared memory
 *   io MB PATH          write MB to PATH, fsync, read it back
 *   zombie              leave one exited, unreaped child
 *   spin                burn CPU forever
 *   churn SECONDS [CPU] fork children that exit at once, for SECONDS;
 *                       prints "forks N"; with CPU, parent and children
 *                       run on that CPU only (steadier for benchmarks)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void burn_ms(long ms)
{
	struct timespec start, cur;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
	do {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cur);
	} while ((cur.tv_sec - start.tv_sec) * 1000 +
		 (cur.tv_nsec - start.tv_nsec) / 1000000 < ms);
}

static void ready_and_wait(void)
{
	printf("ready %d\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}

static int sleepers(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		/*
		 * No parent-death signal here: killing 10,000 tasks at once
		 * makes them all runnable together, and under TCG that
		 * starves RCU's grace-period kthread past the stall detector.
		 * Large groups are left for the VM's power-off instead.
		 */
		if (pid == 0) {
			for (;;)
				pause();
		}
	}
	ready_and_wait();
	return 0;
}

static void *burner(void *arg)
{
	burn_ms((long)arg);
	return NULL;
}

static int threads(long n, long ms)
{
	pthread_t t[64];

	if (n > 64)
		n = 64;
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, burner, (void *)ms))
			die("pthread_create");
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	ready_and_wait();
	return 0;
}

static int mem(long anon_mb, long shm_mb)
{
	size_t anon = (size_t)anon_mb << 20, shm = (size_t)shm_mb << 20;
	char *p;

	if (anon) {
		p = mmap(NULL, anon, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap anon");
		memset(p, 1, anon);
	}
	if (shm) {
		p = mmap(NULL, shm, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap shared");
		memset(p, 2, shm);
	}
	ready_and_wait();
	return 0;
}

static int io(long mb, const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		die("open");
	memset(buf, 'k', sizeof(buf));
	for (long i = 0; i < mb * 16; i++)
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			die("write");
	fsync(fd);
	lseek(fd, 0, SEEK_SET);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	ready_and_wait();
	return 0;
}

static int zombie(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0)
		_exit(0);
	printf("child %d\n", pid);
	ready_and_wait();
	return 0;
}

static int churn(double seconds)
{
	double end = now() + seconds;
	long forks = 0;

	while (now() < end) {
		pid_t pid = fork();

		if (pid < 0) {
			if (errno == EAGAIN)
				continue;
			die("fork");
		}
		if (pid == 0) {
			/* Every third child renames itself before exiting. */
			if (forks % 3 == 0)
				prctl(PR_SET_NAME, "churn\"\\\n\x01\xff", 0, 0, 0);
			_exit(0);
		}
		forks++;
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	printf("forks %ld\n", forks);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	/* Die with the guest test program rather than linger. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (!strcmp(mode, "sleepers") && argc == 3)
		return sleepers(atol(argv[2]));
	if (!strcmp(mode, "name") && argc >= 3) {
		if (prctl(PR_SET_NAME, argv[2], 0, 0, 0))
			die("prctl");
		ready_and_wait();
	}
	if (!strcmp(mode, "threads") && argc == 4)
		return threads(atol(argv[2]), atol(argv[3]));
	if (!strcmp(mode, "mem") && argc == 4)
		return mem(atol(argv[2]), atol(argv[3]));
	if (!strcmp(mode, "io") && argc == 4)
		return io(atol(argv[2]), argv[3]);
	if (!strcmp(mode, "zombie"))
		return zombie();
	if (!strcmp(mode, "spin")) {
		printf("ready %d\n", getpid());
		fflush(stdout);
		for (;;)
			burn_ms(1000);
	}
	if (!strcmp(mode, "churn") && (argc == 3 || argc == 4)) {
		if (argc == 4) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(atoi(argv[3]), &set);
			if (sched_setaffinity(0, sizeof(set), &set))
				die("sched_setaffinity");
		}
		return churn(atof(argv[2]));
	}
	fprintf(stderr, "usage: taskfarm sleepers N | name COMM [ARGS...] | threads N MS | mem ANON_MB SHM_MB | io MB PATH | zombie | spin | churn SECONDS [CPU]\n");
	return 2;
}
