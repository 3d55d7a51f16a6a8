/* job.c: a one-off Swarm job with the new image, run before a deploy */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "cfg.h"
#include "docker.h"
#include "job.h"
#include "log.h"
#include "request.h"
#include "respond.h"
#include "spec.h"
#include "util.h"

/* How often a running job's task is looked at, and how many looks in a
 * row may fail. */
#define POLL_MS 250
#define POLL_FAILURES 5
/* Swarm object names: "deployer-job-lock-" and a service ID. */
#define LOCK_PREFIX "deployer-job-lock-"

/* Replicated jobs came with API 1.41 (Docker 20.10). */
static int
api_has_jobs(const char *version)
{
	unsigned major, minor;

	return sscanf(version, "%u.%u", &major, &minor) == 2 &&
	    (major > 1 || minor >= 41);
}

static const char *
label_of(const cJSON *labels, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The timeout label, bounded by job_timeout_max. */
static int
plan_timeout(struct request *req, const struct service *svc, const char *t,
    struct job *job)
{
	const struct config *c = req->cfg;
	const char *errstr;
	uint64_t v;
	char w[160];

	job->timeout_s = c->job_timeout < c->job_timeout_max
	    ? c->job_timeout
	    : c->job_timeout_max;
	if (t == NULL)
		return 0;
	if (parse_u64(t, 1, 365 * 86400, &v, &errstr) == -1)
		return req_fail(req, 409,
		    "service %s: label " JOB_LABEL_TIMEOUT
		    " is not a number of seconds",
		    svc->name);
	job->timeout_s = (int)v;
	if (v > (uint64_t)c->job_timeout_max) {
		job->timeout_s = c->job_timeout_max;
		snprintf(w, sizeof(w),
		    "service %s: the job's timeout is lowered to "
		    "job_timeout_max (%d s)",
		    svc->name, c->job_timeout_max);
		req_warn(req, w);
	}
	return 0;
}

int
job_plan(struct request *req, const struct service *svc, const char *image,
    int rollback, struct job *job)
{
	const char *cmd, *when;
	cJSON *spec, *labels;
	int rc = 1;

	memset(job, 0, sizeof(*job));
	spec = cJSON_ParseWithLength(svc->raw + svc->spec.off, svc->spec.len);
	if (spec == NULL)
		return req_fail(req, 500,
		    "out of memory reading the labels of service %s",
		    svc->name);
	labels = cJSON_GetObjectItemCaseSensitive(spec, "Labels");
	if ((cmd = label_of(labels, JOB_LABEL_COMMAND)) == NULL) {
		cJSON_Delete(spec);
		return 0;
	}
	when = label_of(labels, JOB_LABEL_WHEN);
	if (when != NULL && strcmp(when, "deploy") != 0 &&
	    strcmp(when, "always") != 0)
		rc = req_fail(req, 409,
		    "service %s: label " JOB_LABEL_WHEN
		    " is neither \"deploy\" nor \"always\"",
		    svc->name);
	else if (rollback && (when == NULL || strcmp(when, "always") != 0))
		rc = 0;
	else if ((job->command = job_command(cmd)) == NULL)
		rc = req_fail(req, 409,
		    "service %s: label " JOB_LABEL_COMMAND
		    " is neither a JSON array of strings nor a command line",
		    svc->name);
	else if (plan_timeout(req, svc, label_of(labels, JOB_LABEL_TIMEOUT),
	             job) == -1)
		rc = -1;
	else if (!api_has_jobs(req->docker->version))
		rc = req_fail(req, 409,
		    "service %s runs a job before its deploys, and jobs need "
		    "Docker API 1.41 (this daemon speaks %s)",
		    svc->name, req->docker->version);
	cJSON_Delete(spec);
	if (rc != 1) {
		job_free(job);
		return rc;
	}
	/* A name that says whose job it is, within Swarm's 63 bytes. */
	snprintf(job->name, sizeof(job->name), "%.42s-job-%s", svc->name,
	    req->id);
	snprintf(job->image, sizeof(job->image), "%s", image);
	job->state = "would_run";
	return 1;
}

/* 1 when the labels (a job service's or a lock's) belong to a process
 * that died or whose time is up. */
static int
stale(const cJSON *labels)
{
	const char *owner = label_of(labels, JOB_LABEL_OWNER);
	const char *until = label_of(labels, JOB_LABEL_EXPIRES);
	const char *errstr;
	uint64_t t;

	if (until == NULL ||
	    parse_u64(until, 0, UINT64_MAX, &t, &errstr) == -1 ||
	    t < (uint64_t)time(NULL))
		return 1;
	return owner == NULL || job_owner_dead(owner);
}

struct reap {
	struct docker *d;
	struct docker_err *e;
	const char *kind;
	int removed;
};

static int
reap_one(void *ctx, const char *id, const char *name, const cJSON *labels)
{
	struct reap *r = ctx;
	int rc;

	if (!stale(labels))
		return 0;
	rc = strcmp(r->kind, "services") == 0
	    ? docker_service_remove(r->d, r->e, id)
	    : docker_config_remove(r->d, r->e, id);
	if (rc == -1)
		return -1;
	log_info("job: removed %s, left by %s", name,
	    label_of(labels, JOB_LABEL_OWNER)
	        ? label_of(labels, JOB_LABEL_OWNER)
	        : "an unknown process");
	r->removed++;
	return 0;
}

/* Removes the stale job services, then the stale locks, labelled with
 * service_id (every one when NULL). */
static int
reap(struct docker *d, struct docker_err *e, const char *service_id)
{
	struct reap r = { d, e, "services", 0 };
	char label[128];

	snprintf(label, sizeof(label), "%s%s%s", JOB_LABEL_FOR,
	    service_id ? "=" : "", service_id ? service_id : "");
	if (docker_labelled(d, e, "services", label, reap_one, &r) == -1)
		return -1;
	r.kind = "configs";
	snprintf(label, sizeof(label), "%s%s%s", JOB_LABEL_LOCK,
	    service_id ? "=" : "", service_id ? service_id : "");
	if (docker_labelled(d, e, "configs", label, reap_one, &r) == -1)
		return -1;
	return r.removed;
}

int
job_reap(struct docker *d, const struct config *cfg, struct docker_err *e)
{
	if (docker_prepare(d, cfg, e) == -1)
		return -1;
	return reap(d, e, NULL);
}

/* The labels the job service and its lock carry. */
struct owner_labels {
	char owner[JOB_OWNER_MAX];
	char expires[24];
	const char *v[13];
};

static int
owner_labels(struct request *req, const struct service *svc,
    const struct job *job, struct owner_labels *o)
{
	const char *const v[] = { JOB_LABEL_FOR, svc->id, JOB_LABEL_SERVICE,
		svc->name, JOB_LABEL_REQUEST, req->id, JOB_LABEL_OWNER,
		o->owner, JOB_LABEL_EXPIRES, o->expires, NULL, NULL, NULL };

	if (job_owner_self(o->owner, sizeof(o->owner)) == -1)
		return req_fail(req, 500, "cannot name this process");
	snprintf(o->expires, sizeof(o->expires), "%lld",
	    (long long)time(NULL) + job->timeout_s + JOB_GRACE_S);
	memcpy(o->v, v, sizeof(v));
	return 0;
}

/* Who holds the lock, for the 409. */
static int
busy(struct request *req, const struct service *svc, const cJSON *labels)
{
	const char *r = label_of(labels, JOB_LABEL_REQUEST);

	log_warnx("service %s: a job of request %s runs", svc->name,
	    r ? r : "?");
	return req_fail(req, 409,
	    "a job of service %s is running (request %s); this deploy "
	    "waits for none: try again when it has ended",
	    svc->name, r ? r : "unknown");
}

/*
 * The service's job lock: a Swarm config named after the service, which
 * every manager agrees exists once.  One left by a dead process is
 * removed (with its job service) and taken anew.
 */
static int
take_lock(struct request *req, const struct service *svc,
    const struct owner_labels *o, struct job *job)
{
	char name[sizeof(LOCK_PREFIX) + 72], id[72];
	const char *lock[] = { JOB_LABEL_LOCK, svc->id, o->v[2], o->v[3],
		o->v[4], o->v[5], o->v[6], o->v[7], o->v[8], o->v[9], NULL };
	cJSON *labels = NULL;
	int attempt, rc = 1;

	snprintf(name, sizeof(name), "%s%s", LOCK_PREFIX, svc->id);
	for (attempt = 0; attempt < 3; attempt++) {
		rc = docker_config_create(req->docker, &req->docker_err, name,
		    lock, job->lock_id, sizeof(job->lock_id));
		if (rc != 1)
			break;
		rc = docker_config_get(req->docker, &req->docker_err, name, id,
		    sizeof(id), &labels);
		if (rc == -1)
			break;
		if (rc == 1)
			continue; /* removed meanwhile: take it */
		if (!stale(labels)) {
			rc = busy(req, svc, labels);
			cJSON_Delete(labels);
			return rc;
		}
		cJSON_Delete(labels);
		labels = NULL;
		log_warnx("service %s: its job lock is left over; removing it",
		    svc->name);
		/* By ID: a lock taken anew meanwhile is another one. */
		if ((rc = reap(req->docker, &req->docker_err, svc->id)) == -1 ||
		    (rc = docker_config_remove(req->docker, &req->docker_err,
		         id)) == -1)
			break;
		rc = 1;
	}
	if (rc == -1)
		return req_fail_docker(req);
	if (rc == 1)
		return req_fail(req, 409,
		    "the job lock of service %s keeps changing hands",
		    svc->name);
	if (job->lock_id[0] == '\0')
		return req_fail(req, 502,
		    "Docker named no ID for the job lock");
	return 0;
}

/* Maps a terminal task state to the job's; NULL while it runs. */
static const char *
outcome(const char *state)
{
	if (strcmp(state, "complete") == 0)
		return "succeeded";
	if (strcmp(state, "failed") == 0 || strcmp(state, "shutdown") == 0 ||
	    strcmp(state, "remove") == 0)
		return "failed";
	if (strcmp(state, "rejected") == 0)
		return "rejected";
	if (strcmp(state, "orphaned") == 0)
		return "lost";
	return NULL;
}

/* Waits for the job's task to end, or for its timeout.  A migration is
 * not removed half-way for one failed look: only POLL_FAILURES in a row
 * fail the request. */
static int
wait_job(struct request *req, struct job *job, uint64_t t0)
{
	uint64_t deadline = t0 + (uint64_t)job->timeout_s * 1000;
	struct job_task t;
	unsigned failures = 0;

	for (;;) {
		if (docker_job_task(req->docker, &req->docker_err,
		        job->service_id, &t) == -1) {
			if (++failures >= POLL_FAILURES)
				return req_fail_docker(req);
			sleep_ms((uint64_t)POLL_MS * failures);
			continue;
		}
		failures = 0;
		if ((job->state = outcome(t.state)) != NULL)
			break;
		if (mono_ms() >= deadline) {
			job->state = "timed_out";
			snprintf(job->message, sizeof(job->message),
			    "still %s after %d s", t.state[0] ? t.state : "new",
			    job->timeout_s);
			return 0;
		}
		sleep_ms(POLL_MS);
	}
	job->has_exit = t.has_exit;
	job->exit_code = t.exit_code;
	if (t.has_exit)
		snprintf(job->exit_text, sizeof(job->exit_text), "%d",
		    t.exit_code);
	snprintf(job->message, sizeof(job->message), "%s", t.err);
	return 0;
}

/* The end of the job's output into job->output, and into the log. */
static void
keep_output(struct request *req, struct job *job)
{
	struct buf text;
	const cJSON *l;

	buf_init(&text, HTTP_BODY_MAX);
	if (docker_service_logs(req->docker, &req->docker_err, job->service_id,
	        JOB_OUTPUT_LINES, &text) == -1) {
		req_warn(req, "the job's output could not be read");
		req->docker_err.kind = DOCKER_OK;
	} else if ((job->output = job_lines(buf_str(&text), text.len)) == NULL)
		req_warn(req, "out of memory for the job's output");
	buf_free(&text);
	cJSON_ArrayForEach(l, job->output) {
		log_info("job %s: | %s", job->name, l->valuestring);
	}
}

/* Creates the job service and follows it to its end. */
static int
create_and_wait(struct request *req, const struct service *svc,
    const cJSON *platforms, const char *auth_header,
    const struct owner_labels *o, struct job *job)
{
	struct buf spec;
	uint64_t t0;
	int rc;

	buf_init(&spec, SPEC_MAX);
	if (job_spec(svc, job, platforms, o->v, &spec) == -1) {
		buf_free(&spec);
		return req_fail(req, 502,
		    "cannot make a job's spec of the spec Docker sent for "
		    "service %s",
		    svc->name);
	}
	t0 = mono_ms();
	rc = docker_service_create(req->docker, &req->docker_err,
	    buf_str(&spec), spec.len, auth_header, job->service_id,
	    sizeof(job->service_id));
	buf_free(&spec);
	if (rc == -1) {
		/* Without an answer the service may exist: the lock stays,
		 * and whoever finds it stale removes both. */
		job->orphan = req->docker_err.kind == DOCKER_ERR_TIMEOUT ||
		    req->docker_err.kind == DOCKER_ERR_PROTOCOL ||
		    req->docker_err.kind == DOCKER_ERR_UNREACHABLE;
		return req_fail_docker(req);
	}
	log_info("job %s: started for service %s with %s", job->name, svc->name,
	    job->image);
	rc = wait_job(req, job, t0);
	job->ms = mono_ms() - t0;
	if (rc == 0)
		keep_output(req, job);
	return rc;
}

/* Removes what the job made.  The lock goes only once no job service
 * can be left: else it stays, and the next request of the service (once
 * this process is gone or the lock expired) or --flush-spool removes
 * both. */
static void
clean_up(struct request *req, struct job *job)
{
	struct docker_err e = { DOCKER_OK, "" };

	if (job->service_id[0] != '\0' &&
	    docker_service_remove(req->docker, &e, job->service_id) == -1) {
		req_warn(req, "the job service could not be removed");
		job->orphan = 1;
	}
	if (job->orphan)
		log_warnx("job %s: may be left behind; its lock stays",
		    job->name);
	else if (job->lock_id[0] != '\0' &&
	    docker_config_remove(req->docker, &e, job->lock_id) == -1)
		req_warn(req, "the job lock could not be removed");
	job->lock_id[0] = '\0';
}

int
job_run(struct request *req, const struct service *svc, const cJSON *platforms,
    const char *auth_header, struct job *job)
{
	struct owner_labels o;
	int rc;

	if (owner_labels(req, svc, job, &o) == -1 ||
	    take_lock(req, svc, &o, job) == -1)
		return -1;
	rc = create_and_wait(req, svc, platforms, auth_header, &o, job);
	clean_up(req, job);
	if (rc == -1)
		return -1;
	log_info("job %s: %s after %llu ms%s%s", job->name, job->state,
	    (unsigned long long)job->ms,
	    job->exit_text[0] ? ", exit code " : "", job->exit_text);
	return strcmp(job->state, "succeeded") == 0 ? 0 : 1;
}

void
job_failure(const struct job *job, char *out, size_t outlen)
{
	if (strcmp(job->state, "timed_out") == 0)
		snprintf(out, outlen,
		    "the job %s did not end within %d s; it was removed",
		    job->name, job->timeout_s);
	else if (job->has_exit)
		snprintf(out, outlen, "the job %s %s with exit code %d%s%s",
		    job->name, job->state, job->exit_code,
		    job->message[0] ? ": " : "", job->message);
	else
		snprintf(out, outlen, "the job %s %s%s%s", job->name,
		    job->state, job->message[0] ? ": " : "", job->message);
}

int
job_put(cJSON *o, const struct job *job)
{
	cJSON *j, *c, *out;

	if ((j = cJSON_AddObjectToObject(o, "job")) == NULL ||
	    json_put(j, "name", job->name) == -1 ||
	    json_put(j, "image", job->image) == -1 ||
	    (c = cJSON_Duplicate(job->command, 1)) == NULL ||
	    !cJSON_AddItemToObject(j, "command", c) ||
	    !cJSON_AddNumberToObject(j, "timeout", job->timeout_s) ||
	    json_put(j, "state", job->state) == -1)
		return -1;
	if (strcmp(job->state, "would_run") == 0)
		return 0;
	if ((job->has_exit
	            ? !cJSON_AddNumberToObject(j, "exit_code", job->exit_code)
	            : !cJSON_AddNullToObject(j, "exit_code")) ||
	    json_put(j, "message", job->message) == -1 ||
	    !cJSON_AddNumberToObject(j, "seconds", (double)job->ms / 1000.0))
		return -1;
	out =
	    job->output ? cJSON_Duplicate(job->output, 1) : cJSON_CreateArray();
	return out != NULL && cJSON_AddItemToObject(j, "output", out) ? 0 : -1;
}

void
job_free(struct job *job)
{
	cJSON_Delete(job->command);
	cJSON_Delete(job->output);
	memset(job, 0, sizeof(*job));
}
