/* template.c: notification templates in Go's text/template syntax */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "template.h"

/*
 * The compiler follows Go's text/template lexer (text/template/parse/
 * lex.go: lexText, lexLeftDelim, lexComment, lexRightDelim, lexSpace)
 * for the parts it accepts, so that a template renders byte for byte as
 * the Go program rendered it:
 *
 *   - "{{- " (dash plus one of the four Go space characters) trims all
 *     trailing white space of the preceding text; " -}}" trims all
 *     leading white space of the following text.  "{{-3}}" is a number
 *     in Go, and "{{.X-}}" a bad character; both are errors here.
 *   - A comment starts right after "{{" or "{{- " with slash-star and
 *     ends at the first star-slash after that, which must be followed at
 *     once by "}}" or " -}}".
 *   - Inside an action, runs of space characters separate tokens.
 *
 * The result is a flat array of operations (a text span or a field
 * index), so rendering is one loop with no parsing and no recursion.
 */

/* Longest accepted template: 64 KiB, which also lets offsets fit in
 * uint32_t.  Notification messages are a line or two. */
#define TPL_MAX (64 * 1024)
/* A field name longer than this is shown truncated in messages. */
#define TPL_NAME_SHOW 64
/* op.field value marking a text span. */
#define TPL_TEXT UINT32_MAX

struct tpl_op {
	uint32_t field;	/* index into the compile-time fields, or TPL_TEXT */
	uint32_t off;	/* text: offset into tpl->text */
	uint32_t len;	/* text: length in bytes */
};

struct tpl {
	struct tpl_op *ops;
	size_t nops;
	size_t nfields;	/* length of the fields list at compile time */
	char *text;	/* all text spans, concatenated; not NUL-terminated */
	size_t textlen;
};

/* State of one compilation; err is the caller's message buffer. */
struct tpl_cc {
	const char *src;
	size_t n;
	const char *const *fields;
	size_t nfields;
	struct tpl *t;
	size_t opscap;
	char *err;
	size_t errlen;
};

/* Go's isSpace: exactly these four, not \v or \f. */
static int
tpl_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
tpl_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
tpl_alnum(char c)
{
	return tpl_alpha(c) || (c >= '0' && c <= '9');
}

static int
tpl_prefix(const struct tpl_cc *cc, size_t pos, const char *s)
{
	size_t len = strlen(s);

	return pos <= cc->n && cc->n - pos >= len &&
	    memcmp(cc->src + pos, s, len) == 0;
}

/* Position of the first "a" "b" pair at or after pos, or n. */
static size_t
tpl_find2(const struct tpl_cc *cc, size_t pos, char a, char b)
{
	size_t i;

	for (i = pos; i + 1 < cc->n; i++)
		if (cc->src[i] == a && cc->src[i + 1] == b)
			return i;
	return cc->n;
}

/* "{{- ": Go's hasLeftTrimMarker, at the byte after "{{". */
static int
tpl_left_trim(const struct tpl_cc *cc, size_t pos)
{
	return cc->n - pos >= 2 && cc->src[pos] == '-' &&
	    tpl_space(cc->src[pos + 1]);
}

/*
 * Go's atRightDelim: returns the length of the closing delimiter at pos
 * (2 for "}}", 4 for " -}}"), or 0.  *trim is set for " -}}".
 */
static size_t
tpl_right_delim(const struct tpl_cc *cc, size_t pos, int *trim)
{
	*trim = 0;
	if (cc->n - pos >= 4 && tpl_space(cc->src[pos]) &&
	    cc->src[pos + 1] == '-' && tpl_prefix(cc, pos + 2, "}}")) {
		*trim = 1;
		return 4;
	}
	if (tpl_prefix(cc, pos, "}}"))
		return 2;
	return 0;
}

/* Message "pre" + arglen bytes of arg (at most TPL_NAME_SHOW) + "post". */
static void
tpl_fail(struct tpl_cc *cc, size_t off, const char *pre, const char *arg,
    size_t arglen, const char *post)
{
	if (cc->err == NULL || cc->errlen == 0)
		return;
	snprintf(cc->err, cc->errlen, "template: offset %zu: %s%.*s%s", off,
	    pre, (int)(arglen > TPL_NAME_SHOW ? TPL_NAME_SHOW : arglen), arg,
	    post);
}

/* Plain message without an argument. */
static void
tpl_failx(struct tpl_cc *cc, size_t off, const char *msg)
{
	if (cc->err != NULL && cc->errlen > 0)
		snprintf(cc->err, cc->errlen, "template: offset %zu: %s", off,
		    msg);
}

static struct tpl_op *
tpl_newop(struct tpl_cc *cc)
{
	struct tpl *t = cc->t;
	struct tpl_op *ops;
	size_t cap;

	if (t->nops == cc->opscap) {
		/* At most one op per source byte, so this cannot overflow. */
		cap = cc->opscap ? cc->opscap * 2 : 8;
		ops = reallocarray(t->ops, cap, sizeof(*ops));
		if (ops == NULL) {
			tpl_failx(cc, 0, "out of memory");
			return NULL;
		}
		t->ops = ops;
		cc->opscap = cap;
	}
	return &t->ops[t->nops++];
}

/* Appends src[from, to) as text; empty spans produce no op. */
static int
tpl_add_text(struct tpl_cc *cc, size_t from, size_t to)
{
	struct tpl *t = cc->t;
	struct tpl_op *op;

	if (to <= from)
		return 0;
	if ((op = tpl_newop(cc)) == NULL)
		return -1;
	/* t->text has n bytes and the spans never overlap, so this fits. */
	memcpy(t->text + t->textlen, cc->src + from, to - from);
	op->field = TPL_TEXT;
	op->off = (uint32_t)t->textlen;
	op->len = (uint32_t)(to - from);
	t->textlen += to - from;
	return 0;
}

/*
 * Names what an action starts with, for an error message that says why
 * it is refused instead of a generic "bad action".
 */
static void
tpl_fail_unsupported(struct tpl_cc *cc, size_t pos)
{
	static const char *const kw[] = { "if", "else", "end", "range", "with",
		"define", "template", "block", "break", "continue", "nil",
		"true", "false", NULL };
	const char *s = cc->src + pos;
	size_t len, i;

	if (tpl_alpha(*s)) {
		for (len = 0; pos + len < cc->n && tpl_alnum(s[len]); len++)
			;
		for (i = 0; kw[i] != NULL; i++)
			if (strlen(kw[i]) == len && memcmp(kw[i], s, len) == 0)
				break;
		if (kw[i] != NULL)
			tpl_fail(cc, pos, "\"", s, len, "\" is not supported");
		else
			tpl_fail(cc, pos, "functions are not supported (\"", s,
			    len, "\")");
	} else if (*s == '$')
		tpl_failx(cc, pos, "variables are not supported");
	else if (*s == '"' || *s == '`' || *s == '\'')
		tpl_failx(cc, pos, "literals are not supported");
	else if (*s == '|')
		tpl_failx(cc, pos, "pipelines are not supported");
	else if (*s == '(')
		tpl_failx(cc, pos, "parentheses are not supported");
	else if ((*s >= '0' && *s <= '9') || *s == '-' || *s == '+')
		tpl_failx(cc, pos, "numbers are not supported");
	else
		tpl_failx(cc, pos, "unexpected character in action");
}

/*
 * Compiles the action whose body starts at pos (after "{{" and any "- ")
 * into one field op.  The only accepted body is optional space, ".Name",
 * optional space.  On success *end is just past the closing delimiter.
 */
static int
tpl_action(struct tpl_cc *cc, size_t open, size_t pos, size_t *end,
    int *rtrim)
{
	size_t p = pos, name, namelen, dl, i;
	struct tpl_op *op;

	if (tpl_find2(cc, pos, '}', '}') == cc->n) {
		tpl_failx(cc, open, "unclosed action");
		return -1;
	}
	/* Go checks for the closing delimiter before skipping space, which
	 * is what makes "{{ -}}" an empty action and not a number. */
	while ((dl = tpl_right_delim(cc, p, rtrim)) == 0 && p < cc->n &&
	    tpl_space(cc->src[p]))
		p++;
	if (dl != 0) {
		tpl_failx(cc, open, "empty action");
		return -1;
	}
	if (p == cc->n) {
		tpl_failx(cc, open, "unclosed action");
		return -1;
	}
	if (cc->src[p] != '.') {
		tpl_fail_unsupported(cc, p);
		return -1;
	}
	name = p + 1;
	if (name == cc->n || !tpl_alnum(cc->src[name])) {
		if (name < cc->n && (unsigned char)cc->src[name] >= 0x80)
			tpl_failx(cc, name, "field names must be ASCII "
			    "identifiers");
		else
			tpl_failx(cc, p, "only {{.Field}} is supported");
		return -1;
	}
	if (!tpl_alpha(cc->src[name])) {
		/* ".5" is a number in Go. */
		tpl_failx(cc, p, "numbers are not supported");
		return -1;
	}
	for (p = name; p < cc->n && tpl_alnum(cc->src[p]); p++)
		;
	namelen = p - name;
	if (p < cc->n && cc->src[p] == '.') {
		tpl_failx(cc, p, "nested fields are not supported");
		return -1;
	}
	if (p < cc->n && (unsigned char)cc->src[p] >= 0x80) {
		tpl_failx(cc, p, "field names must be ASCII identifiers");
		return -1;
	}
	/* Go's atTerminator: the name must end at space or the delimiter. */
	while ((dl = tpl_right_delim(cc, p, rtrim)) == 0 && p < cc->n &&
	    tpl_space(cc->src[p]))
		p++;
	if (dl == 0) {
		if (p == cc->n)
			tpl_failx(cc, open, "unclosed action");
		else if (!tpl_space(cc->src[p - 1]) && cc->src[p] != '|')
			tpl_failx(cc, p, "bad character after field name");
		else if (cc->src[p] == '.' || cc->src[p] == '$' ||
		    tpl_alnum(cc->src[p]))
			tpl_failx(cc, p, "arguments are not supported");
		else
			tpl_fail_unsupported(cc, p);
		return -1;
	}
	for (i = 0; i < cc->nfields; i++)
		if (strlen(cc->fields[i]) == namelen &&
		    memcmp(cc->fields[i], cc->src + name, namelen) == 0)
			break;
	if (i == cc->nfields) {
		tpl_fail(cc, name - 1, "unknown field .", cc->src + name,
		    namelen, "");
		return -1;
	}
	if ((op = tpl_newop(cc)) == NULL)
		return -1;
	op->field = (uint32_t)i;
	op->off = 0;
	op->len = 0;
	*end = p + dl;
	return 0;
}

/* The comment starts at pos with slash-star; see lexComment. */
static int
tpl_comment(struct tpl_cc *cc, size_t open, size_t pos, size_t *end,
    int *rtrim)
{
	size_t close, dl;

	close = tpl_find2(cc, pos + 2, '*', '/');
	if (close == cc->n) {
		tpl_failx(cc, open, "unclosed comment");
		return -1;
	}
	if ((dl = tpl_right_delim(cc, close + 2, rtrim)) == 0) {
		tpl_failx(cc, close + 2,
		    "comment ends before closing delimiter");
		return -1;
	}
	*end = close + 2 + dl;
	return 0;
}

static int
tpl_run(struct tpl_cc *cc)
{
	size_t pos = 0, open, text_end, body, end = 0;
	int rtrim = 0;

	for (;;) {
		open = tpl_find2(cc, pos, '{', '{');
		if (open == cc->n)
			return tpl_add_text(cc, pos, cc->n);
		body = open + 2;
		text_end = open;
		if (tpl_left_trim(cc, body)) {
			while (text_end > pos &&
			    tpl_space(cc->src[text_end - 1]))
				text_end--;
			body += 2;
		}
		if (tpl_add_text(cc, pos, text_end) == -1)
			return -1;
		if (tpl_prefix(cc, body, "/*")) {
			if (tpl_comment(cc, open, body, &end, &rtrim) == -1)
				return -1;
		} else if (tpl_action(cc, open, body, &end, &rtrim) == -1)
			return -1;
		pos = end;
		if (rtrim)
			while (pos < cc->n && tpl_space(cc->src[pos]))
				pos++;
	}
}

struct tpl *
tpl_compile(const char *src, size_t n, const char *const *fields,
    char *err, size_t errlen)
{
	struct tpl_cc cc;
	struct tpl *t;

	memset(&cc, 0, sizeof(cc));
	cc.err = err;
	cc.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (src == NULL && n > 0) {
		tpl_failx(&cc, 0, "no template");
		return NULL;
	}
	if (n > TPL_MAX) {
		tpl_failx(&cc, TPL_MAX, "template longer than 64 KiB");
		return NULL;
	}
	cc.src = src;
	cc.n = n;
	cc.fields = fields;
	while (fields != NULL && fields[cc.nfields] != NULL)
		cc.nfields++;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->text = malloc(n > 0 ? n : 1)) == NULL) {
		free(t);
		tpl_failx(&cc, 0, "out of memory");
		return NULL;
	}
	t->nfields = cc.nfields;
	cc.t = t;
	if (tpl_run(&cc) == -1) {
		tpl_free(t);
		return NULL;
	}
	return t;
}

int
tpl_render(const struct tpl *t, const char *const *values, struct buf *out)
{
	const struct tpl_op *op;
	const char *v;
	size_t i;

	if (t == NULL)
		return -1;
	for (i = 0; i < t->nops; i++) {
		op = &t->ops[i];
		if (op->field == TPL_TEXT) {
			if (buf_add(out, t->text + op->off, op->len) == -1)
				return -1;
			continue;
		}
		v = values != NULL ? values[op->field] : NULL;
		if (v != NULL && buf_addstr(out, v) == -1)
			return -1;
	}
	return 0;
}

int
tpl_uses(const struct tpl *t, size_t i)
{
	size_t k;

	if (t == NULL || i >= t->nfields)
		return 0;
	for (k = 0; k < t->nops; k++)
		if (t->ops[k].field == i)
			return 1;
	return 0;
}

void
tpl_free(struct tpl *t)
{
	if (t == NULL)
		return;
	free(t->ops);
	free(t->text);
	free(t);
}
