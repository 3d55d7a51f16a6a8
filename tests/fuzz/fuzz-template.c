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
 *   - a failure names a byte offset inside the source;
 *   - a source without "{{" compiles to itself;
 *   - rendering with no values gives a subsequence of the source (text
 *     spans are copied, in order, never invented);
 *   - rendering with one-byte values adds exactly one byte per field
 *     action, and tpl_uses(i) is true exactly when field i shows up;
 *   - rendering never writes past the buffer's maximum: with room for
 *     exactly the output it succeeds, with one byte less it fails with
 *     EMSGSIZE and the buffer is left empty.
 */

/* Plenty for any render of a 64 KiB template with the values below:
 * every field action is at least 5 source bytes ("{{.X}}") and renders
 * at most VAL_MAX bytes. */
#define VAL_MAX 16
#define OUT_MAX (64 * 1024 * (VAL_MAX + 1))

static int
render(const struct tpl *t, const char *const *values, size_t max,
    struct buf *out)
{
	buf_init(out, max);
	return tpl_render(t, values, out);
}

/* 1 when a[0..an) is a subsequence of b[0..bn). */
static int
subsequence(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j;

	for (j = 0; j < bn && i < an; j++)
		if (a[i] == b[j])
			i++;
	return i == an;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	const char *values[NF_COUNT], *one[NF_COUNT], *only[NF_COUNT];
	/* Distinct realistic values, as notify_values() fills them. */
	static const char *const real[NF_COUNT] = {
		"me/blog:v1.12", "blog", "x8vd0mc1cgqj6ch0ng2ptdsx8",
		("me/blog:v1.12@sha256:0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef"), "me/blog:v1.11", "deploy",
		"accepted", "", "0123456789abcdef", "192.0.2.1", "default",
		"2024-05-01T12:00:00Z",
	};
	struct buf bare, full, ones, tight;
	struct tpl *t;
	char err[256];
	size_t i, nfields = 0;

	memset(err, 'x', sizeof(err));
	t = tpl_compile(src, size, notify_fields, err, sizeof(err));
	if (t == NULL) {
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_ASSERT(strncmp(err, "template: offset ", 17) == 0);
		FUZZ_ASSERT(strtoull(err + 17, NULL, 10) <= size ||
		    size > 64 * 1024);
		/* Without a message buffer it fails the same way. */
		FUZZ_ASSERT(tpl_compile(src, size, notify_fields, NULL,
		    0) == NULL);
		return 0;
	}
	for (i = 0; i < NF_COUNT; i++) {
		values[i] = real[i];
		one[i] = "\x01";
	}

	FUZZ_ASSERT(render(t, NULL, OUT_MAX, &bare) == 0);
	FUZZ_ASSERT(subsequence(buf_str(&bare), bare.len, src, size));
	if (size < 2 || memmem(src, size, "{{", 2) == NULL) {
		FUZZ_ASSERT(bare.len == size);
		FUZZ_ASSERT(size == 0 || memcmp(bare.data, src, size) == 0);
	}

	/* One byte per field action: the count of actions. */
	FUZZ_ASSERT(render(t, one, OUT_MAX, &ones) == 0);
	FUZZ_ASSERT(ones.len >= bare.len);
	for (i = 0; i < NF_COUNT; i++) {
		struct buf b;

		memset(only, 0, sizeof(only));
		only[i] = "\x01";
		FUZZ_ASSERT(render(t, only, OUT_MAX, &b) == 0);
		FUZZ_ASSERT((b.len > bare.len) == (tpl_uses(t, i) != 0));
		nfields += b.len - bare.len;
		buf_free(&b);
	}
	FUZZ_ASSERT(nfields == ones.len - bare.len);
	FUZZ_ASSERT(tpl_uses(t, NF_COUNT) == 0);
	FUZZ_ASSERT(tpl_uses(NULL, 0) == 0);

	/* Real values: bounded, and exact about the maximum. */
	FUZZ_ASSERT(render(t, values, OUT_MAX, &full) == 0);
	FUZZ_ASSERT(render(t, values, full.len, &tight) == 0);
	FUZZ_ASSERT(tight.len == full.len);
	FUZZ_ASSERT(full.len == 0 ||
	    memcmp(tight.data, full.data, full.len) == 0);
	buf_free(&tight);
	if (full.len > 0) {
		errno = 0;
		FUZZ_ASSERT(render(t, values, full.len - 1, &tight) == -1);
		FUZZ_ASSERT(errno == EMSGSIZE);
		FUZZ_ASSERT(tight.data == NULL && tight.len == 0);
		buf_free(&tight);
	}

	buf_free(&bare);
	buf_free(&ones);
	buf_free(&full);
	tpl_free(t);
	return 0;
}
