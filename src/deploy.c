/* deploy.c: PUT /service/<name>: put a new image on a service */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "deploy.h"
#include "docker.h"
#include "http.h"
#include "jsonedit.h"
#include "log.h"
#include "notify.h"
#include "request.h"
#include "util.h"

/* A request body is a flat object; anything nested deeper is hostile. */
#define BODY_DEPTH_MAX 4
/* Room for the largest spec Docker may send plus the image we put in. */
#define SPEC_MAX (HTTP_BODY_MAX + 8 * REF_MAX)
/* Pause between read-modify-write attempts, times the attempt number. */
#define RETRY_PAUSE_MS 50

static const char *const path_image[] = {
	"TaskTemplate", "ContainerSpec", "Image", NULL
};

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

int
deploy_parse(struct request *req)
{
	const char *body = buf_str(&req->body), *errstr;
	const cJSON *item, *image = NULL;
	cJSON *root;
	size_t n = req->body.len;
	int rc = -1;

	if (n == 0)
		return req_fail(req, 400, "empty body; expected "
		    "{\"image\": \"repository:tag\"}");
	if (!utf8_valid(body, n))
		return req_fail(req, 400, "body is not valid UTF-8");
	if (json_check(body, n, BODY_DEPTH_MAX) == -1)
		return req_fail(req, 400, "body is not valid JSON (or nested "
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
		if (strcmp(item->string, "image") == 0)
			image = item;
		else {
			req_fail(req, 400, "unknown key in body (expected "
			    "\"image\")");
			goto out;
		}
	}
	if (image == NULL) {
		req_fail(req, 400, "body has no \"image\"");
		goto out;
	}
	if (!cJSON_IsString(image)) {
		req_fail(req, 400, "\"image\" must be a string");
		goto out;
	}
	n = strlen(image->valuestring);
	if (n >= sizeof(req->image)) {
		req_fail(req, 400, "\"image\" is longer than %d bytes",
		    REF_MAX);
		goto out;
	}
	if (ref_parse(image->valuestring, n, &req->ref, &errstr) == -1) {
		req_fail(req, 400, "invalid image reference: %s", errstr);
		goto out;
	}
	memcpy(req->image, image->valuestring, n + 1);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

static void
pause_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The spec with only the image replaced, into out. */
static int
edit_spec(struct request *req, const struct service *svc, struct buf *out)
{
	struct buf val;
	int rc;

	buf_init(&val, REF_MAX * 6 + 2);
	if (json_quote(&val, req->image, strlen(req->image)) == -1) {
		buf_free(&val);
		return req_fail(req, 500, "out of memory");
	}
	rc = json_set(out, svc->raw + svc->spec.off, svc->spec.len,
	    path_image, buf_str(&val), val.len);
	buf_free(&val);
	if (rc == -1)
		return req_fail(req, 502, "cannot edit the service spec "
		    "Docker sent");
	return 0;
}

static int
fill_result(struct request *req)
{
	cJSON *r;

	if ((r = cJSON_CreateObject()) == NULL)
		return req_fail(req, 500, "out of memory");
	req->result = r;
	cJSON_AddStringToObject(r, "service", req->service);
	cJSON_AddStringToObject(r, "service_id", req->service_id);
	cJSON_AddStringToObject(r, "image", req->new_image);
	cJSON_AddStringToObject(r, "previous_image", req->prev_image);
	cJSON_AddStringToObject(r, "state", "accepted");
	cJSON_AddStringToObject(r, "message", "Docker accepted the update; "
	    "the rollout continues in the background");
	if (req->warnings != NULL) {
		cJSON_AddItemToObject(r, "warnings", req->warnings);
		req->warnings = NULL;
	} else
		cJSON_AddItemToObject(r, "warnings", cJSON_CreateArray());
	cJSON_AddStringToObject(r, "notification",
	    notify_state_name(req->notify));
	if (req->notify == NOTIFY_FAILED)
		cJSON_AddStringToObject(r, "notification_error",
		    req->notify_error);
	return 0;
}

int
deploy_run(struct request *req)
{
	struct service svc;
	struct buf spec;
	unsigned attempt;
	int rc;

	if (docker_prepare(req) == -1)
		return -1;
	buf_init(&spec, SPEC_MAX);
	for (attempt = 1;; attempt++) {
		if (docker_service_get(req, req->service, &svc) == -1)
			goto fail;
		if (!svc.allow_updates) {
			log_warnx("service %s is not labelled "
			    "deployer.allowUpdates=true", req->service);
			req_fail(req, 403, "service %s is not labelled "
			    "deployer.allowUpdates=true", req->service);
			goto fail;
		}
		buf_reset(&spec);
		if (edit_spec(req, &svc, &spec) == -1)
			goto fail;
		rc = docker_service_update(req, &svc, buf_str(&spec),
		    spec.len);
		if (rc == 0)
			break;
		if (rc == -1)
			goto fail;
		if (attempt >= req->cfg->update_retries) {
			log_warnx("service %s: update out of sequence %u times",
			    req->service, attempt);
			req_fail(req, 409, "service %s kept changing under the "
			    "update (%u attempts); try again", req->service,
			    attempt);
			goto fail;
		}
		log_info("service %s changed during the update (version "
		    "%llu); retrying", req->service,
		    (unsigned long long)svc.version);
		service_free(&svc);
		pause_ms(RETRY_PAUSE_MS * attempt);
	}
	buf_free(&spec);
	memcpy(req->service_id, svc.id, sizeof(req->service_id));
	req->prev_image = svc.image;
	svc.image = NULL;
	service_free(&svc);
	if ((req->new_image = strdup(req->image)) == NULL)
		return req_fail(req, 500, "out of memory");
	log_info("service %s: %s -> %s", req->service, req->prev_image,
	    req->new_image);

	notify_send(req);
	return fill_result(req);
fail:
	buf_free(&spec);
	service_free(&svc);
	return -1;
}
