/* test-beanstalk.c: unit tests for the beanstalkd producer */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "beanstalk.h"
#include "util.h"
#include "unit.h"
#include "../tap.h"

/*
 * bs_put runs against a real beanstalkd that this test starts, and
 * against small forked servers that send scripted replies.  Every child
 * is killed at exit (atexit), and also by the kernel if this process
 * dies first (PR_SET_PDEATHSIG), so no server outlives a failed run
 * (unit.c).
 */

/* beanstalkd -z: small, so JOB_TOO_BIG is cheap to provoke. */
#define MAX_JOB 100

/* s with CR, LF, tab and NUL shown as escapes, for test names; static. */
static const char *
vis(const char *s, size_t n)
{
	static char out[256];
	size_t i, o = 0;

	for (i = 0; i < n && o + 3 < sizeof(out); i++) {
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\t' ||
		    s[i] == '\0') {
			out[o++] = '\\';
			out[o++] = s[i] == '\r' ? 'r' : s[i] == '\n' ? 'n' :
			    s[i] == '\t' ? 't' : '0';
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/* scripted() modes */
#define SPLIT 1		/* send r2 in two writes 100 ms apart */
#define HANGUP 2	/* half-close after r2 */

/*
 * A one-connection server: accepts, waits for the "use" line and answers
 * r1, then waits for more data and answers r2 (if not NULL), then reads
 * to EOF and writes everything it received to the pipe wfd.
 */
static pid_t
scripted(int lfd, const char *r1, const char *r2, int mode, int wfd)
{
	char rx[4096];
	size_t len = 0;
	ssize_t r;
	pid_t pid;
	int cfd;

	if ((pid = spawn()) != 0)
		return pid;
	if ((cfd = accept(lfd, NULL, NULL)) == -1)
		_exit(1);
	while (len < sizeof(rx) - 1 && memmem(rx, len, "\r\n", 2) == NULL) {
		if ((r = read(cfd, rx + len, sizeof(rx) - 1 - len)) <= 0)
			_exit(1);
		len += (size_t)r;
	}
	if (r1 != NULL && write(cfd, r1, strlen(r1)) == -1)
		_exit(1);
	if (r2 != NULL) {
		if ((r = read(cfd, rx + len, sizeof(rx) - 1 - len)) <= 0)
			_exit(1);
		len += (size_t)r;
		usleep(50000);	/* let the whole put arrive first */
		if ((mode & SPLIT) && write(cfd, r2, strlen(r2) / 2) != -1) {
			usleep(100000);
			r2 += strlen(r2) / 2;
		}
		if (write(cfd, r2, strlen(r2)) == -1)
			_exit(1);
		if (mode & HANGUP)
			shutdown(cfd, SHUT_WR);
	}
	while (len < sizeof(rx) - 1 &&
	    (r = read(cfd, rx + len, sizeof(rx) - 1 - len)) > 0)
		len += (size_t)r;
	if (write(wfd, rx, len) == -1)
		_exit(1);
	_exit(0);
}

struct run {
	int rc;
	uint64_t id;
	enum bs_reply reply;
	const char *errstr;
	uint64_t ms;	/* how long bs_put took */
};

static void
put(const char *addr, const char *tube, const char *body, size_t n,
    int timeout_ms, struct run *out)
{
	struct bs_put_args a = { addr, tube, 10, 0, 60, timeout_ms };
	uint64_t t0 = mono_ms();

	out->rc = bs_put(&a, body, n, &out->id, &out->reply, &out->errstr);
	out->ms = mono_ms() - t0;
}

/* Runs one scripted exchange; received gets what the server saw. */
static void
script(const char *r1, const char *r2, int mode, struct run *out,
    char *received, size_t cap)
{
	char addr[32];
	int lfd, port, p[2];
	size_t len = 0;
	ssize_t r;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	out->rc = 99;
	received[0] = '\0';
	if ((lfd = listener(AF_INET, &port)) == -1 || pipe(p) == -1)
		return;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	pid = scripted(lfd, r1, r2, mode, p[1]);
	close(p[1]);
	close(lfd);
	if (pid > 0)
		put(addr, "t", "hello", 5, 1000, out);
	while (len + 1 < cap && (r = read(p[0], received + len,
	    cap - 1 - len)) > 0)
		len += (size_t)r;
	received[len] = '\0';
	close(p[0]);
	reap(pid, 0);
}

static void
test_parse(void)
{
	static const struct {
		const char *line;
		enum bs_reply want;
		uint64_t id;
	} t[] = {
		{ "INSERTED 1\r\n", BS_R_INSERTED, 1 },
		{ "INSERTED 42", BS_R_INSERTED, 42 },
		{ "INSERTED 18446744073709551615\r\n", BS_R_INSERTED,
		    UINT64_MAX },
		{ "INSERTED 18446744073709551616\r\n", BS_R_INVALID, 0 },
		{ "INSERTED 99999999999999999999999\r\n", BS_R_INVALID, 0 },
		{ "INSERTED\r\n", BS_R_INVALID, 0 },
		{ "INSERTED \r\n", BS_R_INVALID, 0 },
		{ "INSERTED  1\r\n", BS_R_INVALID, 0 },
		{ "INSERTED 1 \r\n", BS_R_INVALID, 0 },
		{ "INSERTED +1\r\n", BS_R_INVALID, 0 },
		{ "INSERTED -1\r\n", BS_R_INVALID, 0 },
		{ "INSERTED 0\r\n", BS_R_INVALID, 0 },
		{ "INSERTED 01\r\n", BS_R_INVALID, 0 },
		{ "INSERTED 0x1\r\n", BS_R_INVALID, 0 },
		{ "INSERTED 1\n", BS_R_INVALID, 0 },
		{ "INSERTED 1\r", BS_R_INVALID, 0 },
		{ "INSERTED 1\r\n\r\n", BS_R_INVALID, 0 },
		{ "INSERTED 1\r\nX", BS_R_INVALID, 0 },
		{ "INSERTED\t1\r\n", BS_R_INVALID, 0 },
		{ "inserted 1\r\n", BS_R_INVALID, 0 },
		{ "INSERTEDX 1\r\n", BS_R_INVALID, 0 },
		{ " INSERTED 1\r\n", BS_R_INVALID, 0 },
		{ "BURIED 7\r\n", BS_R_BURIED, 7 },
		{ "BURIED\r\n", BS_R_INVALID, 0 },
		{ "USING default\r\n", BS_R_USING, 0 },
		{ "USING a-b+c/d;e.f$g_h(i)\r\n", BS_R_USING, 0 },
		{ "USING\r\n", BS_R_INVALID, 0 },
		{ "USING \r\n", BS_R_INVALID, 0 },
		{ "USING a b\r\n", BS_R_INVALID, 0 },
		{ "USING  a\r\n", BS_R_INVALID, 0 },
		{ "EXPECTED_CRLF\r\n", BS_R_EXPECTED_CRLF, 0 },
		{ "JOB_TOO_BIG\r\n", BS_R_JOB_TOO_BIG, 0 },
		{ "DRAINING\r\n", BS_R_DRAINING, 0 },
		{ "DRAINING", BS_R_DRAINING, 0 },
		{ "OUT_OF_MEMORY\r\n", BS_R_OUT_OF_MEMORY, 0 },
		{ "INTERNAL_ERROR\r\n", BS_R_INTERNAL_ERROR, 0 },
		{ "BAD_FORMAT\r\n", BS_R_BAD_FORMAT, 0 },
		{ "UNKNOWN_COMMAND\r\n", BS_R_UNKNOWN_COMMAND, 0 },
		{ "DRAINING \r\n", BS_R_INVALID, 0 },
		{ "DRAINING 1\r\n", BS_R_INVALID, 0 },
		{ "DRAININGX\r\n", BS_R_INVALID, 0 },
		{ "DRAIN\r\n", BS_R_INVALID, 0 },
		{ "NOT_FOUND\r\n", BS_R_INVALID, 0 },
		{ "TIMED_OUT\r\n", BS_R_INVALID, 0 },
		{ "\r\n", BS_R_INVALID, 0 },
		{ "", BS_R_INVALID, 0 },
	};
	char big[BS_REPLY_MAX + 8], tube[BS_TUBE_MAX + 2];
	enum bs_reply r;
	uint64_t id;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		id = 12345;
		r = bs_parse_reply(t[i].line, strlen(t[i].line), &id);
		ok(r == t[i].want && id == t[i].id,
		    "parse '%s' -> %s id %" PRIu64,
		    vis(t[i].line, strlen(t[i].line)),
		    bs_reply_name(t[i].want), t[i].id);
		if (r != t[i].want || id != t[i].id)
			printf("#   got %s id %" PRIu64 "\n", bs_reply_name(r),
			    id);
	}
	ok(bs_parse_reply("INSERTED 1\0", 11, &id) == BS_R_INVALID,
	    "parse: NUL after the id is invalid");
	ok(bs_parse_reply("USING a\0b\r\n", 11, &id) == BS_R_INVALID,
	    "parse: NUL in a USING name is invalid");
	ok(bs_parse_reply("INSERTED 9\r\n", 12, NULL) == BS_R_INSERTED,
	    "parse: id pointer may be NULL");
	ok(bs_parse_reply(NULL, 0, &id) == BS_R_INVALID, "parse: NULL line");
	ok(bs_parse_reply("INSERTED 12", 10, &id) == BS_R_INSERTED &&
	    id == 1, "parse: reads only n bytes");

	memset(tube, 'a', sizeof(tube));
	memcpy(big, "USING ", 6);
	memcpy(big + 6, tube, BS_TUBE_MAX);
	memcpy(big + 6 + BS_TUBE_MAX, "\r\n", 2);
	ok(bs_parse_reply(big, 6 + BS_TUBE_MAX + 2, NULL) == BS_R_USING,
	    "parse: USING with a 200-byte tube");
	big[6 + BS_TUBE_MAX] = 'a';
	memcpy(big + 7 + BS_TUBE_MAX, "\r\n", 2);
	ok(bs_parse_reply(big, 6 + BS_TUBE_MAX + 3, NULL) == BS_R_INVALID,
	    "parse: USING with a 201-byte tube is invalid");
	memset(big, '1', sizeof(big));
	memcpy(big, "INSERTED ", 9);
	ok(bs_parse_reply(big, BS_REPLY_MAX + 1, &id) == BS_R_INVALID,
	    "parse: a line over BS_REPLY_MAX is invalid");

	is_str(bs_reply_name(BS_R_DRAINING), "DRAINING", "name of DRAINING");
	is_str(bs_reply_name(BS_R_UNKNOWN_COMMAND), "UNKNOWN_COMMAND",
	    "name of UNKNOWN_COMMAND");
	is_str(bs_reply_name(BS_R_INVALID), "INVALID", "name of INVALID");
	is_str(bs_reply_name((enum bs_reply)99), "INVALID",
	    "name of an out-of-range value");
}

static void
test_tube(void)
{
	char name[BS_TUBE_MAX + 2];

	ok(bs_tube_valid("default"), "tube: default");
	ok(bs_tube_valid("a-+/;.$_()Z9"), "tube: every punctuation allowed");
	ok(bs_tube_valid("x"), "tube: one byte");
	ok(bs_tube_valid("a-"), "tube: dash not first");
	ok(!bs_tube_valid("-x"), "tube: leading dash refused");
	ok(!bs_tube_valid(""), "tube: empty refused");
	ok(!bs_tube_valid(NULL), "tube: NULL refused");
	ok(!bs_tube_valid("a b"), "tube: space refused");
	ok(!bs_tube_valid("a*b"), "tube: * refused");
	ok(!bs_tube_valid("a\r\nput"), "tube: CRLF refused");
	ok(!bs_tube_valid("caf\xc3\xa9"), "tube: non-ASCII refused");
	memset(name, 'a', sizeof(name));
	name[BS_TUBE_MAX] = '\0';
	ok(bs_tube_valid(name), "tube: 200 bytes");
	name[BS_TUBE_MAX] = 'a';
	name[BS_TUBE_MAX + 1] = '\0';
	ok(!bs_tube_valid(name), "tube: 201 bytes refused");
}

/* bs_put refuses bad arguments before it connects. */
static void
test_put_args(void)
{
	static const char *const bad_addr[] = { "", "127.0.0.1",
		"127.0.0.1:", ":11300", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:+1", "127.0.0.1: 1", "127.0.0.1:0x10",
		"127.0.0.1:http", "127.0.0.1:1:2", "::1:11300", "[::1]",
		"[::1]11300", "[::1:11300", "[]:11300", "[::1]:",
		"[localhost]:11300", NULL };
	static const char *const bad_tube[] = { "", "-x", "a b", "a*b",
		"a\r\nput", NULL };
	struct bs_put_args a = { NULL, "t", 10, 0, 60, 1000 };
	char addr[64], longname[BS_TUBE_MAX + 2], host[300];
	struct pollfd pfd;
	struct run r;
	size_t i;
	int lfd, port;

	if ((lfd = listener(AF_INET, &port)) == -1) {
		ok(0, "listener for argument tests");
		return;
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	for (i = 0; bad_tube[i] != NULL; i++) {
		put(addr, bad_tube[i], "x", 1, 1000, &r);
		ok(r.rc == -1 && r.reply == BS_R_INVALID && r.errstr != NULL &&
		    strstr(r.errstr, "tube") != NULL,
		    "put: bad tube '%s' refused",
		    vis(bad_tube[i], strlen(bad_tube[i])));
	}
	put(addr, NULL, "x", 1, 1000, &r);
	ok(r.rc == -1 && r.errstr != NULL, "put: NULL tube refused");
	memset(longname, 'a', sizeof(longname));
	longname[BS_TUBE_MAX + 1] = '\0';
	put(addr, longname, "x", 1, 1000, &r);
	ok(r.rc == -1, "put: 201-byte tube refused");
	put(addr, "t", NULL, 1, 1000, &r);
	ok(r.rc == -1 && r.errstr != NULL, "put: NULL body with length");
	put(addr, "t", "x", 1, 0, &r);
	ok(r.rc == -1 && r.errstr != NULL, "put: zero timeout refused");
	put(addr, "t", "x", (size_t)1073741824 + 1, 1000, &r);
	ok(r.rc == -1 && r.errstr != NULL,
	    "put: body over beanstalkd's hard maximum refused");
	ok(bs_put(NULL, "x", 1, &r.id, &r.reply, &r.errstr) == -1,
	    "put: NULL args refused");
	pfd.fd = lfd;
	pfd.events = POLLIN;
	ok(poll(&pfd, 1, 100) == 0,
	    "put: nothing connected for invalid tubes or arguments");

	for (i = 0; bad_addr[i] != NULL; i++) {
		put(bad_addr[i], "t", "x", 1, 10000, &r);
		ok(r.rc == -1 && r.reply == BS_R_INVALID && r.errstr != NULL &&
		    r.ms < 5000, "put: bad address '%s' refused (%s)",
		    bad_addr[i], r.errstr ? r.errstr : "");
	}
	a.addr = NULL;
	ok(bs_put(&a, "x", 1, &r.id, &r.reply, &r.errstr) == -1,
	    "put: NULL address refused");
	memset(host, 'h', sizeof(host));
	memcpy(host + 280, ":11300", 7);
	put(host, "t", "x", 1, 1000, &r);
	ok(r.rc == -1, "put: 280-byte host refused");
	put("no-such-host.invalid:11300", "t", "x", 1, 1000, &r);
	ok(r.rc == -1 && r.errstr != NULL &&
	    strstr(r.errstr, "resolve") != NULL,
	    "put: unresolvable host (%s)", r.errstr ? r.errstr : "");
	close(lfd);
}

/* Failures that need no beanstalkd: refused, silent, and scripted. */
static void
test_put_network(void)
{
	char addr[64], rx[4096];
	struct pollfd pfd;
	struct run r;
	int lfd, port, cfd;

	/* Nothing listening: refused at once, not after the timeout. */
	port = free_port();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	put(addr, "t", "x", 1, 10000, &r);
	ok(r.rc == -1 && r.reply == BS_R_INVALID && r.ms < 5000 &&
	    r.errstr != NULL && strstr(r.errstr, "refused") != NULL,
	    "put: refused connection fails fast (%" PRIu64 " ms, %s)", r.ms,
	    r.errstr ? r.errstr : "");

	/* A listener that never accepts: the kernel completes the
	 * handshake, nobody answers "use". */
	lfd = listener(AF_INET, &port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	put(addr, "t", "x", 1, 300, &r);
	ok(r.rc == -1 && r.reply == BS_R_INVALID && r.errstr != NULL &&
	    strstr(r.errstr, "timed out") != NULL,
	    "put: silent server times out (%s)", r.errstr ? r.errstr : "");
	ok(r.ms >= 280 && r.ms < 5000,
	    "put: timeout honoured (%" PRIu64 " ms for 300)", r.ms);
	close(lfd);

	/* IPv6 literal in brackets, to a silent listener on ::1: the
	 * connection must arrive there. */
	if ((lfd = listener(AF_INET6, &port)) == -1) {
		ok(1, "# SKIP no IPv6 loopback");
	} else {
		snprintf(addr, sizeof(addr), "[::1]:%d", port);
		put(addr, "t", "x", 1, 300, &r);
		pfd.fd = lfd;
		pfd.events = POLLIN;
		cfd = poll(&pfd, 1, 0) == 1 ? accept(lfd, NULL, NULL) : -1;
		ok(r.rc == -1 && cfd != -1 && r.errstr != NULL &&
		    strstr(r.errstr, "timed out") != NULL,
		    "put: [::1]:port connects over IPv6");
		if (cfd != -1)
			close(cfd);
		close(lfd);
	}

	/* Scripted servers: every reply is mapped, and the bytes on the
	 * wire are exactly use + put + body + CRLF. */
	script("USING t\r\n", "INSERTED 5\r\n", 0, &r, rx, sizeof(rx));
	ok(r.rc == 0 && r.id == 5 && r.reply == BS_R_INSERTED,
	    "script: INSERTED");
	is_str(rx, "use t\r\nput 10 0 60 5\r\nhello\r\n",
	    "script: wire bytes are use, then put with body and CRLF");
	script("USING t\r\n", "INSERTED 18446744073709551615\r\n", 0, &r, rx,
	    sizeof(rx));
	ok(r.rc == 0 && r.id == UINT64_MAX, "script: id UINT64_MAX");
	script("USING t\r\n", "INSERTED 77\r\n", SPLIT, &r, rx, sizeof(rx));
	ok(r.rc == 0 && r.id == 77, "script: reply split across packets");
	script("USING t\r\n", "BURIED 7\r\n", 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.reply == BS_R_BURIED && r.id == 7 &&
	    strstr(r.errstr, "buried") != NULL, "script: BURIED keeps the id");
	script("USING t\r\n", "EXPECTED_CRLF\r\n", 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.reply == BS_R_EXPECTED_CRLF, "script: "
	    "EXPECTED_CRLF");
	script("USING t\r\n", "OUT_OF_MEMORY\r\n", 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.reply == BS_R_OUT_OF_MEMORY, "script: "
	    "OUT_OF_MEMORY");
	script("USING t\r\n", "INTERNAL_ERROR\r\n", 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.reply == BS_R_INTERNAL_ERROR, "script: "
	    "INTERNAL_ERROR");
	script("USING t\r\n", "BAD_FORMAT\r\nUNKNOWN_COMMAND\r\n", 0, &r, rx,
	    sizeof(rx));
	ok(r.rc == -1 && r.reply == BS_R_BAD_FORMAT,
	    "script: BAD_FORMAT, then the body's reply, is BAD_FORMAT");
	script("USING t\r\n", "UNKNOWN_COMMAND\r\n", 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.reply == BS_R_UNKNOWN_COMMAND, "script: "
	    "UNKNOWN_COMMAND");
	script("USING t\r\n", "USING t\r\n", 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.reply == BS_R_USING && r.errstr != NULL,
	    "script: USING after put is an error");
	script("USING t\r\n", "INSERTED\r\n", 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.reply == BS_R_INVALID, "script: INSERTED without "
	    "id is INVALID");
	script("USING t\r\n", "INSERTED 5", HANGUP, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.reply == BS_R_INVALID &&
	    strstr(r.errstr, "closed") != NULL,
	    "script: close before CRLF fails (%s)", r.errstr);
	script("BAD_FORMAT\r\n", NULL, 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.reply == BS_R_BAD_FORMAT && strcmp(rx,
	    "use t\r\n") == 0, "script: use refused, put never sent");
	script("USING other\r\n", NULL, 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.errstr != NULL && strstr(r.errstr, "another")
	    != NULL && strcmp(rx, "use t\r\n") == 0,
	    "script: USING another tube, put never sent");
	script("USING tt\r\n", NULL, 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && strcmp(rx, "use t\r\n") == 0,
	    "script: USING a longer name is another tube");
	script("DRAINING\r\n", NULL, 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.reply == BS_R_DRAINING, "script: reply to use is "
	    "mapped");
	script("USING t\r\nINSERTED 1\r\n", NULL, 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.errstr != NULL &&
	    strstr(r.errstr, "unexpected") != NULL,
	    "script: data after USING is a protocol error");
	script("garbage\r\n", NULL, 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && r.reply == BS_R_INVALID, "script: garbage reply");
	script("USING t\r\n", "INSERTED", 0, &r, rx, sizeof(rx));
	ok(r.rc == -1 && strstr(r.errstr, "timed out") != NULL &&
	    r.ms >= 900 && r.ms < 6000,
	    "script: reply never finished times out (%" PRIu64 " ms)", r.ms);
	{
		char longr[BS_REPLY_MAX + 40];

		memset(longr, 'A', sizeof(longr) - 1);
		longr[sizeof(longr) - 1] = '\0';
		script(longr, NULL, 0, &r, rx, sizeof(rx));
		ok(r.rc == -1 && r.reply == BS_R_INVALID &&
		    strstr(r.errstr, "too long") != NULL,
		    "script: reply over BS_REPLY_MAX refused (%s)",
		    r.errstr);
	}
}

/* Checks with a test-side client that job id in tube holds body. */
static int
job_is(int port, const char *tube, uint64_t id, const char *body, size_t n)
{
	char cmd[300], out[1024], want[300];
	size_t len, wl;
	int fd, good;

	if ((fd = tc_connect(port)) == -1)
		return 0;
	snprintf(cmd, sizeof(cmd), "use %s\r\n", tube);
	good = tc_cmd(fd, cmd, out, sizeof(out), NULL) == 0;
	good = good && tc_cmd(fd, "peek-ready\r\n", out, sizeof(out), &len)
	    == 0;
	wl = (size_t)snprintf(want, sizeof(want), "FOUND %" PRIu64 " %zu\r\n",
	    id, n);
	good = good && len == wl + n + 2 && memcmp(out, want, wl) == 0 &&
	    memcmp(out + wl, body, n) == 0 &&
	    memcmp(out + wl + n, "\r\n", 2) == 0;
	close(fd);
	return good;
}

/* Returns the stats-job YAML of id, or "" */
static const char *
job_stats(int port, uint64_t id)
{
	static char out[2048];
	char cmd[64];
	int fd;

	out[0] = '\0';
	if ((fd = tc_connect(port)) == -1)
		return out;
	snprintf(cmd, sizeof(cmd), "stats-job %" PRIu64 "\r\n", id);
	if (tc_cmd(fd, cmd, out, sizeof(out), NULL) == -1)
		out[0] = '\0';
	close(fd);
	return out;
}

static void
test_put_beanstalkd(void)
{
	static const char bin[] = "a\r\nput 0 0 1 1\r\nx\r\n\0\xff" "end";
	char addr[64], body[MAX_JOB + 2], tube[BS_TUBE_MAX + 1], out[512];
	struct bs_put_args a;
	const char *st;
	uint64_t prev;
	struct run r;
	pid_t pid;
	int port, fd;

	ok(access(BEANSTALKD, X_OK) == 0, "beanstalkd is installed at "
	    BEANSTALKD " (apt-get install beanstalkd)");
	port = start_beanstalkd(MAX_JOB, &pid);
	ok(port != -1, "beanstalkd started");
	if (port == -1)
		return;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);

	put(addr, "deploys", "hello", 5, 2000, &r);
	ok(r.rc == 0 && r.reply == BS_R_INSERTED && r.id > 0,
	    "beanstalkd: put is INSERTED (%s)", r.errstr ? r.errstr : "");
	ok(job_is(port, "deploys", r.id, "hello", 5),
	    "beanstalkd: the job holds the exact body");
	st = job_stats(port, r.id);
	ok(strstr(st, "\ntube: deploys\n") != NULL &&
	    strstr(st, "\npri: 10\n") != NULL &&
	    strstr(st, "\ndelay: 0\n") != NULL &&
	    strstr(st, "\nttr: 60\n") != NULL,
	    "beanstalkd: tube, priority, delay and ttr as given");
	prev = r.id;

	put(addr, "bin", bin, sizeof(bin) - 1, 2000, &r);
	ok(r.rc == 0 && r.id > prev, "beanstalkd: binary body INSERTED, id "
	    "grows");
	/* Reserve it: the embedded "put" line must not have made a job. */
	fd = tc_connect(port);
	ok(fd != -1 && tc_cmd(fd, "watch bin\r\n", out, sizeof(out), NULL)
	    == 0 && strncmp(out, "WATCHING 2\r\n", 12) == 0 &&
	    tc_cmd(fd, "reserve-with-timeout 1\r\n", out, sizeof(out), NULL)
	    == 0, "beanstalkd: reserve the binary job");
	{
		char want[64];
		size_t wl;

		wl = (size_t)snprintf(want, sizeof(want),
		    "RESERVED %" PRIu64 " %zu\r\n", r.id, sizeof(bin) - 1);
		ok(memcmp(out, want, wl) == 0 &&
		    memcmp(out + wl, bin, sizeof(bin) - 1) == 0,
		    "beanstalkd: CRLF, NUL and 0xff in the body arrive intact");
	}
	ok(fd != -1 && tc_cmd(fd, "reserve-with-timeout 0\r\n", out,
	    sizeof(out), NULL) == 0 && strcmp(out, "TIMED_OUT\r\n") == 0,
	    "beanstalkd: a put line inside the body is not a job");
	if (fd != -1)
		close(fd);

	put(addr, "empty", "", 0, 2000, &r);
	ok(r.rc == 0 && job_is(port, "empty", r.id, "", 0),
	    "beanstalkd: empty body INSERTED");

	memset(body, 'b', sizeof(body));
	put(addr, "max", body, MAX_JOB, 2000, &r);
	ok(r.rc == 0 && job_is(port, "max", r.id, body, MAX_JOB),
	    "beanstalkd: body of exactly max-job-size INSERTED");
	put(addr, "max", body, MAX_JOB + 1, 2000, &r);
	ok(r.rc == -1 && r.reply == BS_R_JOB_TOO_BIG && r.id == 0 &&
	    r.errstr != NULL, "beanstalkd: max-job-size + 1 is JOB_TOO_BIG "
	    "(%s)", r.errstr ? r.errstr : "");

	a = (struct bs_put_args){ addr, "opts", UINT32_MAX, 30, 0, 2000 };
	ok(bs_put(&a, "o", 1, &r.id, &r.reply, &r.errstr) == 0,
	    "beanstalkd: put with delay and extreme numbers INSERTED");
	st = job_stats(port, r.id);
	ok(strstr(st, "\nstate: delayed\n") != NULL &&
	    strstr(st, "\npri: 4294967295\n") != NULL &&
	    strstr(st, "\ndelay: 30\n") != NULL &&
	    strstr(st, "\nttr: 1\n") != NULL,
	    "beanstalkd: pri UINT32_MAX, delay 30, ttr 0 raised to 1");

	memset(tube, 'z', BS_TUBE_MAX);
	tube[BS_TUBE_MAX] = '\0';
	put(addr, tube, "long", 4, 2000, &r);
	ok(r.rc == 0, "beanstalkd: 200-byte tube name (%s)",
	    r.errstr ? r.errstr : "");
	put(addr, "a-+/;.$_()Z9", "p", 1, 2000, &r);
	ok(r.rc == 0 && job_is(port, "a-+/;.$_()Z9", r.id, "p", 1),
	    "beanstalkd: tube with every allowed punctuation");

	snprintf(addr, sizeof(addr), "localhost:%d", port);
	put(addr, "host", "h", 1, 2000, &r);
	ok(r.rc == 0, "beanstalkd: host name resolved (%s)",
	    r.errstr ? r.errstr : "");
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);

	/* SIGUSR1 puts beanstalkd into drain mode; the signal is async,
	 * so allow it a moment to land. */
	kill(pid, SIGUSR1);
	for (prev = 0; prev < 20; prev++) {
		usleep(50000);
		put(addr, "drain", "d", 1, 2000, &r);
		if (r.rc == -1)
			break;
	}
	ok(r.rc == -1 && r.reply == BS_R_DRAINING && r.errstr != NULL &&
	    strstr(r.errstr, "draining") != NULL,
	    "beanstalkd: SIGUSR1 gives DRAINING (%s)",
	    r.errstr ? r.errstr : "");

	reap(pid, SIGTERM);
	put(addr, "gone", "g", 1, 10000, &r);
	ok(r.rc == -1 && r.reply == BS_R_INVALID && r.ms < 5000,
	    "beanstalkd: stopped server is refused fast (%s)",
	    r.errstr ? r.errstr : "");
}

int
main(void)
{
	atexit(kill_children);
	/* A hang is a failure, not a stuck CI job. */
	alarm(120);
	test_parse();
	test_tube();
	test_put_args();
	test_put_network();
	test_put_beanstalkd();
	kill_children();
	return tap_done();
}
