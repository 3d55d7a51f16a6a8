/* hook.h: POST /hook/<sender>: the services that track a pushed tag move */
/* SPDX-License-Identifier: MIT */
#ifndef HOOK_H
#define HOOK_H

struct request;

/* The label naming the tags a service follows: "latest", "v*", ... */
#define TRACK_LABEL "deployer.track"

/*
 * Reads the sender's payload into req->pushes (push_parse): 400 when it
 * is malformed.  Runs before any Docker call.
 */
int hook_parse(struct request *req);

/*
 * Moves every service labelled deployer.allowUpdates=true and
 * deployer.track=<patterns> whose image is a pushed repository and whose
 * patterns match a pushed tag onto repository:tag@digest, each once, as a
 * deploy would (gate, allow-list, audit, notification); without waiting
 * for the rollouts.  Fills req->result; 202 when Docker accepted an
 * update, 200 when nothing had to move.
 */
int hook_run(struct request *req);

#endif
