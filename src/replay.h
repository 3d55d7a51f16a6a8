/* replay.h: requests seen before, remembered by the swarm itself */
/* SPDX-License-Identifier: MIT */
#ifndef REPLAY_H
#define REPLAY_H

#include <time.h>

struct request;

/*
 * Records key (a signature or a delivery ID, any text) as seen until
 * expires.  The store is the swarm: one Swarm config per key, named from
 * the key's SHA-256 and labelled with its expiry.  Creating a config is
 * an insert-if-absent that the managers' Raft log makes atomic across
 * every process on every manager, and it survives crashes of all of
 * them.  Expired entries are pruned now and then, and by deployer
 * --flush-spool.  Returns 0 when key was new, 1 when it was seen before
 * (a replay), -1 when the store cannot be used (the request failed).
 */
int replay_record(struct request *req, const char *kind, const char *key,
    time_t expires);

struct config;
struct docker;
struct docker_err;

/* Removes expired entries; returns how many, or -1 with e. */
int replay_prune(struct docker *d, const struct config *cfg,
    struct docker_err *e);

#endif
