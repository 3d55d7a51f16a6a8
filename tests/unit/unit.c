/* unit.c: what several unit tests need: child processes, loopback
 * sockets, a real beanstalkd, temporary directories and files */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "util.h"
#include "unit.h"

static pid_t children[32];
static size_t nchildren;

void
kill_children(void)
{
	size_t i;

	for (i = 0; i < nchildren; i++) {
		if (children[i] <= 0)
			continue;
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
		children[i] = 0;
	}
}

void
reap(pid_t pid, int sig)
{
	size_t i;

	for (i = 0; i < nchildren; i++)
		if (children[i] == pid) {
			if (sig != 0)
				kill(pid, sig);
			waitpid(pid, NULL, 0);
			children[i] = 0;
		}
}

/* fork() that records the child; in the child, dies with the parent. */
pid_t
spawn(void)
{
	pid_t parent = getpid(), pid;

	if (nchildren == sizeof(children) / sizeof(children[0]))
		return -1;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		return 0;
	}
	if (pid > 0)
		children[nchildren++] = pid;
	return pid;
}

/* A listening socket on a kernel-chosen loopback port; never accepted
 * from unless a test does so. */
int
listener(int family, int *port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		sl = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*sin);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(fd, 8) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET6 ? sin6->sin6_port : sin->sin_port);
	return fd;
}

/* A loopback port with nothing listening on it (for now). */
int
free_port(void)
{
	int fd, port;

	if ((fd = listener(AF_INET, &port)) == -1)
		return -1;
	close(fd);
	return port;
}

/* A blocking test-side connection with a 3 s receive timeout. */
int
tc_connect(int port)
{
	struct sockaddr_in sin;
	struct timeval tv = { 3, 0 };
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/*
 * Sends cmd and reads one reply into out (NUL-terminated).  For the
 * replies that carry data (FOUND, RESERVED, OK) the data and its CRLF
 * are read too; *outlen is the total length.
 */
int
tc_cmd(int fd, const char *cmd, char *out, size_t cap, size_t *outlen)
{
	size_t len = 0, want = 0;
	char *crlf, *sp;
	ssize_t r;

	if (send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) != (ssize_t)strlen(cmd))
		return -1;
	for (;;) {
		out[len] = '\0';
		if (want == 0 && (crlf = strstr(out, "\r\n")) != NULL) {
			want = (size_t)(crlf - out) + 2;
			if (strncmp(out, "FOUND ", 6) == 0 ||
			    strncmp(out, "RESERVED ", 9) == 0 ||
			    strncmp(out, "OK ", 3) == 0) {
				*crlf = '\0';
				sp = strrchr(out, ' ');
				want += strtoul(sp + 1, NULL, 10) + 2;
				*crlf = '\r';
			}
		}
		if (want != 0 && len >= want)
			break;
		if (len + 1 >= cap)
			return -1;
		if ((r = recv(fd, out + len, cap - 1 - len, 0)) <= 0)
			return -1;
		len += (size_t)r;
	}
	if (outlen != NULL)
		*outlen = len;
	return 0;
}

int
start_beanstalkd(int max_job, pid_t *pidp)
{
	char portstr[8], zstr[16];
	uint64_t until;
	int attempt, port, fd, null;
	pid_t pid;

	for (attempt = 0; attempt < 5; attempt++) {
		if ((port = free_port()) == -1)
			return -1;
		snprintf(portstr, sizeof(portstr), "%d", port);
		snprintf(zstr, sizeof(zstr), "%d", max_job);
		if ((pid = spawn()) == -1)
			return -1;
		if (pid == 0) {
			/* stdout carries TAP: keep the server off it. */
			if ((null = open("/dev/null", O_WRONLY)) != -1)
				dup2(null, STDOUT_FILENO);
			execl(BEANSTALKD, "beanstalkd", "-l", "127.0.0.1", "-p",
			    portstr, "-z", zstr, (char *)NULL);
			_exit(127);
		}
		/* Ready when it accepts; a lost port race makes it exit. */
		for (until = mono_ms() + 5000; mono_ms() < until;) {
			if ((fd = tc_connect(port)) != -1) {
				close(fd);
				*pidp = pid;
				return port;
			}
			if (waitpid(pid, NULL, WNOHANG) == pid)
				break;
			usleep(20000);
		}
		reap(pid, SIGKILL);
	}
	return -1;
}

/* A private temporary directory, removed at exit (atexit). */
static char tmp_root[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
tmp_remove(void)
{
	if (tmp_root[0] == '\0')
		return;
	/* A test may have taken the permissions away. */
	chmod(tmp_root, 0700);
	nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmp_root[0] = '\0';
}

const char *
tmp_dir(const char *name)
{
	if (tmp_root[0] != '\0')
		return tmp_root;
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(tmp_root) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmp_root, strerror(errno));
		exit(1);
	}
	atexit(tmp_remove);
	return tmp_root;
}

const char *
tmp_path(const char *name)
{
	static char path[4][512];
	static unsigned slot;
	char *p = path[slot++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", tmp_root, name);
	return p;
}

int
write_file(const char *path, const void *data, size_t n)
{
	int fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	if (write(fd, data, n) != (ssize_t)n)
		rc = -1;
	close(fd);
	return rc;
}

char *
read_file(const char *path, size_t *len)
{
	char *p = NULL, *np;
	size_t n = 0, cap = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			if ((np = realloc(p, cap)) == NULL)
				break;
			p = np;
		}
		if ((r = read(fd, p + n, cap - n - 1)) <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (p != NULL)
		p[n] = '\0';
	if (len != NULL)
		*len = n;
	return p;
}

/* Where stdout was while it is captured. */
static int saved_stdout = -1;

int
capture_start(const char *path)
{
	int fd;

	fflush(stdout);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	saved_stdout = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	return 0;
}

char *
capture_end(const char *path)
{
	if (saved_stdout != -1) {
		dup2(saved_stdout, STDOUT_FILENO);
		close(saved_stdout);
		saved_stdout = -1;
	}
	return read_file(path, NULL);
}

int
stdin_from(const char *path)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	dup2(fd, STDIN_FILENO);
	close(fd);
	return 0;
}

void
unit_settings(struct config *c, const char *text)
{
	const char *conf = tmp_path("d.conf");
	char err[256];

	if (write_file(conf, text, strlen(text)) == -1 ||
	    cfg_load(c, conf, 1, NULL, NULL, err, sizeof(err)) == -1) {
		printf("Bail out! settings: %s\n", err);
		exit(1);
	}
}
