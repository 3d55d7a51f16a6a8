/* body.h: the bodies of a deploy and a rollback, validated */
/* SPDX-License-Identifier: MIT */
#ifndef BODY_H
#define BODY_H

struct request;

/*
 * Validates the body of a deploy: one JSON object with "image" (a Docker
 * reference) and optionally "force" (bool), "wait" (seconds), "expect"
 * (the image the service must run now) and "service" (the service in the
 * URL, which a body signed GitHub-style must name); no other or repeated
 * keys, no trailing bytes, valid UTF-8.  A rollback's body is optional
 * and may hold "wait" and "service" only.  Fails the request with 400
 * and what was wrong.  Never called after a Docker call.
 */
int body_parse(struct request *req);

#endif
