/* api.h: the API as one table, and the pipeline every request takes */
/* SPDX-License-Identifier: MIT */
#ifndef API_H
#define API_H

#include "request.h"

/* What an action reads before its handler runs. */
enum {
	API_TOKEN = 1 << 0,  /* a token must allow it (scope below) */
	API_BODY = 1 << 1,   /* reads a body (PUT, POST) */
	API_WAIT = 1 << 2,   /* takes ?wait= and ?dry_run= */
	API_LIMIT = 1 << 3,  /* takes ?limit= */
	API_DRYRUN = 1 << 4, /* takes ?dry_run= (but no wait) */
	API_SIGNED = 1 << 5, /* no token is presented: the token is the one
	                      * whose GitHub signature the body carries */
};

/* Everything about one action, in one place. */
struct api_action {
	enum action action;
	const char *name; /* in logs, audit records, metrics, templates */
	const char *verb; /* "token ci may not <verb> service blog" */
	unsigned scope;   /* the CFG_ACT_* bit a token needs */
	unsigned flags;   /* API_* */
	int (*parse)(struct request *); /* validates the body, or NULL */
	int (*run)(struct request *);   /* the handler: fills the result */
};

/* The action's entry (ACT_NONE's for an unknown one; never NULL). */
const struct api_action *api_action(enum action a);

/* The action's name: "deploy", ..., "-" for none. */
const char *action_name(enum action a);

/*
 * Everything a request goes through before its handler talks to Docker,
 * in the one order data flows: route, identity, scope, query, body,
 * signature, body validation.  Returns 0 when the handler may run, -1
 * with the request failed.  The fuzz target calls exactly this.
 */
int api_prepare(struct request *req);

/* Runs the routed action's handler (after api_prepare succeeded). */
int api_run(struct request *req);

#endif
