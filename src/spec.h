/* spec.h: the changes a deploy makes to a service's spec */
/* SPDX-License-Identifier: MIT */
#ifndef SPEC_H
#define SPEC_H

#include <cjson/cJSON.h>

#include "http.h"

struct buf;
struct service;

/* Room for the largest spec Docker may send plus what we put in. */
#define SPEC_MAX (HTTP_BODY_MAX + 64 * 1024)

/* What a deploy changes. */
struct spec_change {
	const char *image;      /* the reference to run */
	const cJSON *platforms; /* Placement.Platforms, or NULL: as is */
	int force;              /* bump TaskTemplate.ForceUpdate */
	const char *by;         /* record deployer.last.* labels: the token
	                         * name; NULL: no labels */
	const char *request_id; /* for deployer.last.request */
};

/*
 * The service's spec (as Docker sent it, spliced, never reprinted: its
 * 64-bit numbers survive) with the changes made, into out.  0, or -1 when
 * the spec cannot be edited or out of memory.
 */
int spec_edit(const struct spec_change *c, const struct service *svc,
    struct buf *out);

#endif
