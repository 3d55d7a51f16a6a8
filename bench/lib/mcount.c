/* mcount.c: the CPU time metrics_count() costs a refused request */
/* SPDX-License-Identifier: MIT */
/*
 * usage: mcount STATE_DIR [N]
 *
 * CGI: N fresh processes each count one refused request (a wrong token:
 * 401) into STATE_DIR/metrics, opening and mapping the file as a CGI
 * process does; each measures the call with CLOCK_PROCESS_CPUTIME_ID
 * (user and kernel time).  FastCGI: one process counts N requests into
 * its kept mapping.  For scale, the same clock around one getppid()
 * system call.  Prints the median and 90th percentile in us.
 */
#include "config.h"

#include <sys/syscall.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "request.h"

static long long
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long
one_syscall(void)
{
	long long t = cpu_ns();

	syscall(SYS_getppid);
	return cpu_ns() - t;
}

static long long
one(const struct config *c)
{
	struct request req;
	long long t;

	memset(&req, 0, sizeof(req));
	req.cfg = c;
	req.action = ACT_DEPLOY;
	req.auth_attempted = 1;
	req.status = 401;
	strcpy(req.service, "bench");
	t = cpu_ns();
	metrics_count(&req);
	return cpu_ns() - t;
}

static int
cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, long long *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-34s median %6.1f us   p90 %6.1f us   (%d requests)\n", what,
	    v[n / 2] / 1000.0, v[n * 9 / 10] / 1000.0, n);
}

int
main(int argc, char *argv[])
{
	struct config c;
	int n = argc > 2 ? atoi(argv[2]) : 1000, i, fd[2];
	long long *v;

	if (argc < 2 || n < 10 || (v = calloc((size_t)n, sizeof(*v))) == NULL)
		return 2;
	memset(&c, 0, sizeof(c));
	c.state_dir = argv[1];
	for (i = 0; i < n; i++) {
		pid_t pid;

		if (pipe(fd) == -1 || (pid = fork()) == -1)
			return 1;
		if (pid == 0) {
			long long t = one(&c);

			_exit(write(fd[1], &t, sizeof(t)) == sizeof(t) ? 0 : 1);
		}
		close(fd[1]);
		if (read(fd[0], &v[i], sizeof(v[i])) != sizeof(v[i]))
			return 1;
		close(fd[0]);
		waitpid(pid, NULL, 0);
	}
	report("CGI (a fresh process each)", v, n);
	for (i = 0; i < n; i++)
		v[i] = one(&c);
	report("FastCGI (the mapping kept)", v, n);
	for (i = 0; i < n; i++)
		v[i] = one_syscall();
	report("one getppid() system call", v, n);
	free(v);
	return 0;
}
