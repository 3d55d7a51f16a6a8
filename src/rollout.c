/* rollout.c: waiting until a service update settles */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker.h"
#include "log.h"
#include "request.h"
#include "rollout.h"
#include "util.h"

/* The docker CLI polls every 200 ms. */
#define POLL_MS 200
/* Without an UpdateStatus, tasks must look converged this long before
 * the update counts as done (no task had to change). */
#define SETTLE_MS 1000

static void
set_state(struct request *req, const char *state, const char *msg)
{
	req->state = state;
	free(req->state_message);
	req->state_message = msg ? strdup(msg) : NULL;
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

enum rollout_outcome
rollout_wait(struct request *req, const char *service_id, int rollback,
    int wait_s)
{
	uint64_t deadline = mono_ms() + (uint64_t)wait_s * 1000, now;
	uint64_t settled_at = 0;
	const char *last = "updating";

	for (;;) {
		struct service svc;
		struct task_count tc;
		const char *st;

		if (docker_service_get(req->docker, &req->docker_err,
		        service_id, &svc) == -1) {
			req_fail_docker(req);
			return ROLLOUT_ERROR;
		}
		st = svc.update_state;
		if (*st != '\0')
			last = known_state(st);
		if (strcmp(st, rollback ? "rollback_completed" : "completed") ==
		    0) {
			set_state(req, last, svc.update_message);
			service_free(&svc);
			return ROLLOUT_DONE;
		}
		if (strcmp(st, "paused") == 0 ||
		    strcmp(st, "rollback_paused") == 0 ||
		    (!rollback && strncmp(st, "rollback_", 9) == 0)) {
			set_state(req, last, svc.update_message);
			log_warnx("service %s: rollout %s: %s", req->service,
			    last, svc.update_message ? svc.update_message : "");
			service_free(&svc);
			return ROLLOUT_FAILED;
		}
		if (*st == '\0') {
			/* No UpdateStatus: either the updater has not started
			 * yet, or no task had to change.  Converged tasks that
			 * stay converged tell the two apart. */
			if (docker_tasks(req->docker, &req->docker_err,
			        service_id, &tc) == -1) {
				service_free(&svc);
				req_fail_docker(req);
				return ROLLOUT_ERROR;
			}
			if (!converged(&svc, &tc))
				settled_at = 0;
			else if (settled_at == 0)
				settled_at = mono_ms();
			else if (mono_ms() - settled_at >= SETTLE_MS) {
				set_state(req,
				    rollback ? "rollback_completed"
				             : "completed",
				    "no task had to change");
				service_free(&svc);
				return ROLLOUT_DONE;
			}
		}
		service_free(&svc);
		now = mono_ms();
		if (now >= deadline) {
			set_state(req, last,
			    "still in progress when the wait "
			    "ended");
			return ROLLOUT_TIMEOUT;
		}
		sleep_ms(deadline - now < POLL_MS ? deadline - now : POLL_MS);
	}
}
