/* imageref.h: Docker image references: grammar, normalisation */
/* SPDX-License-Identifier: MIT */
#ifndef IMAGEREF_H
#define IMAGEREF_H

#include <stddef.h>

/*
 * The grammar is distribution/reference's:
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component ( "/" path-component )*
 *   domain    := host [ ":" port ]   (host: DNS components or [IPv6])
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest    := algorithm ":" hex{32,}; sha256 must be exactly 64
 *                lowercase hex (as go-digest: only sha256, sha384 and
 *                sha512 are accepted, with 64, 96 and 128 lowercase hex)
 * The path (without domain) is at most 255 bytes.  The first component is
 * a domain only when it contains '.' or ':', is "localhost", or has an
 * uppercase letter (and then it must be a valid host).  A reference that
 * is nothing but 64 lowercase hex digits (an image ID) is refused.
 */
#define REF_MAX 512 /* longest reference accepted, in bytes */
#define REF_DOMAIN_MAX 255
#define REF_PATH_MAX 255
#define REF_TAG_MAX 128
#define REF_DIGEST_MAX 136 /* "sha512:" + 128 hex, with room */

struct imageref {
	char domain[REF_DOMAIN_MAX + 1]; /* as written; "" when absent */
	char path[REF_PATH_MAX + 1];     /* as written, e.g. "me/blog" */
	char tag[REF_TAG_MAX + 1];       /* "" when absent */
	char digest[REF_DIGEST_MAX + 1]; /* "" when absent */
};

/*
 * Parses the n bytes at s (not NUL-terminated; any byte value may occur).
 * Returns 0, or -1 with *errstr set to a static message that names what is
 * wrong ("repository name must be lowercase", "invalid tag", ...) and every
 * field of *ref empty.
 */
int ref_parse(const char *s, size_t n, struct imageref *ref,
    const char **errstr);

/* The registry a reference pulls from: the domain, or "docker.io" when
 * there is none ("index.docker.io" also becomes "docker.io"). Borrowed. */
const char *ref_registry(const struct imageref *ref);

/* 1 when a and b name the same repository: the same registry (host and
 * port; "docker.io" for Docker Hub) and path ("library/x" on Docker Hub
 * is "x"), whatever their tags and digests. */
int ref_same_repository(const struct imageref *a, const struct imageref *b);

/*
 * Writes the familiar form with a tag into out (at most outlen bytes with
 * the NUL): the name as docker prints it (no "docker.io/" and no
 * "library/" for Docker Hub), then ":tag", adding ":latest" when the
 * reference has neither tag nor digest; then "@digest" when with_digest is
 * set and the reference has one.  So a digest-only reference comes out as
 * "name@digest" with with_digest set and as the bare "name" without it.
 * Returns 0, or -1 (and out set to "" when outlen > 0) when out is too
 * small.
 */
int ref_familiar(const struct imageref *ref, int with_digest, char *out,
    size_t outlen);

/*
 * 1 when the shell pattern matches the reference component by component:
 * '*' and '?' never cross a '/', so the registry host and each path
 * component are matched as a whole ("*.example.com/app:*" does not admit
 * "evil.org/x.example.com/app:1").  The pattern is tried against the
 * familiar form ("app:v1", "me/blog:v1@sha256:...") and the full one
 * ("docker.io/library/app:v1"), each with the digest when there is one.
 */
int ref_match(const char *pattern, const struct imageref *ref);

#endif
