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
int stack_run(struct request *req);

#endif
