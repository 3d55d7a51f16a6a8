/* beanstalk.c: a beanstalkd producer (use + put) */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netdb.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "beanstalk.h"
#include "util.h"

/*
 * One connection per job: connect, "use <tube>", "put ...", close.  The
 * protocol is beanstalkd's doc/protocol.txt; limits are from its dat.h
 * and prot.c.  Every wait is a poll() with a deadline, so a server that
 * accepts and never answers costs at most timeout_ms per step.
 */

/* beanstalkd's hard cap on max-job-size (dat.h JOB_DATA_SIZE_LIMIT_MAX);
 * a larger body can never be accepted, so it is refused before I/O. */
#define BS_JOB_HARD_MAX 1073741824
/* A DNS name is at most 253 bytes; an IPv6 literal with a zone fits. */
#define BS_HOST_MAX 256
/* "put " + 3 * (10 digits of a uint32 + space) + 20 digits + CRLF = 59 */
#define BS_PUT_LINE_MAX 64
/* "use " + tube + CRLF */
#define BS_USE_LINE_MAX (4 + BS_TUBE_MAX + 2)

enum bs_arg {
	BS_ARG_NONE, /* keyword alone */
	BS_ARG_ID,   /* keyword, one space, job id */
	BS_ARG_TUBE, /* keyword, one space, tube name */
};

static const struct {
	const char *word;
	enum bs_reply reply;
	enum bs_arg arg;
} bs_replies[] = {
	{ "USING", BS_R_USING, BS_ARG_TUBE },
	{ "INSERTED", BS_R_INSERTED, BS_ARG_ID },
	{ "BURIED", BS_R_BURIED, BS_ARG_ID },
	{ "EXPECTED_CRLF", BS_R_EXPECTED_CRLF, BS_ARG_NONE },
	{ "JOB_TOO_BIG", BS_R_JOB_TOO_BIG, BS_ARG_NONE },
	{ "DRAINING", BS_R_DRAINING, BS_ARG_NONE },
	{ "OUT_OF_MEMORY", BS_R_OUT_OF_MEMORY, BS_ARG_NONE },
	{ "INTERNAL_ERROR", BS_R_INTERNAL_ERROR, BS_ARG_NONE },
	{ "BAD_FORMAT", BS_R_BAD_FORMAT, BS_ARG_NONE },
	{ "UNKNOWN_COMMAND", BS_R_UNKNOWN_COMMAND, BS_ARG_NONE },
};

#define BS_NREPLIES (sizeof(bs_replies) / sizeof(bs_replies[0]))

enum bs_reply
bs_parse_reply(const char *line, size_t n, uint64_t *id)
{
	const char *rest, *e;
	uint64_t v;
	size_t i, wl, rn, k;

	if (id != NULL)
		*id = 0;
	if (line == NULL || n > BS_REPLY_MAX)
		return BS_R_INVALID;
	/* Only one CRLF, and only at the very end, is stripped. */
	if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n')
		n -= 2;
	for (i = 0; i < BS_NREPLIES; i++) {
		wl = strlen(bs_replies[i].word);
		if (n >= wl && memcmp(line, bs_replies[i].word, wl) == 0)
			break;
	}
	if (i == BS_NREPLIES)
		return BS_R_INVALID;
	rest = line + wl;
	rn = n - wl;
	switch (bs_replies[i].arg) {
	case BS_ARG_NONE:
		return rn == 0 ? bs_replies[i].reply : BS_R_INVALID;
	case BS_ARG_ID:
		/* beanstalkd prints ids with %PRIu64 and starts at 1, so a
		 * sign, a leading zero or a second space is not its output. */
		if (rn < 2 || rest[0] != ' ' || rest[1] == '0' ||
		    parse_u64n(rest + 1, rn - 1, 1, UINT64_MAX, &v, &e) == -1)
			return BS_R_INVALID;
		if (id != NULL)
			*id = v;
		return bs_replies[i].reply;
	case BS_ARG_TUBE:
		/* The caller compares the name; here it only has to be one
		 * token that fits in a tube name. */
		if (rn < 2 || rest[0] != ' ' || rn - 1 > BS_TUBE_MAX)
			return BS_R_INVALID;
		for (k = 1; k < rn; k++)
			if (rest[k] == ' ' || rest[k] == '\r' ||
			    rest[k] == '\n' || rest[k] == '\0')
				return BS_R_INVALID;
		return bs_replies[i].reply;
	}
	return BS_R_INVALID;
}

const char *
bs_reply_name(enum bs_reply r)
{
	size_t i;

	for (i = 0; i < BS_NREPLIES; i++)
		if (bs_replies[i].reply == r)
			return bs_replies[i].word;
	return "INVALID";
}

int
bs_tube_valid(const char *name)
{
	/* beanstalkd's NAME_CHARS (prot.c). */
	static const char ok[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-+/;.$_()";
	size_t len;

	if (name == NULL || name[0] == '-')
		return 0;
	len = strlen(name);
	return len >= 1 && len <= BS_TUBE_MAX && strspn(name, ok) == len;
}

/*
 * Splits "host:port" or "[v6]:port" into host and port.  *numeric is set
 * for the bracketed form, which only an address literal may use.
 */
static int
bs_split_addr(const char *addr, char *host, char *port, int *numeric,
    const char **errstr)
{
	const char *h, *colon, *end;
	uint64_t v;
	size_t hl;

	*numeric = 0;
	if (addr == NULL || *addr == '\0') {
		*errstr = "no beanstalkd address";
		return -1;
	}
	if (addr[0] == '[') {
		h = addr + 1;
		if ((end = strchr(h, ']')) == NULL || end[1] != ':') {
			*errstr = "bad beanstalkd address: expected [v6]:port";
			return -1;
		}
		colon = end + 1;
		*numeric = 1;
	} else {
		h = addr;
		colon = strchr(addr, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			*errstr = "bad beanstalkd address: IPv6 needs []";
			return -1;
		}
		if (colon == NULL) {
			*errstr = "bad beanstalkd address: no port";
			return -1;
		}
		end = colon;
	}
	hl = (size_t)(end - h);
	if (hl == 0 || hl >= BS_HOST_MAX) {
		*errstr = "bad beanstalkd address: bad host";
		return -1;
	}
	/* Strict decimal 1-65535: getaddrinfo would take "0x10" or " 80". */
	if (parse_u64(colon + 1, 1, 65535, &v, errstr) == -1) {
		*errstr = "bad beanstalkd address: bad port";
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, 6, "%" PRIu64, v);
	return 0;
}

/* Milliseconds left until deadline, at least 0. */
static int
bs_left(uint64_t deadline)
{
	uint64_t now = mono_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* Waits for events on fd until deadline; 0 when ready. */
static int
bs_wait(int fd, short events, uint64_t deadline, const char **errstr)
{
	struct pollfd pfd;
	int rc;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, bs_left(deadline));
		if (rc > 0)
			return 0; /* errors show in the next call */
		if (rc == 0) {
			errno = ETIMEDOUT;
			*errstr = "timed out";
			return -1;
		}
		if (errno != EINTR) {
			*errstr = "poll failed";
			return -1;
		}
	}
}

/* One non-blocking connect to one address, bounded by timeout_ms. */
static int
bs_connect_one(const struct addrinfo *ai, int timeout_ms)
{
	const char *ignored;
	socklen_t sl;
	int fd, err;

	fd = socket(ai->ai_family,
	    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	/* After EINTR the connect goes on in the background, as after
	 * EINPROGRESS; both finish by the socket becoming writable. */
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	if (bs_wait(fd, POLLOUT, mono_ms() + (uint64_t)timeout_ms, &ignored) ==
	    -1)
		goto fail;
	sl = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
		goto fail;
	if (err != 0) {
		errno = err;
		goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Resolves addr and connects to the first address that answers. */
static int
bs_connect(const char *addr, int timeout_ms, const char **errstr)
{
	struct addrinfo hints, *res, *ai;
	char host[BS_HOST_MAX], port[6];
	int numeric, fd = -1;

	if (bs_split_addr(addr, host, port, &numeric, errstr) == -1)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (numeric ? AI_NUMERICHOST : 0);
	/* Limit: name lookup has no timeout of its own; use an address or
	 * a name from /etc/hosts where that matters. */
	if (getaddrinfo(host, port, &hints, &res) != 0) {
		*errstr = "cannot resolve beanstalkd host";
		return -1;
	}
	/* Each address gets the whole timeout: a name may resolve to an
	 * unreachable address before a working one. */
	errno = 0;
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = bs_connect_one(ai, timeout_ms);
	if (fd == -1) {
		if (errno == ECONNREFUSED)
			*errstr = "connection refused";
		else if (errno == ETIMEDOUT)
			*errstr = "connect timed out";
		else if (errno == ENETUNREACH || errno == EHOSTUNREACH)
			*errstr = "beanstalkd host unreachable";
		else
			*errstr = "cannot connect to beanstalkd";
	}
	freeaddrinfo(res);
	return fd;
}

/* Sends all of iov, waiting at most timeout_ms each time the socket
 * buffer is full.  MSG_NOSIGNAL: a closed peer gives EPIPE, no signal. */
static int
bs_send(int fd, struct iovec *iov, int iovcnt, int timeout_ms,
    const char **errstr)
{
	struct msghdr mh;
	ssize_t w;
	size_t done;

	while (iovcnt > 0) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)iovcnt;
		w = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				*errstr = "send to beanstalkd failed";
				return -1;
			}
			if (bs_wait(fd, POLLOUT,
			        mono_ms() + (uint64_t)timeout_ms,
			        errstr) == -1) {
				if (errno == ETIMEDOUT)
					*errstr = "timed out sending";
				return -1;
			}
			continue;
		}
		/* Drop what was sent from the front of the vector. */
		for (done = (size_t)w; iovcnt > 0 && done >= iov->iov_len;
		     iov++, iovcnt--)
			done -= iov->iov_len;
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return 0;
}

/*
 * Reads one reply line (with its CRLF) into line[BS_REPLY_MAX]; the whole
 * line must arrive within timeout_ms.  Bytes after the CRLF mean the
 * server sent something unasked: an error when exact is set.
 */
static int
bs_read_line(int fd, char *line, size_t *lenp, int timeout_ms, int exact,
    const char **errstr)
{
	uint64_t deadline = mono_ms() + (uint64_t)timeout_ms;
	size_t len = 0, i;
	ssize_t r;

	for (;;) {
		if (len == BS_REPLY_MAX) {
			*errstr = "reply line from beanstalkd too long";
			return -1;
		}
		if (bs_wait(fd, POLLIN, deadline, errstr) == -1) {
			if (errno == ETIMEDOUT)
				*errstr = "timed out waiting for beanstalkd";
			return -1;
		}
		r = recv(fd, line + len, BS_REPLY_MAX - len, 0);
		if (r == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			*errstr = "receive from beanstalkd failed";
			return -1;
		}
		if (r == 0) {
			*errstr = "connection closed by beanstalkd";
			return -1;
		}
		/* Search from one byte back: the CR may have come last time. */
		for (i = len > 0 ? len - 1 : 0; i + 1 < len + (size_t)r; i++)
			if (line[i] == '\r' && line[i + 1] == '\n')
				break;
		len += (size_t)r;
		if (i + 1 < len) {
			if (exact && i + 2 != len) {
				*errstr = "unexpected data after reply";
				return -1;
			}
			*lenp = i + 2;
			return 0;
		}
	}
}

/* Static description of a reply that is not the one wanted. */
static const char *
bs_reply_err(enum bs_reply r)
{
	switch (r) {
	case BS_R_USING:
		return "unexpected USING reply";
	case BS_R_INSERTED:
		return "unexpected INSERTED reply";
	case BS_R_BURIED:
		return "job buried: beanstalkd out of memory";
	case BS_R_EXPECTED_CRLF:
		return "beanstalkd expected CRLF after the job body";
	case BS_R_JOB_TOO_BIG:
		return "job larger than beanstalkd's max-job-size";
	case BS_R_DRAINING:
		return "beanstalkd is draining and refuses new jobs";
	case BS_R_OUT_OF_MEMORY:
		return "beanstalkd out of memory";
	case BS_R_INTERNAL_ERROR:
		return "beanstalkd internal error";
	case BS_R_BAD_FORMAT:
		return "beanstalkd says bad format";
	case BS_R_UNKNOWN_COMMAND:
		return "beanstalkd says unknown command";
	case BS_R_INVALID:
		break;
	}
	return "invalid reply from beanstalkd";
}

/* Sends "use" and checks that the server now uses our tube. */
static int
bs_use(int fd, const char *tube, int timeout_ms, enum bs_reply *reply,
    const char **errstr)
{
	char cmd[BS_USE_LINE_MAX], line[BS_REPLY_MAX];
	struct iovec iov;
	size_t tl = strlen(tube), len;

	memcpy(cmd, "use ", 4);
	memcpy(cmd + 4, tube, tl);
	memcpy(cmd + 4 + tl, "\r\n", 2);
	iov.iov_base = cmd;
	iov.iov_len = 4 + tl + 2;
	if (bs_send(fd, &iov, 1, timeout_ms, errstr) == -1 ||
	    bs_read_line(fd, line, &len, timeout_ms, 1, errstr) == -1)
		return -1;
	*reply = bs_parse_reply(line, len, NULL);
	if (*reply != BS_R_USING) {
		*errstr = bs_reply_err(*reply);
		return -1;
	}
	/* "USING " + tube + CRLF, and nothing else. */
	if (len != 6 + tl + 2 || memcmp(line + 6, tube, tl) != 0) {
		*errstr = "beanstalkd uses another tube";
		return -1;
	}
	return 0;
}

int
bs_put(const struct bs_put_args *a, const char *body, size_t n, uint64_t *id,
    enum bs_reply *reply, const char **errstr)
{
	char cmd[BS_PUT_LINE_MAX], line[BS_REPLY_MAX];
	struct iovec iov[3];
	size_t len;
	int fd, rc = -1, saved;

	*id = 0;
	*reply = BS_R_INVALID;
	*errstr = NULL;
	/* Everything is checked before any I/O. */
	if (a == NULL || !bs_tube_valid(a->tube)) {
		*errstr = "invalid beanstalkd tube name";
		return -1;
	}
	if (a->timeout_ms <= 0) {
		*errstr = "invalid beanstalkd timeout";
		return -1;
	}
	if (body == NULL && n > 0) {
		*errstr = "no job body";
		return -1;
	}
	if (n > BS_JOB_HARD_MAX) {
		*errstr = "job larger than any beanstalkd accepts";
		return -1;
	}
	if ((fd = bs_connect(a->addr, a->timeout_ms, errstr)) == -1)
		return -1;
	if (bs_use(fd, a->tube, a->timeout_ms, reply, errstr) == -1)
		goto out;
	/* From here a failure without a reply line is BS_R_INVALID. */
	*reply = BS_R_INVALID;

	/* Command, body and CRLF go out together (brief §2): a server that
	 * sees the command alone may reply before the body arrives. */
	len = (size_t)snprintf(cmd, sizeof(cmd),
	    "put %" PRIu32 " %" PRIu32 " %" PRIu32 " %zu\r\n", a->priority,
	    a->delay, a->ttr, n);
	iov[0].iov_base = cmd;
	iov[0].iov_len = len;
	iov[1].iov_base = (void *)(uintptr_t)body; /* not written to */
	iov[1].iov_len = n;
	iov[2].iov_base = (void *)(uintptr_t) "\r\n";
	iov[2].iov_len = 2;
	if (bs_send(fd, iov, 3, a->timeout_ms, errstr) == -1)
		goto out;
	/* After BAD_FORMAT the server parses the body as commands and may
	 * reply again; only the first line counts, the rest is dropped with
	 * the connection. */
	if (bs_read_line(fd, line, &len, a->timeout_ms, 0, errstr) == -1)
		goto out;
	*reply = bs_parse_reply(line, len, id);
	if (*reply == BS_R_INSERTED) {
		*errstr = "job inserted";
		rc = 0;
	} else
		*errstr = bs_reply_err(*reply);
out:
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
bs_check(const struct bs_put_args *a, const char **errstr)
{
	enum bs_reply reply;
	int fd, rc;

	if (a == NULL || !bs_tube_valid(a->tube) || a->timeout_ms <= 0) {
		*errstr = "invalid beanstalkd settings";
		return -1;
	}
	if ((fd = bs_connect(a->addr, a->timeout_ms, errstr)) == -1)
		return -1;
	rc = bs_use(fd, a->tube, a->timeout_ms, &reply, errstr);
	close(fd);
	if (rc == 0)
		*errstr = "tube in use";
	return rc;
}
