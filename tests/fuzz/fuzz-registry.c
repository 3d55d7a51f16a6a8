/* fuzz-registry.c: fuzz target for registry credentials in config.json */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "registry.h"
#include "util.h"
#include "fuzz.h"

/*
 * Input: the registry name on the first line (as ref_registry() gives
 * it: "docker.io" or a domain), then the config.json text, which is
 * written to a memfd and read back through /proc/self/fd/N.
 *
 * Invariants: 0 leaves the output as it was; -1 names the reason; 1
 * appends exactly "X-Registry-Auth: " and base64url (with padding, as
 * Go's URLEncoding) of a JSON object whose "serveraddress" is the
 * registry and which holds credentials as strings.
 */

#define OUT_MAX (4 * 1024 * 1024)
#define PREFIX "X-Registry-Auth: "

static void
check_header(const char *h, size_t n, const char *registry)
{
	const cJSON *sa, *u, *pw, *tok;
	struct buf dec;
	cJSON *o;
	char *b64;
	size_t i;

	FUZZ_ASSERT(n > strlen(PREFIX) &&
	    memcmp(h, PREFIX, strlen(PREFIX)) == 0);
	h += strlen(PREFIX);
	n -= strlen(PREFIX);
	FUZZ_ASSERT(n % 4 == 0);
	FUZZ_ASSERT((b64 = malloc(n)) != NULL);
	for (i = 0; i < n; i++) {
		char c = h[i];

		FUZZ_ASSERT((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '=');
		b64[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	buf_init(&dec, OUT_MAX);
	FUZZ_ASSERT(base64_decode(b64, n, &dec) == 0);
	free(b64);
	FUZZ_ASSERT((o = cJSON_ParseWithLength(buf_str(&dec), dec.len)) !=
	    NULL);
	FUZZ_ASSERT(cJSON_IsObject(o));
	sa = cJSON_GetObjectItemCaseSensitive(o, "serveraddress");
	FUZZ_ASSERT(cJSON_IsString(sa) &&
	    strcmp(sa->valuestring, registry) == 0);
	u = cJSON_GetObjectItemCaseSensitive(o, "username");
	pw = cJSON_GetObjectItemCaseSensitive(o, "password");
	tok = cJSON_GetObjectItemCaseSensitive(o, "identitytoken");
	FUZZ_ASSERT((u == NULL) == (pw == NULL));
	FUZZ_ASSERT(u == NULL || (cJSON_IsString(u) && cJSON_IsString(pw)));
	FUZZ_ASSERT(tok == NULL || cJSON_IsString(tok));
	FUZZ_ASSERT(u != NULL || tok != NULL);
	cJSON_Delete(o);
	buf_free(&dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	const char *s = (const char *)data, *nl, *errstr;
	char path[64], registry[256];
	struct buf out;
	size_t rl, jn;
	int rc;

	if ((nl = memchr(s, '\n', size)) == NULL)
		return 0;
	rl = (size_t)(nl - s);
	if (rl == 0 || rl >= sizeof(registry) || memchr(s, '\0', rl) != NULL)
		return 0;
	memcpy(registry, s, rl);
	registry[rl] = '\0';

	if (fd == -1 && (fd = memfd_create("fuzz-registry", MFD_CLOEXEC)) == -1)
		return 0;
	jn = size - rl - 1;
	if (ftruncate(fd, 0) == -1 || pwrite(fd, nl + 1, jn, 0) !=
	    (ssize_t)jn)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	buf_init(&out, OUT_MAX);
	buf_addstr(&out, "");
	errstr = NULL;
	rc = registry_auth_header(path, registry, &out, &errstr);
	switch (rc) {
	case 1:
		check_header(out.data, out.len, registry);
		break;
	case 0:
		FUZZ_ASSERT(out.len == 0);
		break;
	default:
		FUZZ_ASSERT(rc == -1);
		FUZZ_ASSERT(errstr != NULL && errstr[0] != '\0');
		break;
	}
	if (out.data != NULL)
		wipe(out.data, out.len);
	buf_free(&out);

	/* A file that is not there is an error with errno's reason. */
	buf_init(&out, OUT_MAX);
	FUZZ_ASSERT(registry_auth_header("/nonexistent/config.json", registry,
	    &out, &errstr) == -1 && errno == ENOENT);
	buf_free(&out);
	return 0;
}
