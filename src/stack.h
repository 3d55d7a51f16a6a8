/* stack.h: PUT /stack/<name>: every member of a release, all or nothing */
/* SPDX-License-Identifier: MIT */
#ifndef STACK_H
#define STACK_H

#include <stddef.h>

#include "docker.h"
#include "imageref.h"
#include "pin.h"
#include "request.h"
#include "rollout.h"

/* Members one release may have, and services a stack may list. */
#define STACK_MEMBERS_MAX 100
#define STACK_SERVICES_MAX 1000

/*
 * One member of a release, from the plan to its outcome.  The request
 * owns the array (req->members); stack_members_free releases it.
 */
struct stack_member {
	char asked[SERVICE_NAME_MAX + 1]; /* the name in the body, or "" */
	char target[72];                  /* the service's ID, once chosen */
	char image[REF_MAX + 1];          /* the image as requested */
	struct imageref ref;
	struct service svc; /* as read for the plan: the spec to restore */
	struct pin pin;     /* what it will run */
	int unchanged;      /* already runs it: nothing to write */
	int attempted;      /* this request posted an update (it may have
	                     * landed even when its answer was lost) */
	int written;        /* Docker accepted this request's update */
	const char *state;  /* planned, accepted, completed, rolled_back, ... */
	char *message;      /* owned: Swarm's or ours */
	struct rollout watch;
	struct notice notice;
};

/* PUT /stack/<name>: fills req->result (see stack.c). */
int stack_run(struct request *req);

void stack_members_free(struct stack_member *m, size_t n);

#endif
