/* health.h: is everything this program needs reachable? */
/* SPDX-License-Identifier: MIT */
#ifndef HEALTH_H
#define HEALTH_H

struct request;
struct config;

/* GET /health (no token): 200 when Docker answers /_ping and, when
 * notifications are on, beanstalkd takes "use" (and, with
 * audit_required, the audit file can be written); 503 otherwise.  The
 * spool and the audit file are reported either way.  Writes nothing, so
 * it is cheap and safe to expose to a load balancer. */
int health_run(struct request *req);

/* One place the process writes, and whether it can. */
struct storage_check {
	const char *what; /* "spool", "audit" */
	const char *path;
	int ok;
	char why[320]; /* when not ok */
};

/* Checks the spool directory and the audit file that the settings name
 * (the spool is created when missing, as the first spooled message
 * would).  Returns how many entries of out were filled (at most 3). */
size_t health_storage(const struct config *c, struct storage_check out[3]);

#endif
