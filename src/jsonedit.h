/* jsonedit.h: find and replace values in JSON text without reprinting it */
/* SPDX-License-Identifier: MIT */
#ifndef JSONEDIT_H
#define JSONEDIT_H

#include <stddef.h>

#include "buf.h"

/*
 * Docker's service specs carry 64-bit integers that a double cannot hold,
 * so a spec is never reparsed and reprinted: these functions locate the
 * byte range of a value by its path of object keys and splice new text in,
 * leaving every other byte exactly as Docker sent it.
 *
 * Paths are NULL-terminated arrays of object keys, compared exactly
 * (case-sensitive, after decoding JSON string escapes); an empty (or NULL)
 * path names the top-level value.  Arrays are not traversed.  Scanning is
 * iterative and validates the whole document: malformed JSON (strings must
 * also be well-formed UTF-8), nesting deeper than JSON_DEPTH_MAX or
 * trailing garbage is an error.  When a key occurs twice in one object the
 * last one wins, as in Go's decoder.
 */
#define JSON_DEPTH_MAX 64

enum json_type {
	JSON_NONE = 0,
	JSON_OBJECT,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL,
};

struct json_span {
	size_t off; /* first byte of the value */
	size_t len; /* bytes of the value (strings with quotes) */
	enum json_type type;
};

/* 0 when the n bytes at s are one well-formed JSON value (surrounding
 * whitespace allowed) nested at most maxdepth deep; else -1.  A scalar is
 * 0 deep, "[]" 1, "[{}]" 2; a maxdepth above JSON_DEPTH_MAX counts as
 * JSON_DEPTH_MAX and a negative one fails. */
int json_check(const char *s, size_t n, int maxdepth);

/* 0 and *sp filled when found; 1 when some key on the path is absent or a
 * value on the way is not an object; -1 when the text is malformed. */
int json_find(const char *s, size_t n, const char *const *path,
    struct json_span *sp);

/*
 * Appends to out a copy of s in which the value at path is replaced by the
 * raw JSON text val (which the caller guarantees is valid JSON).  Missing
 * keys are created: the deepest existing value on the path must be an
 * object (a new member is inserted at its start) or null (replaced by a
 * new object).  Of duplicate keys only the last, the one that counts, is
 * replaced.  Returns 0, or -1 when the text is malformed, a value on the
 * path is neither object nor null, a key to create is not UTF-8, the path
 * has more than JSON_DEPTH_MAX keys, or out overflows.
 */
int json_set(struct buf *out, const char *s, size_t n, const char *const *path,
    const char *val, size_t vallen);

/* Appends the decoded JSON string at sp (with quotes) to out.  Returns -1
 * on a malformed escape, an unpaired surrogate, a \u0000 (which a C string
 * cannot carry, and which would let "app\u0000x" pass for "app"), or
 * overflow; except on overflow, out is then left as it was. */
int json_string(const char *s, const struct json_span *sp, struct buf *out);

/* Appends s as a JSON string literal (with quotes and escapes: '"', '\\'
 * and control bytes, the latter as \u00XX).  Returns -1 on overflow, or
 * when s is not well-formed UTF-8 (then out is left as it was). */
int json_quote(struct buf *out, const char *s, size_t n);

#endif
