/* test-template.c: unit tests for the Go text/template subset */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "template.h"
#include "../tap.h"

static const char *const fields[] = { "Artifact", "ServiceName", "Tag",
	NULL };
static const char *const values[] = { "me/blog:v1.12", "blog", NULL };

/* Renders n bytes of src with the fields above; NULL on compile error. */
static char *
render_n(const char *src, size_t n, const char *const *vals, char *err,
    size_t errlen)
{
	struct tpl *t;
	struct buf b;

	if ((t = tpl_compile(src, n, fields, err, errlen)) == NULL)
		return NULL;
	buf_init(&b, 1 << 20);
	if (tpl_render(t, vals, &b) == -1) {
		tpl_free(t);
		buf_free(&b);
		return strdup("(render failed)");
	}
	tpl_free(t);
	return buf_take(&b, NULL);
}

/* Expects src to compile and render as want. */
static void
check(const char *src, const char *want, const char *name)
{
	char err[256];
	char *got;

	got = render_n(src, strlen(src), values, err, sizeof(err));
	if (got == NULL)
		printf("# compile error: %s\n", err);
	is_str(got, want, "%s", name);
	free(got);
}

/* Expects src to fail to compile with a message that contains each of
 * the (up to two) given substrings. */
static void
check_errn(const char *src, size_t n, const char *want1, const char *want2,
    const char *name)
{
	char err[256];
	struct tpl *t;
	int good;

	memset(err, 'x', sizeof(err));
	t = tpl_compile(src, n, fields, err, sizeof(err));
	good = t == NULL && memchr(err, '\0', sizeof(err)) != NULL &&
	    strncmp(err, "template: offset ", 17) == 0 &&
	    (want1 == NULL || strstr(err, want1) != NULL) &&
	    (want2 == NULL || strstr(err, want2) != NULL);
	ok(good, "%s", name);
	if (!good)
		printf("#   compiled: %s, err: '%.*s'\n", t ? "yes" : "no",
		    (int)sizeof(err), err);
	tpl_free(t);
}

static void
check_err(const char *src, const char *want1, const char *want2,
    const char *name)
{
	check_errn(src, strlen(src), want1, want2, name);
}

/* Minimal base64 decoder, to show the README example byte for byte. */
static size_t
b64dec(const char *in, char *out)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned v = 0;
	int bits = 0;
	size_t n = 0;
	const char *p;

	for (; *in != '\0' && *in != '='; in++) {
		if ((p = strchr(al, *in)) == NULL)
			return 0;
		v = (v << 6) | (unsigned)(p - al);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[n++] = (char)((v >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return n;
}

static void
test_readme(void)
{
	char src[128], err[256];
	struct tpl *t;
	struct buf b;
	size_t n;

	n = b64dec("IkkganVzdCBkZXBsb3llZCB7ey5BcnRpZmFjdH19IGZvciB7ey5TZXJ2"
	    "aWNlTmFtZX19", src);
	is_str(src, "\"I just deployed {{.Artifact}} for {{.ServiceName}}",
	    "README template decodes as documented (leading quote)");
	t = tpl_compile(src, n, fields, err, sizeof(err));
	ok(t != NULL, "README template compiles");
	if (t == NULL)
		return;
	buf_init(&b, 1024);
	is_int(tpl_render(t, values, &b), 0, "README template renders");
	is_str(buf_str(&b), "\"I just deployed me/blog:v1.12 for blog",
	    "README template renders exactly as the Go program did");
	buf_reset(&b);
	is_int(tpl_render(t, values, &b), 0, "second render succeeds");
	is_str(buf_str(&b), "\"I just deployed me/blog:v1.12 for blog",
	    "compiled template renders the same twice");
	ok(tpl_uses(t, 0) && tpl_uses(t, 1), "README uses Artifact and "
	    "ServiceName");
	ok(!tpl_uses(t, 2), "README does not use Tag");
	ok(!tpl_uses(t, 3) && !tpl_uses(t, (size_t)-1),
	    "tpl_uses is 0 for an index beyond the field list");
	buf_free(&b);
	tpl_free(t);
}

static void
test_render(void)
{
	const char *const nulls[] = { NULL, NULL, NULL };
	const char *const hostile[] = { "{{.ServiceName}}", "<b>&\"%s%n",
		NULL };
	char err[256], *got;

	check("", "", "empty template renders empty");
	check("no actions here", "no actions here", "plain text");
	check("{{ .ServiceName }}", "blog", "spaces inside the action");
	check("{{\t.ServiceName\n}}", "blog", "tab and newline in the action");
	check("{{   .ServiceName   }}", "blog", "runs of spaces in the action");
	check("{{.Artifact}}{{.ServiceName}}", "me/blog:v1.12blog",
	    "adjacent actions");
	check("{{.ServiceName}}/{{.ServiceName}}", "blog/blog",
	    "a field used twice");
	check("[{{.Tag}}]", "[]", "NULL value renders empty");
	check("a { b } c }} d {", "a { b } c }} d {",
	    "lone braces and }} in text are text");
	check("{.ServiceName}", "{.ServiceName}", "single braces are text");
	check("{{.ServiceName}}}", "blog}", "} after an action is text");
	check("{ {{.ServiceName}}", "{ blog", "{ before an action is text");
	check("x}", "x}", "} at the end is text");
	check("x{", "x{", "{ at the end is text");
	check("}}}}}}", "}}}}}}", "runs of } are text");

	/* Trim markers, as Go's lexer applies them. */
	check("a  \n\t{{- .ServiceName -}}\r\n  b", "ablogb",
	    "{{- and -}} trim all adjacent white space");
	check("a  {{- .ServiceName}}  b", "ablog  b", "{{- trims only before");
	check("a  {{.ServiceName -}}  b", "a  blogb", "-}} trims only after");
	check("a \n{{-\t.ServiceName\n-}} b", "ablogb",
	    "trim markers accept tab and newline as the space");
	check("a\v\f {{- .ServiceName}}", "a\v\fblog",
	    "trim stops at \\v and \\f (not Go space characters)");
	check("x {{.Artifact -}} {{- .ServiceName}} y",
	    "x me/blog:v1.12blog y", "trims meet between two actions");
	check("{{.Artifact}} {{- .ServiceName}}", "me/blog:v1.12blog",
	    "{{- does not reach into the previous action");
	check("l1\n\n  {{- .Tag -}}\n\nl2", "l1l2",
	    "trim removes several lines of white space");
	check("   {{- .ServiceName -}}   ", "blog",
	    "trim at the start and end of the template");
	check("{{- .ServiceName -}}", "blog", "trim with no text around");
	check("a {{- /* c */ -}} b", "ab", "comment with both trim markers");
	check("a {{/* c */ -}} b", "a b", "comment with a right trim marker");
	check("a {{- /* c */}} b", "a b", "comment with a left trim marker");

	/* Comments. */
	check("a{{/* c */}}b", "ab", "comment renders nothing");
	check("a{{/**/}}b", "ab", "empty comment");
	check("{{/* }} {{.Nope}} {{ */}}x", "x",
	    "comment may contain delimiters and unknown fields");
	check("{{/* line1\nline2 */}}", "", "multi-line comment");
	check("{{/* a */}}{{/* b */}}{{.ServiceName}}", "blog",
	    "consecutive comments");

	/* Values are data, never template or format text. */
	got = render_n("{{.Artifact}}|{{.ServiceName}}", 30, hostile, err,
	    sizeof(err));
	is_str(got, "{{.ServiceName}}|<b>&\"%s%n",
	    "values are copied verbatim, not re-parsed or escaped");
	free(got);
	got = render_n("[{{.Artifact}}]", 15, nulls, err, sizeof(err));
	is_str(got, "[]", "all-NULL values render empty");
	free(got);
	got = render_n("[{{.Artifact}}]", 15, NULL, err, sizeof(err));
	is_str(got, "[]", "a NULL values array renders fields empty");
	free(got);
}

static void
test_bytes(void)
{
	static const char src[] = "a\0b{{.ServiceName}}\xff\xfe";
	char err[256];
	struct tpl *t;
	struct buf b;
	char *copy;

	t = tpl_compile(src, sizeof(src) - 1, fields, err, sizeof(err));
	ok(t != NULL, "NUL and non-UTF-8 bytes in text compile");
	buf_init(&b, 64);
	ok(t != NULL && tpl_render(t, values, &b) == 0 && b.len == 9 &&
	    memcmp(b.data, "a\0bblog\xff\xfe", 9) == 0,
	    "NUL and non-UTF-8 bytes in text are kept");
	buf_free(&b);
	tpl_free(t);

	/* The template must not point into the caller's source. */
	copy = strdup("pre {{.ServiceName}} post");
	t = tpl_compile(copy, strlen(copy), fields, err, sizeof(err));
	memset(copy, '#', strlen(copy));
	free(copy);
	buf_init(&b, 64);
	ok(t != NULL && tpl_render(t, values, &b) == 0 &&
	    strcmp(buf_str(&b), "pre blog post") == 0,
	    "template owns its text after the source is freed");
	buf_free(&b);
	tpl_free(t);

	t = tpl_compile(NULL, 0, fields, err, sizeof(err));
	buf_init(&b, 64);
	ok(t != NULL && tpl_render(t, values, &b) == 0 && b.len == 0,
	    "NULL source of length 0 is an empty template");
	buf_free(&b);
	tpl_free(t);
	ok(tpl_compile(NULL, 3, fields, err, sizeof(err)) == NULL,
	    "NULL source with a length is an error");
}

/* What the old engine refused and Go's text/template renders. */
static void
test_language(void)
{
	check("{{if .Artifact}}x{{end}}", "x", "if");
	check("{{if .Tag}}x{{else}}y{{end}}", "y", "if else (NULL is \"\")");
	check("{{if .Tag}}a{{else if .ServiceName}}b{{else}}c{{end}}", "b",
	    "else if");
	check("{{with .ServiceName}}[{{.}}]{{end}}", "[blog]", "with");
	check("{{define \"x\"}}<{{.}}>{{end}}{{template \"x\" .ServiceName}}",
	    "<blog>", "define and template");
	check("{{block \"x\" .ServiceName}}({{.}}){{end}}", "(blog)", "block");
	check("{{.Artifact | printf \"%q\"}}", "\"me/blog:v1.12\"",
	    "pipe with spaces");
	check("{{.ServiceName|html}}", "blog", "pipe, no spaces");
	check("{{printf \"%s\" .Artifact}}", "me/blog:v1.12", "printf");
	check("{{html \"<a&b>\"}}", "&lt;a&amp;b&gt;", "html");
	check("{{js \"a'b\\\"<\"}}", "a\\'b\\\"\\u003C", "js");
	check("{{urlquery \"a b&c\"}}", "a+b%26c", "urlquery");
	check("{{$x := .ServiceName}}{{$x}}/{{$}}", "blog/{me/blog:v1.12 blog }",
	    "variables and $");
	check("{{$x := 1}}{{$x = 2}}{{$x}}", "2", "assignment");
	check("{{\"lit\"}}{{`raw`}}{{'c'}}", "litraw99", "literals");
	check("{{.}}", "{me/blog:v1.12 blog }", "bare dot is the struct");
	check("{{ . }}", "{me/blog:v1.12 blog }", "bare dot, spaced");
	check("{{3}}{{-3}}{{0x10}}", "3-316", "numbers");
	check("{{(.ServiceName)}}", "blog", "parentheses");
	check("{{len .Artifact}} {{index .Artifact 0}} {{slice .Artifact 3 7}}",
	    "13 109 blog", "len, index, slice");
	check("{{and .ServiceName .Tag}}|{{or .Tag .ServiceName}}|{{not .Tag}}",
	    "|blog|true", "and, or, not");
	check("{{eq .ServiceName \"blog\"}} {{ne 1 2}} {{lt \"a\" \"b\"}}",
	    "true true true", "eq, ne, lt");
	check("{{print 1 2 \"a\" \"b\"}}|{{println .ServiceName}}", "1 2ab|blog\n",
	    "print, println");
	check("{{printf \"%5.2s|%-4d|%x|%c|%U\" \"abc\" 7 \"hi\" 233 233}}",
	    "   ab|7   |6869|\xc3\xa9|U+00E9", "printf verbs and flags");
	check("{{printf \"%d\" \"x\"}}", "%!d(string=x)", "printf bad verb");
	check("{{if .Artifact -}}\n  yes\n{{- end}}", "yes",
	    "trim markers inside if");
}

static void
test_errors(void)
{
	check_err("{{.Artefact}}", "offset 2", "unknown field .Artefact",
	    "unknown field is an error, not a blank");
	check_err("{{.artifact}}", "unknown field .artifact", NULL,
	    "field names are case-sensitive");
	check_err("ok {{.ServiceName}} then {{.Bad}}", "offset 27",
	    "unknown field .Bad", "error offset points at the field");
	check_err("{{if false}}{{.Nope}}{{end}}", "unknown field .Nope", NULL,
	    "unknown field even where the branch does not run");
	check_err("{{.Artifact.Name}}", "unknown field .Name", NULL,
	    "nested field");
	check_err("{{nosuch .Artifact}}", "function \"nosuch\" not defined",
	    NULL, "unknown function");
	check_err("{{.Artifact", "unclosed action", NULL,
	    "unclosed {{ (EOF after field)");
	check_err("abc {{", "unclosed action", NULL, "{{ at the end");
	check_err("{{.Artifact}", "bad character", NULL,
	    "action closed by one brace");
	check_err("{{}}", "missing value", NULL, "{{}} is empty");
	check_err("{{ }}", "missing value", NULL, "{{ }} is empty");
	check_err("{{- -}}", "bad number", NULL, "{{- -}} is a bad number");
	check_err("{{end}}", "unexpected {{end}}", NULL, "end");
	check_err("{{else}}", "unexpected {{else}}", NULL, "else");
	check_err("{{if .Artifact}}x", "missing {{end}}", NULL, "if without end");
	check_err("{{range .Artifact}}{{end}}", "range", NULL,
	    "range over a string");
	check_err("{{call .Artifact}}", "call", NULL, "call of a string");
	check_err("{{template \"x\"}}", "no template named \"x\"", NULL,
	    "template not defined");
	check_err("{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}",
	    "never end", NULL, "endless recursion");
	check_err("{{len 3}}", "len", NULL, "len of a number");
	check_err("{{eq .Artifact 1}}", "comparison", NULL,
	    "eq of a string and a number");
	check_err("{{printf 1}}", "string", NULL, "printf's format");
	check_err("{{index .Artifact 0 0}}", "index", NULL, "index of a byte");
	check_err("{{slice}}", "wrong number of arguments for slice", NULL,
	    "arity");
	check_err("{{nil}}", "nil is not a command", NULL, "nil");
	check_err("{{.Artifact .ServiceName}}", "cannot take arguments",
	    NULL, "field with an argument");
	check_err("{{$x}}", "undefined variable", NULL, "undefined variable");
	check_err("{{1.5}}", "floating-point", NULL, "float constant");
	check_err("{{.5}}", "floating-point", NULL, ".5 is a number");
	check_err("{{9223372036854775808}}", "overflows int", NULL,
	    "integer overflow");
	check_err("{{.1abc}}", "bad number", NULL, "field starting with digit");
	check_err("{{.Arti-fact}}", "bad character", NULL, "dash in name");
	check_err("{{.Artifact-}}", "bad character", NULL,
	    "-}} without a space is not a trim marker");
	check_err("{{.Artifact - }}", "bad number", NULL, "dash then space");
	check_err("a {{-.Artifact}}", "bad number", NULL,
	    "{{- without a space is not a trim marker");
	check_err("{{.\xc3\x84rtifact}}", "unknown field", NULL,
	    "non-ASCII field name (a letter in Go)");
	check_err("{{.Artifact\v}}", "bad character", NULL,
	    "\\v is not a space inside an action");
	check_errn("{{.Artifact\0}}", 15, "bad character", NULL,
	    "NUL inside an action");
	check_err("{{{.Artifact}}", "unexpected \"{\"", NULL, "{{{");
	check_err("{{@}}", "unexpected \"@\"", NULL, "punctuation");
	check_err("{{define \"a\"}}1{{end}}{{define \"a\"}}2{{end}}",
	    "multiple definition", NULL, "a template defined twice");

	/* Comment errors, per Go's lexComment. */
	check_err("{{/* c */ }}", "comment ends before closing", NULL,
	    "space before }} after a comment");
	check_err("{{/* c */-}}", "comment ends before closing", NULL,
	    "-}} without space after a comment");
	check_err("x {{/* c", "offset 4", "unclosed comment",
	    "unclosed comment");
	check_err("{{/*/}}", "unclosed comment", NULL,
	    "/*/ does not close itself");
	check_err("{{ /* c */ }}", "unexpected \"/\"", NULL,
	    "comment must follow {{ directly");
	check_err("{{-/* c */}}", "bad number", NULL,
	    "{{-/* is not a trimmed comment");
}

/* Execution errors and limits at run time. */
static void
test_exec_errors(void)
{
	const char *rec;
	char err[256];
	struct tpl *t;
	struct buf b;

	t = tpl_compile("{{index .Artifact 99}}", 22, fields, err,
	    sizeof(err));
	ok(t != NULL, "index with a constant compiles");
	buf_init(&b, 1024);
	errno = 0;
	ok(t != NULL && tpl_render_err(t, values, &b, err, sizeof(err)) == -1 &&
	    errno == EINVAL && strstr(err, "index out of range") != NULL,
	    "index out of range fails when rendered, with EINVAL");
	buf_free(&b);
	tpl_free(t);
	rec = "{{define \"r\"}}{{if .}}x{{template \"r\" .}}{{end}}{{end}}"
	    "{{template \"r\" .ServiceName}}";
	t = tpl_compile(rec, strlen(rec), fields, err, sizeof(err));
	ok(t != NULL, "conditional recursion compiles");
	buf_init(&b, 1 << 20);
	ok(t != NULL && tpl_render_err(t, values, &b, err, sizeof(err)) == -1 &&
	    strstr(err, "nested more than 200") != NULL,
	    "recursion stops at the depth limit with a clear error");
	buf_free(&b);
	tpl_free(t);
}

static void
test_error_buffers(void)
{
	const char *const none[] = { NULL };
	char small[12], big[2048], err[256];
	struct tpl *t;
	size_t i;

	memset(small, 'x', sizeof(small));
	t = tpl_compile("{{.Nope}}", 9, fields, small, sizeof(small));
	ok(t == NULL && small[sizeof(small) - 1] == '\0' &&
	    strlen(small) == sizeof(small) - 1,
	    "message is truncated to a small err buffer");
	ok(tpl_compile("{{.Nope}}", 9, fields, NULL, 0) == NULL,
	    "NULL err buffer is allowed");
	memset(small, 'x', sizeof(small));
	ok(tpl_compile("{{.Nope}}", 9, fields, small, 0) == NULL &&
	    small[0] == 'x', "errlen 0 writes nothing");

	/* A 1000-byte unknown name is shown truncated. */
	memcpy(big, "{{.", 3);
	for (i = 3; i < 1003; i++)
		big[i] = 'A';
	memcpy(big + 1003, "}}", 3);
	t = tpl_compile(big, strlen(big), fields, err, sizeof(err));
	ok(t == NULL && strlen(err) < 120, "long unknown name is truncated "
	    "in the message");

	ok(tpl_compile("{{.Artifact}}", 13, NULL, err, sizeof(err)) == NULL,
	    "NULL fields list: every field is unknown");
	ok(tpl_compile("{{.Artifact}}", 13, none, err, sizeof(err)) == NULL,
	    "empty fields list: every field is unknown");
	t = tpl_compile("text only", 9, NULL, err, sizeof(err));
	ok(t != NULL, "NULL fields list with no actions compiles");
	tpl_free(t);
	t = tpl_compile("x", 1, fields, err, sizeof(err));
	ok(t != NULL && err[0] == '\0', "err is emptied on success");
	tpl_free(t);
}

static void
test_limits(void)
{
	const size_t max = 64 * 1024;
	char err[256], *src;
	struct tpl *t;
	struct buf b;
	size_t i;

	src = malloc(max + 1);
	if (src == NULL)
		return;
	memset(src, 'x', max + 1);
	t = tpl_compile(src, max, fields, err, sizeof(err));
	ok(t != NULL, "template of exactly 64 KiB compiles");
	tpl_free(t);
	t = tpl_compile(src, max + 1, fields, err, sizeof(err));
	ok(t == NULL && strstr(err, "64 KiB") != NULL,
	    "template over 64 KiB is refused");

	/* 8192 actions of 8 bytes fill 64 KiB: the op array grows. */
	for (i = 0; i + 8 <= max; i += 8)
		memcpy(src + i, "{{.Tag}}", 8);
	t = tpl_compile(src, max, fields, err, sizeof(err));
	ok(t != NULL && tpl_uses(t, 2) && !tpl_uses(t, 0),
	    "8192 actions compile");
	buf_init(&b, 16);
	ok(t != NULL && tpl_render(t, values, &b) == 0 && b.len == 0,
	    "8192 NULL fields render empty");
	buf_free(&b);
	tpl_free(t);

	memset(src, '{', max);
	ok(tpl_compile(src, max, fields, err, sizeof(err)) == NULL,
	    "64 KiB of { is an unclosed action, not a crash");
	for (i = 0; i + 2 <= max; i += 2)
		memcpy(src + i, "{{", 2);
	src[max - 2] = '}';
	src[max - 1] = '}';
	ok(tpl_compile(src, max, fields, err, sizeof(err)) == NULL,
	    "nested {{ is an error");
	free(src);
}

static void
test_overflow(void)
{
	const char *const longv[] = { "0123456789abcdef", "b", NULL };
	char err[256];
	struct tpl *t;
	struct buf b;

	t = tpl_compile("12345{{.ServiceName}}", 21, fields, err,
	    sizeof(err));
	buf_init(&b, 6);
	is_int(tpl_render(t, values, &b), -1, "text+value past max fails");
	is_int(errno, EMSGSIZE, "overflow sets EMSGSIZE");
	buf_free(&b);
	buf_init(&b, 9);
	ok(tpl_render(t, values, &b) == 0 && strcmp(b.data, "12345blog") == 0,
	    "output of exactly max fits");
	buf_free(&b);
	buf_init(&b, 3);
	is_int(tpl_render(t, values, &b), -1, "overflow in text fails");
	buf_free(&b);
	tpl_free(t);

	t = tpl_compile("{{.Artifact}}", 13, fields, err, sizeof(err));
	buf_init(&b, 15);
	is_int(tpl_render(t, longv, &b), -1, "overflow in a value fails");
	buf_free(&b);
	buf_init(&b, 64);
	buf_addstr(&b, ">");
	ok(tpl_render(t, longv, &b) == 0 &&
	    strcmp(b.data, ">0123456789abcdef") == 0,
	    "render appends to what the buffer holds");
	buf_free(&b);
	tpl_free(t);
	is_int(tpl_render(NULL, values, &b), -1, "render of NULL fails");
}

static void
test_uses(void)
{
	char err[256];
	struct tpl *t;

	t = tpl_compile("{{/* {{.Tag}} */}}{{.ServiceName}}", 34, fields,
	    err, sizeof(err));
	ok(t != NULL && !tpl_uses(t, 2) && tpl_uses(t, 1) && !tpl_uses(t, 0),
	    "a field named only in a comment is not used");
	tpl_free(t);
	ok(!tpl_uses(NULL, 0), "tpl_uses(NULL) is 0");
	tpl_free(NULL);
	ok(1, "tpl_free(NULL) is a no-op");
}

int
main(void)
{
	test_readme();
	test_render();
	test_bytes();
	test_language();
	test_errors();
	test_exec_errors();
	test_error_buffers();
	test_limits();
	test_overflow();
	test_uses();
	return tap_done();
}
