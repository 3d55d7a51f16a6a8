/* test-request.c: unit tests for the request: query, body, parameters */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "io.h"
#include "api.h"
#include "request.h"
#include "unit.h"
#include "../tap.h"

/*
 * CGI requests take their parameters from this process's environment
 * and their body from fd 0, which the tests point at a file or a pipe.
 * FastCGI parameters are a NAME=VALUE list in the libfcgi request, as
 * libfcgi fills it from the connection.
 */

static struct config cfg;

/* A CGI request (its environment as given) for action a. */
static int
cgi(struct io *io, struct request *r, enum action a)
{
	memset(io, 0, sizeof(*io));
	if (req_init(r, io, NULL, &cfg, NULL) == -1)
		return -1;
	r->action = a;
	return 0;
}

/* The status req_parse_query gives QUERY_STRING q for action a. */
static int
query(const char *q, enum action a, struct request *r)
{
	struct io io;
	int status;

	setenv("QUERY_STRING", q, 1);
	cgi(&io, r, a);
	req_parse_query(r);
	status = r->status;
	unsetenv("QUERY_STRING");
	return status;
}

static void
test_query(void)
{
	struct request r;
	char longq[PATH_MAX_LEN + 8];

	is_int(query("", ACT_DEPLOY, &r), 0, "an empty query");
	ok(r.wait_s == WAIT_NONE && !r.dry_run, "... asks for nothing");
	req_free(&r);
	is_int(query("wait=120", ACT_DEPLOY, &r), 0, "wait=120");
	is_int(r.wait_s, 120, "... waits 120 s");
	req_free(&r);
	is_int(query("wait=0", ACT_DEPLOY, &r), 0, "wait=0 is allowed");
	is_int(r.wait_s, 0, "... and is not 'no wait'");
	req_free(&r);
	is_int(query("wait=600", ACT_DEPLOY, &r), 0, "wait=wait_max");
	req_free(&r);
	is_int(query("wait=601", ACT_DEPLOY, &r), 400, "wait over wait_max");
	ok(strstr(r.error, "0 to 600 seconds") != NULL, "... names the bounds "
	    "(%s)", r.error);
	req_free(&r);
	is_int(query("wait=", ACT_DEPLOY, &r), 400, "wait without a number");
	req_free(&r);
	is_int(query("wait=1&wait=2", ACT_DEPLOY, &r), 400, "wait twice");
	req_free(&r);
	is_int(query("dry_run=1", ACT_DEPLOY, &r), 0, "dry_run=1");
	ok(r.dry_run, "... is a dry run");
	req_free(&r);
	is_int(query("dry_run=true&wait=5", ACT_DEPLOY, &r), 0,
	    "dry_run=true with wait");
	ok(r.dry_run && r.wait_s == 5, "... both apply");
	req_free(&r);
	is_int(query("dry_run", ACT_DEPLOY, &r), 0, "a bare dry_run");
	ok(r.dry_run, "... is a dry run");
	req_free(&r);
	is_int(query("dry_run=0", ACT_DEPLOY, &r), 0, "dry_run=0");
	ok(!r.dry_run, "... is not");
	req_free(&r);
	is_int(query("dry_run=false", ACT_DEPLOY, &r), 0, "dry_run=false");
	req_free(&r);
	is_int(query("dry_run=yes", ACT_DEPLOY, &r), 400, "dry_run=yes");
	req_free(&r);
	is_int(query("dry_run=1&dry_run=0", ACT_DEPLOY, &r), 400,
	    "dry_run twice");
	req_free(&r);
	is_int(query("&&wait=3&", ACT_DEPLOY, &r), 0, "empty pairs are skipped");
	is_int(r.wait_s, 3, "... the rest applies");
	req_free(&r);
	is_int(query("force=1", ACT_DEPLOY, &r), 400, "an unknown key");
	ok(strstr(r.error, "expected wait, dry_run") != NULL,
	    "... says what is known (%s)", r.error);
	req_free(&r);
	is_int(query("Wait=1", ACT_DEPLOY, &r), 400, "an upper-case byte");
	is_str(r.error, "invalid byte in query string", "... is invalid");
	req_free(&r);
	is_int(query("wait=%31", ACT_DEPLOY, &r), 400, "percent-encoding");
	req_free(&r);
	is_int(query("wait=1;dry_run=1", ACT_DEPLOY, &r), 400, "a ';'");
	req_free(&r);
	memset(longq, 'a', sizeof(longq) - 1);
	longq[sizeof(longq) - 1] = '\0';
	is_int(query(longq, ACT_DEPLOY, &r), 400, "a query over PATH_MAX_LEN");
	is_str(r.error, "query string too long", "... is too long");
	req_free(&r);

	is_int(query("limit=5", ACT_HISTORY, &r), 0, "history: limit=5");
	is_int(r.limit, 5, "... 5 records");
	req_free(&r);
	is_int(query("", ACT_HISTORY, &r), 0, "history without a limit");
	is_int(r.limit, HISTORY_LIMIT_DEFAULT, "... the default");
	req_free(&r);
	is_int(query("limit=500", ACT_HISTORY, &r), 0, "limit=500");
	req_free(&r);
	is_int(query("limit=501", ACT_HISTORY, &r), 400, "limit=501");
	req_free(&r);
	is_int(query("limit=0", ACT_HISTORY, &r), 400, "limit=0");
	req_free(&r);
	is_int(query("limit=1&limit=2", ACT_HISTORY, &r), 400, "limit twice");
	req_free(&r);
	is_int(query("limit=5", ACT_DEPLOY, &r), 400, "limit on a deploy");
	req_free(&r);
	is_int(query("dry=1", ACT_HISTORY, &r), 400,
	    "history: an unknown key");
	ok(strstr(r.error, "expected limit") != NULL, "... says what is known");
	req_free(&r);
}

/* Makes fd 0 a pipe holding n bytes of data, then EOF. */
static int
stdin_pipe(const char *data, size_t n)
{
	int p[2];

	if (pipe(p) == -1)
		return -1;
	if (write(p[1], data, n) != (ssize_t)n) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	return 0;
}

/* Reads the body of a request announcing content_length (NULL: none),
 * which stays in the environment for req_finish_input. */
static int
body(const char *content_length, struct request *r)
{
	struct io io;

	if (content_length != NULL)
		setenv("CONTENT_LENGTH", content_length, 1);
	else
		unsetenv("CONTENT_LENGTH");
	cgi(&io, r, ACT_DEPLOY);
	req_read_body(r);
	return r->status;
}

/* What is left on fd 0. */
static size_t
left_on_stdin(void)
{
	char chunk[4096];
	size_t total = 0;
	ssize_t n;

	while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) > 0)
		total += (size_t)n;
	return total;
}

static void
test_body(void)
{
	const char *json = "{\"image\": \"local/app:v2\"}";
	const char *file = tmp_path("body");
	char big[1200];
	struct request r;

	write_file(file, json, strlen(json));
	stdin_from(file);
	is_int(body("25", &r), 0, "a file as stdin: Content-Length 25");
	is_str(buf_str(&r.body), json, "... is the body");
	ok(r.body_done, "... read to its end");
	req_free(&r);

	stdin_from(file);
	is_int(body("10", &r), 0, "Content-Length 10 of a longer input");
	is_int(r.body.len, 10, "... reads 10 bytes and no more");
	is_int(left_on_stdin(), 15, "... leaving the rest unread");
	req_free(&r);

	stdin_from(file);
	is_int(body("40", &r), 400, "input shorter than its Content-Length");
	is_str(r.error, "request body shorter than its Content-Length",
	    "... says so");
	req_free(&r);

	stdin_from(file);
	is_int(body(NULL, &r), 0, "no Content-Length: read to the end");
	is_int(r.body.len, 25, "... all of it");
	req_free(&r);

	stdin_from(file);
	is_int(body("", &r), 0, "an empty Content-Length is none");
	is_int(r.body.len, 25, "... all of it");
	req_free(&r);

	stdin_from(file);
	is_int(body("25x", &r), 400, "a Content-Length that is not a number");
	is_str(r.error, "invalid Content-Length", "... is invalid");
	req_free(&r);

	stdin_from(file);
	is_int(body("-1", &r), 400, "a negative Content-Length");
	req_free(&r);

	memset(big, 'x', sizeof(big));
	stdin_pipe(big, sizeof(big));
	is_int(body("1001", &r), 413, "a pipe: Content-Length over max_body");
	is_int(r.body.len, 0, "... refused before reading");
	ok(!r.body_done, "... and the body is left");
	req_finish_input(&r);
	ok(r.body_done, "req_finish_input drops what was announced");
	is_int(left_on_stdin(), sizeof(big) - 1001, "... and no more");
	req_free(&r);

	stdin_pipe(big, sizeof(big));
	is_int(body(NULL, &r), 413, "a pipe without Content-Length, over "
	    "max_body");
	ok(r.body.len <= 1000, "... never holds more than max_body");
	req_free(&r);

	stdin_pipe(big, 1000);
	is_int(body(NULL, &r), 0, "exactly max_body without Content-Length");
	is_int(r.body.len, 1000, "... is read");
	req_free(&r);

	stdin_pipe(json, strlen(json));
	is_int(body("25", &r), 0, "a pipe: Content-Length 25");
	is_str(buf_str(&r.body), json, "... is the body");
	req_free(&r);

	stdin_pipe(big, 100);
	{
		struct io io;

		unsetenv("CONTENT_LENGTH");
		unsetenv("HTTP_TRANSFER_ENCODING");
		cgi(&io, &r, ACT_STATUS);
		req_finish_input(&r);
		is_int(left_on_stdin(), 100, "no body announced: "
		    "req_finish_input never reads");
		req_free(&r);
		setenv("HTTP_TRANSFER_ENCODING", "chunked", 1);
		stdin_pipe(big, 100);
		cgi(&io, &r, ACT_STATUS);
		req_finish_input(&r);
		is_int(left_on_stdin(), 0, "a chunked body is dropped to its "
		    "end");
		unsetenv("HTTP_TRANSFER_ENCODING");
		req_free(&r);
	}
}

/* req_init of a FastCGI request with parameters params. */
static int
fastcgi(const char *const *params, struct request *r)
{
	struct io io;

	memset(&io, 0, sizeof(io));
	io.fastcgi = 1;
	/* libfcgi's type; nothing writes through it. */
	io.req.envp = (char **)(uintptr_t)params;
	req_init(r, &io, NULL, &cfg, NULL);
	r->io = NULL;		/* io lives on this stack only */
	return r->status;
}

static void
test_params(void)
{
	const char *lower[] = {"REQUEST_METHOD=PUT", "REMOTE_ADDR=10.0.0.7",
	    "DEPLOYER_MAX_BODY=100", "DEPLOYER_WAIT_MAX=30",
	    "DEPLOYER_REQUIRE_DIGEST=1", NULL};
	const char *higher[] = {"DEPLOYER_MAX_BODY=100000", NULL};
	const char *waitmore[] = {"DEPLOYER_WAIT_MAX=601", NULL};
	const char *token[] = {"TOKEN=mine", NULL};
	const char *docker[] = {"DOCKER_HOST=tcp://evil:2375", NULL};
	const char *other[] = {"DEPLOYER_ANYTHING=1", NULL};
	const char *digest_off[] = {"DEPLOYER_REQUIRE_DIGEST=0", NULL};
	const char *plain[] = {"HTTP_X_CUSTOM=1", "NOTASETTING", NULL};
	struct request r;

	is_int(fastcgi(lower, &r), 0, "FastCGI parameters may tighten");
	ok(r.cfg != &cfg && r.cfg == &r.own_cfg, "... on the request's copy");
	ok(r.cfg->max_body == 100 && r.body.max == 100, "... max_body 100");
	ok(r.cfg->wait_max == 30 && r.cfg->require_digest,
	    "... wait_max 30, require_digest on");
	ok(cfg.max_body == 1000 && cfg.wait_max == 600 && !cfg.require_digest,
	    "... while the process's settings stay");
	is_str(r.method, "PUT", "the method is the parameter");
	is_str(r.remote_addr, "10.0.0.7", "... and the remote address");
	req_free(&r);
	is_int(fastcgi(higher, &r), 400, "a larger max_body is refused");
	ok(strstr(r.error, "DEPLOYER_MAX_BODY") != NULL, "... naming it (%s)",
	    r.error);
	req_free(&r);
	is_int(fastcgi(waitmore, &r), 400, "a longer wait_max is refused");
	req_free(&r);
	is_int(fastcgi(token, &r), 400, "TOKEN as a parameter is refused");
	req_free(&r);
	is_int(fastcgi(docker, &r), 400, "DOCKER_HOST as a parameter is "
	    "refused");
	req_free(&r);
	is_int(fastcgi(other, &r), 400, "any DEPLOYER_* parameter is refused");
	req_free(&r);
	is_int(fastcgi(digest_off, &r), 400, "REQUIRE_DIGEST=0 is refused");
	req_free(&r);
	is_int(fastcgi(plain, &r), 0, "other parameters are no settings");
	ok(r.cfg == &cfg, "... and the process's settings are used");
	is_str(r.remote_addr, "-", "no REMOTE_ADDR: \"-\"");
	req_free(&r);
}

static void
test_init(void)
{
	struct request r;
	struct io io;

	memset(&io, 0, sizeof(io));
	setenv("TOKEN", "not-a-parameter-in-cgi", 1);
	setenv("REQUEST_METHOD", "GET", 1);
	is_int(req_init(&r, &io, NULL, &cfg, NULL), 0,
	    "CGI: the environment is the process's, not refused");
	ok(r.cfg == &cfg, "... the settings are the process's");
	is_str(r.method, "GET", "... the method is REQUEST_METHOD");
	is_int(strlen(r.id), 16, "a request id of 16 hex digits");
	ok(r.wait_s == WAIT_NONE && r.limit == HISTORY_LIMIT_DEFAULT,
	    "no wait, the default history limit");
	req_free(&r);
	unsetenv("TOKEN");
	is_int(req_init(&r, &io, NULL, NULL, "line 3: bad"), -1,
	    "broken settings fail the request");
	is_int(r.status, 500, "... with 500");
	ok(strstr(r.error, "line 3") == NULL, "... without the details");
	is_int(req_fail(&r, 404, "later"), -1, "req_fail returns -1");
	is_int(r.status, 500, "... and keeps the first outcome");
	req_free(&r);
	unsetenv("REQUEST_METHOD");

	is_str(action_name(ACT_DEPLOY), "deploy", "action names: deploy");
	is_str(action_name(ACT_ROLLBACK), "rollback", "... rollback");
	is_str(action_name(ACT_HISTORY), "history", "... history");
	is_str(action_name(ACT_NONE), "-", "... none is \"-\"");
}

int
main(void)
{
	tmp_dir("test-request");
	unit_settings(&cfg, "token = s3cret\nmax_body = 1000\nwait_max = 600\n");
	test_query();
	test_body();
	test_params();
	test_init();
	cfg_free(&cfg);
	return tap_done();
}
