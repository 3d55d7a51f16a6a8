/* status.h: GET /service/<name>: what a service runs and how it is doing */
/* SPDX-License-Identifier: MIT */
#ifndef STATUS_H
#define STATUS_H

struct request;

/* Fills req->result with the current image and digest, the previous
 * image, Swarm's update state and message, and running vs desired tasks.
 * Behind the same label gate as deploys (403). */
int status_run(struct request *req);

#endif
