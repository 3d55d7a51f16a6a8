/* docker.c: the Docker Engine API calls a deploy makes */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "docker.h"
#include "http.h"
#include "log.h"
#include "request.h"
#include "util.h"

/* Docker 1.13 (API 1.25) brought ForceUpdate, Warnings, UpdateStatus,
 * registryAuthFrom and the Api-Version header; older daemons are refused. */
#define API_MIN_MINOR 25

static const char *const path_spec[] = {"Spec", NULL};
static const char *const path_version[] = {"Version", "Index", NULL};

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

/* Maps a transport failure to the request's outcome. */
static int
fail_transport(struct request *req, enum http_fail f, const char *errstr)
{
	log_warnx("docker: %s", errstr);
	switch (f) {
	case HTTP_FAIL_TIMEOUT:
		return req_fail(req, 504, "Docker did not answer in time");
	case HTTP_FAIL_CONNECT:
		return req_fail(req, 502, "Docker is unreachable");
	case HTTP_FAIL_TOO_BIG:
		return req_fail(req, 502, "Docker's reply was too large");
	case HTTP_FAIL_PROTOCOL:
		return req_fail(req, 502, "Docker's reply was malformed or "
		    "cut short");
	default:
		return req_fail(req, 502, "Docker request failed");
	}
}

/* Docker's error text from {"message": "..."}, into out. */
static void
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

/* One call with the request's timeout; transport failures fail req. */
static int
call(struct request *req, const char *method, const char *path,
    const char *body, size_t n, const char *hdr, struct http_response *r)
{
	enum http_fail f;
	const char *errstr;

	if (http_request(req->docker->http, method, path, body, n, hdr,
	    req->cfg->docker_timeout_ms, r, &f, &errstr) == -1)
		return fail_transport(req, f, errstr);
	return 0;
}

int
docker_prepare(struct request *req)
{
	struct docker *d = req->docker;
	struct http_response r;
	struct http_target t;
	const char *errstr;
	int minor;

	target_of(req->cfg, &t);
	if (d->http != NULL && !http_same_target(d->http, &t)) {
		http_close(d->http);
		d->http = NULL;
		d->version[0] = '\0';
	}
	if (d->http == NULL && (d->http = http_open(&t, &errstr)) == NULL) {
		log_warnx("docker: %s", errstr);
		return req_fail(req, 500, "cannot set up the Docker client; "
		    "see the server log");
	}
	if (d->version[0] != '\0')
		return 0;

	buf_init(&r.body, HTTP_BODY_MAX);
	if (call(req, "GET", "/_ping", NULL, 0, NULL, &r) == -1) {
		buf_free(&r.body);
		return -1;
	}
	buf_free(&r.body);
	if (r.status != 200)
		return req_fail(req, 502, "Docker's /_ping answered HTTP %ld",
		    r.status);
	if ((minor = api_minor(r.api_version)) == -1)
		return req_fail(req, 502, "Docker sent no usable API version");
	if (minor < API_MIN_MINOR)
		return req_fail(req, 502, "Docker API %s is too old (1.%d "
		    "or newer needed)", r.api_version, API_MIN_MINOR);
	snprintf(d->version, sizeof(d->version), "%s", r.api_version);
	return 0;
}

/* Reads labels, name, image and version from a GET /services reply. */
static int
parse_service(struct request *req, const char *name, struct service *svc)
{
	const cJSON *spec, *labels, *allow, *nm, *id, *img, *prev;
	struct json_span sp;
	const char *errstr;
	cJSON *root;
	int rc = -1;

	if (json_find(svc->raw, svc->rawlen, path_spec, &svc->spec) != 0 ||
	    svc->spec.type != JSON_OBJECT ||
	    json_find(svc->raw, svc->rawlen, path_version, &sp) != 0 ||
	    sp.type != JSON_NUMBER ||
	    parse_u64n(svc->raw + sp.off, sp.len, 0, UINT64_MAX,
	    &svc->version, &errstr) == -1)
		return req_fail(req, 502, "Docker's service reply is "
		    "malformed");
	if ((root = cJSON_ParseWithLength(svc->raw, svc->rawlen)) == NULL)
		return req_fail(req, 502, "Docker's service reply is "
		    "malformed");
	spec = cJSON_GetObjectItemCaseSensitive(root, "Spec");
	nm = cJSON_GetObjectItemCaseSensitive(spec, "Name");
	id = cJSON_GetObjectItemCaseSensitive(root, "ID");
	if (!cJSON_IsString(nm) || !cJSON_IsString(id) ||
	    strlen(id->valuestring) >= sizeof(svc->id)) {
		req_fail(req, 502, "Docker's service reply is malformed");
		goto out;
	}
	/* Docker resolves a full ID, then a name, then an ID prefix: only
	 * the first two address the service the URL names. */
	if (strcmp(nm->valuestring, name) != 0 &&
	    strcmp(id->valuestring, name) != 0) {
		req_fail(req, 404, "no such service: %s", name);
		goto out;
	}
	memcpy(svc->id, id->valuestring, strlen(id->valuestring) + 1);

	labels = cJSON_GetObjectItemCaseSensitive(spec, "Labels");
	allow = cJSON_GetObjectItemCaseSensitive(labels,
	    "deployer.allowUpdates");
	svc->allow_updates = cJSON_IsString(allow) &&
	    strcmp(allow->valuestring, "true") == 0;

	img = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(spec, "TaskTemplate"),
	    "ContainerSpec"), "Image");
	prev = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(root, "PreviousSpec"),
	    "TaskTemplate"), "ContainerSpec"), "Image");
	if (!cJSON_IsString(img)) {
		req_fail(req, 502, "service %s has no container image (not a "
		    "container service)", name);
		goto out;
	}
	if ((svc->image = strdup(img->valuestring)) == NULL ||
	    (cJSON_IsString(prev) &&
	    (svc->prev_image = strdup(prev->valuestring)) == NULL)) {
		req_fail(req, 500, "out of memory");
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
docker_service_get(struct request *req, const char *name,
    struct service *svc)
{
	struct docker *d = req->docker;
	struct http_response r;
	char path[128], msg[256];
	int tries;

	memset(svc, 0, sizeof(*svc));
	buf_init(&r.body, HTTP_BODY_MAX);
	/* A second round only when the daemon's version changed under a
	 * long-running process (upgraded): never post an old-version spec. */
	for (tries = 0; tries < 2; tries++) {
		snprintf(path, sizeof(path), "/v%s/services/%s?insertDefaults="
		    "false", d->version, name);
		if (call(req, "GET", path, NULL, 0, NULL, &r) == -1)
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
		req_fail(req, 404, "no such service: %s", name);
		goto fail;
	case 503:
		docker_message(&r, msg, sizeof(msg));
		log_warnx("docker: %s", msg);
		req_fail(req, 503, "Docker is not an active swarm manager: %s",
		    msg);
		goto fail;
	default:
		docker_message(&r, msg, sizeof(msg));
		log_warnx("docker: GET service %s: %s", name, msg);
		req_fail(req, 502, "Docker failed to read service %s: %s",
		    name, msg);
		goto fail;
	}
	svc->raw = buf_take(&r.body, &svc->rawlen);
	if (svc->raw == NULL)
		return req_fail(req, 500, "out of memory");
	if (parse_service(req, name, svc) == -1)
		return -1;
	return 0;
fail:
	buf_free(&r.body);
	return -1;
}

static void
collect_warnings(struct request *req, const struct http_response *r)
{
	const cJSON *w, *item;
	cJSON *root;

	root = cJSON_ParseWithLength(buf_str(&r->body), r->body.len);
	w = cJSON_GetObjectItemCaseSensitive(root, "Warnings");
	cJSON_ArrayForEach(item, w) {
		if (cJSON_IsString(item))
			req_warn(req, item->valuestring);
	}
	cJSON_Delete(root);
}

int
docker_service_update(struct request *req, const struct service *svc,
    const char *spec, size_t n)
{
	struct docker *d = req->docker;
	struct http_response r;
	char path[200], msg[256];
	int rc = -1;

	/* registryAuthFrom=spec: no credentials are sent, so Swarm keeps
	 * using those stored with the service, as the docker CLI does. */
	snprintf(path, sizeof(path), "/v%s/services/%s/update?version=%llu"
	    "&registryAuthFrom=spec", d->version, svc->id,
	    (unsigned long long)svc->version);
	buf_init(&r.body, HTTP_BODY_MAX);
	if (call(req, "POST", path, spec, n, NULL, &r) == -1)
		goto out;
	if (r.status == 200) {
		collect_warnings(req, &r);
		rc = 0;
		goto out;
	}
	docker_message(&r, msg, sizeof(msg));
	if (r.status == 500 && strstr(msg, "update out of sequence") != NULL) {
		rc = 1;
		goto out;
	}
	log_warnx("docker: update of %s refused: %s", svc->id, msg);
	if (r.status == 404)
		req_fail(req, 404, "service %s disappeared", req->service);
	else if (r.status == 503)
		req_fail(req, 503, "Docker is not an active swarm manager: %s",
		    msg);
	else
		req_fail(req, 502, "Docker refused the update: %s", msg);
out:
	buf_free(&r.body);
	return rc;
}

void
service_free(struct service *svc)
{
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
