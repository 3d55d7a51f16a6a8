/* stack.h: PUT /stack/<name>: every member of a release, all or nothing */
/* SPDX-License-Identifier: MIT */
#ifndef STACK_H
#define STACK_H

#include <stddef.h>

#include "member.h"
#include "request.h"

/* Members one release may have, and services a stack may list. */
#define STACK_MEMBERS_MAX 100
#define STACK_SERVICES_MAX 1000

/* PUT /stack/<name>: fills req->result (see stack.c). */
/* The label of a stack's lock (a Swarm config): the stack's name. */
#define STACK_LABEL_LOCK "deployer.stack.lock"

int stack_run(struct request *req);

struct config;
struct docker_err;

/* deployer --flush-spool: removes the stack locks that dead processes
 * left, or whose time is up.  How many, or -1 with e set. */
int stack_reap(struct docker *d, const struct config *cfg,
    struct docker_err *e);

#endif
