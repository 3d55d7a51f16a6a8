/* deploy.h: PUT /service/<name>: put a new image on a service */
/* SPDX-License-Identifier: MIT */
#ifndef DEPLOY_H
#define DEPLOY_H

struct request;

/*
 * Validates the body: one JSON object {"image": "<reference>"}, no other
 * or repeated keys, no trailing bytes, valid UTF-8, the image by Docker's
 * reference grammar.  Fails the request with 400 and what was wrong.
 * Pure with respect to Docker: never called after a Docker call.
 */
int deploy_parse(struct request *req);

/*
 * Reads the service, checks its deployer.allowUpdates label (403), posts
 * the spec with only the image changed, retrying the read-modify-write
 * when Swarm answers "update out of sequence" (409 when the retries are
 * spent), then sends the notification.  Fills req->result.
 */
int deploy_run(struct request *req);

#endif
