/* docker.h: the Docker Engine API calls a deploy makes */
/* SPDX-License-Identifier: MIT */
#ifndef DOCKER_H
#define DOCKER_H

#include <stddef.h>
#include <stdint.h>

#include "jsonedit.h"

struct request;
struct http_client;

/* Lives as long as the process: a FastCGI process keeps its connection
 * and the negotiated API version from one request to the next. */
struct docker {
	struct http_client *http;
	char version[16];	/* "1.41": the daemon's own, from /_ping */
};

/* A service as read for one request. */
struct service {
	char id[72];		/* full ID */
	uint64_t version;	/* Version.Index, for the update */
	char *raw;		/* owned: the GET /services reply */
	size_t rawlen;
	struct json_span spec;	/* the Spec object inside raw */
	char *image;		/* owned: Spec...ContainerSpec.Image */
	char *prev_image;	/* owned: PreviousSpec's, or NULL */
	int allow_updates;	/* label deployer.allowUpdates=true */
};

/* Connects (or reuses the connection) and negotiates the API version.
 * Fails the request with 502/504 when Docker cannot be reached. */
int docker_prepare(struct request *req);

/*
 * Reads the service whose name or full ID is exactly name; Docker's own
 * lookup also matches ID prefixes, which is refused here as 404.
 */
int docker_service_get(struct request *req, const char *name,
    struct service *svc);

/*
 * Posts spec (n bytes) as the service's new spec at svc->version.
 * Returns 0 when accepted (warnings go to the request), 1 when Docker
 * answered "update out of sequence" (read again and retry), -1 when the
 * request failed.
 */
int docker_service_update(struct request *req, const struct service *svc,
    const char *spec, size_t n);

void service_free(struct service *svc);

/* Closes the connection (at exit). */
void docker_close(struct docker *d);

#endif
