/* health.h: is everything this program needs reachable? */
/* SPDX-License-Identifier: MIT */
#ifndef HEALTH_H
#define HEALTH_H

struct config;
struct docker;
struct request;

/* GET /health (no token): 200 when Docker answers /_ping and, when
 * notifications are on, beanstalkd takes "use"; 503 otherwise.  Touches
 * nothing else, so it is cheap and safe to expose to a load balancer. */
int health_run(struct request *req);

/*
 * deployer --check: parses the settings, reaches Docker and confirms it
 * is a swarm manager (with its API version), connects to beanstalkd and
 * uses the tube, and renders the template with sample values; one line
 * per check on stdout.  Returns 0 only when every check passed.
 */
int check_run(const struct config *cfg, const char *path,
    const char *cfg_error, struct docker *d);

#endif
