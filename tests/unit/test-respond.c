/* test-respond.c: unit tests for the one place a response is written */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "io.h"
#include "request.h"
#include "respond.h"
#include "unit.h"
#include "../tap.h"

/*
 * A CGI answer goes to fd 1: each test captures it into a file and
 * compares the header block and the body with what a web server must
 * get.
 */

static struct io io;		/* CGI */
static char *head, *body;	/* of the last answer */

static void
start(struct request *r, const char *method, int status, const char *error)
{
	memset(r, 0, sizeof(*r));
	r->io = &io;
	r->method = method;
	memcpy(r->id, "0123456789abcdef", 17);
	r->status = status;
	if (error != NULL)
		snprintf(r->error, sizeof(r->error), "%s", error);
	buf_init(&r->text, 1 << 20);
}

/* Sends r's answer; head and body are what was written. */
static void
answer(struct request *r)
{
	const char *out = tmp_path("answer");
	char *all, *sep;

	free(head);
	head = body = NULL;
	capture_start(out);
	respond(r);
	all = capture_end(out);
	if (all == NULL || (sep = strstr(all, "\r\n\r\n")) == NULL) {
		head = all;
		body = head ? head + strlen(head) : NULL;
		return;
	}
	sep[2] = '\0';
	head = all;
	body = sep + 4;
}

static int
has_line(const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "%s\r\n", line);
	return head != NULL && (strncmp(head, want, strlen(want)) == 0 ||
	    strstr(head, want) != NULL);
}

static void
done(struct request *r)
{
	buf_free(&r->text);
	cJSON_Delete(r->result);
	cJSON_Delete(r->warnings);
	r->result = r->warnings = NULL;
}

static void
test_success(void)
{
	struct request r;

	start(&r, "PUT", 0, NULL);
	r.result = cJSON_CreateObject();
	json_put(r.result, "service", "web");
	json_put(r.result, "digest", NULL);
	json_put(r.result, "state", "");
	answer(&r);
	ok(head != NULL && strncmp(head, "Status: 200 OK\r\n", 16) == 0,
	    "a result: the first line is Status: 200 OK");
	ok(has_line("Content-Type: application/json"), "... JSON");
	ok(has_line("Cache-Control: no-store"), "... never cached");
	ok(has_line("X-Request-Id: 0123456789abcdef"), "... the request id");
	ok(!has_line("Allow: GET") && strstr(head, "WWW-Authenticate") == NULL,
	    "... nothing else");
	is_str(body, "{\"service\":\"web\",\"digest\":null,\"state\":null,"
	    "\"request_id\":\"0123456789abcdef\"}\n",
	    "... the body: json_put makes NULL and \"\" null, and the id is "
	    "added");
	is_int(r.status, 200, "the request's status is 200 now");
	done(&r);

	start(&r, "HEAD", 0, NULL);
	r.result = cJSON_CreateObject();
	answer(&r);
	ok(has_line("Status: 200 OK"), "HEAD: the same head");
	is_str(body, "", "... and no body");
	done(&r);

	start(&r, "GET", 0, NULL);
	r.result = cJSON_CreateObject();
	req_warn(&r, "the digest could not be recorded");
	answer(&r);
	is_str(body, "{\"warnings\":[\"the digest could not be recorded\"],"
	    "\"request_id\":\"0123456789abcdef\"}\n", "warnings join the body");
	done(&r);

	start(&r, "GET", 0, NULL);
	r.text_type = "text/plain; version=0.0.4";
	buf_addstr(&r.text, "deployer_up 1\n");
	answer(&r);
	ok(has_line("Status: 200 OK") &&
	    has_line("Content-Type: text/plain; version=0.0.4"),
	    "a text answer has its own Content-Type");
	is_str(body, "deployer_up 1\n", "... and its text as the body");
	done(&r);

	start(&r, "GET", 0, NULL);
	answer(&r);
	ok(has_line("Status: 500 Internal Server Error"),
	    "no result and no status: 500");
	is_str(body, "{\"error\":\"no result\",\"status\":500,"
	    "\"request_id\":\"0123456789abcdef\"}\n", "... saying so");
	done(&r);
}

static void
test_errors(void)
{
	struct request r;

	start(&r, "DELETE", 405, "method not allowed");
	r.allow = "GET, PUT";
	answer(&r);
	ok(has_line("Status: 405 Method Not Allowed"), "405: the status line");
	ok(has_line("Allow: GET, PUT"), "... with Allow");
	is_str(body, "{\"error\":\"method not allowed\",\"status\":405,"
	    "\"request_id\":\"0123456789abcdef\"}\n", "... and the error body");
	done(&r);

	start(&r, "PUT", 401, "invalid token");
	r.challenge = 1;
	answer(&r);
	ok(has_line("Status: 401 Unauthorized"), "401: the status line");
	ok(has_line("WWW-Authenticate: Bearer realm=\"deployer\""),
	    "... with the Bearer challenge");
	done(&r);

	start(&r, "PUT", 401, "invalid token");
	answer(&r);
	ok(strstr(head, "WWW-Authenticate") == NULL,
	    "a 401 without a challenge has none");
	done(&r);

	start(&r, "PUT", 403, "nope");
	r.allow = "GET";
	r.challenge = 1;
	answer(&r);
	ok(strstr(head, "Allow:") == NULL &&
	    strstr(head, "WWW-Authenticate") == NULL,
	    "a 403 gets neither Allow nor a challenge");
	done(&r);

	start(&r, "PUT", 502, "Docker said no");
	r.result = cJSON_CreateObject();
	json_put(r.result, "service", "web");
	json_put(r.result, "error", "stale");
	answer(&r);
	is_str(body, "{\"service\":\"web\",\"error\":\"Docker said no\","
	    "\"status\":502,\"request_id\":\"0123456789abcdef\"}\n",
	    "an error keeps what the handler learned, with its own error");
	done(&r);

	start(&r, "HEAD", 404, "no such service");
	answer(&r);
	ok(has_line("Status: 404 Not Found"), "HEAD 404: the status line");
	is_str(body, "", "... no body");
	done(&r);

	start(&r, "PUT", 599, "odd");
	answer(&r);
	ok(has_line("Status: 599 Error"), "an unknown status: \"Error\"");
	done(&r);
}

static void
test_reasons(void)
{
	is_str(status_reason(200), "OK", "200 OK");
	is_str(status_reason(400), "Bad Request", "400");
	is_str(status_reason(408), "Request Timeout", "408");
	is_str(status_reason(409), "Conflict", "409");
	is_str(status_reason(411), "Length Required", "411");
	is_str(status_reason(412), "Precondition Failed", "412");
	is_str(status_reason(413), "Content Too Large", "413 (RFC 9110)");
	is_str(status_reason(503), "Service Unavailable", "503");
	is_str(status_reason(504), "Gateway Timeout", "504");
}

int
main(void)
{
	tmp_dir("test-respond");
	test_success();
	test_errors();
	test_reasons();
	free(head);
	return tap_done();
}
