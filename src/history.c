/* history.c: a service's deploys and rollbacks, from the audit trail */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "history.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "respond.h"

#define REV_CAP (REV_CHUNK + REV_LINE_MAX)

int
rev_open(struct rev_reader *r, int fd)
{
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	if (fstat(fd, &st) == -1 || (r->buf = malloc(REV_CAP)) == NULL)
		return -1;
	/* What was there when we started: records appended meanwhile are
	 * newer than the request. */
	r->pos = (long long)st.st_size;
	r->lo = r->hi = REV_CAP;
	return 0;
}

void
rev_close(struct rev_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Moves the unfinished line to the end of the buffer and reads the chunk
 * before it in front of it. */
static int
rev_fill(struct rev_reader *r)
{
	size_t part = r->hi - r->lo, n = REV_CHUNK;

	if (part > REV_LINE_MAX) {
		part = 0;
		r->skip = 1;
	}
	memmove(r->buf + REV_CAP - part, r->buf + r->lo, part);
	if ((long long)n > r->pos)
		n = (size_t)r->pos;
	r->hi = REV_CAP;
	r->lo = REV_CAP - part - n;
	if (pread(r->fd, r->buf + r->lo, n, (off_t)(r->pos - (long long)n)) !=
	    (ssize_t)n)
		return -1;
	r->pos -= (long long)n;
	return 0;
}

int
rev_line(struct rev_reader *r, const char **line, size_t *len)
{
	char *nl;
	int skip;

	for (;;) {
		nl = memrchr(r->buf + r->lo, '\n', r->hi - r->lo);
		if (nl == NULL && r->pos > 0) {
			if (rev_fill(r) == -1)
				return -1;
			continue;
		}
		if (nl == NULL && r->hi == r->lo)
			return 0;
		/* A line after a newline, or the file's first line. */
		*line = nl ? nl + 1 : r->buf + r->lo;
		*len = (size_t)(r->buf + r->hi - *line);
		r->hi = nl ? (size_t)(nl - r->buf) : r->lo;
		skip = r->skip;
		r->skip = 0;
		if (!skip && *len > 0 && *len <= REV_LINE_MAX)
			return 1;
	}
}

/* ref, split at its digest into *image and *digest, to out. */
static void
put_ref(cJSON *out, const char *ref, const char *fallback_digest,
    const char *image_key, const char *digest_key)
{
	const char *at = ref ? strchr(ref, '@') : NULL;
	char *image = NULL;

	if (at != NULL && (image = strndup(ref, (size_t)(at - ref))) != NULL)
		json_put(out, image_key, image);
	else
		json_put(out, image_key, at ? NULL : ref);
	json_put(out, digest_key, at ? at + 1 : fallback_digest);
	free(image);
}

/* The history entry for record o when it is one, else NULL. */
static cJSON *
entry(const cJSON *o, const char *service)
{
	const char *action = json_str(o, "action"),
	           *phase = json_str(o, "phase");
	const char *svc = json_str(o, "service"), *out = json_str(o, "outcome");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
	cJSON *e;
	int status;

	if (svc == NULL || strcmp(svc, service) != 0 || action == NULL ||
	    !action_changes(action) || !cJSON_IsNumber(st) ||
	    (phase != NULL && strcmp(phase, "outcome") != 0) ||
	    (out != NULL && strcmp(out, "dry_run") == 0))
		return NULL;
	status = st->valueint;
	if (status >= 400 && status < 500 && status != 409)
		return NULL; /* refused: nothing was tried */
	if ((e = cJSON_CreateObject()) == NULL)
		return NULL;
	json_put(e, "time", json_str(o, "time"));
	json_put(e, "action", action);
	put_ref(e, json_str(o, "old_image"), NULL, "image_before",
	    "digest_before");
	put_ref(e, json_str(o, "new_image"), json_str(o, "digest"),
	    "image_after", "digest_after");
	json_put(e, "outcome", out);
	cJSON_AddNumberToObject(e, "status", status);
	json_put(e, "error", json_str(o, "error"));
	json_put(e, "token", json_str(o, "token"));
	json_put(e, "request_id", json_str(o, "request_id"));
	return e;
}

/* Adds up to req->limit entries to list, newest first. */
static int
collect(struct request *req, int fd, cJSON *list)
{
	char quoted[SERVICE_NAME_MAX + 3];
	struct rev_reader r;
	const char *line;
	size_t len, qlen;
	int rc, n = 0;

	qlen = (size_t)snprintf(quoted, sizeof(quoted), "\"%s\"", req->service);
	if (rev_open(&r, fd) == -1)
		return -1;
	while (n < (int)req->limit && (rc = rev_line(&r, &line, &len)) == 1) {
		cJSON *o, *e;

		/* Most lines are about other services: skip them unparsed. */
		if (memmem(line, len, quoted, qlen) == NULL)
			continue;
		o = cJSON_ParseWithLength(line, len);
		if ((e = entry(o, req->service)) != NULL) {
			cJSON_AddItemToArray(list, e);
			n++;
		}
		cJSON_Delete(o);
	}
	rev_close(&r);
	return n < (int)req->limit && rc == -1 ? -1 : 0;
}

int
history_run(struct request *req)
{
	const char *path = req->cfg->audit_file;
	cJSON *r, *list;
	int fd;

	if (path == NULL)
		return req_fail(req, 404,
		    "there is no history: no audit trail "
		    "is configured (set audit_file in the configuration file, "
		    "or DEPLOYER_AUDIT_FILE, to record deploys from now on)");
	if ((r = cJSON_CreateObject()) == NULL)
		return req_fail(req, 500, "out of memory");
	req->result = r;
	json_put(r, "service", req->service);
	if ((list = cJSON_AddArrayToObject(r, "history")) == NULL)
		return req_fail(req, 500, "out of memory");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0; /* nothing was recorded yet */
		log_warn("history: cannot open %s", path);
		return req_fail(req, 500,
		    "the audit trail cannot be read; "
		    "see the server log");
	}
	if (collect(req, fd, list) == -1) {
		log_warn("history: cannot read %s", path);
		close(fd);
		return req_fail(req, 500,
		    "the audit trail cannot be read; "
		    "see the server log");
	}
	close(fd);
	return 0;
}
