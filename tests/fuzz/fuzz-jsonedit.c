/* fuzz-jsonedit.c: fuzz target for the JSON scanner and splicer */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "jsonedit.h"
#include "util.h"
#include "fuzz.h"

/*
 * Input format, so that the corpus can hold real Docker specs:
 *
 *   line 1: the path, keys separated by '/' ("TaskTemplate/ContainerSpec/
 *           Image"); an empty line is the empty path.  Keys are taken as
 *           bytes, so they may be malformed UTF-8.
 *   line 2: the value to set.  When it is not one JSON value it is
 *           quoted with json_quote (or replaced by null when it is not
 *           UTF-8), since json_set trusts its caller there.
 *   rest:   the document.
 *
 * Invariants:
 *   - json_check is monotonic in the depth; json_find and json_set fail
 *     exactly when json_check(doc, JSON_DEPTH_MAX) does;
 *   - a span found lies inside the document, starts and ends with the
 *     value's own bytes, is a valid JSON value on its own, of the type
 *     reported;
 *   - a string value decodes (or not) without touching the output on
 *     failure, to valid UTF-8 without NUL, and survives json_quote and a
 *     second decode unchanged;
 *   - json_set of a found value changes only its bytes; otherwise it
 *     succeeds exactly when the deepest value on the path is an object or
 *     null; its output is valid JSON (when the nesting allows) and
 *     json_find there finds exactly the value set;
 *   - json_quote of the document round-trips through json_string.
 */

#define PATH_KEYS_MAX (JSON_DEPTH_MAX + 8) /* a few past the limit */
#define OUT_MAX (1024 * 1024)

/* The smallest depth at which s passes json_check, or -1. */
static int
depth_of(const char *s, size_t n)
{
	int d;

	if (json_check(s, n, JSON_DEPTH_MAX) == -1)
		return -1;
	for (d = 0; d < JSON_DEPTH_MAX; d++)
		if (json_check(s, n, d) == 0)
			break;
	return d;
}

static enum json_type
type_of_first(char c)
{
	switch (c) {
	case '{':
		return JSON_OBJECT;
	case '[':
		return JSON_ARRAY;
	case '"':
		return JSON_STRING;
	case 't':
		return JSON_TRUE;
	case 'f':
		return JSON_FALSE;
	case 'n':
		return JSON_NULL;
	default:
		return JSON_NUMBER;
	}
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Checks a span json_find reported in s. */
static void
check_span(const char *s, size_t n, const struct json_span *sp)
{
	struct buf dec, quoted, again;
	struct json_span whole;
	size_t before;
	int rc;

	FUZZ_ASSERT(sp->len > 0 && sp->off <= n && sp->len <= n - sp->off);
	FUZZ_ASSERT(!is_ws(s[sp->off]) && !is_ws(s[sp->off + sp->len - 1]));
	FUZZ_ASSERT(sp->type == type_of_first(s[sp->off]));
	FUZZ_ASSERT(json_check(s + sp->off, sp->len, JSON_DEPTH_MAX) == 0);
	if (sp->type != JSON_STRING) {
		buf_init(&dec, OUT_MAX);
		FUZZ_ASSERT(json_string(s, sp, &dec) == -1);
		FUZZ_ASSERT(dec.len == 0);
		buf_free(&dec);
		return;
	}

	/* A failed decode leaves the output as it was. */
	buf_init(&dec, OUT_MAX);
	buf_addstr(&dec, "pre");
	before = dec.len;
	rc = json_string(s, sp, &dec);
	if (rc == -1) {
		FUZZ_ASSERT(dec.len == before &&
		    memcmp(dec.data, "pre", 3) == 0);
		buf_free(&dec);
		return;
	}
	FUZZ_ASSERT(utf8_valid(dec.data + before, dec.len - before));
	FUZZ_ASSERT(memchr(dec.data + before, '\0', dec.len - before) ==
	    NULL);

	/* Quote and decode again: the same bytes. */
	buf_init(&quoted, OUT_MAX);
	FUZZ_ASSERT(json_quote(&quoted, dec.data + before,
	    dec.len - before) == 0);
	FUZZ_ASSERT(json_check(quoted.data, quoted.len, 0) == 0);
	FUZZ_ASSERT(json_find(quoted.data, quoted.len, NULL, &whole) == 0);
	FUZZ_ASSERT(whole.type == JSON_STRING && whole.off == 0 &&
	    whole.len == quoted.len);
	buf_init(&again, OUT_MAX);
	FUZZ_ASSERT(json_string(quoted.data, &whole, &again) == 0);
	FUZZ_ASSERT(again.len == dec.len - before);
	FUZZ_ASSERT(again.len == 0 ||
	    memcmp(again.data, dec.data + before, again.len) == 0);
	buf_free(&again);
	buf_free(&quoted);
	buf_free(&dec);
}

/* The value to set: line 2 when it is JSON, else made into JSON. */
static void
make_value(const char *v, size_t vn, struct buf *val)
{
	buf_init(val, OUT_MAX);
	if (json_check(v, vn, JSON_DEPTH_MAX) == 0)
		FUZZ_ASSERT(buf_add(val, v, vn) == 0);
	else if (json_quote(val, v, vn) == -1) {
		FUZZ_ASSERT(!utf8_valid(v, vn));
		FUZZ_ASSERT(val->len == 0);
		FUZZ_ASSERT(buf_addstr(val, "null") == 0);
	}
}

static void
check_set(const char *doc, size_t n, const char *const *path, size_t plen,
    const char *v, size_t vn, int valid, int found,
    const struct json_span *sp)
{
	struct buf out, small;
	struct json_span got;
	int rc, keys_utf8 = 1, vdepth;
	size_t i;

	for (i = 0; i < plen; i++)
		if (!utf8_valid(path[i], strlen(path[i])))
			keys_utf8 = 0;
	buf_init(&out, OUT_MAX);
	rc = json_set(&out, doc, n, path, v, vn);
	if (!valid) {
		FUZZ_ASSERT(rc == -1);
		buf_free(&out);
		return;
	}
	if (found) {
		/* Only the value's bytes change. */
		FUZZ_ASSERT(rc == 0);
		FUZZ_ASSERT(out.len == n - sp->len + vn);
		FUZZ_ASSERT(memcmp(out.data, doc, sp->off) == 0);
		FUZZ_ASSERT(memcmp(out.data + sp->off, v, vn) == 0);
		FUZZ_ASSERT(memcmp(out.data + sp->off + vn,
		    doc + sp->off + sp->len, n - sp->off - sp->len) == 0);
	} else if (plen > JSON_DEPTH_MAX || !keys_utf8) {
		FUZZ_ASSERT(rc == -1);
	}
	if (rc == -1) {
		buf_free(&out);
		return;
	}

	/* The result is JSON when its nesting is within the limit: the
	 * value sits at most plen objects deep. */
	vdepth = depth_of(v, vn);
	FUZZ_ASSERT(vdepth >= 0);
	if ((size_t)vdepth + plen <= JSON_DEPTH_MAX) {
		/* The value as spliced, without the white space around it,
		 * which the span does not include. */
		const char *tv = v, *te = v + vn;

		while (tv < te && is_ws(*tv))
			tv++;
		while (te > tv && is_ws(te[-1]))
			te--;
		FUZZ_ASSERT(json_check(out.data, out.len, JSON_DEPTH_MAX) == 0);
		FUZZ_ASSERT(json_find(out.data, out.len, path, &got) == 0);
		FUZZ_ASSERT(got.len == (size_t)(te - tv) &&
		    memcmp(out.data + got.off, tv, got.len) == 0);
	}

	/* One byte too few: fails, never writes past the maximum. */
	buf_init(&small, out.len - 1);
	errno = 0;
	FUZZ_ASSERT(json_set(&small, doc, n, path, v, vn) == -1);
	FUZZ_ASSERT(errno == EMSGSIZE && small.len == 0);
	buf_free(&small);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl, *v, *doc;
	const char *path[PATH_KEYS_MAX + 1];
	char *keys = NULL, *k;
	struct json_span sp;
	struct buf val, q;
	size_t plen = 0, vn, n, i;
	int valid, rc, d, prev;

	/* Line 1: the path. */
	if ((nl = memchr(s, '\n', size)) == NULL)
		return 0;
	if ((keys = strndup(s, (size_t)(nl - s))) == NULL)
		return 0;
	if (strlen(keys) != (size_t)(nl - s)) {
		free(keys);		/* a NUL in a key: C strings can't */
		return 0;
	}
	if (keys[0] != '\0') {
		for (k = keys; plen < PATH_KEYS_MAX; k++) {
			path[plen++] = k;
			if ((k = strchr(k, '/')) == NULL)
				break;
			*k = '\0';
		}
		if (k != NULL) {
			free(keys);	/* more keys than we look at */
			return 0;
		}
	}
	path[plen] = NULL;

	/* Line 2: the value; the rest: the document. */
	v = nl + 1;
	if ((nl = memchr(v, '\n', size - (size_t)(v - s))) == NULL) {
		free(keys);
		return 0;
	}
	vn = (size_t)(nl - v);
	doc = nl + 1;
	n = size - (size_t)(doc - s);

	/* Depth limits: monotonic, clamped, negative refused. */
	FUZZ_ASSERT(json_check(doc, n, -1) == -1);
	prev = -1;
	for (d = 0; d <= 3; d++) {
		rc = json_check(doc, n, d);
		FUZZ_ASSERT(prev == -1 || rc == 0);
		prev = rc;
	}
	valid = json_check(doc, n, JSON_DEPTH_MAX) == 0;
	FUZZ_ASSERT(json_check(doc, n, JSON_DEPTH_MAX + 100) == (valid ?
	    0 : -1));
	if (valid)
		FUZZ_ASSERT(json_check(doc, n, JSON_DEPTH_MAX - 1) == 0 ||
		    depth_of(doc, n) == JSON_DEPTH_MAX);

	/* Find along the path and along each prefix of it. */
	rc = json_find(doc, n, path, &sp);
	FUZZ_ASSERT(valid ? rc == 0 || rc == 1 : rc == -1);
	if (rc == 0)
		check_span(doc, n, &sp);
	for (i = 0; valid && i < plen; i++) {
		const char *saved = path[i];
		struct json_span p;

		path[i] = NULL;
		rc = json_find(doc, n, path, &p);
		FUZZ_ASSERT(rc == 0 || rc == 1);
		if (rc == 0)
			check_span(doc, n, &p);
		path[i] = saved;
	}
	FUZZ_ASSERT(json_find(doc, n, NULL, &sp) == (valid ? 0 : -1));
	if (valid)
		FUZZ_ASSERT(sp.len > 0 && sp.type != JSON_NONE);

	/* Set the value. */
	make_value(v, vn, &val);
	rc = json_find(doc, n, path, &sp);
	check_set(doc, n, path, plen, val.data, val.len, valid, rc == 0,
	    &sp);
	buf_free(&val);

	/* Quote the whole document as a string and read it back. */
	buf_init(&q, OUT_MAX);
	if (json_quote(&q, doc, n) == 0) {
		struct json_span whole;
		struct buf back;

		FUZZ_ASSERT(utf8_valid(doc, n));
		FUZZ_ASSERT(json_find(q.data, q.len, NULL, &whole) == 0);
		buf_init(&back, OUT_MAX);
		rc = json_string(q.data, &whole, &back);
		if (memchr(doc, '\0', n) != NULL)
			FUZZ_ASSERT(rc == -1);
		else
			FUZZ_ASSERT(rc == 0 && back.len == n &&
			    (n == 0 || memcmp(back.data, doc, n) == 0));
		buf_free(&back);
	} else
		FUZZ_ASSERT(!utf8_valid(doc, n) || n * 6 + 2 > OUT_MAX);
	buf_free(&q);
	free(keys);
	return 0;
}
