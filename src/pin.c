/* pin.c: an image reference pinned to the digest its registry has now */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "docker.h"
#include "log.h"
#include "pin.h"
#include "registry.h"
#include "request.h"
#include "util.h"

/* The CLI's warning when a tag cannot be pinned (docker/cli). */
#define UNPINNED_WARNING                                                  \
	"image %s could not be accessed on a registry to "                \
	"record its digest. Each node will access %s independently, "     \
	"possibly leading to different nodes running different versions " \
	"of the image."

/* The credentials for the image's registry, when configured. */
static int
load_auth(struct request *req, const struct imageref *ref, struct pin *p)
{
	const char *path = req->cfg->registry_auth, *errstr;
	char def[4096];
	int rc;

	if (path == NULL) {
		if (registry_default_path(def, sizeof(def)) == -1)
			return 0;
		path = def;
	}
	rc = registry_auth_header(path, ref_registry(ref), &p->auth, &errstr);
	if (rc == -1 && req->cfg->registry_auth != NULL) {
		log_warnx("registry credentials %s: %s", path, errstr);
		return req_fail(req, 500,
		    "cannot read the registry "
		    "credentials; see the server log");
	}
	/* The docker CLI's default place is only a guess (an inherited HOME
	 * may not be ours): without it, the service keeps its credentials. */
	if (rc == -1 && errno != ENOENT)
		log_warnx("registry credentials %s: %s; going on without", path,
		    errstr);
	return 0;
}

int
pin_credentials(struct request *req, const struct imageref *ref, struct pin *p)
{
	if (p->auth.len > 0)
		return 0;
	if (p->auth.max == 0)
		buf_init(&p->auth, REGISTRY_HEADER_MAX);
	return load_auth(req, ref, p);
}

int
pin_resolve(struct request *req, const struct imageref *ref, const char *image,
    struct pin *p)
{
	char tagged[REF_MAX + 16], why[256], msg[2 * REF_MAX + 256];
	char *digest;
	int rc;

	if (p->auth.max == 0)
		buf_init(&p->auth, REGISTRY_HEADER_MAX);
	p->resolved = 1;
	snprintf(p->image, sizeof(p->image), "%s", image);
	if (ref->digest[0] != '\0')
		return 0;
	if (load_auth(req, ref, p) == -1)
		return -1;
	if (ref_familiar(ref, 0, tagged, sizeof(tagged)) == -1)
		return req_fail(req, 400, "image reference too long");
	rc = docker_resolve(req->docker, &req->docker_err, tagged, pin_auth(p),
	    &digest, &p->platforms, why, sizeof(why));
	if (rc == -1)
		return req_fail_docker(req);
	if (rc == 1) {
		log_warnx("cannot resolve %s to a digest: %s", tagged, why);
		if (req->cfg->require_digest)
			return req_fail(req, 502,
			    "cannot resolve %s to a "
			    "digest, and the configuration requires one: %s",
			    tagged, why);
		snprintf(msg, sizeof(msg), UNPINNED_WARNING, tagged, tagged);
		req_warn(req, msg);
		return 0;
	}
	if ((size_t)snprintf(p->image, sizeof(p->image), "%s@%s", tagged,
	        digest) >= sizeof(p->image)) {
		free(digest);
		return req_fail(req, 400, "image reference too long");
	}
	p->digest = digest;
	return 0;
}

int
pin_copy(struct pin *dst, const struct pin *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->resolved = src->resolved;
	memcpy(dst->image, src->image, sizeof(dst->image));
	buf_init(&dst->auth, REGISTRY_HEADER_MAX);
	if ((src->digest != NULL &&
	        (dst->digest = strdup(src->digest)) == NULL) ||
	    (src->platforms != NULL &&
	        (dst->platforms = cJSON_Duplicate(src->platforms, 1)) ==
	            NULL) ||
	    (src->auth.len > 0 &&
	        buf_add(&dst->auth, src->auth.data, src->auth.len) == -1)) {
		pin_free(dst);
		return -1;
	}
	return 0;
}

const char *
pin_auth(const struct pin *p)
{
	return p->auth.len ? buf_str(&p->auth) : NULL;
}

void
pin_free(struct pin *p)
{
	free(p->digest);
	cJSON_Delete(p->platforms);
	if (p->auth.data != NULL)
		wipe(p->auth.data, p->auth.len);
	buf_free(&p->auth);
	memset(p, 0, sizeof(*p));
}
