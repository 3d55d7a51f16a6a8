/* fcgi-load.c: a FastCGI client that sends requests and counts the answers */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netdb.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: fcgi-load [-akv] [-c CONNECTIONS] [-n REQUESTS] [-t SECONDS]
 *                  [-d DIR] [-H SECONDS] ADDRESS KINDS
 *
 * Speaks FastCGI as a web server does (nginx's defaults): one new
 * connection per request, FCGI_BEGIN_REQUEST for the responder role
 * without FCGI_KEEP_CONN, the parameters as name-value pairs in
 * FCGI_PARAMS records and an empty one, the body in FCGI_STDIN records
 * and an empty one; then it reads FCGI_STDOUT, FCGI_STDERR and
 * FCGI_END_REQUEST until the application closes the connection.  Every
 * record is checked; the Status: header of the response is counted.
 * With -k (nginx's fastcgi_keep_conn on) FCGI_KEEP_CONN is set and each
 * connection carries request after request; the answer ends with
 * FCGI_END_REQUEST, and nothing may follow it; -H keeps each connection
 * open, idle, for SECONDS after its last request, as a web server's pool
 * of kept connections does.  With -a every request is
 * abandoned: the client sends its first bytes (0, 1, 2, ... up to all of
 * them, in turn, as requests go by) and closes without reading; these
 * count as status 0 and only failures to connect are errors.
 *
 * ADDRESS is unix:/path, /path, host:port or [v6]:port.  REQUESTS
 * (default: one per kind) cycle through the kinds in file order;
 * CONNECTIONS (default 1) requests are in flight at once.
 *
 * KINDS holds one request kind per line; '#' lines and blank lines are
 * skipped.  Fields are separated by one or more TABs:
 *
 *   EXPECT  METHOD  PATH  AUTHORIZATION  BODY  [PARAM ...]
 *
 *   EXPECT         the statuses the answer may have, comma-separated
 *                  (200,409), or * for any
 *   METHOD         REQUEST_METHOD
 *   PATH           PATH_INFO, and QUERY_STRING after the first '?'
 *   AUTHORIZATION  HTTP_AUTHORIZATION
 *   BODY           the body; CONTENT_LENGTH is its length and
 *                  CONTENT_TYPE application/json
 *   PARAM          NAME=VALUE adds a parameter or replaces a default one
 *                  (CONTENT_LENGTH=5 lies about the body); -NAME leaves
 *                  the default NAME out
 *
 * A field that is just "-" is absent (no header, no body, no query); one
 * that is just "\E" is present and empty.  Escapes in every field, with
 * the meaning printf's %b gives them: \\ \t \n \r and \xHH (exactly two
 * hex digits; \x00 sends a NUL byte).
 *
 * Output: with -v a line per request, "req SEQ KIND STATUS MICROSECONDS"
 * (STATUS 0: no valid CGI response; -1: a protocol or connection error);
 * then a summary: totals, latency percentiles, the statuses per kind.
 * With -d DIR the response stream of request SEQ is written to
 * DIR/SEQ.out, and what the application wrote to FCGI_STDERR to
 * DIR/SEQ.err.
 *
 * Exit status: 0 when every answer had an expected status, 1 when some
 * had not, 3 on any protocol or connection error, 2 for usage errors.
 */

#define FCGI_VERSION_1 1
#define FCGI_BEGIN_REQUEST 1
#define FCGI_END_REQUEST 3
#define FCGI_PARAMS 4
#define FCGI_STDIN 5
#define FCGI_STDOUT 6
#define FCGI_STDERR 7
#define FCGI_RESPONDER 1
#define FCGI_KEEP_CONN 1
#define FCGI_REQUEST_COMPLETE 0
#define FCGI_HEADER_LEN 8
/* The one request id on each connection (no multiplexing). */
#define REQUEST_ID 1
/* Content per record; nginx sends at most 32 KiB of body per record
 * too, and anything up to 65535 is valid. */
#define CHUNK 32768
/* The largest response accepted: the deployer's are small JSON
 * documents; a larger one is a runaway. */
#define RESPONSE_MAX (4 * 1024 * 1024)
/* Room made for each read: a record is at most 8 + 65535 + 255 bytes. */
#define READ_ROOM 65536
/* What of FCGI_STDERR is kept (for -d and diagnostics). */
#define STDERR_MAX (64 * 1024)
/* Statuses are three digits; 0 and -1 are ours (see above). */
#define STATUS_SLOTS 1000
/* Failures described on stderr; the rest are only counted. */
#define REPORT_MAX 10

struct kind {
	char *label;		/* "METHOD PATH", printable, for messages */
	unsigned char *wire;	/* the whole request, all records */
	size_t wirelen;
	int any;		/* EXPECT was "*" */
	unsigned char expect[STATUS_SLOTS]; /* 1: this status is fine */
	uint64_t count[STATUS_SLOTS];	/* answers with each status */
	uint64_t errors;	/* protocol or connection errors */
};

/* A byte string from the kinds file (may hold NULs). */
struct str {
	char *p;
	size_t n;
	int present;
};

/* A growable byte buffer with a hard maximum. */
struct bytes {
	unsigned char *p;
	size_t n, cap, max;
};

static struct kind *kinds;
static size_t nkinds;
static uint64_t nrequests;
static uint64_t next_seq;	/* the next request to send (atomic) */
static uint32_t *latency_us;	/* per request */
static int verbose;
static int keep_conn;		/* -k: FCGI_KEEP_CONN, one connection each */
static int abort_mode;		/* -a: send part of each request, then go */
static unsigned hold_s;		/* -H: keep a kept connection open this long */
static uint64_t reopened;	/* kept connections the application closed */
static const char *dump_dir;
static int timeout_ms = 60000;

/* Where to connect, resolved once. */
static struct sockaddr_storage peer;
static socklen_t peerlen;

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned reported;
static uint64_t total_unexpected, total_errors;

static void
usage(void)
{
	fprintf(stderr, "usage: fcgi-load [-akv] [-c CONNECTIONS] "
	    "[-n REQUESTS] [-t SECONDS] [-d DIR] [-H SECONDS] ADDRESS "
	    "KINDS\n");
	exit(2);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		perror("fcgi-load");
		exit(3);
	}
	return p;
}

/* Appends n bytes; -1 when that would pass b->max. */
static int
bytes_add(struct bytes *b, const void *p, size_t n)
{
	size_t cap;

	if (n == 0)
		return 0;	/* p may be NULL then */
	if (n > b->max - b->n)
		return -1;
	if (b->n + n > b->cap) {
		for (cap = b->cap ? b->cap : 256; cap < b->n + n; cap *= 2)
			;
		if (cap > b->max)
			cap = b->max;
		if ((b->p = realloc(b->p, cap)) == NULL) {
			perror("fcgi-load");
			exit(3);
		}
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	return 0;
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' ||
		    v > (max - (unsigned)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one field (n bytes at s) into out; -1 on a bad escape. */
static int
unescape(const char *s, size_t n, struct str *out)
{
	size_t i, o = 0;

	out->present = 1;
	out->p = xmalloc(n + 1);
	if (n == 1 && s[0] == '-') {
		out->present = 0;
		out->n = 0;
		out->p[0] = '\0';
		return 0;
	}
	if (n == 2 && s[0] == '\\' && s[1] == 'E') {
		out->n = 0;
		out->p[0] = '\0';
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out->p[o++] = s[i];
			continue;
		}
		if (++i == n)
			return -1;
		switch (s[i]) {
		case '\\':
			out->p[o++] = '\\';
			break;
		case 't':
			out->p[o++] = '\t';
			break;
		case 'n':
			out->p[o++] = '\n';
			break;
		case 'r':
			out->p[o++] = '\r';
			break;
		case 'x':
			if (i + 2 >= n || hexval(s[i + 1]) < 0 ||
			    hexval(s[i + 2]) < 0)
				return -1;
			out->p[o++] = (char)(hexval(s[i + 1]) * 16 +
			    hexval(s[i + 2]));
			i += 2;
			break;
		default:
			return -1;
		}
	}
	out->n = o;
	out->p[o] = '\0';
	return 0;
}

/* A printable rendering of n bytes, at most max characters. */
static char *
printable(const char *s, size_t n, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	char *out = xmalloc(max + 4);
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 <= max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* One name-value pair in FastCGI's length encoding (1 byte below 128,
 * else 4 bytes with the top bit set). */
static void
add_pair(struct bytes *b, const char *name, size_t nl, const char *val,
    size_t vl)
{
	unsigned char len[8];
	size_t k = 0, i, v[2] = {nl, vl};

	for (i = 0; i < 2; i++) {
		if (v[i] < 128) {
			len[k++] = (unsigned char)v[i];
		} else {
			len[k++] = (unsigned char)(0x80 |
			    ((v[i] >> 24) & 0x7f));
			len[k++] = (unsigned char)(v[i] >> 16);
			len[k++] = (unsigned char)(v[i] >> 8);
			len[k++] = (unsigned char)v[i];
		}
	}
	if (bytes_add(b, len, k) == -1 || bytes_add(b, name, nl) == -1 ||
	    bytes_add(b, val, vl) == -1) {
		fprintf(stderr, "fcgi-load: parameters too large\n");
		exit(2);
	}
}

/* One record; content may be empty.  Padded to a multiple of 8 bytes,
 * as nginx and libfcgi do. */
static void
add_record(struct bytes *w, int type, const unsigned char *p, size_t n)
{
	static const unsigned char zeros[8];
	unsigned char h[FCGI_HEADER_LEN];
	size_t pad = (8 - n % 8) % 8;

	h[0] = FCGI_VERSION_1;
	h[1] = (unsigned char)type;
	h[2] = REQUEST_ID >> 8;
	h[3] = REQUEST_ID & 0xff;
	h[4] = (unsigned char)(n >> 8);
	h[5] = (unsigned char)n;
	h[6] = (unsigned char)pad;
	h[7] = 0;
	if (bytes_add(w, h, sizeof(h)) == -1 || bytes_add(w, p, n) == -1 ||
	    bytes_add(w, zeros, pad) == -1) {
		fprintf(stderr, "fcgi-load: request too large\n");
		exit(2);
	}
}

/* A stream (PARAMS or STDIN): the data in records of at most CHUNK
 * bytes, then the empty record that ends it. */
static void
add_stream(struct bytes *w, int type, const unsigned char *p, size_t n)
{
	size_t off, len;

	for (off = 0; off < n; off += len) {
		len = n - off < CHUNK ? n - off : CHUNK;
		add_record(w, type, p + off, len);
	}
	add_record(w, type, NULL, 0);
}

struct param {
	char *name;
	struct str val;
};

static void
set_param(struct param *ps, size_t *np, const char *name, size_t nl,
    const char *val, size_t vl, int present)
{
	size_t i;

	for (i = 0; i < *np; i++)
		if (strlen(ps[i].name) == nl &&
		    memcmp(ps[i].name, name, nl) == 0)
			break;
	if (i == *np) {
		char *copy = xmalloc(nl + 1);

		memcpy(copy, name, nl);
		copy[nl] = '\0';
		ps[i].name = copy;
		(*np)++;
	} else {
		free(ps[i].val.p);	/* a PARAM replaces a default */
	}
	ps[i].val.p = xmalloc(vl + 1);
	memcpy(ps[i].val.p, val, vl);
	ps[i].val.p[vl] = '\0';
	ps[i].val.n = vl;
	ps[i].val.present = present;
}

static int
parse_expect(struct kind *k, const char *s)
{
	unsigned long v;
	char num[8];
	size_t n;

	if (strcmp(s, "*") == 0) {
		k->any = 1;
		return 0;
	}
	while (*s != '\0') {
		n = strcspn(s, ",");
		if (n == 0 || n >= sizeof(num))
			return -1;
		memcpy(num, s, n);
		num[n] = '\0';
		if (parse_uint(num, STATUS_SLOTS - 1, &v) == -1)
			return -1;
		k->expect[v] = 1;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* Builds the wire bytes of one kind from a line's fields. */
static int
build_kind(struct kind *k, char **f, size_t nf, const char *where)
{
	/* The defaults plus every PARAM column. */
	struct param *ps = xmalloc(sizeof(*ps) * (16 + nf));
	struct str method, path, auth, body, extra;
	struct bytes pb = {NULL, 0, 0, SIZE_MAX}, w = {NULL, 0, 0, SIZE_MAX};
	unsigned char begin[8] = {0, FCGI_RESPONDER, 0, 0, 0, 0, 0, 0};
	char clen[32];
	const char *q;
	size_t np = 0, i, pl;

	memset(k, 0, sizeof(*k));
	if (parse_expect(k, f[0]) == -1) {
		fprintf(stderr, "fcgi-load: %s: bad EXPECT '%s'\n", where,
		    f[0]);
		return -1;
	}
	if (unescape(f[1], strlen(f[1]), &method) == -1 ||
	    unescape(f[2], strlen(f[2]), &path) == -1 ||
	    unescape(f[3], strlen(f[3]), &auth) == -1 ||
	    unescape(f[4], strlen(f[4]), &body) == -1) {
		fprintf(stderr, "fcgi-load: %s: bad escape\n", where);
		return -1;
	}
	q = path.present ? memchr(path.p, '?', path.n) : NULL;
	pl = q ? (size_t)(q - path.p) : path.n;
	snprintf(clen, sizeof(clen), "%zu", body.n);

	/* What nginx's fastcgi_params sends, in its order. */
	set_param(ps, &np, "QUERY_STRING", 12, q ? q + 1 : "",
	    q ? path.n - pl - 1 : 0, 1);
	set_param(ps, &np, "REQUEST_METHOD", 14, method.p, method.n,
	    method.present);
	set_param(ps, &np, "CONTENT_TYPE", 12, "application/json",
	    body.present ? 16 : 0, 1);
	set_param(ps, &np, "CONTENT_LENGTH", 14, clen,
	    body.present ? strlen(clen) : 0, 1);
	set_param(ps, &np, "SCRIPT_NAME", 11, "/deployer", 9, 1);
	set_param(ps, &np, "PATH_INFO", 9, path.p, pl, path.present);
	set_param(ps, &np, "REQUEST_URI", 11, path.p, path.n, path.present);
	set_param(ps, &np, "SERVER_PROTOCOL", 15, "HTTP/1.1", 8, 1);
	set_param(ps, &np, "GATEWAY_INTERFACE", 17, "CGI/1.1", 7, 1);
	set_param(ps, &np, "SERVER_SOFTWARE", 15, "fcgi-load", 9, 1);
	set_param(ps, &np, "REMOTE_ADDR", 11, "127.0.0.1", 9, 1);
	set_param(ps, &np, "REMOTE_PORT", 11, "40000", 5, 1);
	set_param(ps, &np, "SERVER_ADDR", 11, "127.0.0.1", 9, 1);
	set_param(ps, &np, "SERVER_PORT", 11, "80", 2, 1);
	set_param(ps, &np, "SERVER_NAME", 11, "localhost", 9, 1);
	set_param(ps, &np, "HTTP_HOST", 9, "localhost", 9, 1);
	set_param(ps, &np, "HTTP_AUTHORIZATION", 18, auth.p, auth.n,
	    auth.present);
	for (i = 5; i < nf; i++) {
		const char *eq;

		if (unescape(f[i], strlen(f[i]), &extra) == -1 ||
		    !extra.present) {
			fprintf(stderr, "fcgi-load: %s: bad PARAM '%s'\n",
			    where, f[i]);
			return -1;
		}
		if (extra.p[0] == '-') {
			set_param(ps, &np, extra.p + 1, strlen(extra.p + 1), "",
			    0, 0);
		} else if ((eq = memchr(extra.p, '=', extra.n)) != NULL) {
			set_param(ps, &np, extra.p, (size_t)(eq - extra.p),
			    eq + 1, extra.n - (size_t)(eq - extra.p) - 1, 1);
		} else {
			fprintf(stderr, "fcgi-load: %s: PARAM without '=': "
			    "'%s'\n", where, f[i]);
			return -1;
		}
		free(extra.p);
	}
	for (i = 0; i < np; i++)
		if (ps[i].val.present)
			add_pair(&pb, ps[i].name, strlen(ps[i].name),
			    ps[i].val.p, ps[i].val.n);

	begin[2] = keep_conn ? FCGI_KEEP_CONN : 0;
	add_record(&w, FCGI_BEGIN_REQUEST, begin, sizeof(begin));
	add_stream(&w, FCGI_PARAMS, pb.p, pb.n);
	add_stream(&w, FCGI_STDIN, (unsigned char *)body.p, body.n);
	k->wire = w.p;
	k->wirelen = w.n;
	{
		char *m = printable(method.p, method.n, 24);
		char *p = printable(path.p, path.n, 60);
		size_t n = strlen(m) + strlen(p) + 2;

		k->label = xmalloc(n);
		snprintf(k->label, n, "%s %s", m, p);
		free(m);
		free(p);
	}
	for (i = 0; i < np; i++) {
		free(ps[i].name);
		free(ps[i].val.p);
	}
	free(ps);
	free(pb.p);
	free(method.p);
	free(path.p);
	free(auth.p);
	free(body.p);
	return 0;
}

static void
load_kinds(const char *file)
{
	FILE *fp;
	char *line = NULL, **f = NULL, where[300];
	size_t cap = 0, fcap = 0, kcap = 0, lineno = 0;
	ssize_t len;

	if ((fp = fopen(file, "re")) == NULL) {
		perror(file);
		exit(2);
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		size_t nf = 0;
		char *p = line;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		/* Fields: runs of non-TAB bytes. */
		while (*p != '\0') {
			p += strspn(p, "\t");
			if (*p == '\0')
				break;
			if (nf == fcap) {
				fcap = fcap ? fcap * 2 : 16;
				if ((f = realloc(f, fcap * sizeof(*f))) == NULL)
					exit(3);
			}
			f[nf++] = p;
			p += strcspn(p, "\t");
			if (*p != '\0')
				*p++ = '\0';
		}
		snprintf(where, sizeof(where), "%s:%zu", file, lineno);
		if (nf < 5) {
			fprintf(stderr, "fcgi-load: %s: expected EXPECT METHOD "
			    "PATH AUTHORIZATION BODY [PARAM...]\n", where);
			exit(2);
		}
		if (nkinds == kcap) {
			kcap = kcap ? kcap * 2 : 16;
			if ((kinds = realloc(kinds, kcap * sizeof(*kinds))) ==
			    NULL)
				exit(3);
		}
		if (build_kind(&kinds[nkinds], f, nf, where) == -1)
			exit(2);
		nkinds++;
	}
	free(line);
	free(f);
	fclose(fp);
	if (nkinds == 0) {
		fprintf(stderr, "fcgi-load: %s: no request kinds\n", file);
		exit(2);
	}
}

static void
resolve(const char *addr)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&peer;
	struct addrinfo hints, *res;
	char host[256];
	const char *port, *h = addr;
	size_t hl;
	int rc;

	memset(&peer, 0, sizeof(peer));
	if (strncmp(addr, "unix:", 5) == 0 || addr[0] == '/') {
		const char *path = addr[0] == '/' ? addr : addr + 5;

		if (strlen(path) >= sizeof(sun->sun_path)) {
			fprintf(stderr, "fcgi-load: socket path too long\n");
			exit(2);
		}
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, path, strlen(path) + 1);
		peerlen = sizeof(*sun);
		return;
	}
	if (addr[0] == '[') {
		const char *e = strchr(addr, ']');

		if (e == NULL || e[1] != ':')
			usage();
		h = addr + 1;
		hl = (size_t)(e - h);
		port = e + 2;
	} else {
		const char *c = strrchr(addr, ':');

		if (c == NULL)
			usage();
		hl = (size_t)(c - addr);
		port = c + 1;
	}
	if (hl >= sizeof(host))
		usage();
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "fcgi-load: %s: %s\n", addr, gai_strerror(rc));
		exit(2);
	}
	memcpy(&peer, res->ai_addr, res->ai_addrlen);
	peerlen = res->ai_addrlen;
	freeaddrinfo(res);
}

/* Waits for events on fd until the deadline; 0 when it timed out. */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = {fd, events, 0};
	uint64_t now;
	int rc;

	for (;;) {
		now = now_us();
		if (now >= deadline)
			return 0;
		rc = poll(&p, 1, (int)((deadline - now + 999) / 1000));
		if (rc == -1 && errno == EINTR)
			continue;
		return rc == -1 ? -1 : rc > 0 ? p.revents : 0;
	}
}

/* 1 when fd has something to read (or an EOF) right now. */
static int
readable_now(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) > 0;
}

static int
connect_peer(uint64_t deadline, const char **why)
{
	int fd, err;
	socklen_t el = sizeof(err);

	for (;;) {
		fd = socket(peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1) {
			*why = strerror(errno);
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&peer, peerlen) == 0)
			return fd;
		if (errno == EINPROGRESS) {
			if (wait_fd(fd, POLLOUT, deadline) <= 0) {
				*why = "connect timed out";
				close(fd);
				return -1;
			}
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) ==
			    -1 || err != 0) {
				*why = strerror(err ? err : errno);
				close(fd);
				return -1;
			}
			return fd;
		}
		/* A full backlog on a unix socket: EAGAIN, try again. */
		if (errno != EAGAIN && errno != EINTR) {
			*why = strerror(errno);
			close(fd);
			return -1;
		}
		close(fd);
		if (now_us() >= deadline) {
			*why = "connect timed out (backlog full)";
			return -1;
		}
		usleep(1000);
	}
}

/* What one request produced. */
struct answer {
	struct bytes out;	/* FCGI_STDOUT */
	struct bytes err;	/* FCGI_STDERR (truncated) */
	int ended;		/* FCGI_END_REQUEST seen */
	const char *why;	/* protocol or connection error */
};

/* Consumes the complete records at the front of in; -1 on a protocol
 * error (a->why set). */
static int
parse_records(struct bytes *in, struct answer *a)
{
	size_t off = 0;

	while (in->n - off >= FCGI_HEADER_LEN) {
		const unsigned char *h = in->p + off;
		size_t clen = (size_t)h[4] << 8 | h[5], plen = h[6];
		const unsigned char *c = h + FCGI_HEADER_LEN;

		if (h[0] != FCGI_VERSION_1) {
			a->why = "record with a version other than 1";
			return -1;
		}
		if (in->n - off < FCGI_HEADER_LEN + clen + plen)
			break;
		if (a->ended) {
			a->why = "data after FCGI_END_REQUEST";
			return -1;
		}
		if (((unsigned)h[2] << 8 | h[3]) != REQUEST_ID) {
			a->why = "record for another request id";
			return -1;
		}
		switch (h[1]) {
		case FCGI_STDOUT:
			if (bytes_add(&a->out, c, clen) == -1) {
				a->why = "response larger than 4 MiB";
				return -1;
			}
			break;
		case FCGI_STDERR:
			if (clen > a->err.max - a->err.n)
				clen = a->err.max - a->err.n;
			bytes_add(&a->err, c, clen);
			break;
		case FCGI_END_REQUEST:
			if (clen != 8) {
				a->why = "FCGI_END_REQUEST of the wrong size";
				return -1;
			}
			if (c[4] != FCGI_REQUEST_COMPLETE) {
				a->why = "FCGI_END_REQUEST with a protocol "
				    "status other than REQUEST_COMPLETE";
				return -1;
			}
			a->ended = 1;
			break;
		default:
			a->why = "unexpected record type";
			return -1;
		}
		off += FCGI_HEADER_LEN + clen + plen;
	}
	memmove(in->p, in->p + off, in->n - off);
	in->n -= off;
	return 0;
}

/*
 * Sends one request and reads the answer.  Writing and reading overlap:
 * an application may answer (413, say) before it has read the body.
 * Without -k it then closes, and the rest of the body is not sent, which
 * is no error; with -k the whole body is sent (the application must skip
 * what it did not read) and the connection is kept in *kept for the
 * next request, unless the application closed it.
 */
static int
exchange(const struct kind *k, int *kept, struct bytes *in,
    struct answer *a)
{
	uint64_t deadline = now_us() + (uint64_t)timeout_ms * 1000u;
	size_t sent = 0;
	int fd = *kept, writing = 1, open = 1, rc = -1, reused = fd != -1;
	size_t got = 0;

	*kept = -1;
	in->n = 0;
	if (fd != -1 && readable_now(fd)) {
		char c;
		ssize_t r = recv(fd, &c, 1, MSG_PEEK);

		close(fd);
		fd = -1;
		if (r > 0) {
			a->why = "data on a kept connection between requests";
			return -1;
		}
		/* Closed by the application since: allowed. */
		__atomic_fetch_add(&reopened, 1, __ATOMIC_RELAXED);
		reused = 0;
	}
	if (fd == -1 && (fd = connect_peer(deadline, &a->why)) == -1)
		return -1;
	for (;;) {
		int ev;
		ssize_t r;

		if (keep_conn && a->ended && !writing) {
			if (in->n != 0) {
				a->why = "data after FCGI_END_REQUEST";
				goto out;
			}
			if (open) {
				*kept = fd;
				fd = -1;
			}
			rc = 0;
			goto out;
		}
		ev = wait_fd(fd, (short)(POLLIN | (writing ? POLLOUT : 0)),
		    deadline);
		if (ev == 0) {
			a->why = "timed out";
			goto out;
		}
		if (ev == -1) {
			a->why = strerror(errno);
			goto out;
		}
		if (writing && (ev & (POLLOUT | POLLERR))) {
			r = send(fd, k->wire + sent, k->wirelen - sent,
			    MSG_NOSIGNAL);
			if (r == -1 && errno != EAGAIN && errno != EINTR) {
				/* Closed early: read on. */
				writing = 0;
				open = 0;
			} else if (r > 0 &&
			    (sent += (size_t)r) == k->wirelen) {
				writing = 0;
			}
		}
		if (ev & (POLLIN | POLLHUP | POLLERR)) {
			/* parse_records leaves at most one partial
			 * record: the buffer stays small. */
			if (in->cap - in->n < READ_ROOM) {
				in->cap = in->n + READ_ROOM;
				if ((in->p = realloc(in->p, in->cap)) == NULL) {
					perror("fcgi-load");
					exit(3);
				}
			}
			r = recv(fd, in->p + in->n, in->cap - in->n, 0);
			/* A kept connection the application closed just as
			 * it was reused: send the request again on a new
			 * one, as a web server does, once. */
			if (reused && got == 0 && (r == 0 || (r == -1 &&
			    errno == ECONNRESET))) {
				close(fd);
				__atomic_fetch_add(&reopened, 1,
				    __ATOMIC_RELAXED);
				return exchange(k, kept, in, a);
			}
			if (r > 0)
				got += (size_t)r;
			if (r == -1) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				/* A reset after the answer is complete (TCP,
				 * unread body) loses nothing. */
				if (errno == ECONNRESET && a->ended) {
					rc = 0;
					goto out;
				}
				a->why = strerror(errno);
				goto out;
			}
			if (r == 0) {
				if (in->n != 0) {
					a->why = "connection closed inside a "
					    "record";
					goto out;
				}
				if (!a->ended) {
					a->why = "connection closed before "
					    "FCGI_END_REQUEST";
					goto out;
				}
				rc = 0;
				goto out;
			}
			in->n += (size_t)r;
			if (parse_records(in, a) == -1)
				goto out;
		}
	}
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/* The Status of a CGI response: 200 without one; 0 when the headers
 * are not a CGI response (no end, a line without a colon). */
static int
cgi_status(const struct bytes *out)
{
	const char *p = (const char *)out->p, *end = p + out->n, *nl;
	int status = 200;

	for (;;) {
		size_t len;

		if (p >= end || (nl = memchr(p, '\n', (size_t)(end - p))) ==
		    NULL)
			return 0;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0)
			return status;
		if (memchr(p, ':', len) == NULL)
			return 0;
		if (len >= 7 && strncasecmp(p, "Status:", 7) == 0) {
			const char *s = p + 7;

			while (*s == ' ')
				s++;
			if (s + 3 > p + len || s[0] < '1' || s[0] > '5' ||
			    s[1] < '0' || s[1] > '9' || s[2] < '0' ||
			    s[2] > '9')
				return 0;
			status = (s[0] - '0') * 100 + (s[1] - '0') * 10 +
			    (s[2] - '0');
		}
		p = nl + 1;
	}
}

static void
dump(uint64_t seq, const struct answer *a)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%llu.out", dump_dir,
	    (unsigned long long)seq);
	if ((fp = fopen(path, "we")) != NULL) {
		fwrite(a->out.p, 1, a->out.n, fp);
		fclose(fp);
	}
	if (a->err.n == 0)
		return;
	snprintf(path, sizeof(path), "%s/%llu.err", dump_dir,
	    (unsigned long long)seq);
	if ((fp = fopen(path, "we")) != NULL) {
		fwrite(a->err.p, 1, a->err.n, fp);
		fclose(fp);
	}
}

/*
 * -a: a client that goes away.  Sends the first cut bytes of the request
 * and closes the connection without reading anything; 0 when the
 * connection was made (whatever the application makes of it).
 */
static int
abandon(const struct kind *k, size_t cut, const char **why)
{
	uint64_t deadline = now_us() + (uint64_t)timeout_ms * 1000u;
	size_t sent = 0;
	ssize_t r;
	int fd;

	if ((fd = connect_peer(deadline, why)) == -1)
		return -1;
	while (sent < cut) {
		if (wait_fd(fd, POLLOUT, deadline) <= 0)
			break;
		r = send(fd, k->wire + sent, cut - sent, MSG_NOSIGNAL);
		if (r == -1 && errno != EAGAIN && errno != EINTR)
			break;	/* the application closed first */
		if (r > 0)
			sent += (size_t)r;
	}
	close(fd);
	return 0;
}

static void *
worker(void *arg)
{
	struct bytes in = {NULL, 0, 0, SIZE_MAX};
	struct answer a;
	uint64_t seq, t0, us;
	int kept = -1;

	(void)arg;
	memset(&a, 0, sizeof(a));
	a.out.max = RESPONSE_MAX;
	a.err.max = STDERR_MAX;
	while ((seq = __atomic_fetch_add(&next_seq, 1, __ATOMIC_RELAXED)) <
	    nrequests) {
		struct kind *k = &kinds[seq % nkinds];
		int status = -1, bad = 0;

		a.out.n = a.err.n = 0;
		a.ended = 0;
		a.why = NULL;
		t0 = now_us();
		if (abort_mode) {
			/* Every cut point in turn: 0 (connect, close) to the
			 * whole request (then close before the answer). */
			size_t cut = (size_t)(seq / nkinds % (k->wirelen + 1));

			if (abandon(k, cut, &a.why) == 0)
				status = 0;
		} else if (exchange(k, &kept, &in, &a) == 0) {
			status = cgi_status(&a.out);
		}
		us = now_us() - t0;
		latency_us[seq] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
		if (status == -1) {
			__atomic_fetch_add(&k->errors, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&total_errors, 1, __ATOMIC_RELAXED);
			bad = 1;
		} else {
			__atomic_fetch_add(&k->count[status], 1,
			    __ATOMIC_RELAXED);
			if (!abort_mode && !k->any && !k->expect[status]) {
				__atomic_fetch_add(&total_unexpected, 1,
				    __ATOMIC_RELAXED);
				bad = 1;
			}
		}
		if (verbose)
			printf("req %llu %zu %d %llu\n",
			    (unsigned long long)seq, (size_t)(k - kinds),
			    status, (unsigned long long)us);
		if (dump_dir != NULL)
			dump(seq, &a);
		if (bad) {
			pthread_mutex_lock(&report_lock);
			if (reported++ < REPORT_MAX) {
				char *body = printable((const char *)a.out.p,
				    a.out.n, 300);

				if (status == -1)
					fprintf(stderr, "fcgi-load: request "
					    "%llu (%s): %s\n",
					    (unsigned long long)seq, k->label,
					    a.why);
				else
					fprintf(stderr, "fcgi-load: request "
					    "%llu (%s): unexpected status "
					    "%d: %s\n",
					    (unsigned long long)seq, k->label,
					    status, body);
				free(body);
			}
			pthread_mutex_unlock(&report_lock);
		}
	}
	if (kept != -1) {
		/* -H: an idle connection in a web server's keepalive pool. */
		if (hold_s > 0)
			sleep(hold_s);
		close(kept);
	}
	free(in.p);
	free(a.out.p);
	free(a.err.p);
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
summary(double seconds)
{
	size_t i, s;

	printf("requests %llu unexpected %llu errors %llu seconds %.3f "
	    "rate %.1f\n", (unsigned long long)nrequests,
	    (unsigned long long)total_unexpected,
	    (unsigned long long)total_errors, seconds,
	    seconds > 0 ? (double)nrequests / seconds : 0.0);
	if (keep_conn)
		printf("kept connections closed by the application %llu\n",
		    (unsigned long long)reopened);
	qsort(latency_us, nrequests, sizeof(*latency_us), cmp_u32);
	printf("latency_us p50 %u p90 %u p99 %u max %u\n",
	    latency_us[nrequests / 2], latency_us[nrequests * 9 / 10],
	    latency_us[nrequests * 99 / 100], latency_us[nrequests - 1]);
	/* "kind N STATUS=COUNT... -- LABEL": the label (which may hold
	 * anything) last. */
	for (i = 0; i < nkinds; i++) {
		printf("kind %zu", i);
		for (s = 0; s < STATUS_SLOTS; s++)
			if (kinds[i].count[s] > 0)
				printf(" %zu=%llu", s,
				    (unsigned long long)kinds[i].count[s]);
		if (kinds[i].errors > 0)
			printf(" errors=%llu",
			    (unsigned long long)kinds[i].errors);
		printf(" -- %s\n", kinds[i].label);
	}
}

int
main(int argc, char *argv[])
{
	unsigned long conns = 1, n = 0, t;
	pthread_t *th;
	uint64_t t0;
	size_t i;
	int ch;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "ac:d:H:kn:t:v")) != -1) {
		switch (ch) {
		case 'a':
			abort_mode = 1;
			break;
		case 'c':
			if (parse_uint(optarg, 4096, &conns) == -1 ||
			    conns == 0)
				usage();
			break;
		case 'd':
			dump_dir = optarg;
			break;
		case 'H':
			if (parse_uint(optarg, 86400, &t) == -1)
				usage();
			hold_s = (unsigned)t;
			break;
		case 'k':
			keep_conn = 1;
			break;
		case 'n':
			if (parse_uint(optarg, 1000000000, &n) == -1 || n == 0)
				usage();
			break;
		case 't':
			if (parse_uint(optarg, 86400, &t) == -1 || t == 0)
				usage();
			timeout_ms = (int)t * 1000;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	resolve(argv[optind]);
	load_kinds(argv[optind + 1]);
	nrequests = n ? n : nkinds;
	latency_us = xmalloc(nrequests * sizeof(*latency_us));
	if (verbose)
		setvbuf(stdout, NULL, _IOLBF, 0);

	th = xmalloc(conns * sizeof(*th));
	t0 = now_us();
	for (i = 0; i < conns; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0) {
			fprintf(stderr, "fcgi-load: cannot start a thread\n");
			return 3;
		}
	for (i = 0; i < conns; i++)
		pthread_join(th[i], NULL);
	summary((double)(now_us() - t0) / 1e6);
	if (reported > REPORT_MAX)
		fprintf(stderr, "fcgi-load: ... %u failures in all\n",
		    reported);
	for (i = 0; i < nkinds; i++) {
		free(kinds[i].label);
		free(kinds[i].wire);
	}
	free(kinds);
	free(latency_us);
	free(th);
	return total_errors > 0 ? 3 : total_unexpected > 0 ? 1 : 0;
}
