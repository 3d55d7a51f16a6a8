/* metrics.h: what every request did, counted for Prometheus */
/* SPDX-License-Identifier: MIT */
#ifndef METRICS_H
#define METRICS_H

struct request;

/*
 * Counts one finished request into the shared counter file
 * (state_dir/metrics, see mstore.h), from its outcome only: action,
 * status, how far it got (token, scope, signature), the handler's state,
 * the notification's fate, the audit write.  A service name is counted
 * only for a request that was authorized for it.  Never fails the
 * request; without a usable state_dir nothing is counted.
 */
void metrics_count(const struct request *req);

/* GET /metrics: the counters in Prometheus' text exposition format,
 * plus the spool's depth and build information.  503 when the counter
 * file cannot be used. */
int metrics_run(struct request *req);

/* 1 for the name of an action that changes services (deploy, rollback,
 * push, stack): the ones metrics count per service and history lists. */
int action_changes(const char *name);

#endif
