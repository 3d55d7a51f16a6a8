/* deploy.h: the write actions: deploy an image, roll back */
/* SPDX-License-Identifier: MIT */
#ifndef DEPLOY_H
#define DEPLOY_H

struct request;

/*
 * PUT /service/<name>: resolves the tag to a digest, reads the service,
 * checks its labels (403) and "expect" (412), and posts the spec with the
 * image (and platforms, and ForceUpdate when forced) changed, retrying
 * the read-modify-write when Swarm answers "update out of sequence" (409
 * when the retries are spent).  With wait, holds the answer until the
 * rollout settles.  Sends the notification once.  Fills req->result.
 */
int deploy_run(struct request *req);

/* POST /service/<name>/rollback: Docker's rollback=previous, with the
 * same label gate, wait and notification; 409 without a previous spec. */
int rollback_run(struct request *req);

#endif
