/* jsonedit.c: find and replace values in JSON text without reprinting it */
/* SPDX-License-Identifier: MIT */
#include "chars.h"
#include "config.h"

#include <string.h>

#include "buf.h"
#include "jsonedit.h"
#include "util.h"

/*
 * One scanner serves every entry point.  It walks the text once, left to
 * right, with an explicit stack of JSON_DEPTH_MAX levels instead of
 * recursion, so hostile nesting costs a bounded amount of stack and fails
 * at the limit.  It reads s[i] only after checking i < n: the text need not
 * be NUL-terminated.  Grammar is RFC 8259, with strings required to be
 * well-formed UTF-8.
 *
 * While scanning it follows the path: an object is "on the path" when it
 * is the root or the value of the matching key in an object on the path.
 * Only the keys of such objects are decoded and compared.  The values met
 * along the path are kept in v[]: v[0] is the root, v[k + 1] the value of
 * path[k].  A later occurrence of a key restarts the chain from there,
 * which gives "the last duplicate wins" without a second pass.
 */

enum scan_state {
	ST_VALUE, /* a value must start here */
	ST_FIRST, /* just after '{' or '[': a member or the close */
	ST_KEY,   /* a member name must start here */
	ST_NEXT,  /* after a value: ',' or the close, or the end */
	ST_DONE,  /* the whole text was one value */
	ST_BAD,   /* malformed */
};

struct scan {
	const char *const *path; /* NULL-terminated keys */
	size_t plen;             /* number of keys in path */
	size_t nfound;           /* v[0 .. nfound - 1] are set */
	/* A value with a slot is inside objects that are all on the path,
	 * so its slot is at most its depth, which is at most
	 * JSON_DEPTH_MAX; the root's slot is 0. */
	struct json_span v[JSON_DEPTH_MAX + 1];
};

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && is_ws(s[i]))
		i++;
	return i;
}

/* The four hex digits at s[i..i+4), which must lie before end. */
static int
hex4(const char *s, size_t end, size_t i, unsigned *cp)
{
	size_t k;
	char c;

	if (end < 4 || i > end - 4)
		return -1;
	*cp = 0;
	for (k = 0; k < 4; k++) {
		c = s[i + k];
		if (ch_digit((unsigned char)c))
			*cp = *cp << 4 | (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*cp = *cp << 4 | (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*cp = *cp << 4 | (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static size_t
put_utf8(unsigned cp, unsigned char u[4])
{
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (unsigned char)(0xf0 | cp >> 18);
	u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	u[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decodes the one character at s[*ip] of a string body that ends before
 * end (*ip < end): an escape, or one raw UTF-8 sequence.  Its UTF-8 bytes
 * go to u; returns their count and advances *ip, or returns 0 when the
 * text is malformed (raw control byte, bare '"', bad escape, bad UTF-8).
 * An escaped surrogate without its partner becomes U+FFFD when lax, which
 * is what Go's decoder does, and is an error otherwise.
 */
static size_t
str_char(const char *s, size_t *ip, size_t end, unsigned char u[4], int lax)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = *ip, len;
	unsigned cp, lo;

	if (p[i] < 0x20 || p[i] == '"')
		return 0;
	if (p[i] != '\\') {
		if ((len = utf8_seq(p + i, end - i)) == 0)
			return 0;
		memcpy(u, p + i, len);
		*ip = i + len;
		return len;
	}
	if (i + 1 >= end)
		return 0;
	*ip = i + 2;
	switch (p[i + 1]) {
	case '"':
	case '\\':
	case '/':
		u[0] = p[i + 1];
		return 1;
	case 'b':
		u[0] = '\b';
		return 1;
	case 'f':
		u[0] = '\f';
		return 1;
	case 'n':
		u[0] = '\n';
		return 1;
	case 'r':
		u[0] = '\r';
		return 1;
	case 't':
		u[0] = '\t';
		return 1;
	case 'u':
		break;
	default:
		return 0;
	}
	if (hex4(s, end, i + 2, &cp) == -1)
		return 0;
	i += 6;
	if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < end && p[i] == '\\' &&
	    p[i + 1] == 'u' && hex4(s, end, i + 2, &lo) == 0 && lo >= 0xdc00 &&
	    lo <= 0xdfff) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		i += 6;
	} else if (cp >= 0xd800 && cp <= 0xdfff) {
		if (!lax)
			return 0;
		cp = 0xfffd;
	}
	*ip = i;
	return put_utf8(cp, u);
}

/*
 * Scans the string whose opening quote is at s[*ip] and leaves *ip after
 * the closing quote.  When want is not NULL, *eq says whether the decoded
 * string equals the C string want (a decoded NUL never matches, since want
 * ends there).
 */
static int
scan_string(const char *s, size_t n, size_t *ip, const char *want, int *eq)
{
	unsigned char u[4];
	size_t i = *ip + 1, len, k;
	int same = want != NULL;

	while (i < n && s[i] != '"') {
		if ((len = str_char(s, &i, n, u, 1)) == 0)
			return -1;
		for (k = 0; same && k < len; k++) {
			if (*want == '\0' || (unsigned char)*want != u[k])
				same = 0;
			else
				want++;
		}
	}
	if (i == n)
		return -1;
	*ip = i + 1;
	if (eq != NULL)
		*eq = same && *want == '\0';
	return 0;
}

/* Skips [0-9]+; returns 0 when there was not even one digit. */
static int
digits(const char *s, size_t n, size_t *ip)
{
	size_t i = *ip;

	while (i < n && ch_digit((unsigned char)s[i]))
		i++;
	if (i == *ip)
		return 0;
	*ip = i;
	return 1;
}

/* number := -? ( 0 | [1-9][0-9]* ) ( . [0-9]+ )? ( [eE] [+-]? [0-9]+ )? */
static int
scan_number(const char *s, size_t n, size_t *ip)
{
	size_t i = *ip;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i == n || s[i] < '1' || s[i] > '9' || !digits(s, n, &i))
		return -1;
	if (i < n && s[i] == '.') {
		i++;
		if (!digits(s, n, &i))
			return -1;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!digits(s, n, &i))
			return -1;
	}
	*ip = i;
	return 0;
}

/* Scans the literal word at s[*ip]: its type, or JSON_NONE. */
static enum json_type
scan_word(const char *s, size_t n, size_t *ip, const char *word,
    enum json_type type)
{
	size_t len = strlen(word);

	if (n - *ip < len || memcmp(s + *ip, word, len) != 0)
		return JSON_NONE;
	*ip += len;
	return type;
}

/* Scans the scalar at s[*ip] (*ip < n); JSON_NONE when malformed. */
static enum json_type
scan_scalar(const char *s, size_t n, size_t *ip)
{
	switch (s[*ip]) {
	case '"':
		if (scan_string(s, n, ip, NULL, NULL) == -1)
			return JSON_NONE;
		return JSON_STRING;
	case 't':
		return scan_word(s, n, ip, "true", JSON_TRUE);
	case 'f':
		return scan_word(s, n, ip, "false", JSON_FALSE);
	case 'n':
		return scan_word(s, n, ip, "null", JSON_NULL);
	default:
		return scan_number(s, n, ip) == 0 ? JSON_NUMBER : JSON_NONE;
	}
}

/*
 * Validates the n bytes at s as one JSON value nested at most maxdepth
 * (<= JSON_DEPTH_MAX) deep and, when sc is not NULL, records the values
 * along sc->path.  Returns 0 or -1.
 */
/* The scanner's state between the steps of scan(). */
struct scanner {
	const char *s;
	size_t n, i;
	int maxdepth;
	struct scan *sc;                  /* the path to find, or NULL */
	char open[JSON_DEPTH_MAX + 1];    /* '{' or '[' of each open level */
	size_t start[JSON_DEPTH_MAX + 1]; /* offset of that bracket */
	int slot[JSON_DEPTH_MAX + 1];     /* its slot in sc->v, or -1 */
	int d;      /* open levels; 1 inside the root container */
	int onpath; /* deepest level on the path, 0 for none */
	int cur;    /* slot of the value about to start, or -1 */
};

/* A value starts at k->i: a container opens, or a scalar is taken. */
static enum scan_state
scan_value(struct scanner *k)
{
	struct scan *sc = k->sc;
	enum json_type type;
	char c;

	if (k->i == k->n)
		return ST_BAD;
	if (k->cur >= 0) {
		/* Starts (or restarts) the chain here. */
		sc->v[k->cur].off = k->i;
		sc->nfound = (size_t)k->cur + 1;
	}
	c = k->s[k->i];
	if (c == '{' || c == '[') {
		if (k->d >= k->maxdepth)
			return ST_BAD;
		k->d++;
		k->open[k->d] = c;
		k->start[k->d] = k->i++;
		k->slot[k->d] = k->cur;
		if (k->cur >= 0) {
			sc->v[k->cur].type =
			    c == '{' ? JSON_OBJECT : JSON_ARRAY;
			if (c == '{' && (size_t)k->cur < sc->plen)
				k->onpath = k->d;
		}
		k->cur = -1;
		return ST_FIRST;
	}
	if ((type = scan_scalar(k->s, k->n, &k->i)) == JSON_NONE)
		return ST_BAD;
	if (k->cur >= 0) {
		sc->v[k->cur].len = k->i - sc->v[k->cur].off;
		sc->v[k->cur].type = type;
	}
	k->cur = -1;
	return ST_NEXT;
}

/* A member name and its ':'; keys on the path are compared with it. */
static enum scan_state
scan_key(struct scanner *k)
{
	int eq = 0;

	if (k->i == k->n || k->s[k->i] != '"')
		return ST_BAD;
	if (scan_string(k->s, k->n, &k->i,
	        k->d == k->onpath ? k->sc->path[k->d - 1] : NULL, &eq) == -1)
		return ST_BAD;
	k->i = skip_ws(k->s, k->n, k->i);
	if (k->i == k->n || k->s[k->i] != ':')
		return ST_BAD;
	k->i++;
	k->cur = eq ? k->d : -1;
	return ST_VALUE;
}

/* After a value: ',' and the next member, the close, or the end. */
static enum scan_state
scan_next(struct scanner *k)
{
	int obj;

	if (k->d == 0)
		return k->i == k->n ? ST_DONE : ST_BAD; /* trailing garbage */
	if (k->i == k->n)
		return ST_BAD;
	obj = k->open[k->d] == '{';
	if (k->s[k->i] == ',') {
		k->i++;
		return obj ? ST_KEY : ST_VALUE;
	}
	if (k->s[k->i] != (obj ? '}' : ']'))
		return ST_BAD;
	k->i++;
	if (k->slot[k->d] >= 0)
		k->sc->v[k->slot[k->d]].len = k->i - k->start[k->d];
	if (k->onpath == k->d)
		k->onpath = k->d - 1;
	k->d--;
	return ST_NEXT;
}

static int
scan(const char *s, size_t n, int maxdepth, struct scan *sc)
{
	struct scanner k;
	enum scan_state st = ST_VALUE;

	memset(&k, 0, sizeof(k));
	k.s = s;
	k.n = n;
	k.maxdepth = maxdepth;
	k.sc = sc;
	k.cur = sc ? 0 : -1;
	while (st != ST_DONE && st != ST_BAD) {
		k.i = skip_ws(s, n, k.i);
		switch (st) {
		case ST_VALUE:
			st = scan_value(&k);
			break;
		case ST_FIRST:
			/* An immediate close is left for ST_NEXT to take;
			 * anything else must be a first member. */
			if (k.i < n &&
			    s[k.i] == (k.open[k.d] == '{' ? '}' : ']'))
				st = ST_NEXT;
			else
				st = k.open[k.d] == '{' ? ST_KEY : ST_VALUE;
			break;
		case ST_KEY:
			st = scan_key(&k);
			break;
		default:
			st = scan_next(&k);
			break;
		}
	}
	return st == ST_DONE ? 0 : -1;
}

/* Scans s following path (NULL counts as empty) into *sc. */
static int
locate(const char *s, size_t n, const char *const *path, struct scan *sc)
{
	static const char *const none[] = { NULL };

	memset(sc, 0, sizeof(*sc));
	sc->path = path != NULL ? path : none;
	while (sc->path[sc->plen] != NULL)
		sc->plen++;
	return scan(s, n, JSON_DEPTH_MAX, sc);
}

int
json_check(const char *s, size_t n, int maxdepth)
{
	if (maxdepth < 0)
		return -1;
	if (maxdepth > JSON_DEPTH_MAX)
		maxdepth = JSON_DEPTH_MAX;
	return scan(s, n, maxdepth, NULL);
}

int
json_find(const char *s, size_t n, const char *const *path,
    struct json_span *sp)
{
	struct scan sc;

	if (locate(s, n, path, &sc) == -1)
		return -1;
	if (sc.nfound != sc.plen + 1)
		return 1;
	*sp = sc.v[sc.plen];
	return 0;
}

int
json_set(struct buf *out, const char *s, size_t n, const char *const *path,
    const char *val, size_t vallen)
{
	struct scan sc;
	const struct json_span *at;
	size_t k, i, cut, cutlen;
	int wrap, comma = 0;

	if (locate(s, n, path, &sc) == -1)
		return -1;
	if (sc.nfound == sc.plen + 1) {
		/* Found: the value's bytes are swapped for val. */
		at = &sc.v[sc.plen];
		if (buf_add(out, s, at->off) == -1 ||
		    buf_add(out, val, vallen) == -1 ||
		    buf_add(out, s + at->off + at->len,
		        n - at->off - at->len) == -1)
			return -1;
		return 0;
	}

	/*
	 * path[k ..] are missing, and at is the value of path[k - 1] (or the
	 * root).  The missing members become "k1":{"k2":{... "kN":val}}.
	 * The result nests at least plen objects deep, so a longer path
	 * could never be read back.
	 */
	k = sc.nfound - 1;
	at = &sc.v[k];
	if (sc.plen > JSON_DEPTH_MAX)
		return -1;
	for (i = k; i < sc.plen; i++)
		if (!utf8_valid(sc.path[i], strlen(sc.path[i])))
			return -1;
	if (at->type == JSON_OBJECT) {
		/* Insert as the first member, right after the '{'. */
		cut = at->off + 1;
		cutlen = 0;
		wrap = 0;
		comma = s[skip_ws(s, n, cut)] != '}';
	} else if (at->type == JSON_NULL) {
		/* null becomes a new object. */
		cut = at->off;
		cutlen = at->len;
		wrap = 1;
	} else {
		return -1;
	}
	if (buf_add(out, s, cut) == -1 || (wrap && buf_addch(out, '{') == -1))
		return -1;
	for (i = k; i < sc.plen; i++) {
		if (json_quote(out, sc.path[i], strlen(sc.path[i])) == -1 ||
		    buf_addch(out, ':') == -1 ||
		    (i + 1 < sc.plen && buf_addch(out, '{') == -1))
			return -1;
	}
	if (buf_add(out, val, vallen) == -1)
		return -1;
	for (i = k + 1; i < sc.plen; i++)
		if (buf_addch(out, '}') == -1)
			return -1;
	if ((wrap && buf_addch(out, '}') == -1) ||
	    (comma && buf_addch(out, ',') == -1))
		return -1;
	return buf_add(out, s + cut + cutlen, n - cut - cutlen);
}

int
json_string(const char *s, const struct json_span *sp, struct buf *out)
{
	unsigned char u[4];
	size_t i, end, len;
	int pass;

	if (sp->len < 2 || s[sp->off] != '"' || s[sp->off + sp->len - 1] != '"')
		return -1;
	end = sp->off + sp->len - 1;
	/* Pass 0 validates, pass 1 appends: a malformed string leaves out
	 * as it was. */
	for (pass = 0; pass < 2; pass++) {
		for (i = sp->off + 1; i < end;) {
			if ((len = str_char(s, &i, end, u, 0)) == 0)
				return -1;
			if (len == 1 && u[0] == '\0')
				return -1; /* \u0000 */
			if (pass == 1 && buf_add(out, u, len) == -1)
				return -1;
		}
	}
	return 0;
}

int
json_quote(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t i, run;

	if (!utf8_valid(s, n))
		return -1;
	if (buf_addch(out, '"') == -1)
		return -1;
	for (i = 0; i < n; i += run) {
		unsigned char c = (unsigned char)s[i];

		/* Copy a run of bytes that need no escape in one go. */
		for (run = 0; i + run < n; run++) {
			c = (unsigned char)s[i + run];
			if (c < 0x20 || c == '"' || c == '\\')
				break;
		}
		if (run > 0) {
			if (buf_add(out, s + i, run) == -1)
				return -1;
			continue;
		}
		run = 1;
		if (c == '"' || c == '\\') {
			char two[2] = { '\\', (char)c };

			if (buf_add(out, two, sizeof(two)) == -1)
				return -1;
			continue;
		}
		/* Control byte: \u00XX; esc holds "\u00" already. */
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 0xf];
		if (buf_add(out, esc, sizeof(esc)) == -1)
			return -1;
	}
	return buf_addch(out, '"');
}
