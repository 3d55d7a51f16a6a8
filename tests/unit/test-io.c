/* test-io.c: unit tests for the transport's CGI side and its sockets */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "unit.h"
#include "../tap.h"

/*
 * CGI: stdin is a file (not a socket), so io_open picks CGI; the one
 * request is the environment, its body stdin, its answer stdout.
 * FastCGI's own side needs a web server and is covered by the
 * integration tests; its listening sockets are checked here.
 */

static void
test_cgi(void)
{
	const char *in = tmp_path("in"), *out = tmp_path("out"), *errstr = NULL;
	char buf[64], *written;
	struct io io;
	ssize_t n;
	int found = 0;
	char *const *p;

	write_file(in, "hello body", 10);
	stdin_from(in);
	memset(&io, 0, sizeof(io));
	is_int(io_open(&io, -1, &errstr), 0, "stdin a file: io_open");
	is_int(io.fastcgi, 0, "... is CGI");
	is_int(io_accept(&io), 1, "the first io_accept hands out the request");
	setenv("REQUEST_METHOD", "PUT", 1);
	is_str(io_param(&io, "REQUEST_METHOD"), "PUT",
	    "a parameter is the environment variable");
	ok(io_param(&io, "NO_SUCH_PARAMETER_HERE") == NULL, "... NULL when unset");
	for (p = io_params(&io); p != NULL && *p != NULL; p++)
		found |= strcmp(*p, "REQUEST_METHOD=PUT") == 0;
	ok(found, "io_params lists the environment");
	n = io_read(&io, buf, 5);
	ok(n == 5 && memcmp(buf, "hello", 5) == 0, "io_read reads stdin");
	n = io_read(&io, buf, sizeof(buf));
	ok(n == 5 && memcmp(buf, " body", 5) == 0, "... to its end");
	is_int(io_read(&io, buf, sizeof(buf)), 0, "... then 0");
	capture_start(out);
	io_write(&io, "Status: 200 OK\r\n", 16);
	io_write(&io, "", 0);
	io_write(&io, "x", 1);
	written = capture_end(out);
	is_str(written, "Status: 200 OK\r\nx", "io_write writes stdout");
	free(written);
	io_input_done(&io);
	is_int(io_timed_out(&io), 0, "CGI never times out in io");
	io_finish(&io);
	is_int(io_accept(&io), 0, "the second io_accept: no more requests");
	unsetenv("REQUEST_METHOD");
}

static void
test_listen(void)
{
	char sock[256], warn[256];
	const char *errstr = NULL;
	struct stat st;
	int fd;

	snprintf(sock, sizeof(sock), "%s", tmp_path("file"));
	write_file(sock, "data", 4);
	ok(io_listen(sock, &errstr) == -1 && errstr != NULL,
	    "a path holding a regular file is refused (%s)",
	    errstr ? errstr : "");
	snprintf(sock, sizeof(sock), "%s", tmp_path("d.sock"));
	fd = io_listen(sock, &errstr);
	ok(fd >= 0, "a unix socket at a path (%s)", errstr ? errstr : "");
	if (fd >= 0)
		close(fd);	/* the socket file stays: stale */
	fd = io_listen(sock, &errstr);
	ok(fd >= 0 && stat(sock, &st) == 0 && S_ISSOCK(st.st_mode),
	    "... and a stale socket there is replaced");
	warn[0] = 'x';
	if (fd >= 0) {
		chmod(sock, 0777);
		is_int(io_check_exposure(fd, 0, &errstr, warn, sizeof(warn)), 0,
		    "a unix socket is never refused");
		ok(warn[0] != '\0', "... but one every user may write to is "
		    "warned about (%s)", warn);
		chmod(sock, 0660);
		io_check_exposure(fd, 0, &errstr, warn, sizeof(warn));
		is_str(warn, "", "... and one they may not is not");
		close(fd);
	}
	fd = io_listen("127.0.0.1:0", &errstr);
	ok(fd >= 0, "TCP on loopback");
	if (fd >= 0) {
		is_int(io_check_exposure(fd, 0, &errstr, warn, sizeof(warn)), 0,
		    "... is allowed");
		close(fd);
	}
	fd = io_listen("[::1]:0", &errstr);
	if (fd >= 0) {
		is_int(io_check_exposure(fd, 0, &errstr, warn, sizeof(warn)), 0,
		    "TCP on [::1] is allowed");
		close(fd);
	} else
		ok(1, "no IPv6 loopback here (%s)", errstr);
	fd = io_listen(":0", &errstr);
	ok(fd >= 0, "\":port\" listens on all addresses");
	if (fd >= 0) {
		is_int(io_check_exposure(fd, 0, &errstr, warn, sizeof(warn)),
		    -1, "... which is refused");
		ok(errstr != NULL && *errstr != '\0', "... saying why (%s)",
		    errstr ? errstr : "");
		is_int(io_check_exposure(fd, 1, &errstr, warn, sizeof(warn)), 0,
		    "... unless allowed explicitly");
		close(fd);
	}
	ok(io_listen("127.0.0.1:notaport", &errstr) == -1 && errstr != NULL,
	    "a bad port fails with a reason (%s)", errstr ? errstr : "");
	ok(io_listen("no-such-host.invalid:9000", &errstr) == -1,
	    "an unknown host fails");
}

int
main(void)
{
	tmp_dir("test-io");
	test_cgi();
	test_listen();
	return tap_done();
}
