/* api.c: the API as one table, and the pipeline every request takes */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stddef.h>

#include "api.h"
#include "auth.h"
#include "body.h"
#include "cfg.h"
#include "deploy.h"
#include "health.h"
#include "history.h"
#include "hook.h"
#include "io.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "route.h"
#include "stack.h"
#include "status.h"

/* A hook: every sender's is a "push" (its name is in the path). */
#define HOOK(a, credential)                               \
	[a] = { a, "push", "send hooks to", CFG_ACT_HOOK, \
		(credential) | API_BODY | API_DRYRUN, hook_parse, hook_run }

/* Every action: route.c maps methods and paths to these. */
static const struct api_action actions[] = {
	[ACT_NONE] = { ACT_NONE, "-", "use", 0, 0, NULL, NULL },
	[ACT_DEPLOY] = { ACT_DEPLOY, "deploy", "deploy", CFG_ACT_DEPLOY,
	    API_TOKEN | API_BODY | API_WAIT, body_parse, deploy_run },
	[ACT_ROLLBACK] = { ACT_ROLLBACK, "rollback", "roll back",
	    CFG_ACT_ROLLBACK, API_TOKEN | API_BODY | API_WAIT, body_parse,
	    rollback_run },
	[ACT_STATUS] = { ACT_STATUS, "status", "read the status of",
	    CFG_ACT_STATUS, API_TOKEN, NULL, status_run },
	[ACT_HEALTH] = { ACT_HEALTH, "health", "check", 0, 0, NULL,
	    health_run },
	[ACT_METRICS] = { ACT_METRICS, "metrics", "read the metrics of",
	    CFG_ACT_METRICS, API_TOKEN, NULL, metrics_run },
	[ACT_HISTORY] = { ACT_HISTORY, "history", "read the history of",
	    CFG_ACT_STATUS, API_TOKEN | API_LIMIT, NULL, history_run },
	[ACT_STACK] = { ACT_STACK, "stack", "release", CFG_ACT_DEPLOY,
	    API_TOKEN | API_BODY | API_WAIT, body_parse, stack_run },
	HOOK(ACT_HOOK_REGISTRY, API_TOKEN),
	HOOK(ACT_HOOK_DOCKERHUB, API_TOKEN),
	HOOK(ACT_HOOK_GITHUB, API_SIGNED),
	HOOK(ACT_HOOK_HARBOR, API_TOKEN),
	HOOK(ACT_HOOK_QUAY, API_TOKEN),
};

const struct api_action *
api_action(enum action a)
{
	if ((size_t)a >= sizeof(actions) / sizeof(actions[0]) ||
	    actions[a].name == NULL)
		return &actions[ACT_NONE];
	return &actions[a];
}

const char *
action_name(enum action a)
{
	return api_action(a)->name;
}

/* The query, the body where the action takes one, then the signature. */
static int
read_input(struct request *req, const struct api_action *a)
{
	if (req_parse_query(req) == -1)
		return -1;
	if (!(a->flags & API_WAIT) && req->wait_s != WAIT_NONE)
		return req_fail(req, 400,
		    (a->flags & API_DRYRUN)
		        ? "a hook does not wait: notifications report the "
		          "rollouts"
		        : "wait applies to deploys, rollbacks and stack "
		          "releases");
	if (!(a->flags & (API_WAIT | API_DRYRUN)) && req->dry_run)
		return req_fail(req, 400,
		    "dry_run applies to deploys, rollbacks, stack releases "
		    "and hooks");
	if ((a->flags & API_BODY) && req_read_body(req) == -1)
		return -1;
	/* Read in full: the deadline for sending it no longer applies. */
	io_input_done(req->io);
	return (a->flags & API_SIGNED) ? 0 : auth_signature(req);
}

int
api_prepare(struct request *req)
{
	const struct api_action *a;

	if (req->status != 0 || route(req) == -1)
		return -1;
	a = api_action(req->action);
	if (a->flags & API_SIGNED) {
		/* The signature is the credential: the body comes first. */
		if (read_input(req, a) == -1 || auth_signed(req) == -1 ||
		    auth_scope(req) == -1)
			return -1;
	} else if (!(a->flags & API_TOKEN))
		return 0;
	else if (auth_check(req) == -1 || auth_scope(req) == -1 ||
	    read_input(req, a) == -1)
		return -1;
	req->authorized = 1;
	return a->parse != NULL ? a->parse(req) : 0;
}

int
api_run(struct request *req)
{
	const struct api_action *a = api_action(req->action);

	if (a->run == NULL)
		return req_fail(req, 404, "no such endpoint");
	return a->run(req);
}
