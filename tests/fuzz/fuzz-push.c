/* fuzz-push.c: fuzz target for the registry webhook payloads */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "imageref.h"
#include "push.h"
#include "fuzz.h"

/*
 * Input: one byte that picks the sender (its value modulo 5, in enum
 * push_sender's order; for GitHub, bit 3 picks the X-GitHub-Event header
 * "registry_package" over "package", bit 4 "ping"), then the payload.
 * Invariants:
 *   - the outcome is 0, -1 (with a message) or -2 (out of memory);
 *   - at most PUSH_MAX pushes, each a reference with a registry host
 *     (Quay's docker_url may name none), a path and a tag, that prints and
 * parses back to itself; a digest wherever the sender names one (every sender
 * but Docker Hub and Quay); no two pushes alike;
 *   - at most PUSH_IGNORED_MAX notes, however many events were ignored;
 *   - push_set_free leaves nothing behind, twice.
 */

static void
check_push(const struct push *p, enum push_sender s)
{
	char text[REF_MAX + 1];
	struct imageref again;
	const char *errstr;
	int n;

	FUZZ_ASSERT(p->ref.domain[0] != '\0' || s == PUSH_QUAY);
	FUZZ_ASSERT(p->ref.path[0] != '\0' && p->ref.tag[0] != '\0');
	FUZZ_ASSERT((p->ref.digest[0] != '\0') ==
	    (s != PUSH_DOCKERHUB && s != PUSH_QUAY));
	n = snprintf(text, sizeof(text), "%s%s%s:%s%s%s", p->ref.domain,
	    p->ref.domain[0] ? "/" : "", p->ref.path, p->ref.tag,
	    p->ref.digest[0] ? "@" : "", p->ref.digest);
	FUZZ_ASSERT(n > 0 && (size_t)n < sizeof(text));
	FUZZ_ASSERT(ref_parse(text, (size_t)n, &again, &errstr) == 0);
	FUZZ_ASSERT(ref_same_repository(&again, &p->ref));
	FUZZ_ASSERT(strcmp(again.tag, p->ref.tag) == 0 &&
	    strcmp(again.digest, p->ref.digest) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct push_set set;
	enum push_sender s;
	const char *event = NULL;
	char err[384];
	size_t i, j;
	int rc;

	if (size == 0)
		return 0;
	s = (enum push_sender)(data[0] % 5);
	if (s == PUSH_GITHUB)
		event = (data[0] & 16) ? "ping"
		    : (data[0] & 8)    ? "registry_package"
		                       : "package";
	err[0] = '\0';
	rc = push_parse(s, event, (const char *)data + 1, size - 1, &set, err,
	    sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == -1 || rc == -2);
	FUZZ_ASSERT(rc == 0 || err[0] != '\0');
	FUZZ_ASSERT(set.n <= PUSH_MAX);
	if (rc == 0) {
		FUZZ_ASSERT(set.ignored != NULL);
		FUZZ_ASSERT(
		    cJSON_GetArraySize(set.ignored) <= PUSH_IGNORED_MAX);
		FUZZ_ASSERT(
		    (size_t)cJSON_GetArraySize(set.ignored) <= set.nignored);
		for (i = 0; i < set.n; i++) {
			check_push(&set.v[i], s);
			for (j = 0; j < i; j++)
				FUZZ_ASSERT(!(ref_same_repository(&set.v[i].ref,
				                  &set.v[j].ref) &&
				    strcmp(set.v[i].ref.tag,
				        set.v[j].ref.tag) == 0 &&
				    strcmp(set.v[i].ref.digest,
				        set.v[j].ref.digest) == 0));
		}
	}
	push_set_free(&set);
	FUZZ_ASSERT(set.ignored == NULL && set.n == 0);
	push_set_free(&set);
	return 0;
}
