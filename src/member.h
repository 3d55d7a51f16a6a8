/* member.h: one service's write in a request that writes several */
/* SPDX-License-Identifier: MIT */
#ifndef MEMBER_H
#define MEMBER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "docker.h"
#include "imageref.h"
#include "pin.h"
#include "request.h"
#include "rollout.h"

/*
 * One member of a release (or one service a hook moves), from the plan to
 * its outcome.  The request owns the array (req->members);
 * members_free releases it.
 */
struct member {
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
	int told;           /* notified without a write (its job failed) */
	const char *state;  /* planned, accepted, completed, rolled_back, ... */
	char *message;      /* owned: Swarm's or ours */
	struct rollout watch;
	struct notice notice;
	size_t push;     /* a hook's: the push (req->pushes->v) that moves it */
	struct job *job; /* owned: the job it runs before its write */
};

/* Sets m's state (static text) and message (copied, or NULL). */
void member_state(struct member *m, const char *state, const char *msg);

/* m's write as notifications and audit records tell it (c borrows). */
void member_change(const struct request *req, const struct member *m,
    struct change *c);

/* m as an element of an answer's "services" array: 0, or -1 out of
 * memory. */
int member_put(cJSON *arr, const struct request *req, const struct member *m);

/* One notification per member written, one audit record per member
 * read; an audit record that cannot be written is a warning. */
void members_tell(struct request *req);

/*
 * Swarm refused the version a write was made against: 1 to write again
 * with m->svc read anew, 0 to stop with m's state saying why, -1 with
 * req's error set.  attempt counts the writes so far.
 */
typedef int (
    *member_reread_fn)(struct request *req, struct member *m, unsigned attempt);

/*
 * Writes m->pin onto m->svc's spec (spec is the scratch buffer), the
 * intent recorded first; on "update out of sequence" asks reread.  0 when
 * done (m->written says whether Docker accepted it), -1 on failure.
 */
int member_write(struct request *req, struct member *m, int force,
    struct buf *spec, member_reread_fn reread);

/* Frees what one member owns (it stays in its array, emptied). */
void member_free(struct member *m);

void members_free(struct member *m, size_t n);

#endif
