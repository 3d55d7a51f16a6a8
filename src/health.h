/* health.h: is everything this program needs reachable? */
/* SPDX-License-Identifier: MIT */
#ifndef HEALTH_H
#define HEALTH_H

struct request;

/* GET /health (no token): 200 when Docker answers /_ping and, when
 * notifications are on, beanstalkd takes "use"; 503 otherwise.  Touches
 * nothing else, so it is cheap and safe to expose to a load balancer. */
int health_run(struct request *req);

#endif
