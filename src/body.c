/* body.c: the bodies of a deploy and a rollback, validated */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "body.h"
#include "buf.h"
#include "cfg.h"
#include "imageref.h"
#include "jsonedit.h"
#include "request.h"
#include "route.h"
#include "stack.h"
#include "util.h"

/* A request body is a flat object; anything nested deeper is hostile. */
#define BODY_DEPTH_MAX 2

/* 1 when two members of the object share a name (cJSON keeps both). */
static int
has_duplicate_key(const cJSON *obj)
{
	const cJSON *a, *b;

	for (a = obj->child; a != NULL; a = a->next)
		for (b = a->next; b != NULL; b = b->next)
			if (strcmp(a->string, b->string) == 0)
				return 1;
	return 0;
}

/*
 * 1 when the body's string member key decodes to something with a NUL
 * ("\u0000"): cJSON would hand over only the part before it, so that
 * "app:v1\u0000junk" would pass as "app:v1".
 */
static int
has_nul(const struct request *req, const char *outer, const char *key)
{
	const char *path[] = { outer ? outer : key, outer ? key : NULL, NULL };
	struct json_span sp;
	struct buf dec;
	int nul;

	if (json_find(buf_str(&req->body), req->body.len, path, &sp) != 0 ||
	    sp.type != JSON_STRING)
		return 1;
	buf_init(&dec, req->body.len);
	/* json_string refuses \u0000 outright. */
	nul = json_string(buf_str(&req->body), &sp, &dec) == -1 ||
	    memchr(buf_str(&dec), '\0', dec.len) != NULL;
	buf_free(&dec);
	return nul;
}

static int
parse_image(struct request *req, const cJSON *v, const char *outer,
    const char *key, char *out, struct imageref *ref)
{
	struct imageref tmp;
	const char *errstr;
	size_t n;

	if (!cJSON_IsString(v))
		return req_fail(req, 400, "\"%s\" must be a string", key);
	if (has_nul(req, outer, key))
		return req_fail(req, 400, "\"%s\" contains a NUL character",
		    key);
	n = strlen(v->valuestring);
	if (n > REF_MAX)
		return req_fail(req, 400, "\"%s\" is longer than %d bytes", key,
		    REF_MAX);
	if (ref_parse(v->valuestring, n, ref ? ref : &tmp, &errstr) == -1)
		return req_fail(req, 400,
		    "\"%s\" is not a valid image "
		    "reference: %s",
		    key, errstr);
	memcpy(out, v->valuestring, n + 1);
	return 0;
}

static int
parse_force(struct request *req, const cJSON *item)
{
	if (!cJSON_IsBool(item))
		return req_fail(req, 400, "\"force\" must be true or false");
	req->force = cJSON_IsTrue(item);
	return 0;
}

static int
parse_wait(struct request *req, const cJSON *item)
{
	double w = item->valuedouble;

	if (!cJSON_IsNumber(item) || w < 0 || w > req->cfg->wait_max ||
	    w != (double)(int)w)
		return req_fail(req, 400,
		    "\"wait\" must be whole seconds from 0 to %d",
		    req->cfg->wait_max);
	if (req->wait_s != WAIT_NONE)
		return req_fail(req, 400,
		    "\"wait\" given in both the query and the body");
	req->wait_s = (int)w;
	return 0;
}

/* What a body signed GitHub-style says it is for (auth.c). */
static int
parse_target(struct request *req, const cJSON *item, const char *key,
    const char *want)
{
	if (!cJSON_IsString(item) || strcmp(item->valuestring, want) != 0)
		return req_fail(req, 400,
		    "\"%s\" in the body is not the %s in "
		    "the URL",
		    key, key);
	return 0;
}

/* A stack release's explicit members: {"web": "REF", ...}. */
static int
parse_services(struct request *req, const cJSON *obj)
{
	const cJSON *item;
	size_t n = 0;

	if (!cJSON_IsObject(obj) || obj->child == NULL)
		return req_fail(req, 400,
		    "\"services\" must be an object of service names and "
		    "images");
	if (has_duplicate_key(obj))
		return req_fail(req, 400, "\"services\" names a service twice");
	cJSON_ArrayForEach(item, obj)
		n++;
	if (n > STACK_MEMBERS_MAX)
		return req_fail(req, 400,
		    "\"services\" names more than %d services",
		    STACK_MEMBERS_MAX);
	if ((req->members = calloc(n, sizeof(*req->members))) == NULL)
		return req_fail(req, 500, "out of memory");
	cJSON_ArrayForEach(item, obj) {
		struct member *m = &req->members[req->nmembers++];
		size_t len = strlen(item->string);

		if (!service_name_valid(item->string, len))
			return req_fail(req, 400,
			    "\"services\" has a key that is not a service "
			    "name");
		memcpy(m->asked, item->string, len + 1);
		if (parse_image(req, item, "services", item->string, m->image,
		        &m->ref) == -1)
			return -1;
	}
	return 0;
}

/* A member of a release's body: image or services, force, wait, stack. */
static int
parse_stack_member(struct request *req, const cJSON *item)
{
	const char *k = item->string;

	if (strcmp(k, "image") == 0)
		return parse_image(req, item, NULL, "image", req->image,
		    &req->ref);
	if (strcmp(k, "services") == 0)
		return parse_services(req, item);
	if (strcmp(k, "stack") == 0)
		return parse_target(req, item, "stack", req->stack);
	if (strcmp(k, "wait") == 0)
		return parse_wait(req, item);
	if (strcmp(k, "force") == 0)
		return parse_force(req, item);
	return req_fail(req, 400,
	    "unknown key in body (expected image or services, force, wait, "
	    "stack)");
}

static int
parse_member(struct request *req, const cJSON *item)
{
	const char *k = item->string;

	if (req->action == ACT_STACK)
		return parse_stack_member(req, item);
	if (req->action == ACT_DEPLOY && strcmp(k, "image") == 0)
		return parse_image(req, item, NULL, "image", req->image,
		    &req->ref);
	if (req->action == ACT_DEPLOY && strcmp(k, "expect") == 0)
		return parse_image(req, item, NULL, "expect", req->expect,
		    NULL);
	if (req->action == ACT_DEPLOY && strcmp(k, "force") == 0)
		return parse_force(req, item);
	if (strcmp(k, "service") == 0)
		return parse_target(req, item, "service", req->service);
	if (strcmp(k, "wait") == 0)
		return parse_wait(req, item);
	return req_fail(req, 400,
	    req->action == ACT_DEPLOY
	        ? "unknown key in body (expected image, force, wait, expect, "
	          "service)"
	        : "unknown key in body (expected wait, service)");
}

int
body_parse(struct request *req)
{
	const char *body = buf_str(&req->body);
	const cJSON *item;
	cJSON *root;
	size_t n = req->body.len;
	int rc = -1;

	if (n == 0) {
		if (req->action == ACT_ROLLBACK)
			return 0;
		return req_fail(req, 400,
		    "empty body; expected "
		    "{\"image\": \"repository:tag\"}%s",
		    req->action == ACT_STACK ? " or {\"services\": {...}}"
		                             : "");
	}
	if (!utf8_valid(body, n))
		return req_fail(req, 400, "body is not valid UTF-8");
	if (json_check(body, n, BODY_DEPTH_MAX) == -1)
		return req_fail(req, 400,
		    "body is not valid JSON (or nested "
		    "too deep)");
	if ((root = cJSON_ParseWithLength(body, n)) == NULL)
		return req_fail(req, 400, "body is not valid JSON");
	if (!cJSON_IsObject(root)) {
		req_fail(req, 400, "body must be a JSON object");
		goto out;
	}
	if (has_duplicate_key(root)) {
		req_fail(req, 400, "body has a repeated key");
		goto out;
	}
	cJSON_ArrayForEach(item, root) {
		if (parse_member(req, item) == -1)
			goto out;
	}
	if (req->action == ACT_DEPLOY && req->image[0] == '\0') {
		req_fail(req, 400, "body has no \"image\"");
		goto out;
	}
	if (req->action == ACT_STACK &&
	    (req->image[0] != '\0') == (req->members != NULL)) {
		req_fail(req, 400,
		    "the body must have either \"image\" or \"services\"");
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}
