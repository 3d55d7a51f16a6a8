/* test-body.c: unit tests for the bodies of a deploy and a rollback */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "body.h"
#include "buf.h"
#include "cfg.h"
#include "io.h"
#include "request.h"
#include "stack.h"
#include "unit.h"
#include "../tap.h"

static struct config cfg;
static struct io io; /* the requests' (CGI): it outlives each of them */

/* A request of action a for the service "web" with n bytes of text as
 * its body, not parsed yet; the caller frees it. */
static int
prepare(enum action a, const char *text, size_t n, struct request *r)
{
	memset(&io, 0, sizeof(io));
	if (req_init(r, &io, NULL, &cfg, NULL) == -1)
		return -1;
	r->action = a;
	strcpy(r->service, "web");
	return buf_add(&r->body, text, n);
}

/* body_parse on such a request; it stays for the caller to look at. */
static int
parse_n(enum action a, const char *text, size_t n, struct request *r)
{
	if (prepare(a, text, n, r) == -1)
		return -1;
	return body_parse(r);
}

static int
parse(enum action a, const char *text, struct request *r)
{
	return parse_n(a, text, strlen(text), r);
}

/* The status and the error of text as a deploy's body. */
static void
refused(const char *text, const char *why, const char *what)
{
	struct request r;

	ok(parse(ACT_DEPLOY, text, &r) == -1 && r.status == 400 &&
	        strstr(r.error, why) != NULL,
	    "%s: 400, '%s' (%s)", what, why, r.error);
	req_free(&r);
}

static void
test_deploy(void)
{
	struct request r;

	is_int(parse(ACT_DEPLOY, "{\"image\": \"local/app:v2\"}", &r), 0,
	    "a plain deploy");
	is_str(r.image, "local/app:v2", "... its image");
	is_str(r.ref.tag, "v2", "... parsed as a reference");
	ok(!r.force && r.wait_s == WAIT_NONE && r.expect[0] == '\0',
	    "... nothing else asked");
	req_free(&r);

	is_int(parse(ACT_DEPLOY,
	           "{\"image\": \"reg.example.com:5000/a/b:1@sha256:"
	           "0123456789abcdef0123456789abcdef0123456789abcdef01234567"
	           "89abcdef\", \"force\": true, \"wait\": 30, \"expect\": "
	           "\"a/b:0\", \"service\": \"web\"}",
	           &r),
	    0, "every key at once");
	ok(r.force && r.wait_s == 30, "... force and wait");
	is_str(r.expect, "a/b:0", "... expect");
	is_str(r.ref.domain, "reg.example.com:5000", "... the registry");
	ok(r.ref.digest[0] != '\0', "... the digest");
	req_free(&r);

	is_int(parse(ACT_DEPLOY, "{\"image\": \"a:1\", \"wait\": 0}", &r), 0,
	    "wait 0");
	is_int(r.wait_s, 0, "... is a wait of 0, not none");
	req_free(&r);
	is_int(parse(ACT_DEPLOY, "{\"image\": \"a:1\", \"wait\": 600}", &r), 0,
	    "wait = wait_max");
	req_free(&r);
	is_int(parse(ACT_DEPLOY, "{\"image\": \"a:1\", \"force\": false}", &r),
	    0, "force false");
	ok(!r.force, "... is no force");
	req_free(&r);
}

static void
test_deploy_refused(void)
{
	refused("", "empty body", "an empty body");
	refused("{}", "no \"image\"", "no image");
	refused("[\"image\"]", "must be a JSON object", "an array");
	refused("\"a:1\"", "must be a JSON object", "a string");
	refused("{\"image\": \"a:1\"", "not valid JSON", "cut short");
	refused("{\"image\": \"a:1\"} x", "not valid JSON", "trailing bytes");
	refused("{\"image\": \"a:1\", \"image\": \"b:1\"}", "repeated key",
	    "a repeated key");
	refused("{\"image\": 5}", "must be a string", "a number for image");
	refused("{\"image\": \"Local/App:v3\"}", "not a valid image reference",
	    "an invalid reference");
	refused("{\"image\": \"a:1\\u0000junk\"}", "NUL",
	    "a NUL inside the image");
	refused("{\"image\": \"a:{{.X}}\"}", "not a valid image reference",
	    "template syntax in the image");
	refused("{\"image\": \"a:1\", \"force\": 1}", "true or false",
	    "force as a number");
	refused("{\"image\": \"a:1\", \"wait\": -1}", "whole seconds",
	    "a negative wait");
	refused("{\"image\": \"a:1\", \"wait\": 1.5}", "whole seconds",
	    "a fractional wait");
	refused("{\"image\": \"a:1\", \"wait\": 601}", "0 to 600",
	    "wait over wait_max");
	refused("{\"image\": \"a:1\", \"wait\": \"5\"}", "whole seconds",
	    "wait as a string");
	refused("{\"image\": \"a:1\", \"service\": \"db\"}",
	    "not the service in the URL", "another service named");
	refused("{\"image\": \"a:1\", \"service\": 1}",
	    "not the service in the URL", "a service that is no string");
	refused("{\"image\": \"a:1\", \"colour\": 1}",
	    "expected image, force, wait, expect, service", "an unknown key");
	refused("{\"image\": {\"name\": \"a\"}}", "must be a string",
	    "an object for image");
	refused("{\"image\": [[[\"a\"]]]}", "nested too deep",
	    "nesting beyond a flat object");
	refused("{\"image\": \"a:1\", \"expect\": \"Bad\"}",
	    "not a valid image reference", "an invalid expect");
}

static void
test_limits(void)
{
	struct request r;
	char big[REF_MAX + 64];

	ok(parse_n(ACT_DEPLOY, "{\"image\": \"\xc3\x28\"}", 15, &r) == -1 &&
	        strstr(r.error, "UTF-8") != NULL,
	    "invalid UTF-8: refused before JSON (%s)", r.error);
	req_free(&r);
	snprintf(big, sizeof(big), "{\"image\": \"a:%0*d\"}", REF_MAX, 0);
	ok(parse(ACT_DEPLOY, big, &r) == -1 &&
	        strstr(r.error, "longer than") != NULL,
	    "an image over REF_MAX bytes (%s)", r.error);
	req_free(&r);

	/* The query asked already: the body may not ask again. */
	prepare(ACT_DEPLOY, "{\"image\": \"a:1\", \"wait\": 5}", 27, &r);
	r.wait_s = 10;
	ok(body_parse(&r) == -1 && strstr(r.error, "both") != NULL,
	    "wait in the query and the body (%s)", r.error);
	req_free(&r);
}

static void
test_rollback(void)
{
	struct request r;

	is_int(parse(ACT_ROLLBACK, "", &r), 0, "a rollback without a body");
	req_free(&r);
	is_int(parse(ACT_ROLLBACK, "{\"wait\": 20, \"service\": \"web\"}", &r),
	    0, "a rollback with wait and service");
	is_int(r.wait_s, 20, "... waits");
	req_free(&r);
	ok(parse(ACT_ROLLBACK, "{\"image\": \"a:1\"}", &r) == -1 &&
	        strstr(r.error, "expected wait, service") != NULL,
	    "a rollback with an image: refused (%s)", r.error);
	req_free(&r);
	ok(parse(ACT_ROLLBACK, "{\"force\": true}", &r) == -1,
	    "a rollback with force: refused");
	req_free(&r);
	ok(parse(ACT_ROLLBACK, "null", &r) == -1 &&
	        strstr(r.error, "JSON object") != NULL,
	    "a rollback with null: refused (%s)", r.error);
	req_free(&r);
}

/* A stack release's body: one of image and services, force, wait. */
static void
test_stack(void)
{
	struct request r;

	is_int(parse(ACT_STACK,
	           "{\"image\": \"local/app:v2\", \"force\": true}", &r),
	    0, "a release of one image");
	ok(strcmp(r.image, "local/app:v2") == 0 && r.force && r.members == NULL,
	    "... read as the image and force, no explicit members");
	req_free(&r);
	is_int(
	    parse(ACT_STACK,
	        "{\"services\": {\"web\": \"a:1\", \"shop_worker\": "
	        "\"b@sha256:"
	        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	        "\"}, \"wait\": 30}",
	        &r),
	    0, "explicit members");
	ok(r.nmembers == 2 && strcmp(r.members[0].asked, "web") == 0 &&
	        strcmp(r.members[0].image, "a:1") == 0 &&
	        strcmp(r.members[1].asked, "shop_worker") == 0 &&
	        r.members[1].ref.digest[0] != '\0' && r.wait_s == 30,
	    "... each with its name, image and parsed reference");
	req_free(&r);
	ok(parse(ACT_STACK,
	       "{\"image\": \"a:1\", \"services\": {\"web\": "
	       "\"a:1\"}}",
	       &r) == -1 &&
	        r.status == 400 && strstr(r.error, "either") != NULL,
	    "image and services at once: 400 (%s)", r.error);
	req_free(&r);
	ok(parse(ACT_STACK, "{\"force\": true}", &r) == -1 && r.status == 400,
	    "neither image nor services: 400");
	req_free(&r);
	ok(parse(ACT_STACK, "{\"services\": {}}", &r) == -1 && r.status == 400,
	    "no member named: 400");
	req_free(&r);
	ok(parse(ACT_STACK,
	       "{\"services\": {\"web\": \"a:1\", \"web\": "
	       "\"a:2\"}}",
	       &r) == -1 &&
	        strstr(r.error, "twice") != NULL,
	    "one member twice: 400 (%s)", r.error);
	req_free(&r);
	ok(parse(ACT_STACK, "{\"services\": {\"-web\": \"a:1\"}}", &r) == -1 &&
	        strstr(r.error, "not a service name") != NULL,
	    "a name Swarm would refuse: 400 (%s)", r.error);
	req_free(&r);
	ok(parse(ACT_STACK, "{\"services\": {\"web\": \"a:1\\u0000x\"}}", &r) ==
	            -1 &&
	        strstr(r.error, "NUL") != NULL,
	    "a member's image with a NUL: 400 (%s)", r.error);
	req_free(&r);
	ok(parse(ACT_STACK, "{\"services\": {\"web\": \"A:1\"}}", &r) == -1 &&
	        strstr(r.error, "not a valid image") != NULL,
	    "a member's bad reference: 400 (%s)", r.error);
	req_free(&r);
	ok(parse(ACT_STACK, "{\"services\": {\"web\": {\"image\": \"a:1\"}}}",
	       &r) == -1 &&
	        r.status == 400,
	    "a member nested deeper: 400");
	req_free(&r);
	ok(parse(ACT_STACK, "{\"image\": \"a:1\", \"expect\": \"a:0\"}", &r) ==
	            -1 &&
	        strstr(r.error, "unknown key") != NULL,
	    "expect is not for releases: 400 (%s)", r.error);
	req_free(&r);
}

int
main(void)
{
	tmp_dir("test-body");
	unit_settings(&cfg, "token = s3cret\nwait_max = 600\n");
	test_deploy();
	test_deploy_refused();
	test_limits();
	test_rollback();
	test_stack();
	cfg_free(&cfg);
	return tap_done();
}
