/* tpllex.c: the template lexer, as text/template/parse/lex.go */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "tplint.h"

/*
 * Go's lexer is a goroutine that sends items on a channel; this one runs
 * one state function at a time into a small queue (a state emits at
 * most two items) when the parser asks for an item.  Positions and the
 * accept/refuse decisions follow lex.go line by line, with the default
 * delimiters "{{" "}}" and comments not emitted.
 */

enum { ST_TEXT, ST_ACTION, ST_DONE };
#define EOF_RUNE 0xffffffffu

/*
 * Decodes one rune at s[0..n) as utf8.DecodeRuneInString: returns its
 * width (1 for an invalid byte, whose rune is U+FFFD).
 */
size_t
tpl_utf8(const char *s, size_t n, uint32_t *r)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c, min;
	size_t w, i;

	if (n == 0) {
		*r = EOF_RUNE;
		return 0;
	}
	c = u[0];
	*r = c;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		w = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		w = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		w = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		*r = 0xfffd;
		return 1;
	}
	if (n < w) {
		*r = 0xfffd;
		return 1;
	}
	for (i = 1; i < w; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*r = 0xfffd;
			return 1;
		}
		c = (c << 6) | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
		*r = 0xfffd;
		return 1;
	}
	*r = c;
	return w;
}

/* utf8.EncodeRune: what is not a valid rune becomes U+FFFD. */
size_t
tpl_utf8_put(char *o, uint32_t r)
{
	if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		r = 0xfffd;
	if (r < 0x80) {
		o[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		o[0] = (char)(0xc0 | r >> 6);
		o[1] = (char)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		o[0] = (char)(0xe0 | r >> 12);
		o[1] = (char)(0x80 | ((r >> 6) & 0x3f));
		o[2] = (char)(0x80 | (r & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | r >> 18);
	o[1] = (char)(0x80 | ((r >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((r >> 6) & 0x3f));
	o[3] = (char)(0x80 | (r & 0x3f));
	return 4;
}

static int
is_space(uint32_t r)
{
	return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

static uint32_t
peek(const struct tpl_lex *l)
{
	uint32_t r;

	tpl_utf8(l->s + l->pos, l->n - l->pos, &r);
	return r;
}

/* next(): the rune at pos, moving past it (not past the end). */
static uint32_t
next(struct tpl_lex *l)
{
	uint32_t r;

	l->pos += tpl_utf8(l->s + l->pos, l->n - l->pos, &r);
	return r;
}

static int
has_prefix(const struct tpl_lex *l, size_t pos, const char *p)
{
	size_t k = strlen(p);

	return pos <= l->n && l->n - pos >= k && memcmp(l->s + pos, p, k) == 0;
}

static void
emit(struct tpl_lex *l, enum tpl_item t)
{
	struct tpl_tok *k = &l->q[l->nq++];

	k->t = t;
	k->pos = (uint32_t)l->start;
	k->len = (uint32_t)(l->pos - l->start);
	k->msg = NULL;
	l->start = l->pos;
}

static void
lex_error(struct tpl_lex *l, const char *msg)
{
	struct tpl_tok *k = &l->q[l->nq++];

	k->t = IT_ERROR;
	k->pos = (uint32_t)l->start;
	k->len = 0;
	k->msg = msg;
	l->state = ST_DONE;
}

/* hasLeftTrimMarker / hasRightTrimMarker at pos. */
static int
left_trim(const struct tpl_lex *l, size_t pos)
{
	return l->n - pos >= 2 && l->s[pos] == '-' &&
	    is_space((unsigned char)l->s[pos + 1]);
}

static int
right_trim(const struct tpl_lex *l, size_t pos)
{
	return l->n - pos >= 2 && is_space((unsigned char)l->s[pos]) &&
	    l->s[pos + 1] == '-';
}

/* atRightDelim: 1 for "}}", 2 for " -}}", 0 for neither. */
static int
at_right_delim(const struct tpl_lex *l)
{
	if (right_trim(l, l->pos) && has_prefix(l, l->pos + 2, "}}"))
		return 2;
	return has_prefix(l, l->pos, "}}");
}

static size_t
skip_space(const struct tpl_lex *l, size_t pos)
{
	while (pos < l->n && is_space((unsigned char)l->s[pos]))
		pos++;
	return pos;
}

/* lexComment, entered at the slash-star; back to text after it. */
static void
lex_comment(struct tpl_lex *l)
{
	const char *e;
	int d;

	l->pos += 2;
	e = memmem(l->s + l->pos, l->n - l->pos, "*/", 2);
	if (e == NULL) {
		lex_error(l, "unclosed comment");
		return;
	}
	l->pos = (size_t)(e - l->s) + 2;
	if ((d = at_right_delim(l)) == 0) {
		lex_error(l, "comment ends before closing delimiter");
		return;
	}
	l->pos += d == 2 ? 4 : 2;
	if (d == 2)
		l->pos = skip_space(l, l->pos);
	l->start = l->pos;
}

/* lexText plus lexLeftDelim. */
static void
lex_text(struct tpl_lex *l)
{
	const char *o;
	size_t at, end, after;

	o = l->n > l->pos ? memmem(l->s + l->pos, l->n - l->pos, "{{", 2)
	                  : NULL;
	if (o == NULL) {
		l->pos = l->n;
		if (l->pos > l->start)
			emit(l, IT_TEXT);
		emit(l, IT_EOF);
		l->state = ST_DONE;
		return;
	}
	at = (size_t)(o - l->s);
	end = at;
	if (left_trim(l, at + 2))
		while (end > l->start && is_space((unsigned char)l->s[end - 1]))
			end--;
	l->pos = end;
	if (l->pos > l->start)
		emit(l, IT_TEXT);
	l->pos = l->start = at + 2;
	after = left_trim(l, l->pos) ? 2 : 0;
	if (has_prefix(l, l->pos + after, "/*")) {
		l->pos += after;
		l->start = l->pos;
		lex_comment(l);
		return;
	}
	l->start = at;
	emit(l, IT_LDELIM);
	l->pos += after;
	l->start = l->pos;
	l->paren = 0;
	l->state = ST_ACTION;
}

/* lexRightDelim. */
static void
lex_right_delim(struct tpl_lex *l)
{
	int trim = right_trim(l, l->pos);

	if (trim) {
		l->pos += 2;
		l->start = l->pos;
	}
	l->pos += 2;
	emit(l, IT_RDELIM);
	if (trim) {
		l->pos = skip_space(l, l->pos);
		l->start = l->pos;
	}
	l->state = ST_TEXT;
}

/* lexSpace: the space run stays before a " -}}". */
static void
lex_space(struct tpl_lex *l)
{
	size_t k = 0;

	while (l->pos < l->n && is_space((unsigned char)l->s[l->pos])) {
		l->pos++;
		k++;
	}
	if (right_trim(l, l->pos - 1) && has_prefix(l, l->pos + 1, "}}")) {
		l->pos--;
		if (k == 1) {
			lex_right_delim(l);
			return;
		}
	}
	emit(l, IT_SPACE);
}

/* atTerminator. */
static int
at_terminator(const struct tpl_lex *l)
{
	uint32_t r = peek(l);

	if (is_space(r) || r == EOF_RUNE || r == '.' || r == ',' || r == '|' ||
	    r == ':' || r == ')' || r == '(')
		return 1;
	return has_prefix(l, l->pos, "}}");
}

static const struct {
	const char *word;
	enum tpl_item t;
} keywords[] = {
	{ "block", IT_BLOCK },
	{ "break", IT_BREAK },
	{ "continue", IT_CONTINUE },
	{ "define", IT_DEFINE },
	{ "else", IT_ELSE },
	{ "end", IT_END },
	{ "if", IT_IF },
	{ "nil", IT_NIL },
	{ "range", IT_RANGE },
	{ "template", IT_TEMPLATE },
	{ "with", IT_WITH },
};

static void
lex_identifier(struct tpl_lex *l)
{
	size_t len, i;
	const char *w;

	while (l->pos < l->n && tpl_isalnum(peek(l)))
		next(l);
	if (!at_terminator(l)) {
		lex_error(l, "bad character in identifier");
		return;
	}
	w = l->s + l->start;
	len = l->pos - l->start;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].word) == len &&
		    memcmp(keywords[i].word, w, len) == 0) {
			emit(l, keywords[i].t);
			return;
		}
	if ((len == 4 && memcmp(w, "true", 4) == 0) ||
	    (len == 5 && memcmp(w, "false", 5) == 0))
		emit(l, IT_BOOL);
	else
		emit(l, IT_IDENT);
}

/* lexFieldOrVariable, after the "." or "$". */
static void
lex_field_or_var(struct tpl_lex *l, enum tpl_item t)
{
	if (at_terminator(l)) {
		emit(l, t == IT_VARIABLE ? IT_VARIABLE : IT_DOT);
		return;
	}
	while (l->pos < l->n && tpl_isalnum(peek(l)))
		next(l);
	if (!at_terminator(l)) {
		lex_error(l, "bad character in field or variable name");
		return;
	}
	emit(l, t);
}

/* lexQuote, lexRawQuote, lexChar after the opening quote. */
static void
lex_quote(struct tpl_lex *l, char q, enum tpl_item t)
{
	uint32_t r;

	for (;;) {
		r = next(l);
		if (q != '`' && r == '\\') {
			r = next(l);
			if (r != EOF_RUNE && r != '\n')
				continue;
		}
		if (r == EOF_RUNE || (q != '`' && r == '\n')) {
			lex_error(l,
			    q == '`' ? "unterminated raw quoted "
			               "string"
			             : "unterminated quoted string");
			return;
		}
		if (r == (uint32_t)q)
			break;
	}
	emit(l, t);
}

static int
accept(struct tpl_lex *l, const char *valid)
{
	if (l->pos < l->n && strchr(valid, l->s[l->pos]) != NULL &&
	    l->s[l->pos] != '\0') {
		l->pos++;
		return 1;
	}
	return 0;
}

static void
accept_run(struct tpl_lex *l, const char *valid)
{
	while (accept(l, valid))
		;
}

/* scanNumber. */
static int
scan_number(struct tpl_lex *l)
{
	const char *digits = "0123456789_";

	accept(l, "+-");
	if (accept(l, "0")) {
		if (accept(l, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (accept(l, "oO"))
			digits = "01234567_";
		else if (accept(l, "bB"))
			digits = "01_";
	}
	accept_run(l, digits);
	if (accept(l, "."))
		accept_run(l, digits);
	if (strlen(digits) == 11 && accept(l, "eE")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	if (strlen(digits) == 23 && accept(l, "pP")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	accept(l, "i");
	if (tpl_isalnum(peek(l))) {
		next(l);
		return 0;
	}
	return 1;
}

static void
lex_number(struct tpl_lex *l)
{
	if (!scan_number(l)) {
		lex_error(l, "bad number syntax");
		return;
	}
	if (l->pos < l->n && (l->s[l->pos] == '+' || l->s[l->pos] == '-')) {
		if (!scan_number(l) || l->s[l->pos - 1] != 'i') {
			lex_error(l, "bad number syntax");
			return;
		}
		emit(l, IT_COMPLEX);
	} else
		emit(l, IT_NUMBER);
}

/* The punctuation cases of lexInsideAction. */
static void
lex_punct(struct tpl_lex *l, uint32_t r)
{
	switch (r) {
	case '=':
		emit(l, IT_ASSIGN);
		break;
	case ':':
		if (next(l) != '=')
			lex_error(l, "expected :=");
		else
			emit(l, IT_DECLARE);
		break;
	case '|':
		emit(l, IT_PIPE);
		break;
	case '(':
		emit(l, IT_LPAREN);
		l->paren++;
		break;
	case ')':
		emit(l, IT_RPAREN);
		if (--l->paren < 0)
			lex_error(l, "unexpected right paren");
		break;
	default:
		if (r < 0x80 && r >= 0x20 && r < 0x7f)
			emit(l, IT_CHAR);
		else
			lex_error(l, "unrecognized character in action");
	}
}

/* lexInsideAction. */
static void
lex_action(struct tpl_lex *l)
{
	uint32_t r;

	if (at_right_delim(l)) {
		if (l->paren == 0)
			lex_right_delim(l);
		else
			lex_error(l, "unclosed left paren");
		return;
	}
	r = next(l);
	if (r == EOF_RUNE)
		lex_error(l, "unclosed action");
	else if (is_space(r)) {
		l->pos--;
		lex_space(l);
	} else if (r == '"')
		lex_quote(l, '"', IT_STRING);
	else if (r == '`')
		lex_quote(l, '`', IT_RAWSTRING);
	else if (r == '\'')
		lex_quote(l, '\'', IT_CHARCONST);
	else if (r == '$') {
		if (at_terminator(l))
			emit(l, IT_VARIABLE);
		else
			lex_field_or_var(l, IT_VARIABLE);
	} else if (r == '.' && l->pos < l->n &&
	    (l->s[l->pos] < '0' || l->s[l->pos] > '9'))
		lex_field_or_var(l, IT_FIELD);
	else if (r == '.' || r == '+' || r == '-' || (r >= '0' && r <= '9')) {
		l->pos--;
		lex_number(l);
	} else if (tpl_isalnum(r)) {
		l->pos = l->start;
		lex_identifier(l);
	} else
		lex_punct(l, r);
}

void
tpl_lex_init(struct tpl_lex *l, const char *s, size_t n)
{
	memset(l, 0, sizeof(*l));
	l->s = s;
	l->n = n;
	l->state = ST_TEXT;
}

/* The next item; after EOF or an error, the same again. */
void
tpl_lex_next(struct tpl_lex *l, struct tpl_tok *out)
{
	while (l->nq == 0) {
		switch (l->state) {
		case ST_TEXT:
			lex_text(l);
			break;
		case ST_ACTION:
			lex_action(l);
			break;
		default:
			out->t = IT_EOF;
			out->pos = (uint32_t)l->n;
			out->len = 0;
			out->msg = NULL;
			return;
		}
	}
	*out = l->q[0];
	memmove(l->q, l->q + 1, --l->nq * sizeof(l->q[0]));
	if (out->t == IT_ERROR) {
		l->nq = 0;
		l->state = ST_DONE;
	}
}
