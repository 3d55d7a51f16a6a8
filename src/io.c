/* io.c: the request transport: one CGI request, or FastCGI requests */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/socket.h>
#include <poll.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "io.h"

extern char **environ;

/* Pending connections the kernel queues for us while a request runs. */
#define LISTEN_BACKLOG 128

static volatile sig_atomic_t shutdown_requested;
/* The connection whose request is still being read, for on_deadline. */
static volatile sig_atomic_t deadline_fd = -1;
static volatile sig_atomic_t deadline_hit;

void
io_shutdown(void)
{
	shutdown_requested = 1;
	FCGX_ShutdownPending();
}

/*
 * A client that has not sent its whole request by the deadline loses it:
 * shutting the socket's read side makes the blocked read return at once
 * (libfcgi retries a read that a signal interrupts), and the answer can
 * still be written.
 */
static void
on_deadline(int sig)
{
	(void)sig;
	if (deadline_fd >= 0) {
		deadline_hit = 1;
		shutdown(deadline_fd, SHUT_RD);
	}
}

static void
arm_deadline(int fd, int ms)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	deadline_hit = 0;
	deadline_fd = fd;
	if (fd >= 0) {
		it.it_value.tv_sec = ms / 1000;
		it.it_value.tv_usec = (ms % 1000) * 1000;
	}
	setitimer(ITIMER_REAL, &it, NULL);
	if (fd < 0)
		deadline_fd = -1;
}

void
io_input_done(struct io *io)
{
	(void)io;
	if (deadline_fd >= 0)
		arm_deadline(-1, 0);
}

int
io_timed_out(const struct io *io)
{
	return io->fastcgi && deadline_hit;
}

static int
listen_unix(const char *path, const char **errstr)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t mask;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*errstr = "socket path too long";
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* Replace a stale socket, but never another kind of file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			*errstr = "path exists and is not a socket";
			return -1;
		}
		if (unlink(path) == -1) {
			*errstr = strerror(errno);
			return -1;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*errstr = strerror(errno);
		return -1;
	}
	/* The web server's user connects through the group: 0660. */
	mask = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (rc == -1 || listen(fd, LISTEN_BACKLOG) == -1) {
		*errstr = strerror(errno);
		close(fd);
		return -1;
	}
	return fd;
}

static int
listen_tcp(const char *addr, const char **errstr)
{
	struct addrinfo hints, *res, *ai;
	char host[256];
	const char *port, *h;
	size_t hl;
	int fd = -1, one = 1, rc;

	if (addr[0] == '[') {
		const char *close_br = strchr(addr, ']');

		if (close_br == NULL || close_br[1] != ':') {
			*errstr = "expected [address]:port";
			return -1;
		}
		h = addr + 1;
		hl = (size_t)(close_br - h);
		port = close_br + 2;
	} else {
		const char *colon = strrchr(addr, ':');

		if (colon == NULL) {
			*errstr = "expected host:port";
			return -1;
		}
		h = addr;
		hl = (size_t)(colon - addr);
		port = colon + 1;
	}
	if (hl >= sizeof(host) || *port == '\0') {
		*errstr = "expected host:port";
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(hl ? host : NULL, port, &hints, &res)) != 0) {
		*errstr = gai_strerror(rc);
		return -1;
	}
	*errstr = "no usable address";
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, LISTEN_BACKLOG) == 0)
			break;
		*errstr = strerror(errno);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
io_listen(const char *addr, const char **errstr)
{
	if (strncmp(addr, "unix:", 5) == 0)
		return listen_unix(addr + 5, errstr);
	if (addr[0] == '/')
		return listen_unix(addr, errstr);
	return listen_tcp(addr, errstr);
}

static int
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
		        in6->sin6_addr.s6_addr[12] == 127);
	return 0;
}

int
io_check_exposure(int fd, int allow_remote, const char **errstr, char *warn,
    size_t warnlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
	socklen_t len = sizeof(ss);
	struct stat st;

	warn[0] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		*errstr = strerror(errno);
		return -1;
	}
	if (ss.ss_family == AF_UNIX) {
		if (len > offsetof(struct sockaddr_un, sun_path) &&
		    sun->sun_path[0] != '\0' && stat(sun->sun_path, &st) == 0 &&
		    (st.st_mode & S_IWOTH))
			snprintf(warn, warnlen,
			    "socket %.200s is writable by "
			    "every user (mode %04o): anyone on this host can "
			    "send requests; make it 0660 with the web server's "
			    "group",
			    sun->sun_path, (unsigned)(st.st_mode & 07777));
		return 0;
	}
	if (!is_loopback(&ss) && !allow_remote) {
		*errstr =
		    "the FastCGI socket listens beyond loopback, where "
		    "anyone who can connect may send any request; listen on "
		    "127.0.0.1 or a unix socket, or set allow_remote_bind = 1 "
		    "if a firewall guards it";
		return -1;
	}
	return 0;
}

static void
on_term(int sig)
{
	(void)sig;
	io_shutdown();
}

int
io_open(struct io *io, int listen_fd, const char **errstr)
{
	struct sigaction sa;

	memset(io, 0, sizeof(*io));
	memset(&sa, 0, sizeof(sa));
	if (FCGX_Init() != 0) {
		*errstr = "FastCGI library initialisation failed";
		return -1;
	}
	if (listen_fd < 0 && FCGX_IsCGI()) {
		io->fastcgi = 0;
		return 0;
	}
	io->fastcgi = 1;
	io->listen_fd = listen_fd < 0 ? 0 : listen_fd;
	io->request_timeout_ms = IO_REQUEST_TIMEOUT_MS;
	/*
	 * This module accepts connections itself (io_accept), so that each
	 * gets a deadline from its first byte; libfcgi only reads requests
	 * from the connection it is handed.  Its own accept must never run:
	 * it would take a connection without a deadline.  It gets no
	 * listening socket (-1), and a connection it drops ends its call.
	 */
	if (fcntl(io->listen_fd, F_SETFL,
	        fcntl(io->listen_fd, F_GETFL) | O_NONBLOCK) == -1) {
		*errstr = "cannot make the listening socket non-blocking";
		return -1;
	}
	if (FCGX_InitRequest(&io->req, -1, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		*errstr = "FastCGI request initialisation failed";
		return -1;
	}
	sa.sa_handler = on_deadline;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);
	/* SIGTERM: finish the request in flight, then leave.  No SA_RESTART,
	 * so that an idle poll() is interrupted. */
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	return 0;
}

/* A kept connection leaves the watched set (it is being served, or
 * closed). */
static void
unkeep(struct io *io, size_t i)
{
	io->kept[i] = io->kept[--io->nkept];
}

/* Keeps fd for the web server's next request; the oldest kept
 * connection makes room when the set is full. */
static void
keep(struct io *io, int fd)
{
	if (io->nkept == IO_KEPT_MAX) {
		close(io->kept[0]);
		unkeep(io, 0);
	}
	io->kept[io->nkept++] = fd;
}

/* Accepts what the listening socket has: the fd, 0 to look again
 * (nothing there, or a passing error), -1 to give up. */
static int
accept_new(struct io *io)
{
	int fd;

	if ((fd = accept4(io->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		return fd;
	switch (errno) {
	case EAGAIN: /* another process took it first */
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
		return 0;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		/* Out of descriptors: give one back (the oldest kept
		 * connection), or wait, instead of spinning. */
		if (io->nkept > 0) {
			close(io->kept[0]);
			unkeep(io, 0);
		} else
			poll(NULL, 0, 100);
		return 0;
	default:
		return -1;
	}
}

/*
 * The next connection with a request to read: a new one, or a kept one
 * that became readable (its next request, or its close, which libfcgi
 * then sees).  The fd, 0 to look again, -1 to give up.
 */
static int
take_connection(struct io *io)
{
	struct pollfd p[IO_KEPT_MAX + 1];
	size_t i;
	int fd;

	p[0].fd = io->listen_fd;
	p[0].events = POLLIN;
	for (i = 0; i < io->nkept; i++) {
		p[i + 1].fd = io->kept[i];
		p[i + 1].events = POLLIN;
	}
	if (poll(p, io->nkept + 1, -1) == -1)
		return errno == EINTR ? 0 : -1;
	for (i = io->nkept; i > 0; i--)
		if (p[i].revents != 0) {
			fd = io->kept[i - 1];
			unkeep(io, i - 1);
			return fd;
		}
	return p[0].revents != 0 ? accept_new(io) : 0;
}

int
io_accept(struct io *io)
{
	if (!io->fastcgi) {
		if (io->cgi_done)
			return 0;
		io->cgi_done = 1;
		io->in_request = 1;
		return 1;
	}
	for (;;) {
		int fd, rc;

		if (shutdown_requested)
			return 0;
		if ((fd = take_connection(io)) == 0)
			continue;
		if (fd == -1)
			return -1;
		arm_deadline(fd, io->request_timeout_ms);
		/* Kept, so that the Finish libfcgi starts with leaves it. */
		io->req.ipcFd = fd;
		io->req.keepConnection = 1;
		rc = FCGX_Accept_r(&io->req);
		if (rc >= 0) {
			io->in_request = 1;
			return 1;
		}
		/* libfcgi closed a connection that sent no valid request
		 * (or none in time); serve the next one. */
		arm_deadline(-1, 0);
		if (io->req.ipcFd >= 0) {
			close(io->req.ipcFd);
			io->req.ipcFd = -1;
		}
	}
}

const char *
io_param(const struct io *io, const char *name)
{
	if (!io->fastcgi)
		return getenv(name);
	return FCGX_GetParam(name, io->req.envp);
}

char *const *
io_params(const struct io *io)
{
	return io->fastcgi ? io->req.envp : environ;
}

ssize_t
io_read(struct io *io, void *p, size_t n)
{
	ssize_t r;
	int got;

	if (!io->fastcgi) {
		do
			r = read(STDIN_FILENO, p, n);
		while (r == -1 && errno == EINTR);
		return r;
	}
	if (n > INT32_MAX)
		n = INT32_MAX;
	got = FCGX_GetStr(p, (int)n, io->req.in);
	if (got == 0 && FCGX_GetError(io->req.in) != 0)
		return -1;
	return got;
}

int
io_write(struct io *io, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	if (io->fastcgi) {
		if (n > INT32_MAX)
			return -1;
		return FCGX_PutStr(s, (int)n, io->req.out) == (int)n ? 0 : -1;
	}
	while (n > 0) {
		w = write(STDOUT_FILENO, s, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A request that was refused may leave body records unread; closing with
 * data unread can reset the connection under the answer.  io_finish reads
 * and drops them, up to IO_DRAIN_MAX, past which the connection is closed
 * the slow way (libfcgi's lingering close). */

void
io_finish(struct io *io)
{
	/* libfcgi's lingering close waits this long for the web server; the
	 * drain below may not hold the process longer. */
	struct timeval linger = { 2, 0 };
	char chunk[16384];
	size_t total = 0;
	int n, fd, want_keep;

	if (!io->in_request)
		return;
	io->in_request = 0;
	if (!io->fastcgi)
		return;
	arm_deadline(-1, 0);
	/* What the web server asked for (FCGI_KEEP_CONN); libfcgi keeps the
	 * connection open when it is set. */
	want_keep = io->req.keepConnection;
	io->req.keepConnection = 0;
	setsockopt(io->req.ipcFd, SOL_SOCKET, SO_RCVTIMEO, &linger,
	    sizeof(linger));
	while ((n = FCGX_GetStr(chunk, sizeof(chunk), io->req.in)) > 0 &&
	    (total += (size_t)n) < IO_DRAIN_MAX)
		;
	if (n == 0 && FCGX_GetError(io->req.in) == 0 && want_keep) {
		/*
		 * Read to its end: nothing of this request is left on the
		 * connection, which waits among the kept ones for the next
		 * request (and nothing of this one is kept: the streams and
		 * parameters are freed, the request state is the caller's).
		 */
		io->req.keepConnection = 1;
		FCGX_Finish_r(&io->req);
		/* libfcgi closes it itself when ending the request failed. */
		if ((fd = io->req.ipcFd) >= 0) {
			io->req.ipcFd = -1;
			keep(io, fd);
		}
		return;
	}
	if (n == 0 && FCGX_GetError(io->req.in) == 0) {
		/*
		 * libfcgi ends a connection with shutdown(SHUT_WR) and then
		 * waits (poll, up to 2 s) for the web server to close first,
		 * so that data still on its way cannot turn into a reset.
		 * A single process sits idle through that round trip of the
		 * web server's event loop on every request.  The request has
		 * been read to its end here, so nothing more can arrive: a
		 * detached request is closed at once.
		 */
		FCGX_Detach(&io->req);
	}
	FCGX_Finish_r(&io->req);
}

void
io_close(struct io *io)
{
	while (io->nkept > 0) {
		close(io->kept[0]);
		unkeep(io, 0);
	}
}
