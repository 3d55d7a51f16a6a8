/* docker.c: the Docker Engine API calls a deploy makes */
/* SPDX-License-Identifier: MIT */
#include "chars.h"
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "docker.h"
#include "dockerint.h"
#include "http.h"
#include "imageref.h"
#include "log.h"
#include "cfg.h"
#include "util.h"

/* Docker 1.13 (API 1.25) brought ForceUpdate, Warnings, UpdateStatus,
 * registryAuthFrom and the Api-Version header; older daemons are refused. */
#define API_MIN_MINOR 25
/* "sha256:" and 64 hex digits. */
#define SHA256_DIGEST_REF_LEN (7 + 64)

static const char *const path_spec[] = { "Spec", NULL };
static const char *const path_version[] = { "Version", "Index", NULL };
static const char *const path_force[] = { "Spec", "TaskTemplate", "ForceUpdate",
	NULL };

int
docker_fail(struct docker_err *e, enum docker_error kind, const char *fmt, ...)
{
	va_list ap;

	e->kind = kind;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Parses "1.NN" into NN; -1 when it is not that. */
static int
api_minor(const char *v)
{
	uint64_t minor;
	const char *errstr;

	if (strncmp(v, "1.", 2) != 0 ||
	    parse_u64(v + 2, 0, 999, &minor, &errstr) == -1)
		return -1;
	return (int)minor;
}

int
docker_api_at_least(const struct docker *d, int minor)
{
	return api_minor(d->version) >= minor;
}

/* Maps a transport failure to an error kind. */
static int
fail_transport(struct docker *d, struct docker_err *e, enum http_fail f,
    const char *errstr)
{
	log_warnx("docker at %s: %s", d->cfg->docker_host, errstr);
	switch (f) {
	case HTTP_FAIL_TIMEOUT:
		return docker_fail(e, DOCKER_ERR_TIMEOUT,
		    "Docker did not answer in time");
	case HTTP_FAIL_CONNECT:
		return docker_fail(e, DOCKER_ERR_UNREACHABLE,
		    "Docker is unreachable");
	case HTTP_FAIL_TOO_BIG:
		return docker_fail(e, DOCKER_ERR_PROTOCOL,
		    "Docker's reply was too large");
	case HTTP_FAIL_PROTOCOL:
		return docker_fail(e, DOCKER_ERR_PROTOCOL,
		    "Docker's reply was malformed or "
		    "cut short");
	default:
		return docker_fail(e, DOCKER_ERR_REFUSED,
		    "Docker request failed");
	}
}

void
docker_message(const struct http_response *r, char *out, size_t outlen)
{
	cJSON *root, *m;

	snprintf(out, outlen, "HTTP %ld", r->status);
	root = cJSON_ParseWithLength(buf_str(&r->body), r->body.len);
	m = cJSON_GetObjectItemCaseSensitive(root, "message");
	if (cJSON_IsString(m))
		snprintf(out, outlen, "%s", m->valuestring);
	cJSON_Delete(root);
}

static void
target_of(const struct config *c, struct http_target *t)
{
	t->host = c->docker_host;
	t->tls = c->docker_tls;
	t->tls_verify = c->docker_tls_verify;
	t->cert_path = c->docker_cert_path;
	t->connect_timeout_ms = c->connect_timeout_ms;
}

int
docker_call(struct docker *d, struct docker_err *e, const char *method,
    const char *path, const char *body, size_t n, const char *hdr,
    struct http_response *r)
{
	enum http_fail f;
	const char *errstr;

	if (http_request(d->http, method, path, body, n, hdr,
	        d->cfg->docker_timeout_ms, r, &f, &errstr) == -1)
		return fail_transport(d, e, f, errstr);
	return 0;
}

/* Opens (or keeps) the client for the configured Docker host. */
static int
connect_client(struct docker *d, struct docker_err *e)
{
	struct http_target t;
	const char *errstr;

	target_of(d->cfg, &t);
	if (d->http != NULL && !http_same_target(d->http, &t)) {
		http_close(d->http);
		d->http = NULL;
		d->version[0] = '\0';
	}
	if (d->http == NULL && (d->http = http_open(&t, &errstr)) == NULL) {
		log_warnx("docker: %s", errstr);
		return docker_fail(e, DOCKER_ERR_SETUP,
		    "cannot set up the Docker client; "
		    "see the server log");
	}
	return 0;
}

int
docker_ping(struct docker *d, struct docker_err *e)
{
	struct http_response r;
	int minor;

	if (connect_client(d, e) == -1)
		return -1;
	buf_init(&r.body, HTTP_BODY_MAX);
	if (docker_call(d, e, "GET", "/_ping", NULL, 0, NULL, &r) == -1) {
		buf_free(&r.body);
		return -1;
	}
	buf_free(&r.body);
	if (r.status != 200)
		return docker_fail(e, DOCKER_ERR_REFUSED,
		    "Docker's /_ping answered HTTP %ld", r.status);
	if ((minor = api_minor(r.api_version)) == -1)
		return docker_fail(e, DOCKER_ERR_PROTOCOL,
		    "Docker sent no usable API version");
	if (minor < API_MIN_MINOR)
		return docker_fail(e, DOCKER_ERR_REFUSED,
		    "Docker API %s is too old (1.%d "
		    "or newer needed)",
		    r.api_version, API_MIN_MINOR);
	snprintf(d->version, sizeof(d->version), "%s", r.api_version);
	return 0;
}

int
docker_prepare(struct docker *d, const struct config *cfg, struct docker_err *e)
{
	memset(e, 0, sizeof(*e));
	d->cfg = cfg;
	if (connect_client(d, e) == -1)
		return -1;
	if (d->version[0] != '\0')
		return 0;
	return docker_ping(d, e);
}

int
docker_info(struct docker *d, struct docker_err *e, char *state,
    size_t statelen, int *manager)
{
	struct http_response r;
	const cJSON *sw, *st, *ca;
	cJSON *root;
	char path[64];

	*manager = 0;
	snprintf(state, statelen, "unknown");
	snprintf(path, sizeof(path), "/v%s/info", d->version);
	buf_init(&r.body, HTTP_BODY_MAX);
	if (docker_call(d, e, "GET", path, NULL, 0, NULL, &r) == -1) {
		buf_free(&r.body);
		return -1;
	}
	root = cJSON_ParseWithLength(buf_str(&r.body), r.body.len);
	buf_free(&r.body);
	if (r.status != 200 || root == NULL) {
		cJSON_Delete(root);
		return docker_fail(e, DOCKER_ERR_REFUSED,
		    "Docker's /info failed (HTTP %ld)", r.status);
	}
	sw = cJSON_GetObjectItemCaseSensitive(root, "Swarm");
	st = cJSON_GetObjectItemCaseSensitive(sw, "LocalNodeState");
	ca = cJSON_GetObjectItemCaseSensitive(sw, "ControlAvailable");
	if (cJSON_IsString(st))
		snprintf(state, statelen, "%s", st->valuestring);
	*manager = cJSON_IsTrue(ca);
	cJSON_Delete(root);
	return 0;
}

/* Reads labels, name, image and version from a GET /services reply. */
/* The update state, mode, ForceUpdate and images of a service reply. */
static int
parse_state(struct docker_err *e, const cJSON *root, const cJSON *spec,
    const char *name, struct service *svc)
{
	const cJSON *img, *prev, *us, *st, *mode;
	struct json_span sp;
	const char *errstr;

	us = cJSON_GetObjectItemCaseSensitive(root, "UpdateStatus");
	st = cJSON_GetObjectItemCaseSensitive(us, "State");
	if (cJSON_IsString(st))
		snprintf(svc->update_state, sizeof(svc->update_state), "%s",
		    st->valuestring);
	st = cJSON_GetObjectItemCaseSensitive(us, "Message");
	if (cJSON_IsString(st) &&
	    (svc->update_message = strdup(st->valuestring)) == NULL) {
		return docker_fail(e, DOCKER_ERR_NOMEM, "out of memory");
	}
	mode = cJSON_GetObjectItemCaseSensitive(spec, "Mode");
	st = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(mode, "Replicated"), "Replicas");
	if (cJSON_GetObjectItemCaseSensitive(mode, "Replicated") == NULL)
		svc->replicas = -1;
	else if (cJSON_IsNumber(st) && st->valuedouble >= 0 &&
	    st->valuedouble < 1e9)
		svc->replicas = (int64_t)st->valuedouble;
	else
		svc->replicas = 1; /* Docker's default when omitted */
	svc->force_update = 0;
	if (json_find(svc->raw, svc->rawlen, path_force, &sp) == 0 &&
	    (sp.type != JSON_NUMBER ||
	        parse_u64n(svc->raw + sp.off, sp.len, 0, UINT64_MAX,
	            &svc->force_update, &errstr) == -1))
		return docker_fail(e, DOCKER_ERR_PROTOCOL,
		    "Docker's service "
		    "reply has a malformed ForceUpdate");

	img = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(spec, "TaskTemplate"),
	        "ContainerSpec"),
	    "Image");
	prev = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(
	            cJSON_GetObjectItemCaseSensitive(root, "PreviousSpec"),
	            "TaskTemplate"),
	        "ContainerSpec"),
	    "Image");
	if (!cJSON_IsString(img))
		return docker_fail(e, DOCKER_ERR_PROTOCOL,
		    "service %s has no "
		    "container image (not a container service)",
		    name);
	if ((svc->image = strdup(img->valuestring)) == NULL ||
	    (cJSON_IsString(prev) &&
	        (svc->prev_image = strdup(prev->valuestring)) == NULL))
		return docker_fail(e, DOCKER_ERR_NOMEM, "out of memory");
	return 0;
}

/* The labels a stack release reads: the stack and the member's order. */
static void
parse_release_labels(const cJSON *labels, struct service *svc)
{
	const cJSON *l;
	const char *errstr, *digits;
	uint64_t v;

	l = cJSON_GetObjectItemCaseSensitive(labels,
	    "com.docker.stack.namespace");
	if (cJSON_IsString(l) && strlen(l->valuestring) < sizeof(svc->stack))
		memcpy(svc->stack, l->valuestring, strlen(l->valuestring) + 1);
	l = cJSON_GetObjectItemCaseSensitive(labels, "deployer.order");
	if (l == NULL)
		return;
	digits = cJSON_IsString(l) ? l->valuestring : "";
	if (*digits == '-')
		digits++;
	if (parse_u64(digits, 0, 1000000, &v, &errstr) == -1)
		svc->order_bad = 1;
	else
		svc->order = *l->valuestring == '-' ? -(long)v : (long)v;
}

static int
parse_service(struct docker_err *e, const char *name, struct service *svc)
{
	const cJSON *spec, *labels, *allow, *nm, *id;
	struct json_span sp;
	const char *errstr;
	cJSON *root;
	int rc = -1;

	if (json_find(svc->raw, svc->rawlen, path_spec, &svc->spec) != 0 ||
	    svc->spec.type != JSON_OBJECT ||
	    json_find(svc->raw, svc->rawlen, path_version, &sp) != 0 ||
	    sp.type != JSON_NUMBER ||
	    parse_u64n(svc->raw + sp.off, sp.len, 0, UINT64_MAX, &svc->version,
	        &errstr) == -1)
		return docker_fail(e, DOCKER_ERR_PROTOCOL,
		    "Docker's service "
		    "reply is malformed");
	if ((root = cJSON_ParseWithLength(svc->raw, svc->rawlen)) == NULL)
		return docker_fail(e, DOCKER_ERR_PROTOCOL,
		    "Docker's service "
		    "reply is malformed");
	spec = cJSON_GetObjectItemCaseSensitive(root, "Spec");
	nm = cJSON_GetObjectItemCaseSensitive(spec, "Name");
	id = cJSON_GetObjectItemCaseSensitive(root, "ID");
	if (!cJSON_IsString(nm) || !cJSON_IsString(id) ||
	    strlen(id->valuestring) >= sizeof(svc->id) ||
	    strlen(nm->valuestring) >= sizeof(svc->name)) {
		docker_fail(e, DOCKER_ERR_PROTOCOL,
		    "Docker's service reply is malformed");
		goto out;
	}
	/* Docker resolves a full ID, then a name, then an ID prefix: only
	 * the first two address the service the URL names. */
	if (strcmp(nm->valuestring, name) != 0 &&
	    strcmp(id->valuestring, name) != 0) {
		docker_fail(e, DOCKER_ERR_NOT_FOUND, "no such service: %s",
		    name);
		goto out;
	}
	memcpy(svc->id, id->valuestring, strlen(id->valuestring) + 1);
	memcpy(svc->name, nm->valuestring, strlen(nm->valuestring) + 1);

	labels = cJSON_GetObjectItemCaseSensitive(spec, "Labels");
	allow =
	    cJSON_GetObjectItemCaseSensitive(labels, "deployer.allowUpdates");
	svc->allow_updates =
	    cJSON_IsString(allow) && strcmp(allow->valuestring, "true") == 0;
	allow =
	    cJSON_GetObjectItemCaseSensitive(labels, "deployer.allowedImages");
	if (cJSON_IsString(allow) &&
	    (svc->allowed_images = strdup(allow->valuestring)) == NULL) {
		docker_fail(e, DOCKER_ERR_NOMEM, "out of memory");
		goto out;
	}
	parse_release_labels(labels, svc);

	if (parse_state(e, root, spec, name, svc) == -1)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
docker_service_get(struct docker *d, struct docker_err *e, const char *name,
    struct service *svc)
{
	struct http_response r;
	char path[128], msg[256];
	int tries;

	memset(svc, 0, sizeof(*svc));
	buf_init(&r.body, HTTP_BODY_MAX);
	/* A second round only when the daemon's version changed under a
	 * long-running process (upgraded): never post an old-version spec. */
	for (tries = 0; tries < 2; tries++) {
		snprintf(path, sizeof(path),
		    "/v%s/services/%s?insertDefaults="
		    "false",
		    d->version, name);
		if (docker_call(d, e, "GET", path, NULL, 0, NULL, &r) == -1)
			goto fail;
		if (r.api_version[0] == '\0' ||
		    strcmp(r.api_version, d->version) == 0 ||
		    api_minor(r.api_version) < API_MIN_MINOR)
			break;
		log_info("docker: API version changed from %s to %s",
		    d->version, r.api_version);
		snprintf(d->version, sizeof(d->version), "%s", r.api_version);
	}
	switch (r.status) {
	case 200:
		break;
	case 404:
		docker_fail(e, DOCKER_ERR_NOT_FOUND, "no such service: %s",
		    name);
		goto fail;
	case 503:
		docker_message(&r, msg, sizeof(msg));
		log_warnx("docker: %s", msg);
		docker_fail(e, DOCKER_ERR_NOT_MANAGER,
		    "Docker is not an active swarm manager: %s", msg);
		goto fail;
	default:
		docker_message(&r, msg, sizeof(msg));
		log_warnx("docker: GET service %s: %s", name, msg);
		docker_fail(e, DOCKER_ERR_REFUSED,
		    "Docker failed to read service %s: %s", name, msg);
		goto fail;
	}
	svc->raw = buf_take(&r.body, &svc->rawlen);
	if (svc->raw == NULL)
		return docker_fail(e, DOCKER_ERR_NOMEM, "out of memory");
	if (parse_service(e, name, svc) == -1) {
		service_free(svc);
		return -1;
	}
	return 0;
fail:
	buf_free(&r.body);
	return -1;
}

static void
collect_warnings(const struct http_response *r, docker_warn_fn warn, void *ctx)
{
	const cJSON *w, *item;
	cJSON *root;

	root = cJSON_ParseWithLength(buf_str(&r->body), r->body.len);
	w = cJSON_GetObjectItemCaseSensitive(root, "Warnings");
	cJSON_ArrayForEach(item, w) {
		if (cJSON_IsString(item))
			warn(ctx, item->valuestring);
	}
	cJSON_Delete(root);
}

int
docker_service_update(struct docker *d, struct docker_err *e,
    const struct service *svc, const char *spec, size_t n,
    const char *auth_header, int rollback, docker_warn_fn warn, void *ctx)
{
	struct http_response r;
	char path[200], msg[256];
	int rc = -1;

	/* Without credentials of our own, registryAuthFrom=spec keeps the
	 * ones stored with the service, as the docker CLI does. */
	snprintf(path, sizeof(path),
	    "/v%s/services/%s/update?version=%llu"
	    "%s%s",
	    d->version, svc->id, (unsigned long long)svc->version,
	    auth_header ? "" : "&registryAuthFrom=spec",
	    rollback ? "&rollback=previous" : "");
	buf_init(&r.body, HTTP_BODY_MAX);
	if (docker_call(d, e, "POST", path, spec, n, auth_header, &r) == -1)
		goto out;
	if (r.status == 200) {
		if (warn != NULL)
			collect_warnings(&r, warn, ctx);
		rc = 0;
		goto out;
	}
	docker_message(&r, msg, sizeof(msg));
	if (r.status == 500 && strstr(msg, "update out of sequence") != NULL) {
		rc = 1;
		goto out;
	}
	log_warnx("docker: update of %s refused: %s", svc->id, msg);
	if (rollback && r.status == 400 &&
	    strstr(msg, "does not have a previous spec") != NULL)
		docker_fail(e, DOCKER_ERR_CONFLICT,
		    "service %s has no previous spec to roll "
		    "back to",
		    svc->name);
	else if (r.status == 404)
		docker_fail(e, DOCKER_ERR_NOT_FOUND, "service %s disappeared",
		    svc->name);
	else if (r.status == 503)
		docker_fail(e, DOCKER_ERR_NOT_MANAGER,
		    "Docker is not an active swarm manager: %s", msg);
	else
		docker_fail(e, DOCKER_ERR_REFUSED,
		    "Docker refused the update: %s", msg);
out:
	buf_free(&r.body);
	return rc;
}

/* Percent-encodes s (JSON for a filters= query) into out. */
int
docker_url_encode(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (o + 4 > outlen)
			return -1;
		if (ch_alnum(c) || c == '-' || c == '_' || c == '.')
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

/*
 * The platforms a registry lists for an image, as the docker CLI puts
 * them in Placement.Platforms: unknown ones skipped, an "arm" variant
 * (which architecture alone cannot match) blank, no repeats.  *out is a
 * new array, or NULL when none is left; -1 when out of memory.
 */
static int
platforms_of(const cJSON *pl, cJSON **out)
{
	const cJSON *p, *q;
	cJSON *e;

	*out = NULL;
	if (cJSON_GetArraySize(pl) > 0 && (*out = cJSON_CreateArray()) == NULL)
		return -1;
	cJSON_ArrayForEach(p, pl) {
		const cJSON *os = cJSON_GetObjectItemCaseSensitive(p, "os");
		const cJSON *arch =
		    cJSON_GetObjectItemCaseSensitive(p, "architecture");
		const char *a;
		int dup = 0;

		if (!cJSON_IsString(os) || !cJSON_IsString(arch) ||
		    strcmp(os->valuestring, "unknown") == 0 ||
		    strcmp(arch->valuestring, "unknown") == 0)
			continue;
		a = strcmp(arch->valuestring, "arm") == 0 ? ""
		                                          : arch->valuestring;
		cJSON_ArrayForEach(q, *out) {
			const cJSON *qa =
			    cJSON_GetObjectItemCaseSensitive(q, "Architecture");
			const cJSON *qo =
			    cJSON_GetObjectItemCaseSensitive(q, "OS");

			if (strcmp(qa->valuestring, a) == 0 &&
			    strcmp(qo->valuestring, os->valuestring) == 0)
				dup = 1;
		}
		if (dup)
			continue;
		if ((e = cJSON_CreateObject()) == NULL ||
		    cJSON_AddStringToObject(e, "Architecture", a) == NULL ||
		    cJSON_AddStringToObject(e, "OS", os->valuestring) == NULL ||
		    !cJSON_AddItemToArray(*out, e)) {
			cJSON_Delete(e);
			cJSON_Delete(*out);
			*out = NULL;
			return -1;
		}
	}
	return 0;
}

int
docker_resolve(struct docker *d, struct docker_err *e, const char *name,
    const char *auth_header, char **digest, cJSON **platforms, char *why,
    size_t whylen)
{
	struct http_response r;
	const cJSON *desc, *dg;
	cJSON *root = NULL, *out = NULL;
	char path[REF_MAX + 64];
	int rc = 1;

	*digest = NULL;
	*platforms = NULL;
	if (api_minor(d->version) < 30) {
		snprintf(why, whylen, "Docker API %s cannot resolve digests",
		    d->version);
		return 1;
	}
	/* name passed the reference grammar: only [a-z0-9._:/@-] and
	 * uppercase in a host name; safe in a path as it is. */
	snprintf(path, sizeof(path), "/v%s/distribution/%s/json", d->version,
	    name);
	buf_init(&r.body, HTTP_BODY_MAX);
	if (docker_call(d, e, "GET", path, NULL, 0, auth_header, &r) == -1) {
		buf_free(&r.body);
		return -1;
	}
	if (r.status != 200) {
		docker_message(&r, why, whylen);
		goto out;
	}
	root = cJSON_ParseWithLength(buf_str(&r.body), r.body.len);
	desc = cJSON_GetObjectItemCaseSensitive(root, "Descriptor");
	dg = cJSON_GetObjectItemCaseSensitive(desc, "digest");
	if (!cJSON_IsString(dg) ||
	    strncmp(dg->valuestring, "sha256:", 7) != 0 ||
	    strlen(dg->valuestring) != SHA256_DIGEST_REF_LEN) {
		snprintf(why, whylen, "the registry sent no sha256 digest");
		goto out;
	}
	if (platforms_of(cJSON_GetObjectItemCaseSensitive(root, "Platforms"),
	        &out) == -1)
		goto nomem;
	if ((*digest = strdup(dg->valuestring)) == NULL)
		goto nomem;
	if (cJSON_GetArraySize(out) > 0) {
		*platforms = out;
		out = NULL;
	}
	rc = 0;
	goto out;
nomem:
	rc = docker_fail(e, DOCKER_ERR_NOMEM, "out of memory");
out:
	cJSON_Delete(out);
	cJSON_Delete(root);
	buf_free(&r.body);
	return rc;
}

/* One element of a service listing, into b. */
static int
brief_of(struct docker_err *e, const cJSON *item, struct service_brief *b)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(item, "Spec");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "ID");
	const cJSON *nm = cJSON_GetObjectItemCaseSensitive(spec, "Name");
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(spec, "Labels");
	const cJSON *allow, *img, *track, *stack;

	img = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(spec, "TaskTemplate"),
	        "ContainerSpec"),
	    "Image");
	allow =
	    cJSON_GetObjectItemCaseSensitive(labels, "deployer.allowUpdates");
	track = cJSON_GetObjectItemCaseSensitive(labels, "deployer.track");
	stack = cJSON_GetObjectItemCaseSensitive(labels,
	    "com.docker.stack.namespace");
	if (!cJSON_IsString(id) || !cJSON_IsString(nm) ||
	    strlen(id->valuestring) >= sizeof(b->id) ||
	    strlen(nm->valuestring) >= sizeof(b->name))
		return docker_fail(e, DOCKER_ERR_PROTOCOL,
		    "Docker's service list is malformed");
	memcpy(b->id, id->valuestring, strlen(id->valuestring) + 1);
	memcpy(b->name, nm->valuestring, strlen(nm->valuestring) + 1);
	b->allow_updates =
	    cJSON_IsString(allow) && strcmp(allow->valuestring, "true") == 0;
	/* A service that runs no container image is listed without one. */
	if (cJSON_IsString(stack) &&
	    strlen(stack->valuestring) < sizeof(b->stack))
		memcpy(b->stack, stack->valuestring,
		    strlen(stack->valuestring) + 1);
	if ((cJSON_IsString(img) &&
	        (b->image = strdup(img->valuestring)) == NULL) ||
	    (cJSON_IsString(track) &&
	        (b->track = strdup(track->valuestring)) == NULL))
		return docker_fail(e, DOCKER_ERR_NOMEM, "out of memory");
	return 0;
}

/* The services of a listing reply, into *list. */
static int
briefs_of(struct docker_err *e, const cJSON *root, size_t max,
    struct service_brief **list, size_t *n)
{
	const cJSON *item;
	size_t count = (size_t)cJSON_GetArraySize(root);

	if (count > max)
		return docker_fail(e, DOCKER_ERR_REFUSED,
		    "more than %zu services match", max);
	if (count == 0)
		return 0;
	if ((*list = calloc(count, sizeof(**list))) == NULL)
		return docker_fail(e, DOCKER_ERR_NOMEM, "out of memory");
	cJSON_ArrayForEach(item, root) {
		if (brief_of(e, item, &(*list)[*n]) == -1) {
			service_briefs_free(*list, *n + 1);
			*list = NULL;
			*n = 0;
			return -1;
		}
		(*n)++;
	}
	return 0;
}

int
docker_services_list(struct docker *d, struct docker_err *e, const char *label,
    size_t max, struct service_brief **list, size_t *n)
{
	struct http_response r;
	char filters[512], enc[1536], path[2048], msg[256];
	cJSON *root = NULL;
	int rc = -1;

	*list = NULL;
	*n = 0;
	if ((size_t)snprintf(filters, sizeof(filters),
	        "{\"label\":{\"%s\":true}}", label) >= sizeof(filters) ||
	    docker_url_encode(filters, enc, sizeof(enc)) == -1)
		return docker_fail(e, DOCKER_ERR_SETUP,
		    "label filter too long");
	snprintf(path, sizeof(path), "/v%s/services?filters=%s", d->version,
	    enc);
	buf_init(&r.body, HTTP_BODY_MAX);
	if (docker_call(d, e, "GET", path, NULL, 0, NULL, &r) == -1)
		goto out;
	if (r.status != 200) {
		docker_message(&r, msg, sizeof(msg));
		log_warnx("docker: list services %s: %s", label, msg);
		docker_fail(e,
		    r.status == 503 ? DOCKER_ERR_NOT_MANAGER
		                    : DOCKER_ERR_REFUSED,
		    "Docker failed to list the services labelled %s: %s", label,
		    msg);
		goto out;
	}
	root = cJSON_ParseWithLength(buf_str(&r.body), r.body.len);
	if (!cJSON_IsArray(root)) {
		docker_fail(e, DOCKER_ERR_PROTOCOL,
		    "Docker's service list is malformed");
		goto out;
	}
	rc = briefs_of(e, root, max, list, n);
out:
	cJSON_Delete(root);
	buf_free(&r.body);
	return rc;
}

void
service_briefs_free(struct service_brief *list, size_t n)
{
	size_t i;

	for (i = 0; i < n && list != NULL; i++) {
		free(list[i].image);
		free(list[i].track);
	}
	free(list);
}

int
docker_tasks(struct docker *d, struct docker_err *e, const char *service_id,
    struct task_count *tc)
{
	struct http_response r;
	char filters[256], enc[768], path[1024];
	const cJSON *t;
	cJSON *root = NULL;

	memset(tc, 0, sizeof(*tc));
	snprintf(filters, sizeof(filters),
	    "{\"service\":{\"%s\":true},"
	    "\"_up-to-date\":{\"true\":true}}",
	    service_id);
	if (docker_url_encode(filters, enc, sizeof(enc)) == -1)
		return docker_fail(e, DOCKER_ERR_SETUP, "task filter too long");
	snprintf(path, sizeof(path), "/v%s/tasks?filters=%s", d->version, enc);
	buf_init(&r.body, HTTP_BODY_MAX);
	if (docker_call(d, e, "GET", path, NULL, 0, NULL, &r) == -1) {
		buf_free(&r.body);
		return -1;
	}
	if (r.status != 200 ||
	    (root = cJSON_ParseWithLength(buf_str(&r.body), r.body.len)) ==
	        NULL ||
	    !cJSON_IsArray(root)) {
		if (r.status == 200)
			docker_fail(e, DOCKER_ERR_PROTOCOL,
			    "Docker's task list is malformed");
		else
			docker_fail(e, DOCKER_ERR_REFUSED,
			    "Docker failed to list tasks "
			    "(HTTP %ld)",
			    r.status);
		cJSON_Delete(root);
		buf_free(&r.body);
		return -1;
	}
	cJSON_ArrayForEach(t, root) {
		const cJSON *ds =
		    cJSON_GetObjectItemCaseSensitive(t, "DesiredState");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(t, "Status"), "State");
		const char *s = cJSON_IsString(st) ? st->valuestring : "";

		if (cJSON_IsString(ds) &&
		    strcmp(ds->valuestring, "running") == 0)
			tc->total++;
		if (strcmp(s, "running") == 0 && cJSON_IsString(ds) &&
		    strcmp(ds->valuestring, "running") == 0)
			tc->running++;
		else if (strcmp(s, "failed") == 0 ||
		    strcmp(s, "rejected") == 0 || strcmp(s, "orphaned") == 0)
			tc->failed++;
	}
	cJSON_Delete(root);
	buf_free(&r.body);
	return 0;
}

/* The "ID" of a create's reply into id, "" when there is none. */
static void
reply_id(const struct http_response *r, char *id, size_t idlen)
{
	cJSON *root = cJSON_ParseWithLength(buf_str(&r->body), r->body.len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "ID");

	id[0] = '\0';
	if (cJSON_IsString(v) && strlen(v->valuestring) < idlen)
		memcpy(id, v->valuestring, strlen(v->valuestring) + 1);
	cJSON_Delete(root);
}

int
docker_config_create(struct docker *d, struct docker_err *e, const char *name,
    const char *const *labels, char *id, size_t idlen)
{
	struct http_response r;
	char path[64], msg[256];
	cJSON *o, *l;
	char *body = NULL;
	int rc = -1, bad;

	bad = (o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "Name", name) == NULL ||
	    (l = cJSON_AddObjectToObject(o, "Labels")) == NULL ||
	    cJSON_AddStringToObject(o, "Data", "MQ==") == NULL;
	for (; !bad && labels[0] != NULL; labels += 2)
		bad = cJSON_AddStringToObject(l, labels[0], labels[1]) == NULL;
	if (bad || (body = cJSON_PrintUnformatted(o)) == NULL) {
		cJSON_Delete(o);
		return docker_fail(e, DOCKER_ERR_NOMEM, "out of memory");
	}
	cJSON_Delete(o);
	snprintf(path, sizeof(path), "/v%s/configs/create", d->version);
	buf_init(&r.body, HTTP_BODY_MAX);
	if (docker_call(d, e, "POST", path, body, strlen(body), NULL, &r) == -1)
		goto out;
	if (r.status == 201 || r.status == 200) {
		rc = 0;
		if (id != NULL)
			reply_id(&r, id, idlen);
	} else if (r.status == 409)
		rc = 1;
	else {
		docker_message(&r, msg, sizeof(msg));
		log_warnx("docker: config create: %s", msg);
		docker_fail(e,
		    r.status == 503 ? DOCKER_ERR_NOT_MANAGER
		                    : DOCKER_ERR_REFUSED,
		    "Docker refused to create config %s: %s", name, msg);
	}
out:
	cJSON_free(body);
	buf_free(&r.body);
	return rc;
}

void
service_free(struct service *svc)
{
	free(svc->allowed_images);
	free(svc->update_message);
	free(svc->raw);
	free(svc->image);
	free(svc->prev_image);
	memset(svc, 0, sizeof(*svc));
}

void
docker_close(struct docker *d)
{
	http_close(d->http);
	d->http = NULL;
	d->version[0] = '\0';
}
