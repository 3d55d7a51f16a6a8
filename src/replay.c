/* replay.c: requests seen before, remembered by the swarm itself */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "docker.h"
#include "replay.h"
#include "request.h"
#include "util.h"

/* Swarm object names are at most 64 bytes: the prefix and 160 bits of
 * the key's hash (40 hex digits). */
#define NAME_PREFIX "deployer-replay-"
#define NAME_HEX 40
#define EXPIRES_LABEL "deployer.replay.expires"
/* One insert in this many also prunes, so that the store stays small
 * without a timer; each prune removes at most PRUNE_MAX entries. */
#define PRUNE_EVERY 64
#define PRUNE_MAX 200

int
replay_record(struct request *req, const char *kind, const char *key,
    time_t expires)
{
	unsigned char d[32];
	char name[sizeof(NAME_PREFIX) + NAME_HEX], until[24];
	const char *labels[] = { EXPIRES_LABEL, NULL, NULL };
	size_t klen = strlen(kind);
	struct buf in;
	int rc;

	if (docker_prepare(req->docker, req->cfg, &req->docker_err) == -1)
		return -1;
	/* The kind keeps a delivery ID apart from a signature. */
	buf_init(&in, klen + strlen(key) + 16);
	if (buf_addf(&in, "%s\n%s", kind, key) == -1) {
		buf_free(&in);
		return req_fail(req, 500, "out of memory");
	}
	sha256(in.data, in.len, d);
	buf_free(&in);
	memcpy(name, NAME_PREFIX, sizeof(NAME_PREFIX) - 1);
	hex_encode(d, NAME_HEX / 2, name + sizeof(NAME_PREFIX) - 1);
	snprintf(until, sizeof(until), "%lld", (long long)expires);
	labels[1] = until;
	rc = docker_config_create(req->docker, &req->docker_err, name, labels,
	    NULL, 0);
	if (rc == 0 && d[31] % PRUNE_EVERY == 0)
		(void)docker_configs_prune(req->docker, &req->docker_err,
		    EXPIRES_LABEL, time(NULL), PRUNE_MAX);
	return rc;
}

int
replay_prune(struct docker *d, const struct config *cfg, struct docker_err *e)
{
	if (docker_prepare(d, cfg, e) == -1)
		return -1;
	return docker_configs_prune(d, e, EXPIRES_LABEL, time(NULL), PRUNE_MAX);
}
