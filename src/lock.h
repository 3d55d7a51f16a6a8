/* lock.h: Swarm-wide locks, as configs every manager agrees exist once */
/* SPDX-License-Identifier: MIT */
#ifndef LOCK_H
#define LOCK_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct docker;
struct docker_err;
struct request;

/* What a lock, and whatever it guards, is labelled with. */
#define LOCK_LABEL_OWNER "deployer.owner"     /* host pidns pid start */
#define LOCK_LABEL_EXPIRES "deployer.expires" /* unix seconds */
#define LOCK_LABEL_REQUEST "deployer.request"
/* "host pid-namespace pid start-time" */
#define LOCK_OWNER_MAX 128
/* Past its holder's own bound, how long a lock may stay before another
 * host takes it for a dead process's. */
#define LOCK_GRACE_S 60

/*
 * A lock: a Swarm config called name.  Creating a config of a taken name
 * fails on every manager (Raft), so at most one request holds it across
 * processes, hosts and managers.  It is labelled with its owner and an
 * expiry, so that one left by a killed process is taken over: at once
 * when the owner was a process of this host and PID namespace that is
 * gone, else once the expiry passed.
 */
struct lock {
	char name[65];
	char id[72]; /* while held */
	char owner[LOCK_OWNER_MAX];
	char expires[24];
	char holder[24]; /* busy: the request that holds it */
	/* LOCK_LABEL_* and their values, for what the lock guards. */
	const char *labels[7];
};

/* Names l and fills its owner labels; the holder means to be done within
 * seconds.  0, or -1 with req failed. */
int lock_init(struct request *req, struct lock *l, const char *name,
    long seconds);

/*
 * Takes l, labelled also with extra (key, value, ..., NULL).  A lock
 * found stale is removed by its ID, after clear(ctx) removed what its
 * holder left (may be NULL).  0 when taken, 1 when a live holder has it
 * (l->holder), -1 with req failed.
 */
int lock_take(struct request *req, struct lock *l, const char *const *extra,
    int (*clear)(struct request *req, const void *ctx), const void *ctx);

/* Gives l back; a failure is a warning (the lock goes stale). */
void lock_release(struct request *req, struct lock *l);

/* 1 when labels (a lock's, or a guarded object's) are a dead process's
 * or past their expiry. */
int lock_stale(const cJSON *labels);

/* Removes the objects of kind ("services", "configs") labelled label
 * whose labels are stale.  How many, or -1 with e set. */
int lock_reap(struct docker *d, struct docker_err *e, const char *kind,
    const char *label);

/* This process as an owner: "host pid-namespace pid start-time". */
int lock_owner_self(char *out, size_t outlen);

/* 1 when owner is a process of this host and PID namespace that is gone
 * (or this process: it runs one request at a time), 0 when it lives or
 * is not ours to judge. */
int lock_owner_dead(const char *owner);

#endif
