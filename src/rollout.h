/* rollout.h: waiting until a service update settles */
/* SPDX-License-Identifier: MIT */
#ifndef ROLLOUT_H
#define ROLLOUT_H

#include <stdint.h>

#include "imageref.h"

struct docker;
struct docker_err;
struct request;

enum rollout_outcome {
	ROLLOUT_DONE = 0,   /* completed, or nothing had to change */
	ROLLOUT_FAILED,     /* paused or rolled back */
	ROLLOUT_TIMEOUT,    /* still updating at the deadline */
	ROLLOUT_SUPERSEDED, /* another update replaced the one followed */
	ROLLOUT_ERROR = -1, /* Docker could not be asked; req failed */
};

/* The poll interval of a wait, as the docker CLI's. */
#define ROLLOUT_POLL_MS 200

/*
 * One service's rollout, watched one look at a time, so that a caller
 * can follow several at once (a stack release).  Zeroed by
 * rollout_begin; rollout_end frees it.
 */
struct rollout {
	char service_id[72];
	char name[64];            /* for the log */
	int rollback;             /* success is rollback_completed */
	char image[REF_MAX + 80]; /* the image followed, or "": any */
	uint64_t settled_at;
	const char *last;             /* the last state Swarm reported */
	int settled;                  /* outcome is final */
	enum rollout_outcome outcome; /* once settled, or TIMEOUT */
	const char *state;            /* Swarm's state, static */
	char *message;                /* owned: Swarm's message */
};

/* Starts following service_id; with image (else NULL), a spec that no
 * longer has that image settles as ROLLOUT_SUPERSEDED. */
void rollout_begin(struct rollout *w, const char *service_id, const char *name,
    int rollback, const char *image);

/* Looks at the service once: 1 when the rollout settled (w->outcome,
 * w->state, w->message), 0 while it goes on, -1 when Docker could not be
 * asked (e says why). */
int rollout_look(struct rollout *w, struct docker *d, struct docker_err *e);

/* The wait ended: an unsettled rollout becomes ROLLOUT_TIMEOUT. */
void rollout_expire(struct rollout *w);

/* Frees w and zeroes it (a no-op on a zeroed one). */
void rollout_end(struct rollout *w);

/*
 * Polls the service (and, while Swarm reports no UpdateStatus, its
 * up-to-date tasks) as `docker service update --detach=false` does, until
 * the update settles or wait_s seconds pass.  For a deploy, "completed" is
 * success and "paused" and every "rollback_*" state a failure; for a
 * rollback, "rollback_completed" is success.  Sets req->state and
 * req->state_message.
 */
enum rollout_outcome rollout_wait(struct request *req, const char *service_id,
    int rollback, int wait_s);

#endif
