/* route.c: which action a method and path ask for */
/* SPDX-License-Identifier: MIT */
#include "chars.h"
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "io.h"
#include "request.h"
#include "route.h"

#define SEG_NAME "{name}"     /* a service (name or ID) or stack name */
#define SEG_SECRET "{secret}" /* a token, where a sender has no header */
#define ROUTE_SEGS 3
#define ROUTE_METHODS 3

/* The whole API, as data.  Methods not listed get 405 with Allow. */
static const struct route {
	const char *seg[ROUTE_SEGS]; /* NULL-terminated when shorter */
	struct {
		const char *method;
		enum action action;
	} m[ROUTE_METHODS];
	const char *allow;
} routes[] = {
	{ { "service", SEG_NAME, NULL },
	    { { "GET", ACT_STATUS }, { "PUT", ACT_DEPLOY } }, "GET, PUT" },
	{ { "service", SEG_NAME, "rollback" }, { { "POST", ACT_ROLLBACK } },
	    "POST" },
	{ { "service", SEG_NAME, "history" }, { { "GET", ACT_HISTORY } },
	    "GET" },
	{ { "stack", SEG_NAME, NULL }, { { "PUT", ACT_STACK } }, "PUT" },
	{ { "metrics", NULL, NULL }, { { "GET", ACT_METRICS } }, "GET" },
	{ { "hook", "registry", NULL }, { { "POST", ACT_HOOK_REGISTRY } },
	    "POST" },
	{ { "hook", "dockerhub", NULL }, { { "POST", ACT_HOOK_DOCKERHUB } },
	    "POST" },
	{ { "hook", "dockerhub", SEG_SECRET },
	    { { "POST", ACT_HOOK_DOCKERHUB } }, "POST" },
	{ { "hook", "github", NULL }, { { "POST", ACT_HOOK_GITHUB } }, "POST" },
	{ { "hook", "harbor", NULL }, { { "POST", ACT_HOOK_HARBOR } }, "POST" },
	{ { "hook", "quay", NULL }, { { "POST", ACT_HOOK_QUAY } }, "POST" },
	{ { "hook", "quay", SEG_SECRET }, { { "POST", ACT_HOOK_QUAY } },
	    "POST" },
	{ { "health", NULL, NULL },
	    { { "GET", ACT_HEALTH }, { "HEAD", ACT_HEALTH } }, "GET, HEAD" },
};

int
service_name_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > SERVICE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int alnum = ch_alnum((unsigned char)c);

		if (!alnum && c != '-' && c != '_')
			return 0;
		if (!alnum && (i == 0 || i == n - 1))
			return 0;
	}
	return 1;
}

/* Bytes a route path may hold; anything else is refused outright. */
static int
path_byte_ok(unsigned char c)
{
	return ch_alnum(c) || c == '/' || c == '-' || c == '_' || c == '.';
}

/* Where a match found the name and the secret (NULL when none). */
struct found {
	const char *name, *secret;
	size_t namelen, secretlen;
};

/* Matches path (n bytes, starting with '/') against one route. */
static int
match(const struct route *r, const char *path, size_t n, struct found *f)
{
	const char *p = path, *end = path + n;
	size_t i;

	for (i = 0; i < ROUTE_SEGS && r->seg[i] != NULL; i++) {
		const char *seg, *slash;
		size_t len;

		if (p >= end || *p != '/')
			return 0;
		seg = p + 1;
		slash = memchr(seg, '/', (size_t)(end - seg));
		len = (size_t)((slash ? slash : end) - seg);
		if (strcmp(r->seg[i], SEG_NAME) == 0) {
			if (!service_name_valid(seg, len))
				return 0;
			f->name = seg;
			f->namelen = len;
		} else if (strcmp(r->seg[i], SEG_SECRET) == 0) {
			if (len == 0 || len > CFG_TOKEN_MAX)
				return 0;
			f->secret = seg;
			f->secretlen = len;
		} else if (strlen(r->seg[i]) != len ||
		    memcmp(r->seg[i], seg, len) != 0)
			return 0;
		p = seg + len;
	}
	/* One trailing slash is tolerated, nothing else. */
	return p == end || (p + 1 == end && *p == '/');
}

static const struct route *
find(const char *path, size_t n, struct found *f)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		memset(f, 0, sizeof(*f));
		if (match(&routes[i], path, n, f))
			return &routes[i];
	}
	return NULL;
}

/* The routed path into req->path, with the secret (the path's last
 * segment) written as "<secret>"; the secret into req->path_secret. */
static void
keep_path(struct request *req, const char *path, const struct found *f)
{
	size_t head;

	if (f->secret == NULL) {
		memcpy(req->path, path, strlen(path) + 1);
		return;
	}
	head = (size_t)(f->secret - path);
	memcpy(req->path, path, head);
	memcpy(req->path + head, "<secret>", sizeof("<secret>"));
	memcpy(req->path_secret, f->secret, f->secretlen);
	req->path_secret[f->secretlen] = '\0';
}

int
route(struct request *req)
{
	const char *path = io_param(req->io, "PATH_INFO");
	const struct route *r = NULL;
	struct found f;
	size_t n, i;
	int suffix = 0;

	if (path == NULL || *path == '\0') {
		path = io_param(req->io, "SCRIPT_NAME");
		suffix = 1;
	}
	if (path == NULL || *path == '\0')
		return req_fail(req, 404, "no path given");
	n = strlen(path);
	if (n > PATH_MAX_LEN)
		return req_fail(req, 400, "path longer than %d bytes",
		    PATH_MAX_LEN);
	if (path[0] != '/')
		return req_fail(req, 400, "path must start with '/'");
	for (i = 0; i < n; i++)
		if (!path_byte_ok((unsigned char)path[i]))
			return req_fail(req, 400, "invalid byte in path");
	for (i = 0; i < n; i++) {
		/* Dot segments: "/." or "/.." followed by '/' or the end. */
		if (path[i] == '/' && path[i + 1] == '.' &&
		    (path[i + 2] == '/' || path[i + 2] == '\0' ||
		        (path[i + 2] == '.' &&
		            (path[i + 3] == '/' || path[i + 3] == '\0'))))
			return req_fail(req, 400, "dot segment in path");
	}

	if (!suffix)
		r = find(path, n, &f);
	else
		for (i = 0; i < n && r == NULL; i++)
			if (path[i] == '/' &&
			    (r = find(path + i, n - i, &f)) != NULL)
				path += i;
	if (r == NULL)
		return req_fail(req, 404, "no such endpoint");
	keep_path(req, path, &f);

	for (i = 0; i < ROUTE_METHODS && r->m[i].method != NULL; i++)
		if (strcmp(r->m[i].method, req->method) == 0)
			break;
	if (i == ROUTE_METHODS || r->m[i].method == NULL) {
		req->allow = r->allow;
		return req_fail(req, 405,
		    "method not allowed here (allowed: "
		    "%s)",
		    r->allow);
	}
	req->action = r->m[i].action;
	if (f.name != NULL) {
		char *to = req->action == ACT_STACK ? req->stack : req->service;

		memcpy(to, f.name, f.namelen);
		to[f.namelen] = '\0';
	}
	return 0;
}
