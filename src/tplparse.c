/* tplparse.c: the template parser, as text/template/parse/parse.go */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tplint.h"

/*
 * A recursive descent over the lexer's items with Go's three items of
 * look-ahead.  Every function that can fail returns NULL or -1 after
 * setting the error; nodes live in the template's memory and are freed
 * with it.  Where parse.go keeps state per Tree (variables in scope,
 * range depth), the define and block bodies save and restore it.
 */

const char *const tpl_fn_names[FN_COUNT] = {
	"and",
	"call",
	"html",
	"index",
	"slice",
	"js",
	"len",
	"not",
	"or",
	"print",
	"printf",
	"println",
	"urlquery",
	"eq",
	"ge",
	"gt",
	"le",
	"lt",
	"ne",
};

#define MAX_VARS 256

struct parser {
	struct tpl *t;
	struct tpl_err *err;
	struct tpl_lex lex;
	struct tpl_tok tok[3];
	int peekc;
	struct tn_id vars[MAX_VARS]; /* t.vars of parse.go */
	size_t nvars;
	int range_depth;
	int depth;
};

static struct tpl_tok
next(struct parser *p)
{
	if (p->peekc > 0)
		p->peekc--;
	else
		tpl_lex_next(&p->lex, &p->tok[0]);
	return p->tok[p->peekc];
}

static void
backup(struct parser *p)
{
	p->peekc++;
}

static void
backup2(struct parser *p, struct tpl_tok t1)
{
	p->tok[1] = t1;
	p->peekc = 2;
}

static void
backup3(struct parser *p, struct tpl_tok t2, struct tpl_tok t1)
{
	p->tok[1] = t1;
	p->tok[2] = t2;
	p->peekc = 3;
}

static struct tpl_tok
peek(struct parser *p)
{
	if (p->peekc > 0)
		return p->tok[p->peekc - 1];
	p->peekc = 1;
	tpl_lex_next(&p->lex, &p->tok[0]);
	return p->tok[0];
}

static struct tpl_tok
next_nonspace(struct parser *p)
{
	struct tpl_tok k;

	do
		k = next(p);
	while (k.t == IT_SPACE);
	return k;
}

static struct tpl_tok
peek_nonspace(struct parser *p)
{
	struct tpl_tok k = next_nonspace(p);

	backup(p);
	return k;
}

/* unexpected(): the lexer's error, or the token that does not fit. */
static void *
unexpected(struct parser *p, struct tpl_tok k, const char *context)
{
	if (k.t == IT_ERROR)
		tpl_errf(p->err, k.pos, "%s", k.msg);
	else if (k.t == IT_EOF)
		tpl_errf(p->err, k.pos, "unexpected end of template in %s",
		    context);
	else
		tpl_errf(p->err, k.pos, "unexpected \"%.*s\" in %s",
		    (int)(k.len > 40 ? 40 : k.len), p->t->src + k.pos, context);
	return NULL;
}

static struct tn *
new_node(struct parser *p, enum tn_type type, size_t pos)
{
	struct tn *n;

	if ((n = tpl_alloc(p->t, sizeof(*n))) == NULL) {
		tpl_errf(p->err, pos, "out of memory");
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->pos = (uint32_t)pos;
	return n;
}

/* Appends n to the list whose last element is *tail. */
static void
append(struct tn *list, struct tn **tail, struct tn *n)
{
	if (*tail == NULL)
		list->kid = n;
	else
		(*tail)->next = n;
	*tail = n;
}

/*
 * strconv.UnquoteChar: one character of a quoted literal at s[0..n)
 * with quote q.  Returns the bytes used (0 when malformed); *r is the
 * value and *mb is set when it is a rune to encode as UTF-8 (an \x or
 * octal escape is one raw byte).
 */
size_t
tpl_unquote_char(const char *s, size_t n, char q, uint32_t *r, int *mb)
{
	static const char esc[] = "a\ab\bf\fn\nr\rt\tv\v\\\\";
	const char *e;
	size_t w, i, k;
	uint32_t v = 0, x;

	*mb = 0;
	if (n == 0 || (s[0] == q && (q == '\'' || q == '"')))
		return 0;
	if ((unsigned char)s[0] >= 0x80) {
		*mb = 1;
		return tpl_utf8(s, n, r);
	}
	if (s[0] != '\\') {
		*r = (unsigned char)s[0];
		return 1;
	}
	if (n < 2)
		return 0;
	if (s[1] != '\0' && (e = strchr(esc, s[1])) != NULL &&
	    (e - esc) % 2 == 0) {
		*r = (unsigned char)e[1];
		return 2;
	}
	if (s[1] == 'x' || s[1] == 'u' || s[1] == 'U') {
		k = s[1] == 'x' ? 2 : s[1] == 'u' ? 4 : 8;
		if (n - 2 < k)
			return 0;
		for (i = 0; i < k; i++) {
			char c = s[2 + i];

			if (c >= '0' && c <= '9')
				x = (uint32_t)(c - '0');
			else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				x = (uint32_t)((c | 0x20) - 'a' + 10);
			else
				return 0;
			v = v << 4 | x;
		}
		if (s[1] != 'x' &&
		    (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)))
			return 0;
		*mb = s[1] != 'x';
		*r = v;
		return 2 + k;
	}
	if (s[1] >= '0' && s[1] <= '7') {
		if (n < 4)
			return 0;
		for (i = 1, w = 1; i < 4; i++) {
			if (s[i] < '0' || s[i] > '7')
				return 0;
			v = v << 3 | (uint32_t)(s[i] - '0');
			(void)w;
		}
		if (v > 255)
			return 0;
		*r = v;
		return 4;
	}
	if ((s[1] == '\'' || s[1] == '"') && s[1] == q) {
		*r = (unsigned char)q;
		return 2;
	}
	return 0;
}

/*
 * strconv.Unquote of the literal k into *out (template memory).  Raw
 * strings drop \r; quoted ones decode escapes, and an invalid UTF-8
 * byte becomes U+FFFD as Go's decoder makes it.
 */
static int
unquote(struct parser *p, struct tpl_tok k, const char **out, size_t *outn)
{
	const char *s = p->t->src + k.pos;
	size_t n = k.len, i, w, o = 0;
	uint32_t r;
	char *buf;
	int mb;

	/* Each source byte gives at most 3 bytes (U+FFFD). */
	if ((buf = tpl_alloc(p->t, 3 * n + 1)) == NULL) {
		tpl_errf(p->err, k.pos, "out of memory");
		return -1;
	}
	if (s[0] == '`') {
		for (i = 1; i + 1 < n; i++)
			if (s[i] != '\r')
				buf[o++] = s[i];
	} else {
		for (i = 1; i + 1 < n; i += w) {
			if ((w = tpl_unquote_char(s + i, n - 1 - i, s[0], &r,
			         &mb)) == 0 ||
			    s[i] == '\n') {
				tpl_errf(p->err, k.pos,
				    "invalid syntax in "
				    "quoted string");
				return -1;
			}
			if (mb)
				o += tpl_utf8_put(buf + o, r);
			else
				buf[o++] = (char)r;
		}
	}
	*out = buf;
	*outn = o;
	return 0;
}

static int
digit_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	return 99;
}

/* strconv's underscoreOK for base-0 literals. */
static int
underscore_ok(const char *s, size_t n)
{
	char saw = '^';
	size_t i = 0;
	int hex = 0;

	if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
		s++;
		n--;
	}
	if (n >= 2 && s[0] == '0' && strchr("bBoOxX", s[1]) != NULL &&
	    s[1] != '\0') {
		i = 2;
		saw = '0';
		hex = (s[1] | 0x20) == 'x';
	}
	for (; i < n; i++) {
		if ((s[i] >= '0' && s[i] <= '9') ||
		    (hex && (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f')) {
			saw = '0';
			continue;
		}
		if (s[i] == '_') {
			if (saw != '0')
				return 0;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return 0;
		saw = '!';
	}
	return saw != '_';
}

/*
 * strconv.ParseUint(s, 0, 64): 0 with *u, 1 on overflow, -1 on bad
 * syntax.
 */
static int
parse_uint(const char *s, size_t n, uint64_t *u)
{
	const char *s0 = s;
	size_t n0 = n, i;
	int base = 10, d, us = 0, over = 0;

	if (n == 0)
		return -1;
	if (s[0] == '0') {
		if (n >= 3 && strchr("bBoOxX", s[1]) != NULL && s[1] != '\0') {
			base = (s[1] | 0x20) == 'b' ? 2
			    : (s[1] | 0x20) == 'o'  ? 8
			                            : 16;
			s += 2;
			n -= 2;
		} else {
			base = 8;
			s++;
			n--;
		}
	}
	*u = 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			us = 1;
			continue;
		}
		if ((d = digit_val(s[i])) >= base)
			return -1;
		if (*u > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			over = 1;
		*u = *u * (uint64_t)base + (uint64_t)d;
	}
	if (us && !underscore_ok(s0, n0))
		return -1;
	return over;
}

/*
 * newNumber as far as this engine goes: an integer (rune constants
 * included) becomes a NUMBER node; floating-point and complex constants,
 * which no field of the data can be compared with, are refused, as are
 * the texts Go refuses and integers that overflow int.
 */
static struct tn *
number(struct parser *p, struct tpl_tok k)
{
	const char *s = p->t->src + k.pos;
	size_t n = k.len, used;
	struct tn *nd;
	uint64_t u;
	uint32_t r;
	int neg = 0, rc, mb;

	if ((nd = new_node(p, TN_NUMBER, k.pos)) == NULL)
		return NULL;
	if (k.t == IT_CHARCONST) {
		used = tpl_unquote_char(s + 1, n - 1, '\'', &r, &mb);
		if (used == 0 || used + 2 != n || s[n - 1] != '\'') {
			tpl_errf(p->err, k.pos, "malformed character constant");
			return NULL;
		}
		nd->i = r;
		return nd;
	}
	if (k.t == IT_COMPLEX || s[n - 1] == 'i') {
		tpl_errf(p->err, k.pos, "complex constants are not supported");
		return NULL;
	}
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		s++;
		n--;
	}
	if ((rc = parse_uint(s, n, &u)) == 0 &&
	    u <= (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
		nd->i = neg ? (int64_t)(0 - u) : (int64_t)u;
		return nd;
	}
	if (rc >= 0)
		tpl_errf(p->err, k.pos, "%.*s overflows int", (int)k.len,
		    p->t->src + k.pos);
	else if (memchr(s, '.', n) != NULL ||
	    (!(n > 1 && s[0] == '0' && (s[1] | 0x20) == 'x') &&
	        (memchr(s, 'e', n) != NULL || memchr(s, 'E', n) != NULL)) ||
	    memchr(s, 'p', n) != NULL || memchr(s, 'P', n) != NULL)
		tpl_errf(p->err, k.pos,
		    "expected an integer constant "
		    "(floating-point constants are not supported)");
	else
		tpl_errf(p->err, k.pos, "bad number syntax: \"%.*s\"",
		    (int)(k.len > 40 ? 40 : k.len), p->t->src + k.pos);
	return NULL;
}

static struct tn *pipeline(struct parser *, const char *, enum tpl_item);
static struct tn *item_list(struct parser *, struct tn **);

static int
deeper(struct parser *p, size_t pos)
{
	if (++p->depth > TPL_MAX_NEST) {
		tpl_errf(p->err, pos, "nested more than %d deep", TPL_MAX_NEST);
		return -1;
	}
	return 0;
}

/* A field chain ".A.B" or "$x.A" split at the dots into n->ids. */
static int
split_ids(struct parser *p, struct tn *n, const char *s, size_t len)
{
	size_t i, k = 0, start;

	for (i = 0; i < len; i++)
		if (s[i] == '.')
			k++;
	if (s[0] != '.')
		k++;
	if ((n->ids = tpl_alloc(p->t, k * sizeof(*n->ids))) == NULL) {
		tpl_errf(p->err, n->pos, "out of memory");
		return -1;
	}
	for (i = 0; i < len; i = start) {
		if (s[i] == '.')
			i++;
		for (start = i; start < len && s[start] != '.'; start++)
			;
		n->ids[n->nids].s = s + i;
		n->ids[n->nids].n = start - i;
		n->ids[n->nids].field = -1;
		n->nids++;
	}
	return 0;
}

/* useVar: the variable must be in scope. */
static struct tn *
use_var(struct parser *p, struct tpl_tok k)
{
	const char *s = p->t->src + k.pos;
	struct tn *n;
	size_t i;

	if ((n = new_node(p, TN_VAR, k.pos)) == NULL ||
	    split_ids(p, n, s, k.len) == -1)
		return NULL;
	for (i = p->nvars; i-- > 0;)
		if (p->vars[i].n == n->ids[0].n &&
		    memcmp(p->vars[i].s, n->ids[0].s, n->ids[0].n) == 0)
			return n;
	tpl_errf(p->err, k.pos, "undefined variable \"%.*s\"",
	    (int)(n->ids[0].n > 40 ? 40 : n->ids[0].n), n->ids[0].s);
	return NULL;
}

static struct tn *
ident(struct parser *p, struct tpl_tok k)
{
	const char *s = p->t->src + k.pos;
	struct tn *n;
	int i;

	for (i = 0; i < FN_COUNT; i++)
		if (strlen(tpl_fn_names[i]) == k.len &&
		    memcmp(tpl_fn_names[i], s, k.len) == 0)
			break;
	if (i == FN_COUNT) {
		tpl_errf(p->err, k.pos,
		    "function \"%.*s\" not defined "
		    "(expected one of and, call, eq, ge, gt, html, index, js, "
		    "le, len, lt, ne, not, or, print, printf, println, slice, "
		    "urlquery)",
		    (int)(k.len > 40 ? 40 : k.len), s);
		return NULL;
	}
	if ((n = new_node(p, TN_IDENT, k.pos)) != NULL)
		n->i = i;
	return n;
}

/* term(): NULL with no error set when the item starts no term. */
static struct tn *
term(struct parser *p)
{
	struct tpl_tok k = next_nonspace(p);
	struct tn *n;

	switch (k.t) {
	case IT_IDENT:
		return ident(p, k);
	case IT_DOT:
		return new_node(p, TN_DOT, k.pos);
	case IT_NIL:
		return new_node(p, TN_NIL, k.pos);
	case IT_VARIABLE:
		return use_var(p, k);
	case IT_FIELD:
		if ((n = new_node(p, TN_FIELD, k.pos)) == NULL ||
		    split_ids(p, n, p->t->src + k.pos, k.len) == -1)
			return NULL;
		return n;
	case IT_BOOL:
		if ((n = new_node(p, TN_BOOL, k.pos)) != NULL)
			n->i = p->t->src[k.pos] == 't';
		return n;
	case IT_CHARCONST:
	case IT_COMPLEX:
	case IT_NUMBER:
		return number(p, k);
	case IT_LPAREN:
		if (deeper(p, k.pos) == -1)
			return NULL;
		n = pipeline(p, "parenthesized pipeline", IT_RPAREN);
		p->depth--;
		return n;
	case IT_STRING:
	case IT_RAWSTRING:
		if ((n = new_node(p, TN_STRING, k.pos)) == NULL ||
		    unquote(p, k, &n->s, &n->n) == -1)
			return NULL;
		return n;
	default:
		backup(p);
		return NULL;
	}
}

/* Appends the fields that follow a term: operand() of parse.go. */
static struct tn *
operand(struct parser *p, int *none)
{
	struct tn *n, *c;
	struct tpl_tok k;
	size_t start, end;

	*none = 0;
	if ((n = term(p)) == NULL) {
		*none = !p->err->set;
		return NULL;
	}
	if (peek(p).t != IT_FIELD)
		return n;
	start = end = peek(p).pos;
	while ((k = peek(p)).t == IT_FIELD) {
		next(p);
		end = k.pos + k.len;
	}
	switch (n->type) {
	case TN_FIELD:
	case TN_VAR:
		/* ".A.B" and "$x.A": one chain, re-split from the source. */
		n->nids = 0;
		if (split_ids(p, n, p->t->src + n->pos, end - n->pos) == -1)
			return NULL;
		return n;
	case TN_BOOL:
	case TN_STRING:
	case TN_NUMBER:
	case TN_NIL:
	case TN_DOT:
		tpl_errf(p->err, start, "unexpected . after term");
		return NULL;
	default:
		if ((c = new_node(p, TN_CHAIN, start)) == NULL ||
		    split_ids(p, c, p->t->src + start, end - start) == -1)
			return NULL;
		c->a = n;
		return c;
	}
}

static struct tn *
command(struct parser *p)
{
	struct tn *cmd, *op, *tail = NULL;
	struct tpl_tok k;
	int none;

	if ((cmd = new_node(p, TN_CMD, peek_nonspace(p).pos)) == NULL)
		return NULL;
	for (;;) {
		peek_nonspace(p);
		if ((op = operand(p, &none)) != NULL)
			append(cmd, &tail, op);
		else if (!none)
			return NULL;
		k = next(p);
		if (k.t == IT_SPACE)
			continue;
		if (k.t == IT_RDELIM || k.t == IT_RPAREN)
			backup(p);
		else if (k.t != IT_PIPE)
			return unexpected(p, k, "operand");
		break;
	}
	if (cmd->kid == NULL) {
		tpl_errf(p->err, cmd->pos, "empty command");
		return NULL;
	}
	return cmd;
}

static int
push_var(struct parser *p, struct tn *pipe, struct tpl_tok v)
{
	struct tn_id *ids;

	if (p->nvars == MAX_VARS) {
		tpl_errf(p->err, v.pos, "more than %d variables", MAX_VARS);
		return -1;
	}
	p->vars[p->nvars].s = p->t->src + v.pos;
	p->vars[p->nvars].n = v.len;
	p->vars[p->nvars].field = -1;
	p->nvars++;
	if ((ids = tpl_alloc(p->t, (pipe->nids + 1) * sizeof(*ids))) == NULL) {
		tpl_errf(p->err, v.pos, "out of memory");
		return -1;
	}
	if (pipe->nids > 0)
		memcpy(ids, pipe->ids, pipe->nids * sizeof(*ids));
	ids[pipe->nids] = p->vars[p->nvars - 1];
	pipe->ids = ids;
	pipe->nids++;
	return 0;
}

/* The declarations at the start of a pipeline: 1 to look again (range's
 * second variable), 0 when done, -1 on error. */
static int
decls(struct parser *p, struct tn *pipe, const char *context)
{
	struct tpl_tok v, after, nx;

	if ((v = peek_nonspace(p)).t != IT_VARIABLE)
		return 0;
	next(p);
	after = peek(p);
	nx = peek_nonspace(p);
	if (nx.t == IT_ASSIGN || nx.t == IT_DECLARE) {
		pipe->i = nx.t == IT_ASSIGN;
		next_nonspace(p);
		return push_var(p, pipe, v);
	}
	if (nx.t == IT_CHAR && p->t->src[nx.pos] == ',') {
		next_nonspace(p);
		if (push_var(p, pipe, v) == -1)
			return -1;
		if (strcmp(context, "range") == 0 && pipe->nids < 2) {
			nx = peek_nonspace(p);
			if (nx.t == IT_VARIABLE || nx.t == IT_RDELIM ||
			    nx.t == IT_RPAREN)
				return 1;
			tpl_errf(p->err, nx.pos,
			    "range can only initialize "
			    "variables");
			return -1;
		}
		tpl_errf(p->err, v.pos, "too many declarations in %s", context);
		return -1;
	}
	if (after.t == IT_SPACE)
		backup3(p, v, after);
	else
		backup2(p, v);
	return 0;
}

/* checkPipeline. */
static int
check_pipeline(struct parser *p, struct tn *pipe, const char *context)
{
	struct tn *c;

	if (pipe->kid == NULL) {
		tpl_errf(p->err, pipe->pos, "missing value for %s", context);
		return -1;
	}
	for (c = pipe->kid->next; c != NULL; c = c->next)
		switch (c->kid->type) {
		case TN_BOOL:
		case TN_DOT:
		case TN_NIL:
		case TN_NUMBER:
		case TN_STRING:
			tpl_errf(p->err, c->pos,
			    "non executable command in "
			    "pipeline stage");
			return -1;
		default:
			break;
		}
	return 0;
}

static struct tn *
pipeline(struct parser *p, const char *context, enum tpl_item end)
{
	struct tn *pipe, *cmd, *tail = NULL;
	struct tpl_tok k;
	int rc;

	if ((pipe = new_node(p, TN_PIPE, peek_nonspace(p).pos)) == NULL)
		return NULL;
	while ((rc = decls(p, pipe, context)) == 1)
		;
	if (rc == -1)
		return NULL;
	for (;;) {
		k = next_nonspace(p);
		if (k.t == end)
			return check_pipeline(p, pipe, context) == -1 ? NULL
			                                              : pipe;
		switch (k.t) {
		case IT_BOOL:
		case IT_CHARCONST:
		case IT_COMPLEX:
		case IT_DOT:
		case IT_FIELD:
		case IT_IDENT:
		case IT_NUMBER:
		case IT_NIL:
		case IT_RAWSTRING:
		case IT_STRING:
		case IT_VARIABLE:
		case IT_LPAREN:
			backup(p);
			if ((cmd = command(p)) == NULL)
				return NULL;
			append(pipe, &tail, cmd);
			break;
		default:
			return unexpected(p, k, context);
		}
	}
}

/* Variables declared in a control stay until its {{end}}. */
static struct tn *
control(struct parser *p, enum tn_type type, const char *context, size_t pos)
{
	size_t nvars = p->nvars;
	struct tn *n, *end;

	if (deeper(p, pos) == -1 || (n = new_node(p, type, pos)) == NULL ||
	    (n->a = pipeline(p, context, IT_RDELIM)) == NULL)
		return NULL;
	if (type == TN_RANGE)
		p->range_depth++;
	n->b = item_list(p, &end);
	if (type == TN_RANGE)
		p->range_depth--;
	if (n->b == NULL)
		return NULL;
	if (end->type == TN_ELSE_MARK && type == TN_IF && peek(p).t == IT_IF) {
		next(p);
		if ((n->c = new_node(p, TN_LIST, end->pos)) == NULL ||
		    (n->c->kid = control(p, TN_IF, "if", end->pos)) == NULL)
			return NULL;
	} else if (end->type == TN_ELSE_MARK) {
		if ((n->c = item_list(p, &end)) == NULL)
			return NULL;
		if (end->type != TN_END_MARK) {
			tpl_errf(p->err, end->pos,
			    "expected end; found "
			    "{{else}}");
			return NULL;
		}
	}
	p->nvars = nvars;
	p->depth--;
	return n;
}

/* {{break}} and {{continue}}. */
static struct tn *
loop_control(struct parser *p, struct tpl_tok k)
{
	struct tpl_tok r = next_nonspace(p);
	const char *what = k.t == IT_BREAK ? "{{break}}" : "{{continue}}";

	if (r.t != IT_RDELIM)
		return unexpected(p, r, what);
	if (p->range_depth == 0) {
		tpl_errf(p->err, k.pos, "%s outside {{range}}", what);
		return NULL;
	}
	return new_node(p, k.t == IT_BREAK ? TN_BREAK : TN_CONTINUE, k.pos);
}

static int
template_name(struct parser *p, struct tpl_tok k, const char *context,
    struct tn *n)
{
	if (k.t != IT_STRING && k.t != IT_RAWSTRING) {
		unexpected(p, k, context);
		return -1;
	}
	return unquote(p, k, &n->s, &n->n);
}

static struct tn *
template_control(struct parser *p, size_t pos)
{
	struct tn *n;

	if ((n = new_node(p, TN_TEMPLATE, pos)) == NULL ||
	    template_name(p, next_nonspace(p), "template clause", n) == -1)
		return NULL;
	if (next_nonspace(p).t != IT_RDELIM) {
		backup(p);
		if ((n->a = pipeline(p, "template clause", IT_RDELIM)) == NULL)
			return NULL;
	}
	return n;
}

/* unicode.IsSpace. */
static int
uni_space(uint32_t r)
{
	return (r >= '\t' && r <= '\r') || r == ' ' || r == 0x85 || r == 0xa0 ||
	    r == 0x1680 || (r >= 0x2000 && r <= 0x200a) || r == 0x2028 ||
	    r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000;
}

/* parse.IsEmptyTree: only text that bytes.TrimSpace empties. */
int
tpl_tree_empty(const struct tn *list)
{
	const struct tn *n;
	size_t i, w;
	uint32_t r;

	for (n = list->kid; n != NULL; n = n->next) {
		if (n->type != TN_TEXT)
			return 0;
		for (i = 0; i < n->n; i += w) {
			w = tpl_utf8(n->s + i, n->n - i, &r);
			if (!uni_space(r))
				return 0;
		}
	}
	return 1;
}

/* Adds a defined tree: parse.go's Tree.add. */
static int
add_tree(struct parser *p, const char *name, size_t namelen, struct tn *root,
    size_t pos)
{
	struct tpl *t = p->t;
	struct tpl_tree *tr;
	size_t i;

	for (i = 0; i < t->ntrees; i++)
		if (t->trees[i].namelen == namelen &&
		    memcmp(t->trees[i].name, name, namelen) == 0)
			break;
	if (i < t->ntrees && !t->trees[i].empty) {
		if (tpl_tree_empty(root))
			return 0;
		tpl_errf(p->err, pos,
		    "multiple definition of template "
		    "\"%.*s\"",
		    (int)(namelen > 40 ? 40 : namelen), name);
		return -1;
	}
	if (i == t->ntrees) {
		tr = reallocarray(t->trees, t->ntrees + 1, sizeof(*tr));
		if (tr == NULL) {
			tpl_errf(p->err, pos, "out of memory");
			return -1;
		}
		t->trees = tr;
		t->ntrees++;
	}
	t->trees[i].name = name;
	t->trees[i].namelen = namelen;
	t->trees[i].root = root;
	t->trees[i].empty = tpl_tree_empty(root);
	return 0;
}

/* The body of a define or block, with parse.go's fresh Tree state. */
static int
sub_tree(struct parser *p, struct tn *named, const char *context)
{
	size_t nvars = p->nvars;
	int range_depth = p->range_depth;
	struct tn *root, *end;

	if (deeper(p, named->pos) == -1)
		return -1;
	p->nvars = 1; /* "$" */
	p->range_depth = 0;
	if ((root = item_list(p, &end)) == NULL)
		return -1;
	if (end->type != TN_END_MARK) {
		tpl_errf(p->err, end->pos, "unexpected {{else}} in %s",
		    context);
		return -1;
	}
	p->nvars = nvars;
	p->range_depth = range_depth;
	p->depth--;
	return add_tree(p, named->s, named->n, root, named->pos);
}

static struct tn *
block_control(struct parser *p, size_t pos)
{
	struct tn *n;

	if ((n = new_node(p, TN_TEMPLATE, pos)) == NULL ||
	    template_name(p, next_nonspace(p), "block clause", n) == -1 ||
	    (n->a = pipeline(p, "block clause", IT_RDELIM)) == NULL ||
	    sub_tree(p, n, "block clause") == -1)
		return NULL;
	return n;
}

static int
definition(struct parser *p, size_t pos)
{
	struct tn *n;
	struct tpl_tok k;

	if ((n = new_node(p, TN_TEMPLATE, pos)) == NULL ||
	    template_name(p, next_nonspace(p), "define clause", n) == -1)
		return -1;
	if ((k = next_nonspace(p)).t != IT_RDELIM) {
		unexpected(p, k, "define clause");
		return -1;
	}
	return sub_tree(p, n, "define clause");
}

static struct tn *
else_or_end(struct parser *p, enum tn_type type)
{
	struct tpl_tok k;

	if (type == TN_ELSE_MARK && (k = peek_nonspace(p)).t == IT_IF)
		return new_node(p, type, k.pos);
	if ((k = next_nonspace(p)).t != IT_RDELIM)
		return unexpected(p, k, type == TN_ELSE_MARK ? "else" : "end");
	return new_node(p, type, k.pos);
}

static struct tn *
action(struct parser *p)
{
	struct tpl_tok k = next_nonspace(p);
	struct tn *n;

	switch (k.t) {
	case IT_BLOCK:
		return block_control(p, k.pos);
	case IT_BREAK:
	case IT_CONTINUE:
		return loop_control(p, k);
	case IT_ELSE:
		return else_or_end(p, TN_ELSE_MARK);
	case IT_END:
		return else_or_end(p, TN_END_MARK);
	case IT_IF:
		return control(p, TN_IF, "if", k.pos);
	case IT_RANGE:
		return control(p, TN_RANGE, "range", k.pos);
	case IT_TEMPLATE:
		return template_control(p, k.pos);
	case IT_WITH:
		return control(p, TN_WITH, "with", k.pos);
	default:
		break;
	}
	backup(p);
	if ((n = new_node(p, TN_ACTION, peek(p).pos)) == NULL ||
	    (n->a = pipeline(p, "command", IT_RDELIM)) == NULL)
		return NULL;
	return n;
}

static struct tn *
text_or_action(struct parser *p)
{
	struct tpl_tok k = next_nonspace(p);
	struct tn *n;

	if (k.t == IT_TEXT) {
		if ((n = new_node(p, TN_TEXT, k.pos)) != NULL) {
			n->s = p->t->src + k.pos;
			n->n = k.len;
		}
		return n;
	}
	if (k.t == IT_LDELIM)
		return action(p);
	return unexpected(p, k, "input");
}

/* itemList: the nodes up to an {{else}} or {{end}}, which is *end. */
static struct tn *
item_list(struct parser *p, struct tn **end)
{
	struct tn *list, *n, *tail = NULL;

	if ((list = new_node(p, TN_LIST, peek_nonspace(p).pos)) == NULL)
		return NULL;
	while (peek_nonspace(p).t != IT_EOF) {
		if ((n = text_or_action(p)) == NULL)
			return NULL;
		if (n->type == TN_ELSE_MARK || n->type == TN_END_MARK) {
			*end = n;
			return list;
		}
		append(list, &tail, n);
	}
	tpl_errf(p->err, p->t->n,
	    "unexpected end of template: missing "
	    "{{end}}");
	return NULL;
}

/* Tree.parse: the main tree, with definitions at the top level. */
static struct tn *
parse_main(struct parser *p)
{
	struct tn *root, *n, *tail = NULL;
	struct tpl_tok delim, k;

	if ((root = new_node(p, TN_LIST, 0)) == NULL)
		return NULL;
	while ((k = peek(p)).t != IT_EOF) {
		if (k.t == IT_LDELIM) {
			delim = next(p);
			if ((k = next_nonspace(p)).t == IT_DEFINE) {
				if (definition(p, k.pos) == -1)
					return NULL;
				continue;
			}
			backup2(p, delim);
		}
		if ((n = text_or_action(p)) == NULL)
			return NULL;
		if (n->type == TN_ELSE_MARK || n->type == TN_END_MARK) {
			tpl_errf(p->err, n->pos, "unexpected {{%s}}",
			    n->type == TN_ELSE_MARK ? "else" : "end");
			return NULL;
		}
		append(root, &tail, n);
	}
	return root;
}

int
tpl_parse(struct tpl *t, struct tpl_err *err)
{
	struct parser *p;
	struct tn *root;
	size_t i;
	int rc = -1;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		tpl_errf(err, 0, "out of memory");
		return -1;
	}
	p->t = t;
	p->err = err;
	tpl_lex_init(&p->lex, t->src, t->n);
	p->vars[0].s = "$";
	p->vars[0].n = 1;
	p->nvars = 1;
	if ((root = parse_main(p)) != NULL &&
	    add_tree(p, TPL_MAIN_NAME, strlen(TPL_MAIN_NAME), root, 0) == 0) {
		for (i = 0; i < t->ntrees; i++)
			if (t->trees[i].namelen == strlen(TPL_MAIN_NAME) &&
			    memcmp(t->trees[i].name, TPL_MAIN_NAME,
			        t->trees[i].namelen) == 0)
				t->main = i;
		rc = 0;
	}
	free(p);
	return rc;
}
