/* stack.c: PUT /stack/<name>: every member of a release, all or nothing */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "auth.h"
#include "buf.h"
#include "deploy.h"
#include "docker.h"
#include "job.h"
#include "lock.h"
#include "log.h"
#include "notify.h"
#include "pin.h"
#include "request.h"
#include "respond.h"
#include "rollout.h"
#include "spec.h"
#include "stack.h"
#include "util.h"

/*
 * A release runs in four steps, each over every member before the next:
 *
 *   choose   the members: the stack's labelled services on the image's
 *            repository, or the ones the body names;
 *   plan     read each (its spec and Version.Index are the plan), check
 *            scope, labels and allow-list, pin each image to a digest;
 *   write    by deployer.order, lowest first: post every member of an
 *            order at the version the plan read (Swarm refuses a stale
 *            one: a concurrent release loses with 409), and with wait,
 *            follow their rollouts until all completed;
 *   verify   every member still has what the release left on it
 *            (a concurrent release that wrote one is caught here);
 *   restore  when a write, a rollout or the check failed: post each
 *            changed member's planned spec back, newest first.
 *
 * Nothing is written before every member passed the plan.
 */

/* The label docker stack deploy puts on every service of a stack. */
#define STACK_LABEL "com.docker.stack.namespace"
/* A restore waits at least this long for its rollouts, when waiting. */
#define RESTORE_WAIT_MIN_S 30
/* The stack lock's name: the prefix and 160 bits of the name's hash. */
#define STACK_LOCK_PREFIX "deployer-stack-lock-"

/* ------------------------------------------------------------- choose */

static struct member *
add_member(struct request *req)
{
	struct member *m;

	if (req->nmembers == STACK_MEMBERS_MAX) {
		req_fail(req, 409,
		    "stack %s has more than %d services to release", req->stack,
		    STACK_MEMBERS_MAX);
		return NULL;
	}
	if (req->members == NULL &&
	    (req->members = calloc(STACK_MEMBERS_MAX, sizeof(*req->members))) ==
	        NULL) {
		req_fail(req, 500, "out of memory");
		return NULL;
	}
	m = &req->members[req->nmembers++];
	return m;
}

/* A service of the stack that runs the repository but may not move. */
static int
skip(struct request *req, cJSON *skipped, const struct service_brief *b,
    const char *reason)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddItemToArray(skipped, o)) {
		cJSON_Delete(o);
		return req_fail(req, 500, "out of memory");
	}
	json_put(o, "service", b->name);
	json_put(o, "image", b->image);
	json_put(o, "reason", reason);
	log_info("stack %s: skipping %s: %s", req->stack, b->name, reason);
	return 0;
}

/* {"image": REF}: the labelled services on REF's repository. */
static int
choose_by_image(struct request *req, const struct service_brief *list, size_t n,
    cJSON *skipped)
{
	struct member *m;
	struct imageref cur;
	const char *errstr;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct service_brief *b = &list[i];

		if (b->image == NULL ||
		    ref_parse(b->image, strlen(b->image), &cur, &errstr) ==
		        -1 ||
		    !ref_same_repository(&cur, &req->ref))
			continue;
		if (!b->allow_updates) {
			if (skip(req, skipped, b,
			        "not labelled deployer.allowUpdates=true") ==
			    -1)
				return -1;
			continue;
		}
		if ((m = add_member(req)) == NULL)
			return -1;
		memcpy(m->target, b->id, sizeof(m->target));
		memcpy(m->image, req->image, sizeof(m->image));
		m->ref = req->ref;
	}
	if (req->nmembers == 0)
		return req_fail(req, 404,
		    "stack %s has no service labelled "
		    "deployer.allowUpdates=true that runs the repository of %s",
		    req->stack, req->image);
	return 0;
}

/* A name of the body: the compose file's ("web") or Swarm's
 * ("shop_web"). */
static const struct service_brief *
find_member(const struct request *req, const struct service_brief *list,
    size_t n, const char *name)
{
	size_t i, sn = strlen(req->stack);

	for (i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0 ||
		    (strncmp(list[i].name, req->stack, sn) == 0 &&
		        list[i].name[sn] == '_' &&
		        strcmp(list[i].name + sn + 1, name) == 0))
			return &list[i];
	return NULL;
}

/* {"services": {...}}: each named member belongs and is labelled. */
static int
choose_by_name(struct request *req, const struct service_brief *list, size_t n)
{
	const struct service_brief *b;
	size_t i, j;

	for (i = 0; i < req->nmembers; i++) {
		struct member *m = &req->members[i];

		if ((b = find_member(req, list, n, m->asked)) == NULL)
			return req_fail(req, 404,
			    "stack %s has no service %s; nothing was changed",
			    req->stack, m->asked);
		if (!b->allow_updates)
			return req_fail(req, 403,
			    "service %s of stack %s is not labelled "
			    "deployer.allowUpdates=true; nothing was changed",
			    b->name, req->stack);
		for (j = 0; j < i; j++)
			if (strcmp(req->members[j].target, b->id) == 0)
				return req_fail(req, 400,
				    "\"services\" names %s twice", b->name);
		memcpy(m->target, b->id, sizeof(m->target));
	}
	return 0;
}

static int
choose(struct request *req)
{
	struct service_brief *list = NULL;
	char label[sizeof(STACK_LABEL) + SERVICE_NAME_MAX + 1];
	cJSON *skipped;
	size_t n = 0;
	int rc;

	if ((req->result = cJSON_CreateObject()) == NULL ||
	    (skipped = cJSON_AddArrayToObject(req->result, "skipped")) == NULL)
		return req_fail(req, 500, "out of memory");
	snprintf(label, sizeof(label), "%s=%s", STACK_LABEL, req->stack);
	if (docker_services_list(req->docker, &req->docker_err, label,
	        STACK_SERVICES_MAX, &list, &n) == -1)
		return req_fail_docker(req);
	if (n == 0)
		rc =
		    req_fail(req, 404, "no stack %s: no service is labelled %s",
		        req->stack, label);
	else if (req->image[0] != '\0')
		rc = choose_by_image(req, list, n, skipped);
	else
		rc = choose_by_name(req, list, n);
	service_briefs_free(list, n);
	return rc;
}

/* --------------------------------------------------------------- plan */

/* The pin of an earlier member with the same image, or NULL. */
static const struct pin *
pinned_before(const struct request *req, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(req->members[j].image, req->members[i].image) == 0)
			return &req->members[j].pin;
	return NULL;
}

/* Reads one member and checks everything a write of it needs. */
static int
plan_member(struct request *req, size_t i)
{
	struct member *m = &req->members[i];

	if (docker_service_get(req->docker, &req->docker_err, m->target,
	        &m->svc) == -1)
		return req_fail_docker(req);
	if (auth_scope_member(req, m->svc.name) == -1 ||
	    deploy_gate(req, &m->svc, &m->ref, m->image) == -1)
		return -1;
	if (strcmp(m->svc.stack, req->stack) != 0)
		return req_fail(req, 409,
		    "service %s left stack %s during the release", m->svc.name,
		    req->stack);
	if (m->svc.order_bad)
		return req_fail(req, 409,
		    "service %s has a deployer.order label that is not an "
		    "integer",
		    m->svc.name);
	m->state = "planned";
	return 0;
}

/* The job a member to be written runs first, if its labels ask. */
static int
plan_job(struct request *req, struct member *m)
{
	int rc;

	if ((m->job = calloc(1, sizeof(*m->job))) == NULL)
		return req_fail(req, 500, "out of memory");
	rc = job_plan(req, &m->svc, m->pin.image, 0, m->job);
	if (rc <= 0) {
		free(m->job);
		m->job = NULL;
	}
	return rc == -1 ? -1 : 0;
}

static int
pin_member(struct request *req, size_t i)
{
	struct member *m = &req->members[i];
	const struct pin *same = pinned_before(req, i);

	if (same != NULL) {
		if (pin_copy(&m->pin, same) == -1)
			return req_fail(req, 500, "out of memory");
	} else if (pin_resolve(req, &m->ref, m->image, &m->pin) == -1)
		return -1;
	m->unchanged = strcmp(m->svc.image, m->pin.image) == 0 && !req->force;
	if (m->unchanged) {
		m->state = "unchanged";
		return 0;
	}
	return plan_job(req, m);
}

/* Release order: deployer.order, then the name (a stable, total order). */
static int
member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->svc.order != y->svc.order)
		return x->svc.order < y->svc.order ? -1 : 1;
	return strcmp(x->svc.name, y->svc.name);
}

static int
plan(struct request *req)
{
	size_t i;

	for (i = 0; i < req->nmembers; i++)
		if (plan_member(req, i) == -1)
			return -1;
	/* Only a release every member accepts asks the registry. */
	for (i = 0; i < req->nmembers; i++)
		if (pin_member(req, i) == -1)
			return -1;
	qsort(req->members, req->nmembers, sizeof(*req->members), member_cmp);
	return 0;
}

/* -------------------------------------------------------------- write */

/* 1 when two reads of a service have the same spec, byte for byte. */
static int
same_spec(const struct service *a, const struct service *b)
{
	return a->spec.len == b->spec.len &&
	    memcmp(a->raw + a->spec.off, b->raw + b->spec.off, a->spec.len) ==
	    0;
}

/*
 * Swarm refused the plan's version ("update out of sequence").  1 when
 * the member's spec is still the planned one (only its update status
 * moved; m->svc now holds the new read and version), 0 when someone else
 * changed it, -1 on failure.
 */
static int
still_planned(struct request *req, struct member *m)
{
	struct service now;

	if (docker_service_get(req->docker, &req->docker_err, m->svc.id,
	        &now) == -1)
		return req_fail_docker(req);
	if (!same_spec(&now, &m->svc)) {
		service_free(&now);
		return 0;
	}
	service_free(&m->svc);
	m->svc = now;
	return 1;
}

/* member_write's reread: a release does not write over a change it did
 * not plan. */
static int
reread(struct request *req, struct member *m, unsigned attempt)
{
	int rc = 0;

	if (attempt < req->cfg->update_retries &&
	    (rc = still_planned(req, m)) != 0)
		return rc;
	log_warnx("stack %s: service %s changed since the release was planned",
	    req->stack, m->svc.name);
	return req_fail(req, 409,
	    "stack %s: service %s changed since this release was planned "
	    "(another release?); this one is undone",
	    req->stack, m->svc.name);
}

/* Runs a member's job; one that fails fails the release. */
static int
run_job(struct request *req, struct member *m)
{
	struct pin creds;
	char why[512];
	int rc;

	memset(&creds, 0, sizeof(creds));
	if (m->pin.auth.len == 0 && pin_credentials(req, &m->ref, &creds) == -1)
		return -1;
	rc = job_run(req, &m->svc, m->pin.platforms,
	    m->pin.auth.len ? pin_auth(&m->pin) : pin_auth(&creds), m->job);
	pin_free(&creds);
	if (rc != 1)
		return rc;
	job_failure(m->job, why, sizeof(why));
	member_state(m, "job_failed", why);
	m->told = 1;
	return req_fail(req, 502, "stack %s: %s; the release is undone",
	    req->stack, why);
}

/* Posts one member's new spec at the version the plan read, after its
 * job. */
static int
write_member(struct request *req, struct member *m, struct buf *spec)
{
	if (m->job != NULL && run_job(req, m) == -1)
		return -1;
	if (member_write(req, m, req->force, spec, reread) == -1)
		return -1;
	log_info("stack %s: service %s: %s -> %s%s", req->stack, m->svc.name,
	    m->svc.image, m->pin.image, req->force ? " (forced)" : "");
	return 0;
}

/* One look at each followed member of [a, b): *open counts the ones
 * still going, *failed the ones that failed; -1 when Docker could not be
 * asked. */
static int
look_all(struct request *req, size_t a, size_t b, size_t *open, size_t *failed)
{
	size_t i;
	int rc;

	*open = *failed = 0;
	for (i = a; i < b; i++) {
		struct member *m = &req->members[i];

		if (!m->watch.service_id[0] || m->watch.settled)
			continue;
		rc = rollout_look(&m->watch, req->docker, &req->docker_err);
		if (rc == -1)
			return req_fail_docker(req);
		if (rc == 0)
			(*open)++;
		else
			member_state(m, m->watch.state, m->watch.message);
		if (rc == 1 &&
		    (m->watch.outcome == ROLLOUT_FAILED ||
		        m->watch.outcome == ROLLOUT_SUPERSEDED))
			(*failed)++;
	}
	return 0;
}

/* Follows every watched member of [a, b) until all settled, one failed
 * (when stop_on_failure) or the deadline passed; the ones still going
 * then expire. */
static int
follow(struct request *req, size_t a, size_t b, uint64_t deadline,
    int stop_on_failure)
{
	uint64_t now;
	size_t i, open, failed;

	for (;;) {
		if (look_all(req, a, b, &open, &failed) == -1)
			return -1;
		if (open == 0)
			return 0;
		if (failed > 0 && stop_on_failure)
			break;
		if ((now = mono_ms()) >= deadline)
			break;
		sleep_ms(deadline - now < ROLLOUT_POLL_MS ? deadline - now
		                                          : ROLLOUT_POLL_MS);
	}
	for (i = a; i < b; i++) {
		struct member *m = &req->members[i];

		if (m->watch.service_id[0] && !m->watch.settled) {
			rollout_expire(&m->watch);
			member_state(m, m->watch.state, m->watch.message);
		}
	}
	return 0;
}

/* With wait: the rollouts of one order's members, until all completed. */
static int
wait_order(struct request *req, size_t a, size_t b, uint64_t deadline)
{
	size_t i;

	for (i = a; i < b; i++) {
		struct member *m = &req->members[i];

		if (m->written)
			rollout_begin(&m->watch, m->svc.id, m->svc.name, 0,
			    m->pin.image);
	}
	if (follow(req, a, b, deadline, 1) == -1)
		return -1;
	/* A failure names the member that failed, not one cut short. */
	for (i = a; i < b; i++) {
		struct member *m = &req->members[i];

		if (m->written && m->watch.outcome == ROLLOUT_SUPERSEDED)
			return req_fail(req, 409,
			    "stack %s: service %s was changed by another update "
			    "while this release waited (another release?); "
			    "this one is undone",
			    req->stack, m->svc.name);
		if (m->written && m->watch.outcome == ROLLOUT_FAILED)
			return req_fail(req, 502,
			    "stack %s: the rollout of service %s failed: %s: "
			    "%s; the release is undone",
			    req->stack, m->svc.name, m->state,
			    m->message ? m->message : "");
	}
	for (i = a; i < b; i++) {
		struct member *m = &req->members[i];

		if (!m->written || m->watch.outcome == ROLLOUT_DONE)
			continue;
		if (m->watch.outcome == ROLLOUT_SUPERSEDED)
			return req_fail(req, 409,
			    "stack %s: service %s was changed by another update "
			    "while this release waited (another release?); "
			    "this one is undone",
			    req->stack, m->svc.name);
		if (m->watch.outcome == ROLLOUT_TIMEOUT)
			return req_fail(req, 504,
			    "stack %s: the rollout of service %s was still %s "
			    "after %d seconds; the release is undone",
			    req->stack, m->svc.name, m->state, req->wait_s);
		return req_fail(req, 502,
		    "stack %s: the rollout of service %s failed: %s: %s; the "
		    "release is undone",
		    req->stack, m->svc.name, m->state,
		    m->message ? m->message : "");
	}
	return 0;
}

/* Every order in turn, lowest first; with wait, each one completed
 * before the next starts. */
static int
release(struct request *req)
{
	uint64_t deadline = mono_ms() + (uint64_t)req->wait_s * 1000;
	struct member *ms = req->members;
	struct buf spec;
	size_t a = 0, b, i;
	int rc = 0;

	buf_init(&spec, SPEC_MAX);
	while (rc == 0 && a < req->nmembers) {
		for (b = a;
		     b < req->nmembers && ms[b].svc.order == ms[a].svc.order;
		     b++)
			;
		for (i = a; i < b && rc == 0; i++)
			if (!ms[i].unchanged)
				rc = write_member(req, &ms[i], &spec);
		/* The wait is for rollouts: the jobs' time is not its. */
		for (i = a; i < b; i++)
			if (ms[i].job != NULL)
				deadline += ms[i].job->ms;
		if (rc == 0 && req->wait_s > 0)
			rc = wait_order(req, a, b, deadline);
		a = b;
	}
	buf_free(&spec);
	return rc;
}

/*
 * After the last write: every member still has what this release left
 * on it, the written ones its image and the unchanged ones the spec the
 * plan read.  Two releases that overlap both write before they check, so
 * at least one of them sees the other's write here (or Swarm refused one
 * of its writes already) and is undone: a stack never keeps a member of
 * each.  409 when something changed.
 */
static int
verify(struct request *req)
{
	struct service now;
	size_t i;
	int same;

	for (i = 0; i < req->nmembers; i++) {
		const struct member *m = &req->members[i];

		if (docker_service_get(req->docker, &req->docker_err, m->svc.id,
		        &now) == -1)
			return req_fail_docker(req);
		if (m->written)
			same = strcmp(now.image, m->pin.image) == 0;
		else
			same = same_spec(&now, &m->svc);
		service_free(&now);
		if (!same) {
			log_warnx("stack %s: service %s changed while the "
			          "release ran",
			    req->stack, m->svc.name);
			return req_fail(req, 409,
			    "stack %s: service %s was changed by another "
			    "update while this release ran (another release?); "
			    "this one is undone",
			    req->stack, m->svc.name);
		}
	}
	return 0;
}

/* ------------------------------------------------------------ restore */

/*
 * Puts the planned spec back on a member this release changed, at the
 * version Docker has now: unless Swarm rolled it back itself (its spec
 * is the planned one again), or someone else changed it since (it is
 * left alone).  Returns 1 when its rollout is worth following.
 */
/* What a member that this release tried to write has now: 1 when the
 * planned spec must be posted back, 0 when m's state says why not. */
static int
needs_restore(struct member *m, const struct service *now)
{
	if (strncmp(now->update_state, "rollback_", 9) == 0 &&
	    strcmp(now->image, m->svc.image) == 0) {
		/* update-failure-action rollback: Swarm's own. */
		member_state(m, "rolled_back", "Swarm rolled it back");
		rollout_begin(&m->watch, m->svc.id, m->svc.name, 1,
		    m->svc.image);
		return 0;
	}
	if (same_spec(now, &m->svc)) {
		/* An update whose answer was lost, and that never landed. */
		member_state(m, m->written ? "rolled_back" : "unchanged",
		    "it has the spec it had before");
		return 0;
	}
	if (strcmp(now->image, m->pin.image) != 0) {
		member_state(m, "superseded",
		    "changed by someone else since; left as it is");
		return 0;
	}
	return 1;
}

/*
 * Puts the planned spec back on a member this release wrote (or tried
 * to), at the version Docker has now, unless it needs none
 * (needs_restore).  Returns 1 when its rollout is worth following.
 */
static int
restore_member(struct request *req, struct member *m)
{
	struct change c;
	struct docker_err e;
	struct service now;
	unsigned attempt;
	int rc = 1;

	rollout_end(&m->watch);
	for (attempt = 1; rc == 1; attempt++) {
		if (docker_service_get(req->docker, &e, m->svc.id, &now) == -1)
			break;
		if (!needs_restore(m, &now)) {
			service_free(&now);
			return m->watch.service_id[0] != '\0';
		}
		member_change(req, m, &c);
		c.prev_image = now.image;
		c.new_image = m->svc.image;
		c.version = now.version;
		/* An undo is made even when its record fails (logged). */
		(void)audit_intent(req, &c);
		rc = docker_service_update(req->docker, &e, &now,
		    m->svc.raw + m->svc.spec.off, m->svc.spec.len, NULL, 0,
		    NULL, NULL);
		service_free(&now);
		if (rc == 1 && attempt >= req->cfg->update_retries)
			docker_fail(&e, DOCKER_ERR_CONFLICT,
			    "it kept changing (%u attempts)", attempt);
		else if (rc == 0) {
			member_state(m, "rolled_back",
			    "the spec it had before was restored");
			log_info("stack %s: service %s restored to %s",
			    req->stack, m->svc.name, m->svc.image);
			rollout_begin(&m->watch, m->svc.id, m->svc.name, 0,
			    m->svc.image);
			return 1;
		} else if (rc == 1)
			continue;
		break;
	}
	log_warnx("stack %s: service %s NOT restored: %s", req->stack,
	    m->svc.name, e.msg);
	member_state(m, "rollback_failed", e.msg);
	return 0;
}

/* Undoes every write of the release, newest first; with wait, follows
 * the restores' rollouts (for at least RESTORE_WAIT_MIN_S seconds). */
static void
restore(struct request *req)
{
	int wait_s =
	    req->wait_s > RESTORE_WAIT_MIN_S ? req->wait_s : RESTORE_WAIT_MIN_S;
	size_t i, followed = 0;

	for (i = req->nmembers; i-- > 0;)
		if (req->members[i].attempted &&
		    restore_member(req, &req->members[i]))
			followed++;
	if (followed == 0 || req->wait_s <= 0)
		return;
	if (follow(req, 0, req->nmembers, mono_ms() + (uint64_t)wait_s * 1000,
	        0) == -1)
		return;
	for (i = 0; i < req->nmembers; i++) {
		struct member *m = &req->members[i];

		if (!m->attempted || !m->watch.service_id[0])
			continue;
		if (m->watch.outcome == ROLLOUT_DONE)
			member_state(m, "rolled_back",
			    m->watch.message ? m->watch.message
			                     : "the spec it had before runs");
		else if (m->watch.outcome == ROLLOUT_SUPERSEDED)
			member_state(m, "superseded",
			    "changed by someone else since; left as it is");
		else
			member_state(m, "rollback_failed",
			    m->watch.message ? m->watch.message
			                     : "the restore did not complete");
	}
}

/* ------------------------------------------------------------- answer */

/* The release's one word: what every member's state adds up to. */
static const char *
release_state(const struct request *req)
{
	size_t i, written = 0, restored = 0, completed = 0;

	if (req->dry_run)
		return "dry_run";
	for (i = 0; i < req->nmembers; i++) {
		const struct member *m = &req->members[i];

		written += m->written;
		restored += m->written && strcmp(m->state, "rolled_back") == 0;
		completed += m->written && strcmp(m->state, "completed") == 0;
	}
	if (req->status >= 400)
		return written > 0 && written == restored ? "rolled_back"
		                                          : "failed";
	if (written == 0)
		return "unchanged";
	return completed == written ? "completed" : "accepted";
}

static int
fill_result(struct request *req)
{
	cJSON *r = req->result, *arr;
	size_t i;

	json_put(r, "stack", req->stack);
	json_put(r, "action", "stack");
	json_put(r, "requested_image", req->image);
	json_put(r, "state", req->state);
	if ((arr = cJSON_AddArrayToObject(r, "services")) == NULL)
		return req_fail(req, 500, "out of memory");
	for (i = 0; i < req->nmembers; i++)
		if (member_put(arr, req, &req->members[i]) == -1)
			return req_fail(req, 500, "out of memory");
	/* The skipped services went in first; they read better after. */
	cJSON_AddItemToObject(r, "skipped",
	    cJSON_DetachItemFromObjectCaseSensitive(r, "skipped"));
	json_put_request(r, req);
	return 0;
}

int
stack_reap(struct docker *d, const struct config *cfg, struct docker_err *e)
{
	if (docker_prepare(d, cfg, e) == -1)
		return -1;
	return lock_reap(d, e, "configs", STACK_LABEL_LOCK);
}

/*
 * The stack's lock: one release of a stack at a time, across processes
 * and managers (a second one gets 409 before it reads a member), held
 * until the release is done or undone; a dry run neither takes it nor
 * waits for it.  The version checks of every write stay for whatever
 * else writes a member meanwhile.
 */
static int
take_lock(struct request *req, struct lock *l)
{
	const char *extra[] = { STACK_LABEL_LOCK, req->stack, NULL };
	char name[sizeof(STACK_LOCK_PREFIX) + 40];
	unsigned char d[32];
	int rc;

	/* Stack names are up to 63 bytes, config names up to 64. */
	sha256(req->stack, strlen(req->stack), d);
	memcpy(name, STACK_LOCK_PREFIX, sizeof(STACK_LOCK_PREFIX) - 1);
	hex_encode(d, 20, name + sizeof(STACK_LOCK_PREFIX) - 1);
	/* The bound of the whole release: each member's plan (a read and a
	 * registry lookup) and job of the longest kind, the waits for the
	 * rollouts and for the restores.  It matters only to another host,
	 * which cannot see whether this process lives. */
	if (lock_init(req, l, name,
	        2L * req->wait_s + RESTORE_WAIT_MIN_S +
	            (long)req->nmembers *
	                (2L * req->cfg->docker_timeout_ms / 1000 +
	                    req->cfg->job_timeout_max)) == -1 ||
	    (rc = lock_take(req, l, extra, NULL, NULL)) == -1)
		return -1;
	if (rc == 0)
		return 0;
	log_warnx("stack %s: a release of request %s runs", req->stack,
	    l->holder);
	return req_fail(req, 409,
	    "a release of stack %s is running (request %s); try again when "
	    "it has ended",
	    req->stack, l->holder);
}

/* The release proper: choose, lock, plan, write, check; undone on
 * failure.  -2 when it failed before anything was written. */
static int
run(struct request *req, struct lock *l)
{
	if (choose(req) == -1 || (!req->dry_run && take_lock(req, l) == -1) ||
	    plan(req) == -1)
		return -2;
	if (!req->dry_run && (release(req) == -1 || verify(req) == -1)) {
		restore(req);
		return -1;
	}
	return 0;
}

int
stack_run(struct request *req)
{
	struct lock lock;
	int rc;

	memset(&lock, 0, sizeof(lock));
	if (docker_prepare(req->docker, req->cfg, &req->docker_err) == -1)
		return req_fail_docker(req);
	rc = run(req, &lock);
	lock_release(req, &lock);
	if (rc == -2)
		return -1;
	req->state = release_state(req);
	members_tell(req);
	if (fill_result(req) == -1)
		return -1;
	return rc;
}
