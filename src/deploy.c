/* deploy.c: the write actions: deploy an image, roll back */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "auth.h"
#include "buf.h"
#include "deploy.h"
#include "docker.h"
#include "http.h"
#include "jsonedit.h"
#include "log.h"
#include "notify.h"
#include "registry.h"
#include "request.h"
#include "respond.h"
#include "rollout.h"
#include "util.h"

/* A request body is a flat object; anything nested deeper is hostile. */
#define BODY_DEPTH_MAX 2
/* Room for the largest spec Docker may send plus what we put in. */
#define SPEC_MAX (HTTP_BODY_MAX + 64 * 1024)
/* Pause between read-modify-write attempts, times the attempt number. */
#define RETRY_PAUSE_MS 50
/* An X-Registry-Auth line: base64 of a small JSON document. */
#define REGISTRY_HEADER_MAX (16 * 1024)

/* The CLI's warning when a tag cannot be pinned (docker/cli). */
#define UNPINNED_WARNING "image %s could not be accessed on a registry to " \
	"record its digest. Each node will access %s independently, " \
	"possibly leading to different nodes running different versions " \
	"of the image."

static const char *const path_image[] = {
	"TaskTemplate", "ContainerSpec", "Image", NULL
};
static const char *const path_platforms[] = {
	"TaskTemplate", "Placement", "Platforms", NULL
};
static const char *const path_force[] = {
	"TaskTemplate", "ForceUpdate", NULL
};

/* What a deploy will write, worked out before the read-modify-write. */
struct plan {
	int resolved;			/* resolve() ran */
	char image[REF_MAX + 80];	/* the reference to put in the spec */
	cJSON *platforms;		/* owned, or NULL: leave as is */
	struct buf auth;		/* X-Registry-Auth line, or empty */
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

/*
 * 1 when the body's string member key decodes to something with a NUL
 * ("\u0000"): cJSON would hand over only the part before it, so that
 * "app:v1\u0000junk" would pass as "app:v1".
 */
static int
has_nul(const struct request *req, const char *key)
{
	const char *path[] = {key, NULL};
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
parse_image(struct request *req, const cJSON *v, const char *key, char *out,
    struct imageref *ref)
{
	struct imageref tmp;
	const char *errstr;
	size_t n;

	if (!cJSON_IsString(v))
		return req_fail(req, 400, "\"%s\" must be a string", key);
	if (has_nul(req, key))
		return req_fail(req, 400, "\"%s\" contains a NUL character",
		    key);
	n = strlen(v->valuestring);
	if (n > REF_MAX)
		return req_fail(req, 400, "\"%s\" is longer than %d bytes",
		    key, REF_MAX);
	if (ref_parse(v->valuestring, n, ref ? ref : &tmp, &errstr) == -1)
		return req_fail(req, 400, "\"%s\" is not a valid image "
		    "reference: %s", key, errstr);
	memcpy(out, v->valuestring, n + 1);
	return 0;
}

static int
parse_member(struct request *req, const cJSON *item)
{
	const char *k = item->string;

	if (req->action == ACT_DEPLOY && strcmp(k, "image") == 0)
		return parse_image(req, item, "image", req->image, &req->ref);
	if (req->action == ACT_DEPLOY && strcmp(k, "expect") == 0)
		return parse_image(req, item, "expect", req->expect, NULL);
	if (req->action == ACT_DEPLOY && strcmp(k, "force") == 0) {
		if (!cJSON_IsBool(item))
			return req_fail(req, 400, "\"force\" must be true or "
			    "false");
		req->force = cJSON_IsTrue(item);
		return 0;
	}
	/* What a body signed GitHub-style says it is for (auth.c). */
	if (strcmp(k, "service") == 0) {
		if (!cJSON_IsString(item) ||
		    strcmp(item->valuestring, req->service) != 0)
			return req_fail(req, 400, "\"service\" in the body is "
			    "not the service in the URL");
		return 0;
	}
	if (strcmp(k, "wait") == 0) {
		double w = item->valuedouble;

		if (!cJSON_IsNumber(item) || w < 0 ||
		    w > req->cfg->wait_max || w != (double)(int)w)
			return req_fail(req, 400, "\"wait\" must be whole "
			    "seconds from 0 to %d", req->cfg->wait_max);
		if (req->wait_s != WAIT_NONE)
			return req_fail(req, 400, "\"wait\" given in both the "
			    "query and the body");
		req->wait_s = (int)w;
		return 0;
	}
	return req_fail(req, 400, req->action == ACT_DEPLOY ?
	    "unknown key in body (expected image, force, wait, expect, "
	    "service)" : "unknown key in body (expected wait, service)");
}

int
deploy_parse(struct request *req)
{
	const char *body = buf_str(&req->body);
	const cJSON *item;
	cJSON *root;
	size_t n = req->body.len;
	int rc = -1;

	if (n == 0) {
		if (req->action == ACT_ROLLBACK)
			return 0;
		return req_fail(req, 400, "empty body; expected "
		    "{\"image\": \"repository:tag\"}");
	}
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
		if (parse_member(req, item) == -1)
			goto out;
	}
	if (req->action == ACT_DEPLOY && req->image[0] == '\0') {
		req_fail(req, 400, "body has no \"image\"");
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

/* The credentials for the image's registry, when configured. */
static int
load_auth(struct request *req, struct plan *p)
{
	const char *path = req->cfg->registry_auth, *errstr;
	char def[4096];
	int rc;

	if (path == NULL) {
		if (registry_default_path(def, sizeof(def)) == -1)
			return 0;
		path = def;
	}
	rc = registry_auth_header(path, ref_registry(&req->ref), &p->auth,
	    &errstr);
	if (rc == -1 && req->cfg->registry_auth != NULL) {
		log_warnx("registry credentials %s: %s", path, errstr);
		return req_fail(req, 500, "cannot read the registry "
		    "credentials; see the server log");
	}
	/* The docker CLI's default place is only a guess (an inherited HOME
	 * may not be ours): without it, the service keeps its credentials. */
	if (rc == -1 && errno != ENOENT)
		log_warnx("registry credentials %s: %s; going on without",
		    path, errstr);
	return 0;
}

/*
 * Pins the requested tag to the digest the registry has now, as `docker
 * service update --image` did through CLI v28.  A reference that already
 * has a digest is used as it is.
 */
static int
resolve(struct request *req, struct plan *p)
{
	char tagged[REF_MAX + 16], why[256], msg[2 * REF_MAX + 256];
	char *digest;
	int rc;

	snprintf(p->image, sizeof(p->image), "%s", req->image);
	if (req->ref.digest[0] != '\0')
		return 0;
	if (load_auth(req, p) == -1)
		return -1;
	if (ref_familiar(&req->ref, 0, tagged, sizeof(tagged)) == -1)
		return req_fail(req, 400, "image reference too long");
	rc = docker_resolve(req, tagged, p->auth.len ? buf_str(&p->auth) :
	    NULL, &digest, &p->platforms, why, sizeof(why));
	if (rc == -1)
		return -1;
	if (rc == 1) {
		log_warnx("cannot resolve %s to a digest: %s", tagged, why);
		if (req->cfg->require_digest)
			return req_fail(req, 502, "cannot resolve %s to a "
			    "digest, and the configuration requires one: %s",
			    tagged, why);
		snprintf(msg, sizeof(msg), UNPINNED_WARNING, tagged, tagged);
		req_warn(req, msg);
		return 0;
	}
	if ((size_t)snprintf(p->image, sizeof(p->image), "%s@%s", tagged,
	    digest) >= sizeof(p->image)) {
		free(digest);
		return req_fail(req, 400, "image reference too long");
	}
	req->digest = digest;
	return 0;
}

static int
match_ref(const char *pattern, const void *ref)
{
	return ref_match(pattern, ref);
}

/* The image part that "expect" compares: a pinned "tag@digest" also
 * matches the bare tag it was pinned from. */
static int
expect_matches(const char *expect, const char *current)
{
	size_t n = strlen(expect);

	if (strcmp(expect, current) == 0)
		return 1;
	return strchr(expect, '@') == NULL && strncmp(expect, current, n) == 0
	    && current[n] == '@';
}

/* The label gate, the allow-list and compare-and-swap. */
static int
check_service(struct request *req, const struct service *svc)
{
	if (!svc->allow_updates) {
		log_warnx("service %s is not labelled deployer.allowUpdates="
		    "true", req->service);
		return req_fail(req, 403, "service %s is not labelled "
		    "deployer.allowUpdates=true", req->service);
	}
	if (req->action != ACT_DEPLOY)
		return 0;
	if (svc->allowed_images == NULL && req->cfg->require_allowed_images) {
		log_warnx("service %s has no deployer.allowedImages label, "
		    "which the configuration requires", req->service);
		return req_fail(req, 403, "service %s has no "
		    "deployer.allowedImages label; the server requires one",
		    req->service);
	}
	if (svc->allowed_images != NULL &&
	    !pattern_list_any(svc->allowed_images, match_ref, &req->ref)) {
		log_warnx("service %s: %s is not in deployer.allowedImages",
		    req->service, req->image);
		return req_fail(req, 403, "image %s is not allowed on service "
		    "%s (label deployer.allowedImages)", req->image,
		    req->service);
	}
	if (req->expect[0] != '\0' && !expect_matches(req->expect, svc->image))
		return req_fail(req, 412, "service %s runs %s, not the "
		    "expected %s", req->service, svc->image, req->expect);
	return 0;
}

/* Sets one string label on the spec in spec (through tmp). */
static int
set_label(struct buf *spec, struct buf *tmp, const char *key,
    const char *value)
{
	const char *path[] = {"Labels", key, NULL};
	struct buf val;
	int rc;

	buf_init(&val, 4 * REF_MAX);
	buf_reset(tmp);
	rc = json_quote(&val, value, strlen(value)) == -1 ||
	    json_set(tmp, buf_str(spec), spec->len, path, buf_str(&val),
	    val.len) == -1 ? -1 : 0;
	buf_free(&val);
	if (rc == 0) {
		buf_reset(spec);
		rc = buf_add(spec, buf_str(tmp), tmp->len);
	}
	return rc;
}

/* Who deployed, when, in which request: visible in docker service
 * inspect (record_labels = 1). */
static int
set_labels(struct request *req, struct buf *spec, struct buf *tmp)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return set_label(spec, tmp, "deployer.last.by", req->token_name) == -1
	    || set_label(spec, tmp, "deployer.last.at", when) == -1 ||
	    set_label(spec, tmp, "deployer.last.request", req->id) == -1 ?
	    -1 : 0;
}

/* The spec with the image, platforms and ForceUpdate changed, into out. */
static int
edit_spec(struct request *req, const struct service *svc,
    const struct plan *p, struct buf *out)
{
	const char *spec = svc->raw + svc->spec.off;
	size_t n = svc->spec.len;
	struct buf val, tmp;
	char *plat = NULL;
	int rc = -1;

	buf_init(&val, SPEC_MAX);
	buf_init(&tmp, SPEC_MAX);
	if (json_quote(&val, p->image, strlen(p->image)) == -1 ||
	    json_set(out, spec, n, path_image, buf_str(&val), val.len) == -1)
		goto fail;
	if (p->platforms != NULL) {
		if ((plat = cJSON_PrintUnformatted(p->platforms)) == NULL)
			goto fail;
		buf_reset(&tmp);
		if (json_set(&tmp, buf_str(out), out->len, path_platforms, plat,
		    strlen(plat)) == -1)
			goto fail;
		buf_reset(out);
		if (buf_add(out, buf_str(&tmp), tmp.len) == -1)
			goto fail;
	}
	if (req->cfg->record_labels && set_labels(req, out, &tmp) == -1)
		goto fail;
	if (req->force) {
		/* uint64 arithmetic on the number's own text: a double
		 * would lose it past 2^53. */
		buf_reset(&val);
		buf_reset(&tmp);
		if (buf_addf(&val, "%llu",
		    (unsigned long long)(svc->force_update + 1)) == -1 ||
		    json_set(&tmp, buf_str(out), out->len, path_force,
		    buf_str(&val), val.len) == -1)
			goto fail;
		buf_reset(out);
		if (buf_add(out, buf_str(&tmp), tmp.len) == -1)
			goto fail;
	}
	rc = 0;
fail:
	if (rc == -1)
		req_fail(req, 502, "cannot edit the service spec Docker sent");
	cJSON_free(plat);
	buf_free(&val);
	buf_free(&tmp);
	return rc;
}

/* The response body; also used for the failures a rollout reports. */
static int
fill_result(struct request *req, const char *message)
{
	cJSON *r;

	if ((r = cJSON_CreateObject()) == NULL)
		return req_fail(req, 500, "out of memory");
	cJSON_Delete(req->result);
	req->result = r;
	json_put(r, "service", req->service);
	json_put(r, "service_id", req->service_id);
	json_put(r, "action", req->action == ACT_ROLLBACK ? "rollback" :
	    "deploy");
	if (req->action == ACT_DEPLOY)
		json_put(r, "requested_image", req->image);
	json_put(r, "image", req->new_image);
	json_put(r, "digest", req->digest);
	json_put(r, "previous_image", req->prev_image);
	json_put(r, "state", req->state);
	json_put(r, "message", req->state_message ? req->state_message :
	    message);
	if (req->dry_run)
		cJSON_AddTrueToObject(r, "dry_run");
	if (req->force)
		cJSON_AddTrueToObject(r, "force");
	/* cJSON leaves an item it could not add with the caller. */
	if (req->warnings == NULL)
		cJSON_AddArrayToObject(r, "warnings");
	else if (cJSON_AddItemToObject(r, "warnings", req->warnings))
		req->warnings = NULL;
	json_put(r, "notification", notify_state_name(req->notify));
	if (req->notify == NOTIFY_FAILED || req->notify == NOTIFY_SPOOLED)
		json_put(r, "notification_error", req->notify_error);
	if (req->cfg->notify_url != NULL) {
		json_put(r, "webhook", notify_state_name(req->webhook));
		if (req->webhook == NOTIFY_FAILED)
			json_put(r, "webhook_error", req->webhook_error);
	}
	return 0;
}

/* Waits when asked, maps the outcome, notifies, answers. */
static int
finish(struct request *req, int rollback)
{
	const char *accepted = rollback ? "Docker accepted the rollback; it "
	    "continues in the background" : "Docker accepted the update; the "
	    "rollout continues in the background";
	enum rollout_outcome o = ROLLOUT_DONE;

	req->state = "accepted";
	if (req->wait_s > 0) {
		o = rollout_wait(req, req->service_id, rollback, req->wait_s);
		if (o == ROLLOUT_ERROR)
			return -1;
	}
	notify_send(req);
	if (fill_result(req, accepted) == -1)
		return -1;
	switch (o) {
	case ROLLOUT_FAILED:
		return req_fail(req, 502, "the %s failed: %s: %s", rollback ?
		    "rollback" : "rollout", req->state, req->state_message ?
		    req->state_message : "");
	case ROLLOUT_TIMEOUT:
		return req_fail(req, 504, "the %s was still %s after %d "
		    "seconds", rollback ? "rollback" : "rollout", req->state,
		    req->wait_s);
	default:
		return 0;
	}
}

/*
 * The intent goes on record before the write, so that a process killed
 * between the write and its answer still leaves the change in the audit
 * trail; with audit_required a change that cannot be recorded is not
 * made.
 */
static int
record_intent(struct request *req, const struct plan *p,
    const struct service *svc)
{
	const char *to = req->action == ACT_ROLLBACK ? svc->prev_image :
	    p->image;

	if (audit_intent(req, svc->id, svc->image, to, svc->version) == 0)
		return 0;
	if (req->cfg->audit_required)
		return req_fail(req, 503, "the audit record could not be "
		    "written; nothing was changed (audit_required)");
	req_warn(req, "the audit record of the intent could not be written");
	return 0;
}

/*
 * The read-modify-write: read the service, check it, post the edited
 * spec; again while Swarm answers "update out of sequence".  Returns 0
 * when posted, 1 when the service already runs the image, 2 for a dry
 * run, -1 on failure.  On success svc holds the service as read last.
 */
static int
write_service(struct request *req, struct plan *p, struct service *svc)
{
	struct buf spec;
	unsigned attempt;
	int rc;

	buf_init(&spec, SPEC_MAX);
	for (attempt = 1;; attempt++) {
		if (docker_service_get(req, req->service, svc) == -1 ||
		    auth_scope_service(req, svc->name) == -1 ||
		    check_service(req, svc) == -1)
			goto fail;
		/* Only a request the service accepts asks the registry. */
		if (req->action == ACT_DEPLOY && !p->resolved) {
			if (resolve(req, p) == -1)
				goto fail;
			p->resolved = 1;
		}
		buf_reset(&spec);
		if (req->action == ACT_ROLLBACK) {
			if (svc->prev_image == NULL) {
				req_fail(req, 409, "service %s has no previous "
				    "spec to roll back to", req->service);
				goto fail;
			}
			/* Docker swaps in PreviousSpec but still validates
			 * the body: send the current spec back. */
			rc = buf_add(&spec, svc->raw + svc->spec.off,
			    svc->spec.len);
			if (rc == -1) {
				req_fail(req, 500, "out of memory");
				goto fail;
			}
		} else {
			if (strcmp(svc->image, p->image) == 0 && !req->force) {
				buf_free(&spec);
				return 1;
			}
			if (edit_spec(req, svc, p, &spec) == -1)
				goto fail;
		}
		if (req->dry_run) {
			buf_free(&spec);
			return 2;
		}
		if (record_intent(req, p, svc) == -1)
			goto fail;
		rc = docker_service_update(req, svc, buf_str(&spec), spec.len,
		    p->auth.len ? buf_str(&p->auth) : NULL,
		    req->action == ACT_ROLLBACK);
		if (rc == 0) {
			req->spec_version = svc->version;
			break;
		}
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
		    (unsigned long long)svc->version);
		service_free(svc);
		sleep_ms((uint64_t)RETRY_PAUSE_MS * attempt);
	}
	buf_free(&spec);
	return 0;
fail:
	buf_free(&spec);
	return -1;
}

static void
plan_free(struct plan *p)
{
	cJSON_Delete(p->platforms);
	if (p->auth.data != NULL)
		wipe(p->auth.data, p->auth.len);
	buf_free(&p->auth);
}

int
deploy_run(struct request *req)
{
	struct service svc;
	struct plan p;
	int rc;

	memset(&svc, 0, sizeof(svc));
	memset(&p, 0, sizeof(p));
	buf_init(&p.auth, REGISTRY_HEADER_MAX);
	if (docker_prepare(req) == -1 ||
	    (rc = write_service(req, &p, &svc)) == -1) {
		plan_free(&p);
		service_free(&svc);
		return -1;
	}
	memcpy(req->service_id, svc.id, sizeof(req->service_id));
	req->prev_image = svc.image;
	svc.image = NULL;
	service_free(&svc);
	req->new_image = strdup(p.image);
	plan_free(&p);
	if (req->new_image == NULL)
		return req_fail(req, 500, "out of memory");

	if (rc == 1) {
		/* Nothing was written: no rollout, no notification. */
		req->state = "unchanged";
		return fill_result(req, "the service already runs this image; "
		    "send \"force\": true to restart its tasks");
	}
	if (rc == 2) {
		req->state = "dry_run";
		return fill_result(req, "dry run: the update was not sent");
	}
	log_info("service %s: %s -> %s%s", req->service, req->prev_image,
	    req->new_image, req->force ? " (forced)" : "");
	return finish(req, 0);
}

int
rollback_run(struct request *req)
{
	struct service svc;
	struct plan p;
	int rc;

	memset(&svc, 0, sizeof(svc));
	memset(&p, 0, sizeof(p));
	buf_init(&p.auth, 0);
	if (docker_prepare(req) == -1 ||
	    (rc = write_service(req, &p, &svc)) == -1) {
		service_free(&svc);
		return -1;
	}
	memcpy(req->service_id, svc.id, sizeof(req->service_id));
	req->prev_image = svc.image;
	req->new_image = svc.prev_image;
	svc.image = NULL;
	svc.prev_image = NULL;
	service_free(&svc);
	if (rc == 2) {
		req->state = "dry_run";
		return fill_result(req, "dry run: the rollback was not sent");
	}
	log_info("service %s: rolling back %s -> %s", req->service,
	    req->prev_image, req->new_image);
	return finish(req, 1);
}
