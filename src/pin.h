/* pin.h: an image reference pinned to the digest its registry has now */
/* SPDX-License-Identifier: MIT */
#ifndef PIN_H
#define PIN_H

#include <cjson/cJSON.h>

#include "buf.h"
#include "imageref.h"

struct request;

/* An X-Registry-Auth line: base64 of a small JSON document. */
#define REGISTRY_HEADER_MAX (16 * 1024)

/*
 * What a deploy will write, worked out before the read-modify-write.  The
 * caller owns it, zeroed; pin_free releases it (a no-op when zeroed).
 */
struct pin {
	int resolved;             /* pin_resolve ran */
	char image[REF_MAX + 80]; /* the reference to put in the spec */
	char *digest;             /* owned: what the tag resolved to */
	cJSON *platforms;         /* owned, or NULL: leave as is */
	struct buf auth;          /* X-Registry-Auth line, or empty: a
	                           * secret, wiped by pin_free */
};

/*
 * Pins image (parsed as ref) to the digest its registry has now, through
 * the daemon, with the credentials configured for its registry, as
 * `docker service update --image` did through CLI v28.  A reference with
 * a digest is used as it is.  When the registry cannot be asked, the tag
 * is used with the CLI's warning (req_warn), or, with require_digest, the
 * request fails (502).  Returns 0, or -1 with the request failed.
 */
int pin_resolve(struct request *req, const struct imageref *ref,
    const char *image, struct pin *p);

/* Loads the credentials configured for ref's registry into p (zeroed,
 * or one pin_resolve left without: a reference with a digest), for a
 * job's service create, which cannot use the ones stored with a
 * service.  0, or -1 with the request failed. */
int pin_credentials(struct request *req, const struct imageref *ref,
    struct pin *p);

/* dst (zeroed) becomes a copy of src: 0, or -1 out of memory (dst
 * zeroed). */
int pin_copy(struct pin *dst, const struct pin *src);

/* The X-Registry-Auth line to send with the update, or NULL. */
const char *pin_auth(const struct pin *p);

void pin_free(struct pin *p);

#endif
