/* job.h: a one-off Swarm job with the new image, run before a deploy */
/* SPDX-License-Identifier: MIT */
#ifndef JOB_H
#define JOB_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "imageref.h"
#include "lock.h"

struct config;
struct docker;
struct docker_err;
struct request;
struct service;

/* The labels a service opts in with. */
#define JOB_LABEL_COMMAND "deployer.job.command"
#define JOB_LABEL_TIMEOUT "deployer.job.timeout"
#define JOB_LABEL_WHEN "deployer.job.when"
/* The labels of a job service and of its lock (a Swarm config), beside
 * the lock's owner labels (lock.h). */
#define JOB_LABEL_FOR "deployer.job.for"         /* the service's ID */
#define JOB_LABEL_LOCK "deployer.job.lock"       /* the same, on the lock */
#define JOB_LABEL_SERVICE "deployer.job.service" /* its name */
#define JOB_LABEL_REQUEST "deployer.job.request"

/* The answer keeps the last lines of a job's output, each bounded. */
#define JOB_OUTPUT_LINES 20
#define JOB_LINE_MAX 400
/* A command label holds at most this many words. */
#define JOB_ARGS_MAX 64

/*
 * One job: planned from the service's labels, then run.  The request (or
 * the stack member) that runs it owns it; job_free releases what it
 * holds.
 */
struct job {
	cJSON *command; /* owned: array of strings, as Docker runs it */
	int timeout_s;
	char name[64];           /* <service>-job-<request id> */
	char image[REF_MAX + 1]; /* the image it runs (pinned) */
	char service_id[72];     /* the job service, once created */
	struct lock lock;        /* the service's job lock */
	const char *state; /* would_run, succeeded, failed, rejected, lost,
	                    * timed_out */
	int has_exit;
	int exit_code;
	char exit_text[16]; /* exit_code for templates, "" when unknown */
	char message[256];  /* Swarm's word on the task */
	cJSON *output;      /* owned: the last lines, an array of strings */
	uint64_t ms;        /* from creation to its end */
	int orphan;         /* the job service may be left behind */
};

/*
 * The job svc's labels ask for before a deploy of image (rollback: before
 * a rollback to image, only with deployer.job.when=always).  0 when there
 * is none, 1 with job planned, -1 with req failed (409: a malformed
 * label; the timeout label above job_timeout_max is lowered, with a
 * warning).
 */
int job_plan(struct request *req, const struct service *svc, const char *image,
    int rollback, struct job *job);

/*
 * Runs a planned job to its end: takes the service's job lock (409 while
 * another request's job runs; a dead process's job and lock are removed
 * first), creates the job service from svc's spec with job->image,
 * platforms (or NULL) and auth_header, waits for its task, keeps the end
 * of its output and removes the service and the lock on every path.
 * Returns 0 when the job succeeded, 1 when it did not (job->state says
 * how; req is not failed), -1 with req failed.
 */
int job_run(struct request *req, const struct service *svc,
    const cJSON *platforms, const char *auth_header, struct job *job);

/* job as the answer's "job" member of o: 0, or -1 out of memory. */
int job_put(cJSON *o, const struct job *job);

/* The text of a failed job, for the 502's error. */
void job_failure(const struct job *job, char *out, size_t outlen);

void job_free(struct job *job);

/*
 * deployer --flush-spool: removes the job services and locks whose owner
 * died or whose time is up.  Returns how many, or -1 with e set.
 */
int job_reap(struct docker *d, const struct config *cfg, struct docker_err *e);

/* 1 when svc is labelled deployer.job.command. */
int job_wanted(const struct service *svc);

/* The pure parts, for job.c and the unit tests. */

/* The command label as Docker's Command: text that parses as a JSON
 * array must be 1 to JOB_ARGS_MAX strings, the first not empty (else
 * NULL); any other text runs with /bin/sh -c; blank is NULL. */
cJSON *job_command(const char *label);

/* svc's spec made into the job's (name, labels, image, command, one task
 * without restarts, no ports, no health check, no update or rollback
 * config), labels being key, value, ..., NULL; into out.  0, or -1. */
int job_spec(const struct service *svc, const struct job *job,
    const cJSON *platforms, const char *const *labels, struct buf *out);

/* The last JOB_OUTPUT_LINES lines of text (n bytes) as an array of
 * strings, each valid UTF-8 and at most JOB_LINE_MAX bytes.  NULL out of
 * memory. */
cJSON *job_lines(const char *text, size_t n);

#endif
