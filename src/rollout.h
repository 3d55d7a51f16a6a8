/* rollout.h: waiting until a service update settles */
/* SPDX-License-Identifier: MIT */
#ifndef ROLLOUT_H
#define ROLLOUT_H

struct request;

enum rollout_outcome {
	ROLLOUT_DONE = 0,   /* completed, or nothing had to change */
	ROLLOUT_FAILED,     /* paused or rolled back */
	ROLLOUT_TIMEOUT,    /* still updating at the deadline */
	ROLLOUT_ERROR = -1, /* Docker could not be asked; req failed */
};

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
