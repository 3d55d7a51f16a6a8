/* registry.h: registry credentials from a docker-style config.json */
/* SPDX-License-Identifier: MIT */
#ifndef REGISTRY_H
#define REGISTRY_H

#include "buf.h"

/*
 * Finds the credentials for registry (as ref_registry() names it: a
 * domain, or "docker.io") in the config.json at path, the file that
 * `docker login` writes: {"auths": {"<server>": {"auth": base64(user:pw)}
 * | {"username", "password"} | {"identitytoken"}}}.  Server keys may be
 * written with a scheme and a path ("https://index.docker.io/v1/" is
 * Docker Hub).
 *
 * Returns 1 and the X-Registry-Auth header line in out ("X-Registry-Auth:
 * <base64url JSON>"), 0 when the file has no entry for the registry, -1
 * with *errstr when the file cannot be read or parsed.  out holds a secret:
 * the caller wipes it.
 */
int registry_auth_header(const char *path, const char *registry,
    struct buf *out, const char **errstr);

/* The config.json the docker CLI would read: $DOCKER_CONFIG/config.json,
 * else $HOME/.docker/config.json; into out.  0, or -1 when neither
 * variable is set. */
int registry_default_path(char *out, size_t outlen);

#endif
