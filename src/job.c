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
#include "lock.h"
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
	if ((cmd = json_str(labels, JOB_LABEL_COMMAND)) == NULL) {
		cJSON_Delete(spec);
		return 0;
	}
	when = json_str(labels, JOB_LABEL_WHEN);
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
	else if (plan_timeout(req, svc, json_str(labels, JOB_LABEL_TIMEOUT),
	             job) == -1)
		rc = -1;
	/* Replicated jobs came with API 1.41 (Docker 20.10). */
	else if (!docker_api_at_least(req->docker, 41))
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

int
job_reap(struct docker *d, const struct config *cfg, struct docker_err *e)
{
	int a, b;

	if (docker_prepare(d, cfg, e) == -1 ||
	    (a = lock_reap(d, e, "services", JOB_LABEL_FOR)) == -1 ||
	    (b = lock_reap(d, e, "configs", JOB_LABEL_LOCK)) == -1)
		return -1;
	return a + b;
}

/* lock_take's clear: the job services a dead holder of the lock left. */
static int
clear_jobs(struct request *req, const void *ctx)
{
	const struct service *svc = ctx;
	char label[128];

	snprintf(label, sizeof(label), "%s=%s", JOB_LABEL_FOR, svc->id);
	return lock_reap(req->docker, &req->docker_err, "services", label) == -1
	    ? -1
	    : 0;
}

/*
 * The service's job lock, deployer-job-lock-<service ID>: one job per
 * service at a time, across processes and managers.  409 while another
 * request's job runs.
 */
static int
take_lock(struct request *req, const struct service *svc, struct job *job)
{
	const char *extra[] = { JOB_LABEL_LOCK, svc->id, JOB_LABEL_SERVICE,
		svc->name, NULL };
	char name[sizeof(LOCK_PREFIX) + 72];
	int rc;

	snprintf(name, sizeof(name), "%s%s", LOCK_PREFIX, svc->id);
	if (lock_init(req, &job->lock, name, job->timeout_s) == -1 ||
	    (rc = lock_take(req, &job->lock, extra, clear_jobs, svc)) == -1)
		return -1;
	if (rc == 0)
		return 0;
	log_warnx("service %s: a job of request %s runs", svc->name,
	    job->lock.holder);
	return req_fail(req, 409,
	    "a job of service %s is running (request %s); try again when it "
	    "has ended",
	    svc->name, job->lock.holder);
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
    const cJSON *platforms, const char *auth_header, struct job *job)
{
	const char *const *o = job->lock.labels;
	const char *labels[] = { JOB_LABEL_FOR, svc->id, JOB_LABEL_SERVICE,
		svc->name, JOB_LABEL_REQUEST, req->id, o[0], o[1], o[2], o[3],
		o[4], o[5], NULL };
	struct buf spec;
	uint64_t t0;
	int rc;

	buf_init(&spec, SPEC_MAX);
	if (job_spec(svc, job, platforms, labels, &spec) == -1) {
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
	else
		lock_release(req, &job->lock);
}

int
job_run(struct request *req, const struct service *svc, const cJSON *platforms,
    const char *auth_header, struct job *job)
{
	int rc;

	if (take_lock(req, svc, job) == -1)
		return -1;
	rc = create_and_wait(req, svc, platforms, auth_header, job);
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
