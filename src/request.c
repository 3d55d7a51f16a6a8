/* request.c: all state of one request, created and freed in one place */
/* SPDX-License-Identifier: MIT */
#include "chars.h"
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "job.h"
#include "log.h"
#include "member.h"
#include "push.h"
#include "request.h"
#include "util.h"

/* A text answer (a metrics scrape of a full service table) is bounded. */
#define REQ_TEXT_MAX (16 * 1024 * 1024)

/*
 * A FastCGI request's parameters never carry settings: a parameter named
 * like one either makes this request stricter (cfg_tighten, on a copy of
 * the process's settings) or is refused.  In CGI mode the parameters are
 * the process environment, which the operator's web server set and
 * cfg_load has read already.
 */
static int
apply_params(struct request *req, struct io *io, const struct config *base)
{
	char *const *p;
	char name[64];
	const char *eq, *why;
	size_t n;

	if (!io->fastcgi)
		return 0;
	for (p = io_params(io); p != NULL && *p != NULL; p++) {
		if ((eq = strchr(*p, '=')) == NULL ||
		    (n = (size_t)(eq - *p)) >= sizeof(name))
			continue;
		memcpy(name, *p, n);
		name[n] = '\0';
		if (!cfg_is_setting_name(name))
			continue;
		if (req->cfg != &req->own_cfg) {
			req->own_cfg = *base; /* borrows base's pointers */
			req->cfg = &req->own_cfg;
		}
		if (cfg_tighten(&req->own_cfg, name, eq + 1, &why) == -1) {
			log_warnx("refused request parameter %s: %s", name,
			    why);
			return req_fail(req, 400, "request parameter %s: %s",
			    name, why);
		}
	}
	req->body.max = req->cfg->max_body;
	return 0;
}

/* 1 when path has a segment after /hook/<sender>: where Docker Hub and
 * Quay put a token, and where a misconfigured sender may. */
static int
path_may_hold_secret(const char *path)
{
	const char *p = path ? strstr(path, "/hook/") : NULL;

	if (p == NULL || (p = strchr(p + 6, '/')) == NULL)
		return 0;
	return p[1] != '\0';
}

int
req_init(struct request *req, struct io *io, struct docker *d,
    const struct config *base, const char *base_error)
{
	const char *ra;

	memset(req, 0, sizeof(*req));
	req->wait_s = WAIT_NONE;
	req->io = io;
	req->docker = d;
	req->cfg = base;
	req->started_ms = mono_ms();
	buf_init(&req->body, base ? base->max_body : CFG_MAX_BODY_DEFAULT);
	buf_init(&req->text, REQ_TEXT_MAX);
	req->limit = HISTORY_LIMIT_DEFAULT;
	if (make_request_id(req->id) == -1)
		memcpy(req->id, "0000000000000000", 17);
	log_set_request(req->id);
	/* A web server writes the request line, secret and all, beside each
	 * line a CGI program writes to stderr (nginx: request: "POST ..."):
	 * a request that may carry a token in its path logs to syslog, from
	 * its first line on, whatever its status. */
	if (!io->fastcgi &&
	    (path_may_hold_secret(io_param(io, "PATH_INFO")) ||
	        path_may_hold_secret(io_param(io, "SCRIPT_NAME"))))
		log_open(LOG_TARGET_SYSLOG);

	req->method = io_param(io, "REQUEST_METHOD");
	if (req->method == NULL)
		req->method = "";
	ra = io_param(io, "REMOTE_ADDR");
	snprintf(req->remote_addr, sizeof(req->remote_addr), "%s",
	    ra && *ra ? ra : "-");

	if (base_error != NULL) {
		log_warnx("configuration: %s", base_error);
		return req_fail(req, 500,
		    "the server's configuration is "
		    "broken; see the server log");
	}
	return apply_params(req, io, base);
}

int
req_fail(struct request *req, int status, const char *fmt, ...)
{
	va_list ap;

	if (req->status != 0)
		return -1;
	req->status = status;
	va_start(ap, fmt);
	vsnprintf(req->error, sizeof(req->error), fmt, ap);
	va_end(ap);
	return -1;
}

int
req_fail_docker(struct request *req)
{
	static const int status[] = {
		[DOCKER_OK] = 500, /* a failure without a kind */
		[DOCKER_ERR_SETUP] = 500,
		[DOCKER_ERR_UNREACHABLE] = 502,
		[DOCKER_ERR_TIMEOUT] = 504,
		[DOCKER_ERR_PROTOCOL] = 502,
		[DOCKER_ERR_NOT_FOUND] = 404,
		[DOCKER_ERR_NOT_MANAGER] = 503,
		[DOCKER_ERR_CONFLICT] = 409,
		[DOCKER_ERR_REFUSED] = 502,
		[DOCKER_ERR_NOMEM] = 500,
	};
	const struct docker_err *e = &req->docker_err;
	size_t k = (size_t)e->kind;

	return req_fail(req,
	    k < sizeof(status) / sizeof(status[0]) ? status[k] : 500, "%s",
	    e->msg[0] ? e->msg : "Docker failed");
}

void
req_docker_warning(void *req, const char *msg)
{
	req_warn(req, msg);
}

void
req_warn(struct request *req, const char *msg)
{
	if (req->warnings == NULL &&
	    (req->warnings = cJSON_CreateArray()) == NULL)
		return;
	cJSON_AddItemToArray(req->warnings, cJSON_CreateString(msg));
}

/* One key=value pair of the query (n bytes at p). */
static int
query_pair(struct request *req, const char *p, size_t n, int *seen)
{
	const char *eq = memchr(p, '=', n), *errstr;
	size_t klen = eq ? (size_t)(eq - p) : n, vlen;
	const char *v = eq ? eq + 1 : p + n;
	uint64_t w;

	vlen = (size_t)(p + n - v);
	if (klen == 4 && memcmp(p, "wait", 4) == 0) {
		if (seen[0]++)
			return req_fail(req, 400, "\"wait\" given twice");
		if (parse_u64n(v, vlen, 0, (uint64_t)req->cfg->wait_max, &w,
		        &errstr) == -1)
			return req_fail(req, 400, "wait: %s (0 to %d seconds)",
			    errstr, req->cfg->wait_max);
		req->wait_s = (int)w;
		return 0;
	}
	if (klen == 5 && memcmp(p, "limit", 5) == 0) {
		if (req->action != ACT_HISTORY)
			return req_fail(req, 400, "limit applies to history");
		if (seen[2]++)
			return req_fail(req, 400, "\"limit\" given twice");
		if (parse_u64n(v, vlen, 1, HISTORY_LIMIT_MAX, &w, &errstr) ==
		    -1)
			return req_fail(req, 400, "limit: %s (1 to %d)", errstr,
			    HISTORY_LIMIT_MAX);
		req->limit = (unsigned)w;
		return 0;
	}
	if (klen == 7 && memcmp(p, "dry_run", 7) == 0) {
		if (seen[1]++)
			return req_fail(req, 400, "\"dry_run\" given twice");
		if ((vlen == 1 && *v == '1') ||
		    (vlen == 4 && memcmp(v, "true", 4) == 0) || !eq)
			req->dry_run = 1;
		else if ((vlen == 1 && *v == '0') ||
		    (vlen == 5 && memcmp(v, "false", 5) == 0))
			req->dry_run = 0;
		else
			return req_fail(req, 400, "dry_run must be 1 or 0");
		return 0;
	}
	return req_fail(req, 400,
	    req->action == ACT_HISTORY
	        ? "unknown query parameter (expected limit)"
	        : "unknown query parameter (expected wait, dry_run)");
}

int
req_parse_query(struct request *req)
{
	const char *q = io_param(req->io, "QUERY_STRING"), *p, *amp;
	int seen[3] = { 0, 0, 0 };

	if (q == NULL || *q == '\0')
		return 0;
	if (strlen(q) > PATH_MAX_LEN)
		return req_fail(req, 400, "query string too long");
	for (p = q; *p != '\0'; p++)
		if (!(ch_lower((unsigned char)*p) ||
		        ch_digit((unsigned char)*p) || *p == '_' || *p == '=' ||
		        *p == '&'))
			return req_fail(req, 400,
			    "invalid byte in query "
			    "string");
	for (p = q; *p != '\0'; p = *amp ? amp + 1 : amp) {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		if (amp == p)
			continue;
		if (query_pair(req, p, (size_t)(amp - p), seen) == -1)
			return -1;
	}
	return 0;
}

void
req_finish_input(struct request *req)
{
	const char *cl, *te;
	char chunk[16384];
	uint64_t want = 0, total = 0;
	const char *errstr;
	ssize_t n;

	if (req->io == NULL || req->io->fastcgi || req->body_done)
		return;
	cl = io_param(req->io, "CONTENT_LENGTH");
	te = io_param(req->io, "HTTP_TRANSFER_ENCODING");
	if (cl != NULL && *cl != '\0') {
		if (parse_u64(cl, 0, UINT64_MAX, &want, &errstr) == -1 ||
		    want <= req->body.len)
			return;
		want -= req->body.len;
	} else if (te == NULL || *te == '\0')
		return; /* no body was announced: never wait for one */
	else
		want = IO_DRAIN_MAX;
	while (total < want && total < IO_DRAIN_MAX) {
		size_t room = sizeof(chunk);

		if (want - total < room)
			room = (size_t)(want - total);
		if ((n = io_read(req->io, chunk, room)) <= 0)
			break;
		total += (size_t)n;
	}
	req->body_done = 1;
}

int
req_read_body(struct request *req)
{
	const char *cl = io_param(req->io, "CONTENT_LENGTH");
	char chunk[16384];
	uint64_t want = 0;
	const char *errstr;
	int bounded = 0;
	ssize_t n;

	/* RFC 3875: set-but-empty is the same as unset; Apache's mod_cgid
	 * passes chunked bodies without it, so then read to the end. */
	if (cl != NULL && *cl != '\0') {
		if (parse_u64(cl, 0, UINT64_MAX, &want, &errstr) == -1)
			return req_fail(req, 400, "invalid Content-Length");
		if (want > req->body.max)
			return req_fail(req, 413,
			    "request body larger than "
			    "%zu bytes",
			    req->body.max);
		bounded = 1;
	}
	for (;;) {
		size_t room = sizeof(chunk);

		if (bounded) {
			if (req->body.len >= want)
				break;
			if (want - req->body.len < room)
				room = (size_t)(want - req->body.len);
		}
		n = io_read(req->io, chunk, room);
		if (io_timed_out(req->io))
			return req_fail(req, 408,
			    "the request was not received "
			    "within request_timeout");
		if (n == -1)
			return req_fail(req, 400,
			    "could not read the request "
			    "body");
		if (n == 0)
			break;
		if (buf_add(&req->body, chunk, (size_t)n) == -1) {
			if (errno == EMSGSIZE) {
				return req_fail(req, 413,
				    "request body larger "
				    "than %zu bytes",
				    req->body.max);
			}
			return req_fail(req, 500, "out of memory");
		}
	}
	req->body_done = 1;
	if (bounded && req->body.len < want)
		return req_fail(req, 400,
		    "request body shorter than its "
		    "Content-Length");
	return 0;
}

void
req_change(const struct request *req, struct change *c)
{
	memset(c, 0, sizeof(*c));
	c->service = req->service;
	c->service_id = req->service_id;
	c->requested = req->image;
	c->prev_image = req->prev_image;
	c->new_image = req->new_image;
	c->digest = req->digest;
	c->state = req->state;
	c->message = req->state_message;
	c->version = req->spec_version;
	c->job = req->job;
}

void
req_free(struct request *req)
{
	buf_free(&req->body);
	buf_free(&req->text);
	free(req->prev_image);
	free(req->new_image);
	free(req->digest);
	free(req->state_message);
	cJSON_Delete(req->warnings);
	cJSON_Delete(req->result);
	members_free(req->members, req->nmembers);
	push_set_free(req->pushes);
	free(req->pushes);
	if (req->job != NULL)
		job_free(req->job);
	free(req->job);
	wipe(req->path_secret, sizeof(req->path_secret));
	log_set_request(NULL);
	memset(req, 0, sizeof(*req));
}
