/* dockerjob.c: the Docker Engine API calls of jobs, locks and pruning */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "docker.h"
#include "dockerint.h"
#include "log.h"
#include "util.h"

/* Docker refused; its message names the call. */
static int
refused(struct docker_err *e, const struct http_response *r, const char *what)
{
	char msg[256];

	docker_message(r, msg, sizeof(msg));
	log_warnx("docker: %s: %s", what, msg);
	if (r->status == 404)
		return docker_fail(e, DOCKER_ERR_NOT_FOUND, "%s: %s", what,
		    msg);
	if (r->status == 409)
		return docker_fail(e, DOCKER_ERR_CONFLICT, "%s: %s", what, msg);
	if (r->status == 503)
		return docker_fail(e, DOCKER_ERR_NOT_MANAGER,
		    "Docker is not an active swarm manager: %s", msg);
	return docker_fail(e, DOCKER_ERR_REFUSED, "Docker refused to %s: %s",
	    what, msg);
}

/* The reply as JSON of the given cJSON type test, into *root (owned). */
static int
parse_reply(struct docker_err *e, const struct http_response *r,
    cJSON_bool (*is)(const cJSON *), cJSON **root)
{
	*root = cJSON_ParseWithLength(buf_str(&r->body), r->body.len);
	if (*root != NULL && is(*root))
		return 0;
	cJSON_Delete(*root);
	*root = NULL;
	return docker_fail(e, DOCKER_ERR_PROTOCOL,
	    "Docker's reply is malformed");
}

int
docker_service_create(struct docker *d, struct docker_err *e, const char *spec,
    size_t n, const char *auth_header, char *id, size_t idlen)
{
	struct http_response r;
	const cJSON *v;
	cJSON *root = NULL;
	char path[64];
	int rc = -1;

	snprintf(path, sizeof(path), "/v%s/services/create", d->version);
	buf_init(&r.body, HTTP_BODY_MAX);
	if (docker_call(d, e, "POST", path, spec, n, auth_header, &r) == -1)
		goto out;
	if (r.status != 201 && r.status != 200) {
		refused(e, &r, "create the job service");
		goto out;
	}
	if (parse_reply(e, &r, cJSON_IsObject, &root) == -1)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(root, "ID");
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= idlen) {
		docker_fail(e, DOCKER_ERR_PROTOCOL,
		    "Docker named no ID for the created service");
		goto out;
	}
	memcpy(id, v->valuestring, strlen(v->valuestring) + 1);
	rc = 0;
out:
	cJSON_Delete(root);
	buf_free(&r.body);
	return rc;
}

/* DELETE of kind/id; an object already gone is removed too. */
static int
remove_object(struct docker *d, struct docker_err *e, const char *kind,
    const char *id)
{
	struct http_response r;
	char path[200], what[160];
	int rc = -1;

	if ((size_t)snprintf(path, sizeof(path), "/v%s/%s/%s", d->version, kind,
	        id) >= sizeof(path))
		return docker_fail(e, DOCKER_ERR_SETUP, "name too long");
	buf_init(&r.body, 64 * 1024);
	if (docker_call(d, e, "DELETE", path, NULL, 0, NULL, &r) == -1)
		goto out;
	if (r.status == 200 || r.status == 204 || r.status == 404)
		rc = 0;
	else {
		snprintf(what, sizeof(what), "remove %s %s", kind, id);
		refused(e, &r, what);
	}
out:
	buf_free(&r.body);
	return rc;
}

int
docker_service_remove(struct docker *d, struct docker_err *e, const char *id)
{
	return remove_object(d, e, "services", id);
}

int
docker_config_remove(struct docker *d, struct docker_err *e, const char *name)
{
	return remove_object(d, e, "configs", name);
}

static void
copy_string(const cJSON *v, char *out, size_t outlen)
{
	if (cJSON_IsString(v))
		snprintf(out, outlen, "%s", v->valuestring);
}

/* The task's state into t (Status.State, exit code, Err). */
static void
task_of(const cJSON *task, struct job_task *t)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(task, "Status");
	const cJSON *cs =
	    cJSON_GetObjectItemCaseSensitive(st, "ContainerStatus");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(cs, "ExitCode");
	const cJSON *cid = cJSON_GetObjectItemCaseSensitive(cs, "ContainerID");

	memset(t, 0, sizeof(*t));
	copy_string(cJSON_GetObjectItemCaseSensitive(st, "State"), t->state,
	    sizeof(t->state));
	copy_string(cJSON_GetObjectItemCaseSensitive(st, "Err"), t->err,
	    sizeof(t->err));
	if (t->err[0] == '\0')
		copy_string(cJSON_GetObjectItemCaseSensitive(st, "Message"),
		    t->err, sizeof(t->err));
	/* Swarm sends an ExitCode of 0 for a task that never had a
	 * container (rejected): only a container's counts. */
	if (cJSON_IsString(cid) && cid->valuestring[0] != '\0' &&
	    (strcmp(t->state, "complete") == 0 ||
	        strcmp(t->state, "failed") == 0) &&
	    cJSON_IsNumber(code) && code->valuedouble >= -2147483648.0 &&
	    code->valuedouble <= 2147483647.0) {
		t->has_exit = 1;
		t->exit_code = (int)code->valuedouble;
	}
}

static double
task_version(const cJSON *task)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(task, "Version"), "Index");

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

int
docker_job_task(struct docker *d, struct docker_err *e, const char *service_id,
    struct job_task *t)
{
	struct http_response r;
	char filters[160], enc[480], path[640];
	const cJSON *task, *newest = NULL;
	cJSON *root = NULL;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	snprintf(filters, sizeof(filters), "{\"service\":{\"%s\":true}}",
	    service_id);
	if (docker_url_encode(filters, enc, sizeof(enc)) == -1)
		return docker_fail(e, DOCKER_ERR_SETUP, "task filter too long");
	snprintf(path, sizeof(path), "/v%s/tasks?filters=%s", d->version, enc);
	buf_init(&r.body, HTTP_BODY_MAX);
	if (docker_call(d, e, "GET", path, NULL, 0, NULL, &r) == -1)
		goto out;
	if (r.status != 200) {
		refused(e, &r, "list the job's tasks");
		goto out;
	}
	if (parse_reply(e, &r, cJSON_IsArray, &root) == -1)
		goto out;
	/* One task and no restarts; should Swarm make another (a node
	 * lost), the newest one counts: the highest Version.Index. */
	cJSON_ArrayForEach(task, root) {
		if (newest == NULL || task_version(task) > task_version(newest))
			newest = task;
	}
	if (newest != NULL)
		task_of(newest, t);
	rc = 0;
out:
	cJSON_Delete(root);
	buf_free(&r.body);
	return rc;
}

/*
 * Appends the payloads of Docker's multiplexed log stream (8-byte frame
 * headers: stream, three zero bytes, big-endian length) to out; a stream
 * that is not framed (a TTY's) as it is.  What does not fit in out is
 * dropped.
 */
static void
demux(const unsigned char *p, size_t n, struct buf *out)
{
	size_t len;

	/* Streams 0 to 2 are stdin, stdout and stderr; 3 is the daemon's
	 * own error, not the job's output. */
	if (n < 8 || p[0] > 3 || p[1] != 0 || p[2] != 0 || p[3] != 0) {
		buf_add(out, p, n);
		return;
	}
	while (n >= 8) {
		len = (size_t)p[4] << 24 | (size_t)p[5] << 16 |
		    (size_t)p[6] << 8 | p[7];
		if (len > n - 8)
			len = n - 8;
		if (p[0] != 3)
			buf_add(out, p + 8, len);
		p += 8 + len;
		n -= 8 + len;
	}
}

int
docker_service_logs(struct docker *d, struct docker_err *e, const char *id,
    unsigned tail, struct buf *out)
{
	struct http_response r;
	char path[200];
	int rc = -1;

	snprintf(path, sizeof(path),
	    "/v%s/services/%s/logs?stdout=1&stderr=1&tail=%u", d->version, id,
	    tail);
	buf_init(&r.body, HTTP_BODY_MAX);
	if (docker_call(d, e, "GET", path, NULL, 0, NULL, &r) == -1)
		goto out;
	if (r.status != 200) {
		refused(e, &r, "read the job's output");
		goto out;
	}
	demux((const unsigned char *)r.body.data, r.body.len, out);
	rc = 0;
out:
	buf_free(&r.body);
	return rc;
}

int
docker_config_get(struct docker *d, struct docker_err *e, const char *name,
    char *id, size_t idlen, cJSON **labels)
{
	struct http_response r;
	char path[200];
	const cJSON *v;
	cJSON *root = NULL;
	int rc = -1;

	*labels = NULL;
	snprintf(path, sizeof(path), "/v%s/configs/%s", d->version, name);
	buf_init(&r.body, HTTP_BODY_MAX);
	if (docker_call(d, e, "GET", path, NULL, 0, NULL, &r) == -1)
		goto out;
	if (r.status == 404) {
		rc = 1;
		goto out;
	}
	if (r.status != 200) {
		refused(e, &r, "read a config");
		goto out;
	}
	if (parse_reply(e, &r, cJSON_IsObject, &root) == -1)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(root, "ID");
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= idlen) {
		docker_fail(e, DOCKER_ERR_PROTOCOL, "a config without an ID");
		goto out;
	}
	memcpy(id, v->valuestring, strlen(v->valuestring) + 1);
	*labels = cJSON_DetachItemFromObjectCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(root, "Spec"), "Labels");
	if (*labels == NULL && (*labels = cJSON_CreateObject()) == NULL) {
		docker_fail(e, DOCKER_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	buf_free(&r.body);
	return rc;
}

int
docker_labelled(struct docker *d, struct docker_err *e, const char *kind,
    const char *label, docker_each_fn fn, void *ctx)
{
	struct http_response r;
	char filters[256], enc[768], path[1024], what[64];
	const cJSON *o;
	cJSON *root = NULL;
	int rc = -1;

	if ((size_t)snprintf(filters, sizeof(filters), "{\"label\":[\"%s\"]}",
	        label) >= sizeof(filters) ||
	    docker_url_encode(filters, enc, sizeof(enc)) == -1)
		return docker_fail(e, DOCKER_ERR_SETUP,
		    "label filter too long");
	snprintf(path, sizeof(path), "/v%s/%s?filters=%s", d->version, kind,
	    enc);
	buf_init(&r.body, HTTP_BODY_MAX);
	if (docker_call(d, e, "GET", path, NULL, 0, NULL, &r) == -1)
		goto out;
	if (r.status != 200) {
		snprintf(what, sizeof(what), "list %s", kind);
		refused(e, &r, what);
		goto out;
	}
	if (parse_reply(e, &r, cJSON_IsArray, &root) == -1)
		goto out;
	rc = 0;
	cJSON_ArrayForEach(o, root) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "ID");
		const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o, "Spec");
		const cJSON *name =
		    cJSON_GetObjectItemCaseSensitive(spec, "Name");

		if (!cJSON_IsString(id) || !cJSON_IsString(name))
			continue;
		if ((rc = fn(ctx, id->valuestring, name->valuestring,
		         cJSON_GetObjectItemCaseSensitive(spec, "Labels"))) ==
		    -1)
			break;
	}
out:
	cJSON_Delete(root);
	buf_free(&r.body);
	return rc;
}

/* Housekeeping never fails its caller: a transport failure that
 * docker_call recorded is taken back. */
static int
untouched(struct docker_err *e, int rc)
{
	e->kind = DOCKER_OK;
	e->msg[0] = '\0';
	return rc;
}

struct prune {
	struct docker *d;
	struct docker_err *e;
	const char *label;
	time_t now;
	unsigned max, removed;
	int stopped; /* a removal failed: the listing ends there */
};

static int
prune_one(void *ctx, const char *id, const char *name, const cJSON *labels)
{
	struct prune *p = ctx;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, p->label);
	const char *errstr;
	uint64_t until;

	(void)name;
	if (p->removed >= p->max || !cJSON_IsString(v) ||
	    parse_u64(v->valuestring, 0, UINT64_MAX, &until, &errstr) == -1 ||
	    until >= (uint64_t)p->now)
		return 0;
	if (docker_config_remove(p->d, p->e, id) == -1) {
		p->stopped = 1;
		return -1;
	}
	p->removed++;
	return 0;
}

int
docker_configs_prune(struct docker *d, struct docker_err *e, const char *label,
    time_t now, unsigned max)
{
	struct prune p = { d, e, label, now, max, 0, 0 };

	if (docker_labelled(d, e, "configs", label, prune_one, &p) == -1 &&
	    !p.stopped)
		return untouched(e, -1);
	return untouched(e, (int)p.removed);
}
