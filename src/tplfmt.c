/* tplfmt.c: Go's fmt (print.go, format.go) and strconv quoting */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tplint.h"

/*
 * Sprint, Sprintln and Sprintf for the values a template holds, verb by
 * verb and flag by flag as Go 1.19 writes them, errors in the output
 * ("%!d(string=x)", "%!(EXTRA ...)", "%!v(MISSING)") included.  Writes
 * go to a struct buf; the first failed write makes the whole call fail.
 */

struct fmt {
	struct buf *b;
	const struct tpl_fmtdata *fd;
	int wid, prec, widp, precp;
	int minus, plus, sharp, space, zero, plusv, sharpv;
	int rc;
};

static const char ldigits[] = "0123456789abcdefx";
static const char udigits[] = "0123456789ABCDEFX";

const char *
tpl_type_name(enum tv_kind k)
{
	switch (k) {
	case TV_BOOL:
		return "bool";
	case TV_INT:
		return "int";
	case TV_BYTE:
		return "uint8";
	case TV_STRING:
		return "string";
	case TV_STRUCT:
		return "struct";
	default:
		return "<nil>";
	}
}

static void
put(struct fmt *f, const char *s, size_t n)
{
	if (f->rc == 0 && n > 0 && buf_add(f->b, s, n) == -1)
		f->rc = -1;
}

/*
 * The type's name as reflect writes it; the data is an unnamed struct
 * ("struct { Artifact string; ServiceName string }"), as it has no Go
 * type in this program.
 */
static int
type_name(const struct tpl_fmtdata *fd, enum tv_kind k, struct buf *b)
{
	size_t i;
	int rc;

	if (k != TV_STRUCT)
		return buf_addstr(b, tpl_type_name(k));
	if (fd->nfields == 0)
		return buf_addstr(b, "struct {}");
	rc = buf_addstr(b, "struct {");
	for (i = 0; i < fd->nfields && rc == 0; i++)
		rc = buf_addf(b, "%s %s string", i > 0 ? ";" : "",
		    fd->fields[i]);
	return rc == 0 ? buf_addstr(b, " }") : -1;
}

static void
put_type(struct fmt *f, enum tv_kind k)
{
	if (f->rc == 0 && type_name(f->fd, k, f->b) == -1)
		f->rc = -1;
}

static void
puts_(struct fmt *f, const char *s)
{
	put(f, s, strlen(s));
}

static void
putc_(struct fmt *f, char c)
{
	put(f, &c, 1);
}

static size_t
rune_count(const char *s, size_t n)
{
	size_t i, k = 0;
	uint32_t r;

	for (i = 0; i < n; k++)
		i += tpl_utf8(s + i, n - i, &r);
	return k;
}

/* writePadding. */
static void
padding(struct fmt *f, long n)
{
	char c = f->zero ? '0' : ' ';

	for (; n > 0 && f->rc == 0; n--)
		putc_(f, c);
}

/* pad / padString. */
static void
pad(struct fmt *f, const char *s, size_t n)
{
	long w;

	if (!f->widp || f->wid == 0) {
		put(f, s, n);
		return;
	}
	w = (long)f->wid - (long)rune_count(s, n);
	if (!f->minus) {
		padding(f, w);
		put(f, s, n);
	} else {
		put(f, s, n);
		padding(f, w);
	}
}

/* truncateString: at most prec runes. */
static size_t
truncate_(const struct fmt *f, const char *s, size_t n)
{
	size_t i = 0, k;
	uint32_t r;

	if (!f->precp)
		return n;
	for (k = 0; i < n && k < (size_t)f->prec; k++)
		i += tpl_utf8(s + i, n - i, &r);
	return i;
}

static void
fmt_s(struct fmt *f, const char *s, size_t n)
{
	pad(f, s, truncate_(f, s, n));
}

/* appendEscapedRune. */
static int
escaped_rune(struct buf *b, uint32_t r, char q, int ascii)
{
	char tmp[4];
	const char *e;
	static const char esc[] = "\aa\bb\ff\nn\rr\tt\vv";

	if (r == (uint32_t)(unsigned char)q || r == '\\')
		return buf_addch(b, '\\') == -1 ? -1 : buf_addch(b, (char)r);
	if (ascii ? (r < 0x80 && tpl_isprint(r)) : tpl_isprint(r))
		return buf_add(b, tmp, tpl_utf8_put(tmp, r));
	if (r != 0 && r < 0x80 && (e = strchr(esc, (int)r)) != NULL &&
	    (e - esc) % 2 == 0)
		return buf_addch(b, '\\') == -1 ? -1 : buf_addch(b, e[1]);
	if (r < ' ' || r == 0x7f)
		return buf_addf(b, "\\x%02x", r);
	if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		r = 0xfffd;
	if (r < 0x10000)
		return buf_addf(b, "\\u%04x", r);
	return buf_addf(b, "\\U%08x", r);
}

/* strconv.Quote (ascii: QuoteToASCII) of s into b. */
int
tpl_quote(struct buf *b, const char *s, size_t n, int ascii)
{
	size_t i, w;
	uint32_t r;

	if (buf_addch(b, '"') == -1)
		return -1;
	for (i = 0; i < n; i += w) {
		w = tpl_utf8(s + i, n - i, &r);
		if (w == 1 && r == 0xfffd && (unsigned char)s[i] >= 0x80) {
			if (buf_addf(b, "\\x%02x", (unsigned char)s[i]) == -1)
				return -1;
			continue;
		}
		if (escaped_rune(b, r, '"', ascii) == -1)
			return -1;
	}
	return buf_addch(b, '"');
}

/* strconv.CanBackquote. */
static int
can_backquote(const char *s, size_t n)
{
	size_t i, w;
	uint32_t r;

	for (i = 0; i < n; i += w) {
		w = tpl_utf8(s + i, n - i, &r);
		if (w > 1) {
			if (r == 0xfeff)
				return 0;
			continue;
		}
		if (r == 0xfffd)
			return 0;
		if ((r < ' ' && r != '\t') || r == '`' || r == 0x7f)
			return 0;
	}
	return 1;
}

/* Pads the scratch buffer t, whose filling returned rc. */
static void
pad_buf(struct fmt *f, struct buf *t, int rc)
{
	if (rc == -1)
		f->rc = -1;
	else
		pad(f, t->data != NULL ? t->data : "", t->len);
	buf_free(t);
}

/* fmtQ. */
static void
fmt_q(struct fmt *f, const char *s, size_t n)
{
	struct buf t;
	int rc = 0;

	n = truncate_(f, s, n);
	buf_init(&t, TPL_MAX_TEMP);
	if (f->sharp && can_backquote(s, n)) {
		if (buf_addch(&t, '`') == -1 || buf_add(&t, s, n) == -1 ||
		    buf_addch(&t, '`') == -1)
			rc = -1;
	} else
		rc = tpl_quote(&t, s, n, f->plus);
	pad_buf(f, &t, rc);
}

/* fmtQc: strconv.QuoteRune (QuoteRuneToASCII with +). */
static void
fmt_qc(struct fmt *f, uint64_t c)
{
	uint32_t r = c > 0x10ffff ? 0xfffd : (uint32_t)c;
	struct buf t;
	int rc;

	if (r >= 0xd800 && r <= 0xdfff)
		r = 0xfffd;
	buf_init(&t, 64);
	rc = buf_addch(&t, '\'');
	if (rc == 0)
		rc = escaped_rune(&t, r, '\'', f->plus);
	if (rc == 0)
		rc = buf_addch(&t, '\'');
	pad_buf(f, &t, rc);
}

/* fmtC. */
static void
fmt_c(struct fmt *f, uint64_t c)
{
	char tmp[4];

	pad(f, tmp, tpl_utf8_put(tmp, c > 0x10ffff ? 0xfffd : (uint32_t)c));
}

/* fmtSbx for a string. */
static void
fmt_sx(struct fmt *f, const char *s, size_t n, const char *digits)
{
	size_t len = n, i;
	long width;

	if (f->precp && (size_t)f->prec < len)
		len = (size_t)f->prec;
	width = 2 * (long)len;
	if (width > 0) {
		if (f->space) {
			if (f->sharp)
				width *= 2;
			width += (long)len - 1;
		} else if (f->sharp)
			width += 2;
	} else {
		if (f->widp)
			padding(f, f->wid);
		return;
	}
	if (f->widp && f->wid > width && !f->minus)
		padding(f, f->wid - width);
	if (f->sharp) {
		putc_(f, '0');
		putc_(f, digits[16]);
	}
	for (i = 0; i < len; i++) {
		if (f->space && i > 0) {
			putc_(f, ' ');
			if (f->sharp) {
				putc_(f, '0');
				putc_(f, digits[16]);
			}
		}
		putc_(f, digits[(unsigned char)s[i] >> 4]);
		putc_(f, digits[(unsigned char)s[i] & 15]);
	}
	if (f->widp && f->wid > width && f->minus)
		padding(f, f->wid - width);
}

/* fmt.fmtInteger. */
static void
fmt_integer(struct fmt *f, uint64_t u, int base, int sign, int verb,
    const char *digits)
{
	int neg = sign && (int64_t)u < 0, zero;
	size_t cap = 68, i;
	long prec = 0;
	char *buf;

	if (neg)
		u = -u;
	if (f->widp || f->precp)
		if ((size_t)(3 + f->wid + f->prec) > cap)
			cap = (size_t)(3 + f->wid + f->prec);
	if (f->precp) {
		prec = f->prec;
		if (prec == 0 && u == 0) {
			zero = f->zero;
			f->zero = 0;
			padding(f, f->wid);
			f->zero = zero;
			return;
		}
	} else if (f->zero && f->widp) {
		prec = f->wid;
		if (neg || f->plus || f->space)
			prec--;
	}
	if ((buf = malloc(cap)) == NULL) {
		f->rc = -1;
		return;
	}
	i = cap;
	do {
		buf[--i] = digits[u % (uint64_t)base];
		u /= (uint64_t)base;
	} while (u > 0);
	while (i > 0 && prec > (long)(cap - i))
		buf[--i] = '0';
	if (f->sharp) {
		if (base == 2) {
			buf[--i] = 'b';
			buf[--i] = '0';
		} else if (base == 8 && buf[i] != '0')
			buf[--i] = '0';
		else if (base == 16) {
			buf[--i] = digits[16];
			buf[--i] = '0';
		}
	}
	if (verb == 'O') {
		buf[--i] = 'o';
		buf[--i] = '0';
	}
	if (neg)
		buf[--i] = '-';
	else if (f->plus)
		buf[--i] = '+';
	else if (f->space)
		buf[--i] = ' ';
	zero = f->zero;
	f->zero = 0;
	pad(f, buf + i, cap - i);
	f->zero = zero;
	free(buf);
}

/* fmt.fmtUnicode. */
static void
fmt_unicode(struct fmt *f, uint64_t u)
{
	char num[24], quoted[8];
	struct buf t;
	int prec = 4, zero, rc, nq = 0;
	size_t k = 0, i;

	if (f->precp && f->prec > 4)
		prec = f->prec;
	if (f->sharp && u <= 0x10ffff && tpl_isprint((uint32_t)u)) {
		quoted[nq++] = ' ';
		quoted[nq++] = '\'';
		nq += (int)tpl_utf8_put(quoted + nq, (uint32_t)u);
		quoted[nq++] = '\'';
	}
	do {
		num[k++] = udigits[u & 15];
		u >>= 4;
	} while (u > 0);
	buf_init(&t, TPL_MAX_TEMP);
	rc = buf_add(&t, "U+", 2);
	for (i = k; (int)i < prec && rc == 0; i++)
		rc = buf_addch(&t, '0');
	while (k > 0 && rc == 0)
		rc = buf_addch(&t, num[--k]);
	if (rc == 0)
		rc = buf_add(&t, quoted, (size_t)nq);
	zero = f->zero;
	f->zero = 0;
	pad_buf(f, &t, rc);
	f->zero = zero;
}

static void print_arg(struct fmt *, const struct tv *, int);

/* badVerb: "%!d(string=x)". */
static void
bad_verb(struct fmt *f, const struct tv *v, int verb)
{
	char tmp[4];

	puts_(f, "%!");
	put(f, tmp, tpl_utf8_put(tmp, (uint32_t)verb));
	putc_(f, '(');
	if (v->k == TV_NIL)
		puts_(f, "<nil>");
	else {
		put_type(f, v->k);
		putc_(f, '=');
		print_arg(f, v, 'v');
	}
	putc_(f, ')');
}

/* pp.fmtInteger. */
static void
print_integer(struct fmt *f, const struct tv *v, int verb)
{
	uint64_t u = (uint64_t)v->i;
	int sign = v->k == TV_INT, sharp;

	switch (verb) {
	case 'v':
		if (f->sharpv && !sign) {
			sharp = f->sharp;
			f->sharp = 1;
			fmt_integer(f, u, 16, 0, 'v', ldigits);
			f->sharp = sharp;
		} else
			fmt_integer(f, u, 10, sign, verb, ldigits);
		break;
	case 'd':
		fmt_integer(f, u, 10, sign, verb, ldigits);
		break;
	case 'b':
		fmt_integer(f, u, 2, sign, verb, ldigits);
		break;
	case 'o':
	case 'O':
		fmt_integer(f, u, 8, sign, verb, ldigits);
		break;
	case 'x':
		fmt_integer(f, u, 16, sign, verb, ldigits);
		break;
	case 'X':
		fmt_integer(f, u, 16, sign, verb, udigits);
		break;
	case 'c':
		fmt_c(f, u);
		break;
	case 'q':
		fmt_qc(f, u);
		break;
	case 'U':
		fmt_unicode(f, u);
		break;
	default:
		bad_verb(f, v, verb);
		break;
	}
}

static void
print_string(struct fmt *f, const struct tv *v, int verb)
{
	switch (verb) {
	case 'v':
		if (f->sharpv)
			fmt_q(f, v->s, v->n);
		else
			fmt_s(f, v->s, v->n);
		break;
	case 's':
		fmt_s(f, v->s, v->n);
		break;
	case 'x':
		fmt_sx(f, v->s, v->n, ldigits);
		break;
	case 'X':
		fmt_sx(f, v->s, v->n, udigits);
		break;
	case 'q':
		fmt_q(f, v->s, v->n);
		break;
	default:
		bad_verb(f, v, verb);
		break;
	}
}

/* printValue of the struct: each field with the same verb. */
static void
print_struct(struct fmt *f, int verb)
{
	const char *s;
	struct tv fv;
	size_t i;

	if (f->sharpv)
		put_type(f, TV_STRUCT);
	putc_(f, '{');
	for (i = 0; i < f->fd->nfields; i++) {
		if (i > 0)
			puts_(f, f->sharpv ? ", " : " ");
		if (f->plusv || f->sharpv) {
			puts_(f, f->fd->fields[i]);
			putc_(f, ':');
		}
		s = f->fd->values != NULL && f->fd->values[i] != NULL
		    ? f->fd->values[i]
		    : "";
		fv.k = TV_STRING;
		fv.s = s;
		fv.n = strlen(s);
		fv.i = 0;
		print_string(f, &fv, verb);
	}
	putc_(f, '}');
}

/* printArg. */
static void
print_arg(struct fmt *f, const struct tv *v, int verb)
{
	struct buf t;

	if (v->k == TV_NIL) {
		if (verb == 'T' || verb == 'v')
			pad(f, "<nil>", 5);
		else
			bad_verb(f, v, verb);
		return;
	}
	if (verb == 'T') {
		buf_init(&t, TPL_MAX_TEMP);
		if (type_name(f->fd, v->k, &t) == 0)
			fmt_s(f, t.data, t.len);
		else
			f->rc = -1;
		buf_free(&t);
		return;
	}
	if (verb == 'p') {
		bad_verb(f, v, verb);
		return;
	}
	switch (v->k) {
	case TV_BOOL:
		if (verb == 't' || verb == 'v')
			pad(f, v->i ? "true" : "false", v->i ? 4 : 5);
		else
			bad_verb(f, v, verb);
		break;
	case TV_INT:
	case TV_BYTE:
		print_integer(f, v, verb);
		break;
	case TV_STRING:
		print_string(f, v, verb);
		break;
	default:
		print_struct(f, verb);
		break;
	}
}

static void
clear_flags(struct fmt *f)
{
	f->wid = f->prec = f->widp = f->precp = 0;
	f->minus = f->plus = f->sharp = f->space = f->zero = 0;
	f->plusv = f->sharpv = 0;
}

/* Sprint (ln: Sprintln). */
int
tpl_sprint(struct buf *b, const struct tv *a, size_t n, int ln,
    const struct tpl_fmtdata *fd)
{
	struct fmt f;
	size_t i;
	int str, prev = 0;

	memset(&f, 0, sizeof(f));
	f.b = b;
	f.fd = fd;
	for (i = 0; i < n; i++) {
		str = a[i].k == TV_STRING;
		if (i > 0 && (ln || (!str && !prev)))
			putc_(&f, ' ');
		print_arg(&f, &a[i], 'v');
		prev = str;
	}
	if (ln)
		putc_(&f, '\n');
	return f.rc;
}

static int
too_large(long x)
{
	return x > TPL_MAX_WIDTH || x < -TPL_MAX_WIDTH;
}

/* parsenum: digits of s[*i..end); 1 when there was a number. */
static int
parse_num(const char *s, size_t *i, size_t end, int *num)
{
	long v = 0;
	int any = 0;

	for (; *i < end && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
		if (too_large(v)) {
			*i = end;
			*num = 0;
			return 0;
		}
		v = v * 10 + (s[*i] - '0');
		any = 1;
	}
	*num = (int)v;
	return any;
}

/* intFromArg. */
static int
int_from_arg(const struct tv *a, size_t na, size_t *argn, int *num)
{
	int ok = 0;

	*num = 0;
	if (*argn < na) {
		if (a[*argn].k == TV_INT || a[*argn].k == TV_BYTE) {
			*num = (int)a[*argn].i;
			ok = a[*argn].i >= INT32_MIN && a[*argn].i <= INT32_MAX;
		}
		(*argn)++;
		if (!ok || too_large(*num)) {
			*num = 0;
			ok = 0;
		}
	}
	return ok;
}

struct pstate {
	const char *s;
	size_t end, i, argn, na;
	int reordered, good, after;
};

/* argNumber: "[n]" at i. */
static void
arg_number(struct pstate *p)
{
	size_t j;
	int idx;

	p->after = 0;
	if (p->i >= p->end || p->s[p->i] != '[')
		return;
	p->reordered = 1;
	for (j = p->i + 1; j < p->end; j++)
		if (p->s[j] == ']')
			break;
	if (p->end - p->i < 3 || j == p->end) {
		p->good = 0;
		p->i += 1;
		return;
	}
	{
		size_t k = p->i + 1;
		int ok = parse_num(p->s, &k, j, &idx);

		if (!ok || k != j) {
			p->good = 0;
			p->i = j + 1;
			return;
		}
		p->i = j + 1;
		if (idx - 1 >= 0 && (size_t)(idx - 1) < p->na) {
			p->argn = (size_t)(idx - 1);
			p->after = 1;
		} else {
			p->good = 0;
			p->after = 1;
		}
	}
}

/* The flags; returns 1 when a simple verb was printed at once. */
static int
flags(struct fmt *f, struct pstate *p, const struct tv *a)
{
	char c;

	for (; p->i < p->end; p->i++) {
		c = p->s[p->i];
		switch (c) {
		case '#':
			f->sharp = 1;
			break;
		case '0':
			f->zero = !f->minus;
			break;
		case '+':
			f->plus = 1;
			break;
		case '-':
			f->minus = 1;
			f->zero = 0;
			break;
		case ' ':
			f->space = 1;
			break;
		default:
			if (c >= 'a' && c <= 'z' && p->argn < p->na) {
				if (c == 'v') {
					f->sharpv = f->sharp;
					f->sharp = 0;
					f->plusv = f->plus;
					f->plus = 0;
				}
				print_arg(f, &a[p->argn], c);
				p->argn++;
				p->i++;
				return 1;
			}
			return 0;
		}
	}
	return 0;
}

/* Width and precision, "*" or digits, each after an optional [n]. */
static void
width_prec(struct fmt *f, struct pstate *p, const struct tv *a)
{
	arg_number(p);
	if (p->i < p->end && p->s[p->i] == '*') {
		p->i++;
		f->widp = int_from_arg(a, p->na, &p->argn, &f->wid);
		if (!f->widp)
			puts_(f, "%!(BADWIDTH)");
		if (f->wid < 0) {
			f->wid = -f->wid;
			f->minus = 1;
			f->zero = 0;
		}
		p->after = 0;
	} else {
		f->widp = parse_num(p->s, &p->i, p->end, &f->wid);
		if (p->after && f->widp)
			p->good = 0;
	}
	if (p->i + 1 < p->end && p->s[p->i] == '.') {
		p->i++;
		if (p->after)
			p->good = 0;
		arg_number(p);
		if (p->i < p->end && p->s[p->i] == '*') {
			p->i++;
			f->precp = int_from_arg(a, p->na, &p->argn, &f->prec);
			if (f->prec < 0) {
				f->prec = 0;
				f->precp = 0;
			}
			if (!f->precp)
				puts_(f, "%!(BADPREC)");
			p->after = 0;
		} else {
			f->precp = parse_num(p->s, &p->i, p->end, &f->prec);
			if (!f->precp) {
				f->prec = 0;
				f->precp = 1;
			}
		}
	}
	if (!p->after)
		arg_number(p);
}

/* One verb after its flags, width and precision. */
static void
verb(struct fmt *f, struct pstate *p, const struct tv *a)
{
	char tmp[4];
	uint32_t r;

	p->i += tpl_utf8(p->s + p->i, p->end - p->i, &r);
	if (r == '%')
		putc_(f, '%');
	else if (!p->good) {
		puts_(f, "%!");
		put(f, tmp, tpl_utf8_put(tmp, r));
		puts_(f, "(BADINDEX)");
	} else if (p->argn >= p->na) {
		puts_(f, "%!");
		put(f, tmp, tpl_utf8_put(tmp, r));
		puts_(f, "(MISSING)");
	} else {
		if (r == 'v') {
			f->sharpv = f->sharp;
			f->sharp = 0;
			f->plusv = f->plus;
			f->plus = 0;
		}
		print_arg(f, &a[p->argn], (int)r);
		p->argn++;
	}
}

static void
extra(struct fmt *f, struct pstate *p, const struct tv *a)
{
	size_t i;

	clear_flags(f);
	puts_(f, "%!(EXTRA ");
	for (i = p->argn; i < p->na; i++) {
		if (i > p->argn)
			puts_(f, ", ");
		if (a[i].k == TV_NIL)
			puts_(f, "<nil>");
		else {
			put_type(f, a[i].k);
			putc_(f, '=');
			print_arg(f, &a[i], 'v');
		}
	}
	putc_(f, ')');
}

/* Sprintf: doPrintf. */
int
tpl_sprintf(struct buf *b, const char *s, size_t n, const struct tv *a,
    size_t na, const struct tpl_fmtdata *fd)
{
	struct fmt f;
	struct pstate p;
	size_t last;

	memset(&f, 0, sizeof(f));
	memset(&p, 0, sizeof(p));
	f.b = b;
	f.fd = fd;
	p.s = s;
	p.end = n;
	p.na = na;
	while (p.i < p.end && f.rc == 0) {
		p.good = 1;
		for (last = p.i; p.i < p.end && s[p.i] != '%'; p.i++)
			;
		put(&f, s + last, p.i - last);
		if (p.i >= p.end)
			break;
		p.i++;
		clear_flags(&f);
		if (flags(&f, &p, a))
			continue;
		width_prec(&f, &p, a);
		if (p.i >= p.end) {
			puts_(&f, "%!(NOVERB)");
			break;
		}
		verb(&f, &p, a);
	}
	if (!p.reordered && p.argn < p.na)
		extra(&f, &p, a);
	return f.rc;
}
