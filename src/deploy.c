/* deploy.c: the write actions: deploy an image, roll back */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "audit.h"
#include "auth.h"
#include "buf.h"
#include "deploy.h"
#include "docker.h"
#include "http.h"
#include "job.h"
#include "log.h"
#include "notify.h"
#include "pin.h"
#include "request.h"
#include "respond.h"
#include "rollout.h"
#include "spec.h"
#include "util.h"

/* Pause between read-modify-write attempts, times the attempt number. */
#define RETRY_PAUSE_MS 50

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
	return strchr(expect, '@') == NULL &&
	    strncmp(expect, current, n) == 0 && current[n] == '@';
}

int
deploy_refusal(const struct request *req, const struct service *svc,
    const struct imageref *ref, const char *image, char *why, size_t n)
{
	if (!svc->allow_updates)
		snprintf(why, n,
		    "service %s is not labelled deployer.allowUpdates=true",
		    svc->name);
	else if (ref == NULL)
		return 0;
	else if (svc->allowed_images == NULL &&
	    req->cfg->require_allowed_images)
		snprintf(why, n,
		    "service %s has no deployer.allowedImages label; the "
		    "server requires one",
		    svc->name);
	else if (svc->allowed_images != NULL &&
	    !pattern_list_any(svc->allowed_images, match_ref, ref))
		snprintf(why, n,
		    "image %s is not allowed on service %s (label "
		    "deployer.allowedImages)",
		    image, svc->name);
	else
		return 0;
	return 1;
}

int
deploy_gate(struct request *req, const struct service *svc,
    const struct imageref *ref, const char *image)
{
	char why[REF_MAX + 256];

	if (!deploy_refusal(req, svc, ref, image, why, sizeof(why)))
		return 0;
	log_warnx("%s", why);
	return req_fail(req, 403, "%s", why);
}

/* The label gate, the allow-list and compare-and-swap. */
static int
check_service(struct request *req, const struct service *svc)
{
	int deploy = req->action == ACT_DEPLOY;

	if (deploy_gate(req, svc, deploy ? &req->ref : NULL, req->image) == -1)
		return -1;
	if (deploy && req->expect[0] != '\0' &&
	    !expect_matches(req->expect, svc->image))
		return req_fail(req, 412,
		    "service %s runs %s, not the "
		    "expected %s",
		    req->service, svc->image, req->expect);
	return 0;
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
	json_put(r, "action", action_name(req->action));
	if (req->action == ACT_DEPLOY)
		json_put(r, "requested_image", req->image);
	json_put(r, "image", req->new_image);
	json_put(r, "digest", req->digest);
	json_put(r, "previous_image", req->prev_image);
	json_put(r, "state", req->state);
	json_put(r, "message",
	    req->state_message ? req->state_message : message);
	if (req->job != NULL && job_put(r, req->job) == -1)
		return req_fail(req, 500, "out of memory");
	json_put_request(r, req);
	notify_put(r, req->cfg, &req->notice);
	return 0;
}

/* Waits when asked, maps the outcome, notifies, answers. */
static int
finish(struct request *req, int rollback)
{
	const char *accepted = rollback ? "Docker accepted the rollback; it "
	                                  "continues in the background"
	                                : "Docker accepted the update; the "
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
		return req_fail(req, 502, "the %s failed: %s: %s",
		    rollback ? "rollback" : "rollout", req->state,
		    req->state_message ? req->state_message : "");
	case ROLLOUT_TIMEOUT:
		return req_fail(req, 504,
		    "the %s was still %s after %d "
		    "seconds",
		    rollback ? "rollback" : "rollout", req->state, req->wait_s);
	default:
		return 0;
	}
}

static int
prepare(struct request *req)
{
	if (docker_prepare(req->docker, req->cfg, &req->docker_err) == -1)
		return req_fail_docker(req);
	return 0;
}

int
deploy_intent(struct request *req, const struct change *c)
{
	if (audit_intent(req, c) == 0)
		return 0;
	if (req->cfg->audit_required)
		return req_fail(req, 503,
		    "the audit record of the write to %s could not be "
		    "written; it was not made (audit_required)",
		    c->service);
	req_warn(req, "the audit record of an intent could not be written");
	return 0;
}

/* The intent of this write, on record before it (deploy_intent). */
static int
record_intent(struct request *req, const struct pin *p,
    const struct service *svc)
{
	struct change c = {
		.service = req->service,
		.service_id = svc->id,
		.prev_image = svc->image,
		.new_image =
		    req->action == ACT_ROLLBACK ? svc->prev_image : p->image,
		.digest = req->digest,
		.version = svc->version,
	};

	return deploy_intent(req, &c);
}

/* The plan's changes to the service's spec, into out. */
static int
change_spec(struct request *req, const struct service *svc, const struct pin *p,
    struct buf *out)
{
	const struct spec_change c = {
		.image = p->image,
		.platforms = p->platforms,
		.force = req->force,
		.by = req->cfg->record_labels ? req->token_name : NULL,
		.request_id = req->id,
	};

	if (spec_edit(&c, svc, out) == -1)
		return req_fail(req, 502,
		    "cannot edit the service spec Docker "
		    "sent");
	return 0;
}

/*
 * The spec to post, into spec: the current one edited (image, platforms,
 * ForceUpdate) for a deploy, the current one as it is for a rollback
 * (Docker swaps in PreviousSpec but still validates the body).  Returns
 * 0, 1 when the service already runs the image (nothing to post), -1.
 */
static int
build_spec(struct request *req, const struct pin *p, const struct service *svc,
    struct buf *spec)
{
	buf_reset(spec);
	if (req->action != ACT_ROLLBACK) {
		if (strcmp(svc->image, p->image) == 0 && !req->force)
			return 1;
		return change_spec(req, svc, p, spec);
	}
	if (svc->prev_image == NULL)
		return req_fail(req, 409,
		    "service %s has no previous spec to "
		    "roll back to",
		    req->service);
	if (buf_add(spec, svc->raw + svc->spec.off, svc->spec.len) == -1)
		return req_fail(req, 500, "out of memory");
	return 0;
}

/* Reads the service and checks it: scope by its real name, labels. */
static int
read_service(struct request *req, struct pin *p, struct service *svc)
{
	if (docker_service_get(req->docker, &req->docker_err, req->service,
	        svc) == -1)
		return req_fail_docker(req);
	if (auth_scope_service(req, svc->name) == -1 ||
	    check_service(req, svc) == -1)
		return -1;
	/* Only a request the service accepts asks the registry. */
	if (req->action == ACT_DEPLOY && !p->resolved) {
		if (pin_resolve(req, &req->ref, req->image, p) == -1)
			return -1;
		req->digest = p->digest; /* the answer's, from now on */
		p->digest = NULL;
	}
	return 0;
}

/* A job that did not succeed: nothing was written; the notification
 * and the 502 say why. */
static int
job_failed(struct request *req, const struct service *svc)
{
	char why[512];

	job_failure(req->job, why, sizeof(why));
	memcpy(req->service_id, svc->id, sizeof(req->service_id));
	free(req->prev_image);
	free(req->new_image);
	free(req->state_message);
	req->prev_image = strdup(svc->image);
	req->new_image = strdup(req->job->image);
	req->state_message = strdup(why);
	req->state = "job_failed";
	notify_send(req);
	if (fill_result(req, why) == -1)
		return -1;
	return req_fail(req, 502, "%s", why);
}

/* The job the service's labels ask for before this write, planned once
 * however often the write is tried again.  0, or -1. */
static int
plan_job(struct request *req, const struct pin *p, const struct service *svc)
{
	int rollback = req->action == ACT_ROLLBACK, rc;
	struct job *job;

	if (req->job != NULL)
		return 0;
	if ((job = calloc(1, sizeof(*job))) == NULL)
		return req_fail(req, 500, "out of memory");
	rc = job_plan(req, svc, rollback ? svc->prev_image : p->image, rollback,
	    job);
	if (rc <= 0)
		free(job);
	else
		req->job = job;
	return rc == -1 ? -1 : 0;
}

/*
 * Runs the planned job, once, with the credentials a deploy uses for its
 * image (a service create cannot take the ones stored with the service).
 * 0 to go on with the write, -1 when the request failed (a job that did
 * not succeed: 502).
 */
static int
run_job(struct request *req, const struct pin *p, const struct service *svc)
{
	const char *errstr;
	struct imageref ref;
	struct pin creds;
	int rc;

	if (req->job == NULL || strcmp(req->job->state, "would_run") != 0)
		return 0;
	memset(&creds, 0, sizeof(creds));
	if (p->auth.len == 0 &&
	    ref_parse(req->job->image, strlen(req->job->image), &ref,
	        &errstr) == 0 &&
	    pin_credentials(req, &ref, &creds) == -1)
		return -1;
	rc =
	    job_run(req, svc, req->action == ACT_ROLLBACK ? NULL : p->platforms,
	        p->auth.len ? pin_auth(p) : pin_auth(&creds), req->job);
	pin_free(&creds);
	return rc == 1 ? job_failed(req, svc) : rc;
}

/*
 * The read-modify-write: read the service, check it, post the edited
 * spec; again while Swarm answers "update out of sequence".  Returns 0
 * when posted, 1 when the service already runs the image, 2 for a dry
 * run, -1 on failure.  On success svc holds the service as read last.
 */
static int
write_service(struct request *req, struct pin *p, struct service *svc)
{
	struct buf spec;
	unsigned attempt;
	int rc;

	buf_init(&spec, SPEC_MAX);
	for (attempt = 1;; attempt++) {
		if ((rc = read_service(req, p, svc)) == 0)
			rc = build_spec(req, p, svc, &spec);
		if (rc == 0)
			rc = plan_job(req, p, svc);
		if (rc == -1)
			break;
		if (rc == 1 || req->dry_run) {
			rc = rc == 1 ? 1 : 2;
			break;
		}
		/* The intent is on record before the job changes anything. */
		if ((rc = record_intent(req, p, svc)) == -1 ||
		    (rc = run_job(req, p, svc)) == -1)
			break;
		rc = docker_service_update(req->docker, &req->docker_err, svc,
		    buf_str(&spec), spec.len, pin_auth(p),
		    req->action == ACT_ROLLBACK, req_docker_warning, req);
		if (rc == 0)
			req->spec_version = svc->version;
		if (rc == -1)
			req_fail_docker(req);
		if (rc != 1)
			break;
		if (attempt >= req->cfg->update_retries) {
			log_warnx("service %s: update out of sequence %u times",
			    req->service, attempt);
			rc = req_fail(req, 409,
			    "service %s kept changing under "
			    "the update (%u attempts); try again",
			    req->service, attempt);
			break;
		}
		log_info("service %s changed during the update (version "
		         "%llu); retrying",
		    req->service, (unsigned long long)svc->version);
		service_free(svc);
		sleep_ms((uint64_t)RETRY_PAUSE_MS * attempt);
	}
	buf_free(&spec);
	return rc;
}

/*
 * What a write leaves in the request: the service's ID, the image it ran
 * and the one it runs now.  Takes what it needs from svc and p.
 */
static int
adopt(struct request *req, struct service *svc, const struct pin *p)
{
	memcpy(req->service_id, svc->id, sizeof(req->service_id));
	req->prev_image = svc->image;
	svc->image = NULL;
	if (req->action == ACT_ROLLBACK) {
		req->new_image = svc->prev_image;
		svc->prev_image = NULL;
	} else
		req->new_image = strdup(p->image);
	if (req->new_image == NULL)
		return req_fail(req, 500, "out of memory");
	return 0;
}

/* PUT /service/<name> and POST /service/<name>/rollback. */
static int
write_run(struct request *req)
{
	int rollback = req->action == ACT_ROLLBACK;
	struct service svc;
	struct pin p;
	int rc;

	memset(&svc, 0, sizeof(svc));
	memset(&p, 0, sizeof(p));
	if (prepare(req) == -1 || (rc = write_service(req, &p, &svc)) == -1 ||
	    adopt(req, &svc, &p) == -1)
		rc = -1;
	service_free(&svc);
	pin_free(&p);
	if (rc == -1)
		return -1;
	if (rc == 1) {
		/* Nothing was written: no rollout, no notification. */
		req->state = "unchanged";
		return fill_result(req,
		    "the service already runs this image; "
		    "send \"force\": true to restart its tasks");
	}
	if (rc == 2) {
		req->state = "dry_run";
		return fill_result(req,
		    rollback ? "dry run: the rollback was "
		               "not sent"
		             : "dry run: the update was not sent");
	}
	log_info("service %s: %s%s -> %s%s", req->service,
	    rollback ? "rolling back " : "", req->prev_image, req->new_image,
	    req->force ? " (forced)" : "");
	return finish(req, rollback);
}

int
deploy_run(struct request *req)
{
	return write_run(req);
}

int
rollback_run(struct request *req)
{
	return write_run(req);
}
