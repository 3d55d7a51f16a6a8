/* deploy.h: the write actions: deploy an image, roll back */
/* SPDX-License-Identifier: MIT */
#ifndef DEPLOY_H
#define DEPLOY_H

#include <stddef.h>

struct change;
struct imageref;
struct request;
struct service;

/*
 * The gate every write passes: the service is labelled
 * deployer.allowUpdates=true, and, when ref is not NULL (a deploy of
 * image), its deployer.allowedImages label admits the image (and exists,
 * when the settings require one).  0, or -1 with the request failed (403).
 */
int deploy_gate(struct request *req, const struct service *svc,
    const struct imageref *ref, const char *image);

/* The same gate as a question: 1 with the reason in why (n bytes) when it
 * refuses the write, 0 when it lets it pass.  Fails nothing. */
int deploy_refusal(const struct request *req, const struct service *svc,
    const struct imageref *ref, const char *image, char *why, size_t n);

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

/*
 * Puts the intent of write c on record before it is made, so that a
 * process killed between the write and its answer still leaves it in the
 * audit trail.  With audit_required an intent that cannot be recorded
 * fails the request (503) and the write must not be made; else it is a
 * warning.  0, or -1.
 */
int deploy_intent(struct request *req, const struct change *c);

#endif
