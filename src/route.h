/* route.h: which action a method and path ask for */
/* SPDX-License-Identifier: MIT */
#ifndef ROUTE_H
#define ROUTE_H

struct request;

/*
 * Routes on PATH_INFO, the path below the program's mount point (so that
 * "/deploy/service/blog" with SCRIPT_NAME "/deploy" works).  When a server
 * passes no PATH_INFO, the path of SCRIPT_NAME is searched for a route
 * suffix instead.  Sets req->action and req->service (req->stack for a stack),
 * or fails the request: 400 (a path no route could ever match: bad bytes, dot
 * segments, too long), 404 (unknown path), 405 (known path, other method;
 * req->allow is set).
 */
int route(struct request *req);

/* Swarm's grammar for service names (also full service IDs): 1-63 of
 * [A-Za-z0-9_-], starting and ending alphanumeric. */
int service_name_valid(const char *s, size_t n);

#endif
