/* rollout.c: waiting until a service update settles */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker.h"
#include "log.h"
#include "request.h"
#include "rollout.h"
#include "util.h"

/* Without an UpdateStatus, tasks must look converged this long before
 * the update counts as done (no task had to change). */
#define SETTLE_MS 1000

static void
settle(struct rollout *w, enum rollout_outcome o, const char *state,
    const char *msg)
{
	w->outcome = o;
	w->state = state;
	free(w->message);
	w->message = msg ? strdup(msg) : NULL;
	w->settled = o != ROLLOUT_TIMEOUT;
}

/* A state Swarm reports, as a static string for the response. */
static const char *
known_state(const char *s)
{
	static const char *const states[] = { "updating", "paused", "completed",
		"rollback_started", "rollback_paused", "rollback_completed",
		NULL };
	size_t i;

	for (i = 0; states[i] != NULL; i++)
		if (strcmp(s, states[i]) == 0)
			return states[i];
	return "unknown";
}

static int
converged(const struct service *svc, const struct task_count *tc)
{
	if (svc->replicas >= 0)
		return tc->running == (uint64_t)svc->replicas &&
		    tc->total == (uint64_t)svc->replicas;
	return tc->total > 0 && tc->running == tc->total;
}

void
rollout_begin(struct rollout *w, const char *service_id, const char *name,
    int rollback, const char *image)
{
	memset(w, 0, sizeof(*w));
	if (image != NULL)
		snprintf(w->image, sizeof(w->image), "%s", image);
	snprintf(w->service_id, sizeof(w->service_id), "%s", service_id);
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->rollback = rollback;
	w->last = "updating";
	w->state = "updating";
}

/* Without an UpdateStatus: done once the tasks stay converged. */
static int
look_tasks(struct rollout *w, struct docker *d, struct docker_err *e,
    const struct service *svc)
{
	struct task_count tc;

	if (docker_tasks(d, e, w->service_id, &tc) == -1)
		return -1;
	if (!converged(svc, &tc))
		w->settled_at = 0;
	else if (w->settled_at == 0)
		w->settled_at = mono_ms();
	else if (mono_ms() - w->settled_at >= SETTLE_MS) {
		settle(w, ROLLOUT_DONE,
		    w->rollback ? "rollback_completed" : "completed",
		    "no task had to change");
		return 1;
	}
	return 0;
}

int
rollout_look(struct rollout *w, struct docker *d, struct docker_err *e)
{
	struct service svc;
	const char *st;
	int rc = 0;

	if (w->settled)
		return 1;
	if (docker_service_get(d, e, w->service_id, &svc) == -1)
		return -1;
	st = svc.update_state;
	if (*st != '\0')
		w->last = w->state = known_state(st);
	/* A failed rollout first: Swarm's own rollback puts the previous
	 * image back, which is no other update's doing. */
	if (strcmp(st, "paused") == 0 || strcmp(st, "rollback_paused") == 0 ||
	    (!w->rollback && strncmp(st, "rollback_", 9) == 0)) {
		settle(w, ROLLOUT_FAILED, w->last, svc.update_message);
		log_warnx("service %s: rollout %s: %s", w->name, w->last,
		    svc.update_message ? svc.update_message : "");
		rc = 1;
	} else if (w->image[0] != '\0' && strcmp(svc.image, w->image) != 0) {
		settle(w, ROLLOUT_SUPERSEDED, "superseded",
		    "another update replaced this one");
		rc = 1;
	} else if (strcmp(st,
	               w->rollback ? "rollback_completed" : "completed") == 0) {
		settle(w, ROLLOUT_DONE, w->last, svc.update_message);
		rc = 1;
	} else if (*st == '\0')
		/* No UpdateStatus: either the updater has not started yet,
		 * or no task had to change.  Converged tasks that stay
		 * converged tell the two apart. */
		rc = look_tasks(w, d, e, &svc);
	service_free(&svc);
	return rc;
}

void
rollout_expire(struct rollout *w)
{
	if (!w->settled)
		settle(w, ROLLOUT_TIMEOUT, w->last,
		    "still in progress when the wait ended");
}

void
rollout_end(struct rollout *w)
{
	free(w->message);
	memset(w, 0, sizeof(*w));
}

enum rollout_outcome
rollout_wait(struct request *req, const char *service_id, int rollback,
    int wait_s)
{
	uint64_t deadline = mono_ms() + (uint64_t)wait_s * 1000, now;
	enum rollout_outcome o;
	struct rollout w;
	int rc;

	rollout_begin(&w, service_id, req->service, rollback, NULL);
	for (;;) {
		if ((rc = rollout_look(&w, req->docker, &req->docker_err)) ==
		    -1) {
			rollout_end(&w);
			req_fail_docker(req);
			return ROLLOUT_ERROR;
		}
		now = mono_ms();
		if (rc == 0 && now >= deadline)
			rollout_expire(&w);
		if (rc == 1 || now >= deadline)
			break;
		sleep_ms(deadline - now < ROLLOUT_POLL_MS ? deadline - now
		                                          : ROLLOUT_POLL_MS);
	}
	o = w.outcome;
	req->state = w.state;
	free(req->state_message);
	req->state_message = w.message; /* taken */
	w.message = NULL;
	rollout_end(&w);
	return o;
}
