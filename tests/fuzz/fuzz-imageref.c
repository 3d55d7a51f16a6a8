/* fuzz-imageref.c: fuzz target for image reference parsing */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "imageref.h"
#include "fuzz.h"

/*
 * The input is one reference, any bytes.  Invariants:
 *   - a failure leaves every field empty and names the reason;
 *   - a success keeps the parts as written: domain "/" path ":" tag "@"
 *     digest gives back the input byte for byte, and each part is within
 *     its limit;
 *   - ref_familiar always fits in REF_MAX + 80 bytes; with_digest only
 *     appends "@digest"; the form with the digest (the only one for a
 *     reference without a digest) re-parses, keeps tag, digest and
 *     registry, and familiar(familiar(x)) == familiar(x).
 *
 * One exception to "keeps the registry" (and so to the fixed point) is
 * allowed on purpose: a Docker Hub path whose first component looks like
 * a domain ("docker.io/a.b/c") prints as "a.b/c", which names the
 * registry a.b ("docker.io/a_b.c/d" even prints as something that does
 * not parse).  Docker's own FamiliarString() does the same, and no such
 * repository can exist on Docker Hub (its namespaces have no '.' or ':').
 */

/* Familiar form: no domain for Docker Hub, ":latest" added: the input
 * (REF_MAX) plus ":latest" fits, with room to spare. */
#define FAM_MAX (REF_MAX + 80)

static int
first_component_looks_like_domain(const char *path)
{
	size_t n = strcspn(path, "/");

	if (path[n] != '/')
		return 0;
	if (n == 9 && memcmp(path, "localhost", 9) == 0)
		return 1;
	return memchr(path, '.', n) != NULL || memchr(path, ':', n) != NULL;
}

static void
check_familiar(const struct imageref *ref, int with_digest)
{
	struct imageref again, thrice;
	char fam[FAM_MAX], fam2[FAM_MAX], tiny[4];
	const char *errstr = NULL;
	size_t flen;

	FUZZ_ASSERT(ref_familiar(ref, with_digest, fam, sizeof(fam)) == 0);
	flen = strlen(fam);
	FUZZ_ASSERT(flen > 0);
	/* Too small a buffer fails cleanly and leaves "". */
	if (flen >= sizeof(tiny)) {
		FUZZ_ASSERT(ref_familiar(ref, with_digest, tiny,
		    sizeof(tiny)) == -1);
		FUZZ_ASSERT(tiny[0] == '\0');
	}
	FUZZ_ASSERT(ref_familiar(ref, with_digest, fam2, flen) == -1);
	FUZZ_ASSERT(ref_familiar(ref, with_digest, fam2, flen + 1) == 0);
	FUZZ_ASSERT(strcmp(fam, fam2) == 0);

	/* The ambiguity described above: "docker.io/a.b/c" prints as
	 * "a.b/c", which names another registry, and "docker.io/a_b.c/d"
	 * as "a_b.c/d", which does not parse at all. */
	if (strcmp(ref_registry(ref), "docker.io") == 0 &&
	    first_component_looks_like_domain(ref->path))
		return;
	FUZZ_ASSERT(ref_parse(fam, flen, &again, &errstr) == 0);
	if (ref->tag[0] != '\0')
		FUZZ_ASSERT(strcmp(again.tag, ref->tag) == 0);
	else if (ref->digest[0] == '\0')
		FUZZ_ASSERT(strcmp(again.tag, "latest") == 0);
	else
		FUZZ_ASSERT(again.tag[0] == '\0');
	if (with_digest)
		FUZZ_ASSERT(strcmp(again.digest, ref->digest) == 0);
	else
		FUZZ_ASSERT(again.digest[0] == '\0');
	FUZZ_ASSERT(strcmp(ref_registry(&again), ref_registry(ref)) == 0);

	/* The familiar form of a familiar form is itself. */
	FUZZ_ASSERT(ref_familiar(&again, with_digest, fam2,
	    sizeof(fam2)) == 0);
	FUZZ_ASSERT(strcmp(fam, fam2) == 0);
	FUZZ_ASSERT(ref_parse(fam2, strlen(fam2), &thrice, &errstr) == 0);
	FUZZ_ASSERT(memcmp(&again, &thrice, sizeof(again)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct imageref empty;
	const char *s = (const char *)data, *errstr = NULL, *reg;
	char rebuilt[REF_MAX + 8], fam0[FAM_MAX], fam1[FAM_MAX];
	struct imageref ref;
	int n;

	memset(&ref, 0xa5, sizeof(ref));
	if (ref_parse(s, size, &ref, &errstr) == -1) {
		FUZZ_ASSERT(errstr != NULL && errstr[0] != '\0');
		FUZZ_ASSERT(memcmp(&ref, &empty, sizeof(ref)) == 0);
		/* NULL errstr is allowed. */
		FUZZ_ASSERT(ref_parse(s, size, &ref, NULL) == -1);
		return 0;
	}
	FUZZ_ASSERT(size > 0 && size <= REF_MAX);
	FUZZ_ASSERT(strlen(ref.domain) <= REF_DOMAIN_MAX);
	FUZZ_ASSERT(strlen(ref.path) > 0 && strlen(ref.path) <= REF_PATH_MAX);
	FUZZ_ASSERT(strlen(ref.tag) <= REF_TAG_MAX);
	FUZZ_ASSERT(strlen(ref.digest) <= REF_DIGEST_MAX);

	/* The parts as written are the input. */
	n = snprintf(rebuilt, sizeof(rebuilt), "%s%s%s%s%s%s%s", ref.domain,
	    ref.domain[0] ? "/" : "", ref.path, ref.tag[0] ? ":" : "",
	    ref.tag, ref.digest[0] ? "@" : "", ref.digest);
	FUZZ_ASSERT(n >= 0 && (size_t)n == size);
	FUZZ_ASSERT(memcmp(rebuilt, s, size) == 0);

	reg = ref_registry(&ref);
	FUZZ_ASSERT(reg != NULL && reg[0] != '\0');
	if (ref.domain[0] != '\0' && strcmp(ref.domain, "docker.io") != 0 &&
	    strcmp(ref.domain, "index.docker.io") != 0)
		FUZZ_ASSERT(strcmp(reg, ref.domain) == 0);
	else
		FUZZ_ASSERT(strcmp(reg, "docker.io") == 0);

	/* Without a digest, with_digest changes nothing; with one, it only
	 * appends it.  (So without with_digest a digest-only reference
	 * loses its pin and is not idempotent: "name" becomes
	 * "name:latest".  The program asks for that form only for
	 * references without a digest.) */
	FUZZ_ASSERT(ref_familiar(&ref, 0, fam0, sizeof(fam0)) == 0);
	FUZZ_ASSERT(ref_familiar(&ref, 1, fam1, sizeof(fam1)) == 0);
	if (ref.digest[0] == '\0') {
		FUZZ_ASSERT(strcmp(fam0, fam1) == 0);
		check_familiar(&ref, 0);
	} else {
		FUZZ_ASSERT(strlen(fam1) == strlen(fam0) + 1 +
		    strlen(ref.digest));
		FUZZ_ASSERT(strncmp(fam1, fam0, strlen(fam0)) == 0 &&
		    fam1[strlen(fam0)] == '@' &&
		    strcmp(fam1 + strlen(fam0) + 1, ref.digest) == 0);
	}
	check_familiar(&ref, 1);
	return 0;
}
