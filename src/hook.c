/* hook.c: POST /hook/<sender>: the services that track a pushed tag move */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "auth.h"
#include "buf.h"
#include "deploy.h"
#include "docker.h"
#include "hook.h"
#include "io.h"
#include "job.h"
#include "log.h"
#include "member.h"
#include "pin.h"
#include "push.h"
#include "request.h"
#include "respond.h"
#include "spec.h"
#include "stack.h"
#include "util.h"

/*
 * A hook runs in three steps, each over every service before the next:
 *
 *   choose  the services labelled deployer.track whose image is a pushed
 *           repository and whose patterns match a pushed tag: each once,
 *           onto the last matching push (of the pushes with its digest,
 *           the one with the tag it runs); the ones that may not move
 *           (no deployer.allowUpdates=true, outside the token's scope)
 *           are skipped, with the reason;
 *   plan    read each, pass it through the gate every deploy passes
 *           (skipped when refused), and pin it: to the event's digest, or,
 *           where the sender names none (Docker Hub, Quay), to what the
 *           tag resolves to now, once per push;
 *   move    post each whose image differs, read-modify-write as a deploy;
 *           the first failure stops the hook (the sender retries; what
 *           moved is then unchanged).
 *
 * Nothing waits for a rollout: the notifications report the outcome.
 */

static enum push_sender
sender_of(const struct request *req)
{
	return (enum push_sender)(req->action - ACT_HOOK_REGISTRY);
}

/* What the delivery held that is not a push, in the log: a sender that
 * changed its format shows here, not as a silent success. */
static void
log_ignored(const struct push_set *ps, const char *sender)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, ps->ignored) {
		const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
		const cJSON *why =
		    cJSON_GetObjectItemCaseSensitive(o, "reason");

		log_info("hook %s: ignored an event \"%s\": %s", sender,
		    cJSON_IsString(ev) ? ev->valuestring : "",
		    cJSON_IsString(why) ? why->valuestring : "");
	}
}

int
hook_parse(struct request *req)
{
	enum push_sender s = sender_of(req);
	const char *event = NULL;
	char err[384];
	int rc;

	if (s == PUSH_GITHUB)
		event = io_param(req->io, "HTTP_X_GITHUB_EVENT");
	if ((req->pushes = calloc(1, sizeof(*req->pushes))) == NULL)
		return req_fail(req, 500, "out of memory");
	rc = push_parse(s, event, buf_str(&req->body), req->body.len,
	    req->pushes, err, sizeof(err));
	if (rc == -2)
		return req_fail(req, 500, "out of memory");
	if (rc == -1) {
		log_warnx("hook %s: malformed payload: %s", push_sender_name(s),
		    err);
		return req_fail(req, 400, "malformed %s payload: %s",
		    push_sender_name(s), err);
	}
	log_info("hook %s: %zu events, %zu tags pushed, %zu ignored",
	    push_sender_name(s), req->pushes->events, req->pushes->n,
	    req->pushes->nignored);
	log_ignored(req->pushes, push_sender_name(s));
	return 0;
}

/* ------------------------------------------------------------- choose */

static int
match_tag(const char *pattern, const void *tag)
{
	return fnmatch(pattern, tag, 0) == 0;
}

static int
tracks(const struct push *p, const char *track, const struct imageref *cur)
{
	return ref_same_repository(&p->ref, cur) &&
	    pattern_list_any(track, match_tag, p->ref.tag);
}

/* The push that moves a service tracking track and running cur, or -1:
 * the last matching one delivered; of the matching ones with its digest,
 * the one with the tag the service runs. */
static int
pick(const struct push_set *ps, const char *track, const struct imageref *cur)
{
	int best = -1;
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (tracks(&ps->v[i], track, cur))
			best = (int)i;
	for (i = 0; best >= 0 && i < ps->n; i++)
		if (tracks(&ps->v[i], track, cur) &&
		    strcmp(ps->v[i].ref.tag, cur->tag) == 0 &&
		    strcmp(ps->v[i].ref.digest, ps->v[best].ref.digest) == 0)
			return (int)i;
	return best;
}

static int
skip(struct request *req, const char *service, const char *image,
    const char *reason)
{
	cJSON *skipped =
	    cJSON_GetObjectItemCaseSensitive(req->result, "skipped");
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddItemToArray(skipped, o)) {
		cJSON_Delete(o);
		return req_fail(req, 500, "out of memory");
	}
	json_put(o, "service", service);
	json_put(o, "image", image);
	json_put(o, "reason", reason);
	log_info("hook: skipping %s: %s", service, reason);
	return 0;
}

/*
 * The push's tag and digest on the repository as the service spells it
 * ("docker.io/library/x" stays so), into m->image and m->ref.
 */
static int
member_image(struct request *req, struct member *m, const struct imageref *cur,
    const struct imageref *p)
{
	const char *errstr;
	int n;

	n = snprintf(m->image, sizeof(m->image), "%s%s%s:%s%s%s", cur->domain,
	    cur->domain[0] ? "/" : "", cur->path, p->tag,
	    p->digest[0] ? "@" : "", p->digest);
	if (n < 0 || (size_t)n >= sizeof(m->image) ||
	    ref_parse(m->image, (size_t)n, &m->ref, &errstr) == -1)
		return req_fail(req, 502, "the image for %s is too long",
		    m->asked);
	return 0;
}

/* One listed service: -1 on failure, 0 when it does not move, 1 with
 * the push that moves it in *k. */
static int
consider(struct request *req, const struct service_brief *b,
    struct imageref *cur, int *k)
{
	const char *errstr;
	char why[160];
	size_t i;

	if (b->track == NULL || b->image == NULL ||
	    ref_parse(b->image, strlen(b->image), cur, &errstr) == -1)
		return 0;
	for (i = 0; i < req->pushes->n; i++)
		if (ref_same_repository(&req->pushes->v[i].ref, cur))
			break;
	if (i == req->pushes->n)
		return 0;
	/* What the token may not touch it does not see either. */
	if (!auth_may_move(req, b->name, b->stack)) {
		log_info("hook: service %s: outside token %s's scope", b->name,
		    req->token_name);
		return 0;
	}
	if ((*k = pick(req->pushes, b->track, cur)) < 0) {
		snprintf(why, sizeof(why),
		    "tracks %.100s: no pushed tag matches", b->track);
		return skip(req, b->name, b->image, why);
	}
	if (!b->allow_updates)
		return skip(req, b->name, b->image,
		    "not labelled deployer.allowUpdates=true");
	return 1;
}

/* The listed services that move, into req->members (with room for all
 * of the list). */
static int
choose_from(struct request *req, const struct service_brief *list, size_t n)
{
	struct imageref cur;
	size_t i;
	int k, rc;

	if ((req->members = calloc(n, sizeof(*req->members))) == NULL)
		return req_fail(req, 500, "out of memory");
	for (i = 0; i < n; i++) {
		struct member *m = &req->members[req->nmembers];

		if ((rc = consider(req, &list[i], &cur, &k)) <= 0) {
			if (rc == -1)
				return -1;
			continue;
		}
		req->nmembers++;
		memcpy(m->target, list[i].id, sizeof(m->target));
		memcpy(m->asked, list[i].name, sizeof(list[i].name));
		m->push = (size_t)k;
		if (member_image(req, m, &cur, &req->pushes->v[k].ref) == -1)
			return -1;
	}
	return 0;
}

static int
choose(struct request *req)
{
	struct service_brief *list = NULL;
	size_t n = 0;
	int rc;

	if (docker_services_list(req->docker, &req->docker_err, TRACK_LABEL,
	        STACK_SERVICES_MAX, &list, &n) == -1)
		return req_fail_docker(req);
	rc = n > 0 ? choose_from(req, list, n) : 0;
	service_briefs_free(list, n);
	return rc;
}

/* --------------------------------------------------------------- plan */

/* Drops member i (refused by the gate): it moves to "skipped". */
static int
refuse(struct request *req, size_t i, const char *why)
{
	struct member *m = &req->members[i];
	int rc = skip(req, m->svc.name, m->svc.image, why);

	member_free(m);
	memmove(m, m + 1, (req->nmembers - i - 1) * sizeof(*m));
	memset(&req->members[--req->nmembers], 0, sizeof(*m));
	return rc;
}

/* What push k pins to: its own digest, or what its tag resolves to now
 * (once per push: pins[k]). */
static int
pin_push(struct request *req, size_t k, struct pin *pins)
{
	const struct push *p = &req->pushes->v[k];
	char text[REF_MAX + 1];

	if (pins[k].resolved)
		return 0;
	if (p->ref.digest[0] != '\0') {
		pins[k].resolved = 1;
		return (pins[k].digest = strdup(p->ref.digest)) == NULL
		    ? req_fail(req, 500, "out of memory")
		    : 0;
	}
	if (ref_familiar(&p->ref, 0, text, sizeof(text)) == -1)
		return req_fail(req, 400, "image reference too long");
	return pin_resolve(req, &p->ref, text, &pins[k]);
}

/* Member m's pin: its image with the push's digest (when one is known). */
static int
pin_member(struct request *req, struct member *m, const struct pin *pk)
{
	int n;

	if (pin_copy(&m->pin, pk) == -1)
		return req_fail(req, 500, "out of memory");
	if (pk->digest != NULL && m->ref.digest[0] == '\0')
		n = snprintf(m->pin.image, sizeof(m->pin.image), "%s@%s",
		    m->image, pk->digest);
	else
		n = snprintf(m->pin.image, sizeof(m->pin.image), "%s",
		    m->image);
	if (n < 0 || (size_t)n >= sizeof(m->pin.image))
		return req_fail(req, 502, "the image for %s is too long",
		    m->svc.name);
	m->unchanged = strcmp(m->svc.image, m->pin.image) == 0;
	m->state = m->unchanged ? "unchanged"
	    : req->dry_run      ? "dry_run"
	                        : "planned";
	return 0;
}

/* Release order is irrelevant here; the name makes answers stable. */
static int
member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	return strcmp(x->svc.name, y->svc.name);
}

/* A service that runs a job before its deploys is not moved by a hook,
 * which must answer within a second. */
static int
no_job(const struct service *svc, char *why, size_t n)
{
	if (!job_wanted(svc))
		return 0;
	snprintf(why, n,
	    "service %s runs a job before its deploys (label " JOB_LABEL_COMMAND
	    "), which a hook does not wait for: deploy it "
	    "with PUT /service/%s",
	    svc->name, svc->name);
	return 1;
}

static int
plan_with(struct request *req, struct pin *pins)
{
	char why[REF_MAX + 256];
	size_t i;

	for (i = 0; i < req->nmembers;) {
		struct member *m = &req->members[i];

		if (docker_service_get(req->docker, &req->docker_err, m->target,
		        &m->svc) == -1)
			return req_fail_docker(req);
		if (deploy_refusal(req, &m->svc, &m->ref, m->image, why,
		        sizeof(why)) ||
		    no_job(&m->svc, why, sizeof(why))) {
			if (refuse(req, i, why) == -1)
				return -1;
			continue;
		}
		i++;
	}
	/* Only services that accept the push ask the registry. */
	for (i = 0; i < req->nmembers; i++) {
		struct member *m = &req->members[i];

		if (pin_push(req, m->push, pins) == -1 ||
		    pin_member(req, m, &pins[m->push]) == -1)
			return -1;
	}
	qsort(req->members, req->nmembers, sizeof(*req->members), member_cmp);
	return 0;
}

static int
plan(struct request *req)
{
	struct pin *pins;
	size_t i;
	int rc;

	if (req->nmembers == 0)
		return 0;
	if ((pins = calloc(req->pushes->n, sizeof(*pins))) == NULL)
		return req_fail(req, 500, "out of memory");
	rc = plan_with(req, pins);
	for (i = 0; i < req->pushes->n; i++)
		pin_free(&pins[i]);
	free(pins);
	return rc;
}

/* --------------------------------------------------------------- move */

/*
 * Swarm refused the version read: 1 to try again with m->svc read anew,
 * 0 when there is nothing left to do (another delivery moved it, or the
 * gate now refuses it: m's state says), -1 on failure.
 */
static int
read_again(struct request *req, struct member *m)
{
	char why[REF_MAX + 256];

	service_free(&m->svc);
	if (docker_service_get(req->docker, &req->docker_err, m->target,
	        &m->svc) == -1)
		return req_fail_docker(req);
	if (deploy_refusal(req, &m->svc, &m->ref, m->image, why, sizeof(why)) ||
	    no_job(&m->svc, why, sizeof(why))) {
		member_state(m, "skipped", why);
		return 0;
	}
	if (strcmp(m->svc.image, m->pin.image) == 0) {
		member_state(m, "unchanged",
		    "moved meanwhile by another update");
		return 0;
	}
	return 1;
}

/* member_write's reread: again while Swarm answers "update out of
 * sequence", up to update_retries writes. */
static int
reread(struct request *req, struct member *m, unsigned attempt)
{
	if (attempt >= req->cfg->update_retries)
		return req_fail(req, 409,
		    "service %s kept changing under the update (%u attempts)",
		    m->svc.name, attempt);
	return read_again(req, m);
}

/* Posts one service's new spec. */
static int
move(struct request *req, struct member *m, struct buf *spec)
{
	if (member_write(req, m, 0, spec, reread) == -1)
		return -1;
	if (m->written)
		log_info("hook: service %s: %s -> %s", m->svc.name,
		    m->svc.image, m->pin.image);
	return 0;
}

static int
move_all(struct request *req)
{
	struct buf spec;
	size_t i;
	int rc = 0;

	buf_init(&spec, SPEC_MAX);
	for (i = 0; i < req->nmembers && rc == 0; i++)
		if (!req->members[i].unchanged)
			rc = move(req, &req->members[i], &spec);
	for (; i < req->nmembers; i++)
		if (!req->members[i].unchanged)
			member_state(&req->members[i], "pending",
			    "not attempted: an earlier update failed; the "
			    "sender's next delivery moves it");
	buf_free(&spec);
	return rc;
}

/* ------------------------------------------------------------- answer */

static const char *
hook_state(const struct request *req)
{
	size_t i, written = 0;

	if (req->pushes->n == 0)
		return "ignored";
	if (req->dry_run)
		return "dry_run";
	for (i = 0; i < req->nmembers; i++)
		written += (size_t)req->members[i].written;
	if (req->status >= 400)
		return "failed";
	return written > 0 ? "accepted" : "unchanged";
}

static int
fill_result(struct request *req)
{
	cJSON *r = req->result, *arr, *pushed;
	char text[REF_MAX + 1];
	size_t i, written = 0;

	json_put(r, "action", "push");
	json_put(r, "sender", push_sender_name(sender_of(req)));
	json_put(r, "state", req->state);
	if ((pushed = cJSON_AddArrayToObject(r, "pushed")) == NULL ||
	    (arr = cJSON_AddArrayToObject(r, "services")) == NULL)
		return req_fail(req, 500, "out of memory");
	for (i = 0; i < req->pushes->n; i++)
		if (ref_familiar(&req->pushes->v[i].ref, 1, text,
		        sizeof(text)) == 0)
			cJSON_AddItemToArray(pushed, cJSON_CreateString(text));
	for (i = 0; i < req->nmembers; i++) {
		written += (size_t)req->members[i].written;
		if (member_put(arr, req, &req->members[i]) == -1)
			return req_fail(req, 500, "out of memory");
	}
	cJSON_AddItemToObject(r, "skipped",
	    cJSON_DetachItemFromObjectCaseSensitive(r, "skipped"));
	cJSON_AddItemToObject(r, "ignored", req->pushes->ignored);
	req->pushes->ignored = NULL;
	cJSON_AddNumberToObject(r, "ignored_events",
	    (double)req->pushes->nignored);
	json_put_request(r, req);
	if (written > 0)
		req->ok_status = 202;
	return 0;
}

int
hook_run(struct request *req)
{
	int rc = 0;

	if ((req->result = cJSON_CreateObject()) == NULL ||
	    cJSON_AddArrayToObject(req->result, "skipped") == NULL)
		return req_fail(req, 500, "out of memory");
	if (req->pushes->n > 0) {
		if (docker_prepare(req->docker, req->cfg, &req->docker_err) ==
		    -1)
			return req_fail_docker(req);
		if (choose(req) == -1 || plan(req) == -1)
			rc = -1;
		else if (!req->dry_run && move_all(req) == -1)
			rc = -1;
	}
	req->state = hook_state(req);
	members_tell(req);
	if (fill_result(req) == -1)
		return -1;
	return rc;
}
