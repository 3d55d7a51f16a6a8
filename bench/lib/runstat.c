/* runstat.c: run a command, report its wall time, CPU time and peak RSS */
/* SPDX-License-Identifier: MIT */
/*
 * usage: runstat OUTFILE COMMAND [ARG...]
 *
 * Writes "WALL_NS CPU_NS MAXRSS_KB EXIT" to OUTFILE and exits with the
 * command's status.  CPU and peak RSS come from wait4(), so they include
 * every descendant the command waited for (a script's curl and jq).
 *
 * Why not measure from the benchmark driver itself: a child's ru_maxrss
 * starts from the memory of the process that forked it (the kernel
 * records the old image's high-water mark at exec), so a child of the
 * 20 MB Python driver would report at least 20 MB.  This program is small,
 * and it starts the command with posix_spawn (vfork), so what is left is
 * the command's own peak.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern char **environ;

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char *argv[])
{
	struct rusage ru;
	long long t0, t1, cpu;
	FILE *out;
	pid_t pid;
	int st, code;

	if (argc < 3) {
		fprintf(stderr, "usage: runstat OUTFILE COMMAND [ARG...]\n");
		return 2;
	}
	if ((out = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return 2;
	}
	t0 = now_ns();
	if (posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0) {
		perror(argv[2]);
		return 127;
	}
	if (wait4(pid, &st, 0, &ru) != pid) {
		perror("wait4");
		return 2;
	}
	t1 = now_ns();
	cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
	    1000000000LL + (long long)(ru.ru_utime.tv_usec +
	    ru.ru_stime.tv_usec) * 1000LL;
	code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	fprintf(out, "%lld %lld %ld %d\n", t1 - t0, cpu, ru.ru_maxrss, code);
	fclose(out);
	return code;
}
