/* test-jsonedit.c: unit tests for the JSON scanner and splicer */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonedit.h"
#include "../tap.h"

/* A path literal: P("a", "b") is { "a", "b", NULL }. */
#define P(...) ((const char *const[]){ __VA_ARGS__, NULL })
static const char *const ROOT[] = { NULL };

#define OUT_MAX (1024 * 1024)

/*
 * Every document goes through a heap block of exactly its length with no
 * NUL after it, so that ASan reports any read past n.
 */
static char *
dup_n(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	if (p == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	memcpy(p, s, n);
	return p;
}

/* A printable rendering of n bytes for test names (TAP is line-based). */
static const char *
show(const char *s, size_t n)
{
	static char ring[4][160];
	static int next;
	char *r = ring[next++ % 4];
	size_t i, k = 0;

	for (i = 0; i < n && k + 5 < sizeof(ring[0]); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			r[k++] = (char)c;
		else
			k += (size_t)snprintf(r + k, 5, "\\x%02x", c);
	}
	r[k] = '\0';
	return r;
}

static int
check_n(const char *s, size_t n, int maxdepth)
{
	char *p = dup_n(s, n);
	int rc = json_check(p, n, maxdepth);

	free(p);
	return rc;
}

static int
check(const char *s)
{
	return check_n(s, strlen(s), JSON_DEPTH_MAX);
}

/* json_find on an exact-size copy; *text gets the value's bytes. */
static int
find(const char *s, const char *const *path, struct json_span *sp,
    char *text, size_t textlen)
{
	size_t n = strlen(s);
	char *p = dup_n(s, n);
	int rc = json_find(p, n, path, sp);

	text[0] = '\0';
	if (rc == 0)
		snprintf(text, textlen, "%.*s", (int)sp->len, p + sp->off);
	free(p);
	return rc;
}

/* Expects path in s to be found with the given text and type. */
static void
found(const char *name, const char *s, const char *const *path,
    const char *want, enum json_type type)
{
	struct json_span sp;
	char text[256];
	int rc = find(s, path, &sp, text, sizeof(text));

	ok(rc == 0, "%s: found", name);
	is_str(text, want, "%s: value text", name);
	is_int(rc == 0 ? sp.type : JSON_NONE, type, "%s: value type", name);
}

static void
not_found(const char *name, const char *s, const char *const *path,
    int want)
{
	struct json_span sp;
	char text[256];

	is_int(find(s, path, &sp, text, sizeof(text)), want, "%s", name);
}

/* json_set into a fresh buffer; returns the result or NULL (freed by
 * the caller). */
static char *
set(const char *s, const char *const *path, const char *val, size_t max)
{
	struct buf b;
	size_t n = strlen(s);
	char *p = dup_n(s, n), *r;
	int rc;

	buf_init(&b, max);
	rc = json_set(&b, p, n, path, val, strlen(val));
	free(p);
	if (rc == -1) {
		buf_free(&b);
		return NULL;
	}
	r = buf_take(&b, NULL);
	return r;
}

static void
set_is(const char *name, const char *s, const char *const *path,
    const char *val, const char *want)
{
	char *r = set(s, path, val, OUT_MAX);

	is_str(r, want, "%s", name);
	if (r != NULL)
		ok(check(r) == 0, "%s: result is valid JSON", name);
	free(r);
}

static void
set_fails(const char *name, const char *s, const char *const *path,
    const char *val)
{
	char *r = set(s, path, val, OUT_MAX);

	ok(r == NULL, "%s", name);
	free(r);
}

/* json_string on the value of the one-key document {"k":<lit>}. */
static int
decode(const char *lit, struct buf *out)
{
	char doc[256];
	struct json_span sp;
	size_t n;
	char *p;
	int rc;

	n = (size_t)snprintf(doc, sizeof(doc), "{\"k\":%s}", lit);
	p = dup_n(doc, n);
	if ((rc = json_find(p, n, P("k"), &sp)) == 0)
		rc = json_string(p, &sp, out);
	free(p);
	return rc;
}

static void
decodes(const char *lit, const char *want, size_t wantlen)
{
	struct buf b;

	buf_init(&b, 256);
	ok(decode(lit, &b) == 0 && b.len == wantlen &&
	    memcmp(buf_str(&b), want, wantlen) == 0, "json_string decodes %s",
	    show(lit, strlen(lit)));
	buf_free(&b);
}

static void
decode_fails(const char *lit)
{
	struct buf b;

	buf_init(&b, 256);
	ok(decode(lit, &b) == -1, "json_string rejects %s", lit);
	buf_free(&b);
}

static void
quotes(const char *name, const char *s, size_t n, const char *want)
{
	struct buf b;
	char *p = dup_n(s, n);

	buf_init(&b, 256);
	ok(json_quote(&b, p, n) == 0, "json_quote %s: succeeds", name);
	is_str(buf_str(&b), want, "json_quote %s", name);
	free(p);
	buf_free(&b);
}

static void
test_find(void)
{
	static const char doc[] =
	    " {\"o\": {\"s\": \"x\\\"y\", \"n\": -1.5e3, \"t\": true, "
	    "\"f\": false, \"z\": null, \"a\": [1, {\"s\": 2}], "
	    "\"e\": {}}, \"top\": 7} ";

	found("string", doc, P("o", "s"), "\"x\\\"y\"", JSON_STRING);
	found("number", doc, P("o", "n"), "-1.5e3", JSON_NUMBER);
	found("true", doc, P("o", "t"), "true", JSON_TRUE);
	found("false", doc, P("o", "f"), "false", JSON_FALSE);
	found("null", doc, P("o", "z"), "null", JSON_NULL);
	found("array", doc, P("o", "a"), "[1, {\"s\": 2}]", JSON_ARRAY);
	found("empty object", doc, P("o", "e"), "{}", JSON_OBJECT);
	found("top-level key after a nested object", doc, P("top"), "7",
	    JSON_NUMBER);
	found("an empty path names the root (no surrounding space)", "  [1] ",
	    ROOT, "[1]", JSON_ARRAY);
	found("a NULL path names the root", "\"s\"", NULL, "\"s\"",
	    JSON_STRING);
	found("scalar root with an empty path", " 42 ", ROOT, "42",
	    JSON_NUMBER);
	found("big integers keep their text", "{\"a\":9007199254740993}",
	    P("a"), "9007199254740993", JSON_NUMBER);

	/* Keys are compared after decoding escapes. */
	found("escaped key matches", "{\"Im\\u0061ge\":\"x\"}", P("Image"),
	    "\"x\"", JSON_STRING);
	found("key with \\/ matches", "{\"a\\/b\":1}", P("a/b"), "1",
	    JSON_NUMBER);
	found("non-ASCII key via \\u escape", "{\"\\u00e9t\\u00E9\":1}",
	    P("\xc3\xa9t\xc3\xa9"), "1", JSON_NUMBER);
	found("raw UTF-8 key", "{\"\xc3\xa9t\xc3\xa9\":1}",
	    P("\xc3\xa9t\xc3\xa9"), "1", JSON_NUMBER);
	found("surrogate-pair key", "{\"\\ud83d\\ude00\":1}",
	    P("\xf0\x9f\x98\x80"), "1", JSON_NUMBER);
	found("a lone surrogate in a key reads as U+FFFD, as in Go",
	    "{\"\\ud800\":1}", P("\xef\xbf\xbd"), "1", JSON_NUMBER);
	not_found("key comparison is case-sensitive", "{\"image\":1}",
	    P("Image"), 1);
	not_found("a key that is a prefix does not match", "{\"Imag\":1}",
	    P("Image"), 1);
	not_found("a longer key does not match", "{\"Images\":1}",
	    P("Image"), 1);
	not_found("a key with \\u0000 does not match its prefix",
	    "{\"Image\\u0000\":1}", P("Image"), 1);

	/* Duplicates: the last one wins, at every level. */
	found("last duplicate wins", "{\"a\":1,\"a\":2}", P("a"), "2",
	    JSON_NUMBER);
	found("last nested duplicate wins", "{\"a\":{\"b\":1,\"b\":[2]}}",
	    P("a", "b"), "[2]", JSON_ARRAY);
	not_found("a later duplicate object hides the earlier one's keys",
	    "{\"a\":{\"b\":1},\"a\":{\"c\":2}}", P("a", "b"), 1);
	not_found("a later scalar duplicate hides the earlier object",
	    "{\"a\":{\"b\":1},\"a\":5}", P("a", "b"), 1);
	found("a later object duplicate replaces a scalar",
	    "{\"a\":5,\"a\":{\"b\":1}}", P("a", "b"), "1", JSON_NUMBER);

	/* Not found vs malformed. */
	not_found("missing key is 1", "{\"a\":1}", P("b"), 1);
	not_found("missing nested key is 1", "{\"a\":{}}", P("a", "b"), 1);
	not_found("scalar on the way is 1", "{\"a\":\"str\"}", P("a", "b"),
	    1);
	not_found("null on the way is 1", "{\"a\":null}", P("a", "b"), 1);
	not_found("array on the way is 1 (arrays are not traversed)",
	    "{\"a\":[{\"b\":1}]}", P("a", "b"), 1);
	not_found("array root is 1", "[{\"a\":1}]", P("a"), 1);
	not_found("malformed before the key is -1", "{\"x\":01,\"a\":1}",
	    P("a"), -1);
	not_found("malformed after the value is -1", "{\"a\":1,}", P("a"),
	    -1);
	not_found("trailing garbage after a found value is -1",
	    "{\"a\":1} x", P("a"), -1);
	not_found("a path longer than JSON_DEPTH_MAX is not found",
	    "{\"a\":1}", P("a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
	    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
	    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
	    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
	    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
	    "a", "a", "a"), 1);

	/* Values inside arrays and other objects are skipped whole. */
	found("brackets, quotes and backslashes in array strings",
	    "{\"a\":[\"{\",\"}\",\"\\\"\",\"\\\\\",\"[\",\"]\",{\"b\":1},"
	    "[{\"b\":2}]],\"b\":3}", P("b"), "3", JSON_NUMBER);
	found("a key inside an array element is not matched",
	    "{\"x\":[{\"b\":1}],\"b\":2}", P("b"), "2", JSON_NUMBER);
	found("a key in a sibling object is not matched",
	    "{\"x\":{\"b\":1},\"b\":2}", P("b"), "2", JSON_NUMBER);
	found("a key at the wrong level is not matched",
	    "{\"a\":{\"x\":{\"b\":1},\"b\":2}}", P("a", "b"), "2",
	    JSON_NUMBER);
	found("a value equal to a path key is not a key",
	    "{\"x\":\"a\",\"a\":1}", P("a"), "1", JSON_NUMBER);
}

static const char spec[] =
    "{\"Name\":\"web\",\"Labels\":{\"deployer.allowUpdates\":\"true\"},"
    "\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"me/blog:v1@sha256:"
    "aaaa\",\"Args\":[\"--a\",\"{\\\"x\\\":1}\"],\"Init\":false,"
    "\"StopGracePeriod\":15000000000,\"Mounts\":[]},\"Resources\":{"
    "\"Limits\":{\"MemoryBytes\":8589934592}},\"RestartPolicy\":{"
    "\"Condition\":\"any\",\"MaxAttempts\":0},\"ForceUpdate\":"
    "18446744073709551615,\"Runtime\":\"container\"},\"Mode\":{"
    "\"Replicated\":{\"Replicas\":3}},\"UpdateConfig\":{\"Parallelism\":1,"
    "\"Delay\":9007199254740993,\"FailureAction\":\"pause\","
    "\"MaxFailureRatio\":0.15,\"Order\":\"stop-first\"},"
    "\"EndpointSpec\":{\"Mode\":\"vip\",\"Ports\":[{\"Protocol\":\"tcp\","
    "\"TargetPort\":80,\"PublishedPort\":8080}]},\"Placement\":{"
    "\"MaxReplicas\":0}}";

/* Builds what s must become when its first occurrence of old is replaced
 * by new: an independent oracle for byte-identical splicing. */
static char *
splice(const char *s, const char *old, const char *new)
{
	const char *at = strstr(s, old);
	size_t pre, n;
	char *r;

	if (at == NULL)
		return NULL;
	pre = (size_t)(at - s);
	n = strlen(s) - strlen(old) + strlen(new) + 1;
	if ((r = malloc(n)) == NULL)
		return NULL;
	snprintf(r, n, "%.*s%s%s", (int)pre, s, new, at + strlen(old));
	return r;
}

static void
test_set(void)
{
	char *r, *want;
	struct buf b;
	char *p;

	/* Replace: only the value's bytes change. */
	want = splice(spec, "\"me/blog:v1@sha256:aaaa\"",
	    "\"me/blog:v2@sha256:bbbb\"");
	r = set(spec, P("TaskTemplate", "ContainerSpec", "Image"),
	    "\"me/blog:v2@sha256:bbbb\"", OUT_MAX);
	is_str(r, want, "replacing Image leaves every other byte alone");
	ok(r != NULL && strstr(r, "\"Delay\":9007199254740993,") != NULL &&
	    strstr(r, "\"ForceUpdate\":18446744073709551615,") != NULL &&
	    strstr(r, "\"MaxFailureRatio\":0.15,") != NULL &&
	    strstr(r, "\"MaxReplicas\":0}") != NULL,
	    "64-bit integers, floats and zeros keep their exact text");
	free(r);
	free(want);

	want = splice(spec, "18446744073709551615", "1");
	r = set(spec, P("TaskTemplate", "ForceUpdate"), "1", OUT_MAX);
	is_str(r, want, "replacing ForceUpdate touches only its digits");
	free(r);
	free(want);

	/* Create a chain: TaskTemplate exists, its Placement does not. */
	want = splice(spec, "\"TaskTemplate\":{",
	    "\"TaskTemplate\":{\"Placement\":{\"Platforms\":[{\"Architecture\""
	    ":\"amd64\",\"OS\":\"linux\"}]},");
	r = set(spec, P("TaskTemplate", "Placement", "Platforms"),
	    "[{\"Architecture\":\"amd64\",\"OS\":\"linux\"}]", OUT_MAX);
	is_str(r, want, "missing Placement is created as the first member");
	if (r != NULL) {
		struct json_span sp;

		ok(json_find(r, strlen(r),
		    P("TaskTemplate", "Placement", "Platforms"), &sp) == 0 &&
		    sp.type == JSON_ARRAY, "the created value can be found");
		ok(json_find(r, strlen(r), P("Placement", "MaxReplicas"),
		    &sp) == 0, "the top-level Placement is untouched");
	}
	free(r);
	free(want);

	set_is("insert into {} adds no comma", "{\"a\":{}}", P("a", "b"), "1",
	    "{\"a\":{\"b\":1}}");
	set_is("insert into { } keeps the space", "{\"a\":{ \n}}", P("a", "b"),
	    "1", "{\"a\":{\"b\":1 \n}}");
	set_is("insert into a non-empty object", "{\"a\":{\"x\":1}}",
	    P("a", "b"), "1", "{\"a\":{\"b\":1,\"x\":1}}");
	set_is("insert into the root", " { \"x\" : 1 } ", P("b"), "true",
	    " {\"b\":true, \"x\" : 1 } ");
	set_is("insert a chain into the empty root", "{}", P("a", "b", "c"),
	    "[]", "{\"a\":{\"b\":{\"c\":[]}}}");
	set_is("null is replaced by an object",
	    "{\"TaskTemplate\":{\"Placement\":null}}",
	    P("TaskTemplate", "Placement", "Platforms"), "[]",
	    "{\"TaskTemplate\":{\"Placement\":{\"Platforms\":[]}}}");
	set_is("a null root becomes an object", " null", P("a"), "1",
	    " {\"a\":1}");
	set_is("a null target is simply replaced", "{\"a\":null}", P("a"),
	    "{}", "{\"a\":{}}");
	set_is("a target of another type is replaced", "{\"a\":[1,2]}",
	    P("a"), "\"s\"", "{\"a\":\"s\"}");
	set_is("the last duplicate is the one replaced",
	    "{\"a\":1,\"a\":2}", P("a"), "3", "{\"a\":1,\"a\":3}");
	set_is("an empty path replaces the whole value", "  {\"a\":1} ",
	    ROOT, "2", "  2 ");
	set_is("a created key is JSON-quoted", "{}", P("we\"ird\\"), "1",
	    "{\"we\\\"ird\\\\\":1}");
	set_is("an existing escaped key is found, not duplicated",
	    "{\"Im\\u0061ge\":\"a\"}", P("Image"), "\"b\"",
	    "{\"Im\\u0061ge\":\"b\"}");

	set_fails("a number on the path fails", "{\"a\":1}", P("a", "b"), "1");
	set_fails("a string on the path fails", "{\"a\":\"x\"}", P("a", "b"),
	    "1");
	set_fails("an array on the path fails", "{\"a\":[]}", P("a", "b"),
	    "1");
	set_fails("an array root fails", "[]", P("a"), "1");
	set_fails("malformed text fails", "{\"a\":{}", P("a", "b"), "1");
	set_fails("trailing garbage fails", "{\"a\":1}x", P("a"), "2");
	set_fails("a key that is not UTF-8 fails", "{}", P("\xff"), "1");
	set_fails("more than JSON_DEPTH_MAX keys fail", "{}",
	    P("a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
	    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
	    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
	    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
	    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a"),
	    "1");

	/* Overflow: the result of {"a":1} -> {"a":22} is 8 bytes. */
	r = set("{\"a\":1}", P("a"), "22", 8);
	is_str(r, "{\"a\":22}", "a result of exactly max bytes fits");
	free(r);
	r = set("{\"a\":1}", P("a"), "22", 7);
	ok(r == NULL, "a result one byte over max fails");
	free(r);
	r = set("{}", P("a", "b"), "1", 10);
	ok(r == NULL, "overflow while building a created chain fails");
	free(r);

	/* json_set appends to what out already holds. */
	buf_init(&b, 64);
	buf_addstr(&b, "pre:");
	p = dup_n("{\"a\":1}", 7);
	ok(json_set(&b, p, 7, P("a"), "2", 1) == 0 &&
	    strcmp(buf_str(&b), "pre:{\"a\":2}") == 0,
	    "json_set appends after existing content");
	ok(json_set(&b, p, 6, P("a"), "2", 1) == -1 &&
	    strcmp(buf_str(&b), "pre:{\"a\":2}") == 0,
	    "malformed (truncated) text fails and leaves out alone");
	free(p);
	buf_free(&b);
}

static void
test_depth(void)
{
	enum { HUGE = 100000 };
	char *deep = malloc(2 * HUGE + 8);
	size_t i, k;

	if (deep == NULL)
		return;
	/* JSON_DEPTH_MAX arrays nest fine, one more does not. */
	for (k = JSON_DEPTH_MAX; k <= JSON_DEPTH_MAX + 1; k++) {
		for (i = 0; i < k; i++) {
			deep[i] = '[';
			deep[k + i] = ']';
		}
		is_int(check_n(deep, 2 * k, JSON_DEPTH_MAX),
		    k == JSON_DEPTH_MAX ? 0 : -1, "%zu nested arrays", k);
		is_int(check_n(deep, 2 * k, INT_MAX),
		    k == JSON_DEPTH_MAX ? 0 : -1,
		    "%zu nested arrays with maxdepth INT_MAX (capped)", k);
	}

	/* Objects along a path: 64 levels found, 65 rejected. */
	for (k = JSON_DEPTH_MAX; k <= JSON_DEPTH_MAX + 1; k++) {
		struct json_span sp;
		const char *path[JSON_DEPTH_MAX + 2];
		char *p;
		size_t n = 0;

		/* {"a":{"a": ... 1}}: k objects, path of k keys. */
		for (i = 0; i < k; i++) {
			memcpy(deep + n, "{\"a\":", 5);
			n += 5;
			path[i] = "a";
		}
		path[k] = NULL;
		deep[n++] = '1';
		for (i = 0; i < k; i++)
			deep[n++] = '}';
		p = dup_n(deep, n);
		is_int(json_find(p, n, path, &sp), k == JSON_DEPTH_MAX ? 0 : -1,
		    "a value inside %zu nested objects", k);
		free(p);
	}

	/* 100000 opening brackets fail cleanly, without recursion. */
	memset(deep, '[', HUGE);
	is_int(check_n(deep, HUGE, JSON_DEPTH_MAX), -1, "100000 '[' fail");
	memset(deep + HUGE, ']', HUGE);
	is_int(check_n(deep, 2 * HUGE, JSON_DEPTH_MAX), -1,
	    "100000 balanced brackets fail");
	for (i = 0; i + 5 <= HUGE; i += 5)
		memcpy(deep + i, "{\"a\":", 5);
	{
		struct json_span sp;
		char *p = dup_n(deep, i);

		is_int(json_find(p, i, P("a", "a"), &sp), -1,
		    "20000 nested objects fail in json_find");
		free(p);
	}
	free(deep);

	/* json_check's maxdepth. */
	is_int(check_n("1", 1, 0), 0, "a scalar is 0 deep");
	is_int(check_n("[]", 2, 0), -1, "[] exceeds maxdepth 0");
	is_int(check_n("[]", 2, 1), 0, "[] is 1 deep");
	is_int(check_n("[[]]", 4, 1), -1, "[[]] exceeds maxdepth 1");
	is_int(check_n("[{},[]]", 7, 2), 0, "siblings do not add depth");
	is_int(check_n("{\"a\":{}}", 8, 2), 0, "{\"a\":{}} is 2 deep");
	is_int(check_n("{\"a\":{}}", 8, 1), -1, "{\"a\":{}} exceeds 1");
	is_int(check_n("1", 1, -1), -1, "a negative maxdepth fails");
}

static void
test_grammar(void)
{
	static const char *const good[] = {
		"0", "-0", "1.5", "-1.5e-3", "1E10", "1e+2", "0.15",
		"9007199254740993", "18446744073709551615", "123456789",
		"true", "false", "null", "\"\"",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
		"\"\\u00e9\\u20AC\"",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
		"\"\x7f\"", "\"\\ud800\"", "[]", "{}",
		"[1,\"a\",{},[],null]", "{\"a\":1,\"b\":[true,false]}",
		" \t\r\n{ \"a\" : [ 1 , 2 ] } \t\r\n", "{\"\":0}",
		"\"{\\\"not\\\": json}\"",
	};
	static const char *const bad[] = {
		/* empty, numbers, literals */
		"", " ", "01", "-01", "-", "1.", "1e", "1e+", "1E-", "+1",
		".5", "1.e3", "0x10", "NaN", "Infinity", "-Infinity", "tru",
		"True", "nul", "nulll", "falsey", "truefalse", "TRUE", "nan",
		"[-]",
		/* strings: escapes, control bytes, UTF-8 */
		"\"abc", "\"\\x\"", "\"\\'\"", "\"\\u12\"",
		"\"\\u12G4\"", "\"\\u\"", "\"\\", "\"\n\"", "\"\t\"",
		"\"\x01\"", "\"\x1f\"", "\"\xff\"", "\"\xc0\x80\"",
		"\"\xed\xa0\x80\"", "\"\xe2\x82\"", "\"\xf4\x90\x80\x80\"",
		"\"\x80\"", "'a'",
		/* structure and trailing garbage */
		"{} x", "1 2", "{}}", "[]]", "\"a\"\"b\"", "[1,]", "{\"a\":1,}",
		"{\"a\"}", "{\"a\":}", "{1:2}", "{'a':1}", "[1 2]",
		"{\"a\":1 \"b\":2}", "{,}", "[,]", "]", "[", "{", "}",
		"{\"a\":1]", "[1}", "{\"a\"1}", "{\"a\" \"b\"}", "[\"a\":1]",
		"[1,,2]", "{\"a\":1,,}", "//c\n1", "/*c*/1",
		/* whitespace other than the four JSON kinds */
		"\f1", "1\f", "\v1", "[1,\v2]", "\xc2\xa0\x31",
		"\xef\xbb\xbf{}",
	};
	static const char nul_arr[] = "[1,\0 2]";
	static const char nul_str[] = "\"a\0b\"";
	static const char nul_tail[] = "{}\0";
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		is_int(check(good[i]), 0, "valid: %s",
		    show(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(check(bad[i]), -1, "invalid: %s",
		    show(bad[i], strlen(bad[i])));
	is_int(check_n(nul_arr, sizeof(nul_arr) - 1, JSON_DEPTH_MAX), -1,
	    "a NUL between values is not whitespace");
	is_int(check_n(nul_str, sizeof(nul_str) - 1, JSON_DEPTH_MAX), -1,
	    "a raw NUL in a string is a control byte");
	is_int(check_n(nul_tail, sizeof(nul_tail) - 1, JSON_DEPTH_MAX), -1,
	    "a NUL after the value is trailing garbage");
	is_int(check_n("{}", 0, JSON_DEPTH_MAX), -1, "n = 0 is empty");
	/* Valid text cut short at every length is invalid (and, under
	 * ASan, never read past its end). */
	{
		static const char doc[] = "{\"a\":[1.5e3,\"\\u00e9\\ud83d"
		    "\\ude00\",true,false,null,{}]}";
		int all = 1;

		for (i = 0; i < sizeof(doc) - 1; i++)
			if (check_n(doc, i, JSON_DEPTH_MAX) != -1)
				all = 0;
		ok(all, "every proper prefix of a document is rejected");
		is_int(check_n(doc, sizeof(doc) - 1, JSON_DEPTH_MAX), 0,
		    "and the whole document is accepted");
	}
	/* A number may end exactly at n. */
	is_int(check_n("12", 2, 0), 0, "a number ending at n");
	is_int(check_n("12", 1, 0), 0, "only n bytes are read: \"1\"");
}

static void
test_string(void)
{
	struct buf b;
	struct json_span sp;
	char *p;

	decodes("\"plain\"", "plain", 5);
	decodes("\"\"", "", 0);
	decodes("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8);
	decodes("\"\\u0041\"", "A", 1);
	decodes("\"\\u00e9\\u00E9\"", "\xc3\xa9\xc3\xa9", 4);
	decodes("\"\\u20ac\"", "\xe2\x82\xac", 3);
	decodes("\"\\uffff\"", "\xef\xbf\xbf", 3);
	decodes("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);
	decodes("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf", 4);
	decodes("\"\xc3\xa9 raw\"", "\xc3\xa9 raw", 6);
	decodes("\"\\u007f\\u0001\"", "\x7f\x01", 2);
	decode_fails("\"\\ud800\"");
	decode_fails("\"\\udc00\"");
	decode_fails("\"\\ud800x\"");
	decode_fails("\"\\ud800\\u0041\"");
	decode_fails("\"\\ude00\\ud83d\"");
	decode_fails("\"\\ud83d\\ud83d\"");
	decode_fails("\"a\\u0000b\"");
	decode_fails("1");

	/* Hand-made spans: json_string checks them on its own. */
	buf_init(&b, 64);
	p = dup_n("\"ab\\\"", 5);
	sp.off = 0;
	sp.len = 5;
	sp.type = JSON_STRING;
	is_int(json_string(p, &sp, &b), -1,
	    "an escaped final quote does not close the string");
	free(p);
	p = dup_n("\"a\"b\"", 5);
	is_int(json_string(p, &sp, &b), -1, "a bare quote inside fails");
	free(p);
	p = dup_n("\"a\nb\"", 5);
	is_int(json_string(p, &sp, &b), -1, "a raw newline inside fails");
	free(p);
	p = dup_n("\"\\", 2);
	sp.len = 2;
	is_int(json_string(p, &sp, &b), -1, "a lone backslash fails");
	free(p);
	p = dup_n("\"\\u00\"", 6);
	sp.len = 6;
	is_int(json_string(p, &sp, &b), -1, "a short \\u escape fails");
	free(p);
	p = dup_n("\"", 1);
	sp.len = 1;
	is_int(json_string(p, &sp, &b), -1, "a one-byte span fails");
	free(p);
	p = dup_n("xabx", 4);
	sp.len = 4;
	is_int(json_string(p, &sp, &b), -1, "an unquoted span fails");
	free(p);
	ok(b.len == 0, "failed decodes appended nothing");

	/* Appends to existing content. */
	buf_addstr(&b, "pre:");
	ok(decode("\"x\\u00e9\"", &b) == 0 &&
	    strcmp(buf_str(&b), "pre:x\xc3\xa9") == 0,
	    "json_string appends");
	ok(decode("\"\\ud800\"", &b) == -1 &&
	    strcmp(buf_str(&b), "pre:x\xc3\xa9") == 0,
	    "a failed decode leaves out as it was");
	buf_free(&b);

	buf_init(&b, 3);
	ok(decode("\"abcd\"", &b) == -1, "json_string overflow fails");
	buf_free(&b);
	buf_init(&b, 4);
	ok(decode("\"abcd\"", &b) == 0, "json_string exactly at max fits");
	buf_free(&b);
}

static void
test_quote(void)
{
	static const char ctl[] = "a\nb\tc\x01\x1f\0d";
	struct buf b;
	char *p;

	quotes("plain text", "abc", 3, "\"abc\"");
	quotes("the empty string", "", 0, "\"\"");
	quotes("quote and backslash", "a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	quotes("control bytes and NUL", ctl, sizeof(ctl) - 1,
	    "\"a\\u000ab\\u0009c\\u0001\\u001f\\u0000d\"");
	quotes("UTF-8, DEL and '/' unchanged",
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f/", 11,
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f/\"");

	buf_init(&b, 64);
	buf_addstr(&b, "x");
	p = dup_n("a\xff", 2);
	ok(json_quote(&b, p, 2) == -1 && strcmp(buf_str(&b), "x") == 0,
	    "invalid UTF-8 fails and leaves out as it was");
	free(p);
	p = dup_n("\xed\xa0\x80", 3);
	ok(json_quote(&b, p, 3) == -1, "an encoded surrogate fails");
	free(p);
	p = dup_n("\xe2\x82", 2);
	ok(json_quote(&b, p, 2) == -1, "a truncated sequence fails");
	free(p);
	buf_free(&b);

	buf_init(&b, 4);
	ok(json_quote(&b, "abc", 3) == -1, "json_quote overflow fails");
	buf_free(&b);

	/* Round trip through json_string. */
	{
		static const char orig[] = "he said \"hi\\\"\n\x01\xc3\xa9";
		struct json_span sp;

		buf_init(&b, 256);
		json_quote(&b, orig, sizeof(orig) - 1);
		sp.off = 0;
		sp.len = b.len;
		sp.type = JSON_STRING;
		p = buf_take(&b, NULL);
		buf_init(&b, 256);
		ok(check(p) == 0 && json_string(p, &sp, &b) == 0 &&
		    b.len == sizeof(orig) - 1 &&
		    memcmp(buf_str(&b), orig, b.len) == 0,
		    "json_quote then json_string gives the input back");
		free(p);
		buf_free(&b);
	}
}

int
main(void)
{
	test_find();
	test_set();
	test_depth();
	test_grammar();
	test_string();
	test_quote();
	return tap_done();
}
