/* fuzz-template.c: fuzz target for notification template compile/render */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "template.h"
#include "fuzz.h"

/*
 * The input is a template source, compiled against the program's own
 * field list (notify_fields).  Invariants:
 *   - a failure names a byte offset inside the source, and fails the
 *     same way without a message buffer;
 *   - a source without "{{" compiles and renders to itself;
 *   - rendering is deterministic: twice the same output, or the same
 *     error (EINVAL for an error of execution, never a crash or a hang:
 *     the engine counts its steps);
 *   - rendering never writes past the buffer's maximum: with room for
 *     exactly the output it succeeds, with one byte less it fails with
 *     EMSGSIZE and the buffer is left empty;
 *   - tpl_uses is 0 beyond the field list.
 */

#define OUT_MAX (1024 * 1024)

static int
render(const struct tpl *t, const char *const *values, size_t max,
    struct buf *out)
{
	buf_init(out, max);
	return tpl_render(t, values, out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	/* Distinct realistic values, as notify_values() fills them, with
	 * the characters templates must escape. */
	static const char *const real[] = {
		"me/blog:v1.12", "blog", "x8vd0mc1cgqj6ch0ng2ptdsx8",
		"me/blog:v1.12@sha256:0123", "me/blog:v1.11", "deploy",
		"accepted", "a \"quote\" <&> \\ \n\xff", "0123456789abcdef",
		"192.0.2.1", "default", "2024-05-01T12:00:00Z",
	};
	const char *values[NF_COUNT];
	struct buf full, again, tight;
	struct tpl *t;
	char err[256];
	size_t i;
	int rc, e;

	memset(err, 'x', sizeof(err));
	t = tpl_compile(src, size, notify_fields, err, sizeof(err));
	if (t == NULL) {
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_ASSERT(strncmp(err, "template: offset ", 17) == 0);
		FUZZ_ASSERT(strtoull(err + 17, NULL, 10) <= size ||
		    size > 64 * 1024);
		FUZZ_ASSERT(tpl_compile(src, size, notify_fields, NULL,
		    0) == NULL);
		FUZZ_ASSERT(size > 0 && memmem(src, size, "{{", 2) != NULL);
		return 0;
	}
	for (i = 0; i < NF_COUNT; i++)
		values[i] = real[i % (sizeof(real) / sizeof(real[0]))];
	errno = 0;
	rc = render(t, values, OUT_MAX, &full);
	e = errno;
	FUZZ_ASSERT(render(t, values, OUT_MAX, &again) == rc);
	if (rc == -1) {
		FUZZ_ASSERT(e == EINVAL || e == EMSGSIZE);
		FUZZ_ASSERT(errno == e);
	} else {
		FUZZ_ASSERT(again.len == full.len);
		FUZZ_ASSERT(full.len == 0 ||
		    memcmp(again.data, full.data, full.len) == 0);
		if (memmem(src, size, "{{", 2) == NULL)
			FUZZ_ASSERT(full.len == size && (size == 0 ||
			    memcmp(full.data, src, size) == 0));
		FUZZ_ASSERT(render(t, values, full.len, &tight) == 0);
		FUZZ_ASSERT(tight.len == full.len);
		buf_free(&tight);
		if (full.len > 0) {
			errno = 0;
			FUZZ_ASSERT(render(t, values, full.len - 1,
			    &tight) == -1);
			FUZZ_ASSERT(errno == EMSGSIZE);
			FUZZ_ASSERT(tight.data == NULL && tight.len == 0);
			buf_free(&tight);
		}
	}
	FUZZ_ASSERT(tpl_uses(t, NF_COUNT) == 0);
	FUZZ_ASSERT(tpl_uses(NULL, 0) == 0);
	buf_free(&full);
	buf_free(&again);
	tpl_free(t);
	return 0;
}
