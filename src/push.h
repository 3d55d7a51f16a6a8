/* push.h: what a registry says was pushed, from each sender's payload */
/* SPDX-License-Identifier: MIT */
#ifndef PUSH_H
#define PUSH_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "imageref.h"

/* Tags one delivery may carry, and notes on what it ignored. */
#define PUSH_MAX 64
#define PUSH_IGNORED_MAX 16

/* Who sends the hook: each has its own payload. */
enum push_sender {
	PUSH_REGISTRY,  /* CNCF distribution notifications (docker-registry,
	                 * GitLab, ...) */
	PUSH_DOCKERHUB, /* Docker Hub repository webhooks */
	PUSH_GITHUB,    /* GitHub "package" and "registry_package" events */
	PUSH_HARBOR,    /* Harbor PUSH_ARTIFACT (and its CloudEvents form) */
	PUSH_QUAY,      /* Quay repo_push notifications */
};

/* One tag pushed: the repository (domain as the sender names it, path),
 * the tag, and the digest ("" when the sender does not say: Docker Hub,
 * Quay). */
struct push {
	struct imageref ref;
};

/*
 * A delivery, read: its pushes in the order the sender gave them, a tag
 * delivered twice only once; and what it held that is not a push (other
 * event types, blobs, untagged manifests), as notes.  The caller owns it,
 * zeroed; push_set_free releases it.
 */
struct push_set {
	struct push v[PUSH_MAX];
	size_t n;
	size_t events;   /* events the delivery held */
	cJSON *ignored;  /* owned: array of {"event", "reason"} */
	size_t nignored; /* all ignored events, also those not noted */
};

/*
 * Reads the body (len bytes) of sender's delivery; event is GitHub's
 * X-GitHub-Event header (NULL for the others).  Every repository, tag and
 * digest is checked against the reference grammar.  Returns 0 (also when
 * nothing in it is a push: then s->n is 0 and s->ignored says why), -1
 * with a client-safe message in err when the payload is malformed or
 * holds more than PUSH_MAX pushes, or -2 when out of memory.
 */
int push_parse(enum push_sender sender, const char *event, const char *body,
    size_t len, struct push_set *s, char *err, size_t errlen);

/* The sender's name, as in the path: "registry", "dockerhub", ... */
const char *push_sender_name(enum push_sender sender);

void push_set_free(struct push_set *s);

#endif
