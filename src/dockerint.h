/* dockerint.h: what the Docker client's own files share (docker*.c only) */
/* SPDX-License-Identifier: MIT */
#ifndef DOCKERINT_H
#define DOCKERINT_H

#include <stddef.h>

#include "http.h"

struct docker;
struct docker_err;

/* One call with the configured timeout; a transport failure is e. */
int docker_call(struct docker *d, struct docker_err *e, const char *method,
    const char *path, const char *body, size_t n, const char *hdr,
    struct http_response *r);

/* Docker's error text from {"message": "..."} (else "HTTP <status>"),
 * into out. */
void docker_message(const struct http_response *r, char *out, size_t outlen);

/* Percent-encodes s (JSON for a filters= query) into out: 0, or -1 when
 * it does not fit. */
int docker_url_encode(const char *s, char *out, size_t outlen);

#endif
