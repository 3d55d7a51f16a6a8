/* tplexec.c: template execution, as text/template's exec.go and funcs.go */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tplint.h"

/*
 * The walk over a tree follows exec.go function by function, with Go's
 * reflect.Value replaced by struct tv: the only values a template over
 * a struct of strings can hold are no value (TV_NIL), bool, int, uint8
 * (a byte of a string), string and the struct itself.  An execution
 * error stops the render, as Go's Execute returns one.  Strings that
 * functions make (print, printf, html, js, urlquery) are kept until the
 * render ends, within TPL_MAX_TEMP bytes in all.
 */

#define MAX_XVARS 1024

/* Parameter types of the builtins, as evalArg sees them. */
enum ptype { P_VALUE, P_IFACE, P_STRING, P_NONE };

struct xvar {
	const char *s;
	size_t n;
	struct tv v;
};

struct tmpstr {
	struct tmpstr *next;
	char *data;
};

struct xs {
	const struct tpl *t;
	struct tpl_fmtdata fd;
	struct buf *out;
	struct tpl_err *err;
	struct xvar vars[MAX_XVARS];
	size_t nvars, base; /* base: the current template's "$" */
	int depth;
	unsigned long steps;
	size_t tmpbytes;
	struct tmpstr *tmp;
};

/* A pipeline's value passed on to the next command. */
struct final {
	int set;
	struct tv v;
};

static int walk(struct xs *, const struct tv *, const struct tn *);
static int eval_pipe(struct xs *, const struct tv *, const struct tn *,
    struct tv *);

static int
fail(struct xs *x, const struct tn *n, const char *what)
{
	tpl_errf(x->err, n != NULL ? n->pos : 0, "%s", what);
	return -1;
}

static int
step(struct xs *x, const struct tn *n)
{
	if (++x->steps > TPL_MAX_STEPS) {
		tpl_errf(x->err, n->pos, "more than %d steps of execution",
		    TPL_MAX_STEPS);
		return -1;
	}
	return 0;
}

/* Keeps the string in b for the rest of the render, as *v. */
static int
keep(struct xs *x, const struct tn *n, struct buf *b, struct tv *v)
{
	struct tmpstr *ts;
	size_t len;

	if ((ts = malloc(sizeof(*ts))) == NULL) {
		buf_free(b);
		return fail(x, n, "out of memory");
	}
	x->tmpbytes += b->len;
	v->k = TV_STRING;
	ts->data = buf_take(b, &len);
	if (ts->data == NULL) {
		free(ts);
		return fail(x, n, "out of memory");
	}
	ts->next = x->tmp;
	x->tmp = ts;
	v->s = ts->data;
	v->n = len;
	return 0;
}

static void
tmp_init(struct xs *x, struct buf *b)
{
	buf_init(b,
	    x->tmpbytes < TPL_MAX_TEMP ? TPL_MAX_TEMP - x->tmpbytes : 0);
}

static int
tmp_fail(struct xs *x, const struct tn *n, struct buf *b)
{
	int e = errno;

	buf_free(b);
	if (e == EMSGSIZE) {
		tpl_errf(x->err, n->pos,
		    "more than %d bytes of intermediate "
		    "strings",
		    TPL_MAX_TEMP);
		return -1;
	}
	return fail(x, n, "out of memory");
}

/* isTrue. */
static int
truth(const struct tv *v)
{
	switch (v->k) {
	case TV_NIL:
		return 0;
	case TV_STRING:
		return v->n > 0;
	case TV_STRUCT:
		return 1;
	default:
		return v->i != 0;
	}
}

static void
set_str(struct tv *v, const char *s, size_t n)
{
	v->k = TV_STRING;
	v->s = s;
	v->n = n;
	v->i = 0;
}

static void
set_int(struct tv *v, enum tv_kind k, int64_t i)
{
	v->k = k;
	v->i = i;
	v->s = NULL;
	v->n = 0;
}

static const char *
field_value(const struct xs *x, size_t i)
{
	const char *s = x->fd.values != NULL ? x->fd.values[i] : NULL;

	return s != NULL ? s : "";
}

/* evalField on one name; has_args: the field is given arguments. */
static int
eval_field(struct xs *x, const struct tn *n, const struct tn_id *id,
    int has_args, struct tv *recv)
{
	const char *s;
	size_t i;

	if (recv->k == TV_NIL)
		return 0;
	if (recv->k == TV_STRUCT)
		for (i = 0; i < x->fd.nfields; i++)
			if (strlen(x->fd.fields[i]) == id->n &&
			    memcmp(x->fd.fields[i], id->s, id->n) == 0) {
				if (has_args)
					return fail(x, n,
					    "a field has "
					    "arguments but cannot be invoked "
					    "as function");
				s = field_value(x, i);
				set_str(recv, s, strlen(s));
				return 0;
			}
	tpl_errf(x->err, n->pos, "can't evaluate field %.*s in type %s",
	    (int)(id->n > 40 ? 40 : id->n), id->s, tpl_type_name(recv->k));
	return -1;
}

static int
field_chain(struct xs *x, const struct tn *n, const struct tn_id *ids,
    size_t nids, int has_args, struct tv *recv)
{
	size_t i;

	for (i = 0; i < nids; i++)
		if (eval_field(x, n, &ids[i], i + 1 == nids && has_args,
		        recv) == -1)
			return -1;
	return 0;
}

static int
var_value(struct xs *x, const struct tn *n, struct tv *v)
{
	size_t i;

	for (i = x->nvars; i-- > x->base;)
		if (x->vars[i].n == n->ids[0].n &&
		    memcmp(x->vars[i].s, n->ids[0].s, n->ids[0].n) == 0) {
			*v = x->vars[i].v;
			return 0;
		}
	return fail(x, n, "undefined variable");
}

/* validateType for the builtins' parameter types. */
static int
validate(struct xs *x, const struct tn *n, enum ptype pt, struct tv *v)
{
	if (pt != P_STRING || v->k == TV_STRING)
		return 0;
	if (v->k == TV_NIL)
		return fail(x, n, "invalid value; expected string");
	tpl_errf(x->err, n->pos,
	    "wrong type for value; expected string; "
	    "got %s",
	    tpl_type_name(v->k));
	return -1;
}

static int call_builtin(struct xs *, const struct tv *, const struct tn *,
    const struct tn *, const struct final *, struct tv *);

/* evalArg. */
static int
eval_arg(struct xs *x, const struct tv *dot, enum ptype pt, const struct tn *n,
    struct tv *v)
{
	struct final none = { 0, { TV_NIL, 0, NULL, 0 } };

	memset(v, 0, sizeof(*v));
	v->k = TV_NIL;
	switch (n->type) {
	case TN_DOT:
		*v = *dot;
		break;
	case TN_NIL:
		if (pt == P_STRING)
			return fail(x, n, "cannot assign nil to string");
		return 0;
	case TN_FIELD:
		*v = *dot;
		if (field_chain(x, n, n->ids, n->nids, 0, v) == -1)
			return -1;
		break;
	case TN_VAR:
		if (var_value(x, n, v) == -1 ||
		    field_chain(x, n, n->ids + 1, n->nids - 1, 0, v) == -1)
			return -1;
		break;
	case TN_PIPE:
		if (eval_pipe(x, dot, n, v) == -1)
			return -1;
		break;
	case TN_IDENT:
		if (call_builtin(x, dot, n, NULL, &none, v) == -1)
			return -1;
		break;
	case TN_CHAIN:
		if (n->a->type == TN_NIL)
			return fail(x, n, "indirection through explicit nil");
		if (eval_arg(x, dot, P_NONE, n->a, v) == -1 ||
		    field_chain(x, n, n->ids, n->nids, 0, v) == -1)
			return -1;
		break;
	case TN_STRING:
		set_str(v, n->s, n->n);
		return 0;
	case TN_BOOL:
	case TN_NUMBER:
		if (pt == P_STRING)
			return fail(x, n, "expected string");
		set_int(v, n->type == TN_BOOL ? TV_BOOL : TV_INT, n->i);
		return 0;
	default:
		return fail(x, n, "can't handle argument");
	}
	return validate(x, n, pt, v);
}

/* basicKind: 0 for the kinds Go cannot compare as basic values. */
static int
basic(enum tv_kind k)
{
	return k == TV_BOOL || k == TV_INT || k == TV_BYTE || k == TV_STRING;
}

static int
str_cmp(const struct tv *a, const struct tv *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int c = n > 0 ? memcmp(a->s, b->s, n) : 0;

	if (c != 0)
		return c;
	return a->n < b->n ? -1 : a->n > b->n;
}

/* One comparison of eq: 1, 0, or -1 for incompatible types. */
static int
eq1(const struct tv *a, const struct tv *b)
{
	if (a->k != b->k) {
		if ((a->k == TV_INT && b->k == TV_BYTE) ||
		    (a->k == TV_BYTE && b->k == TV_INT))
			return a->i == b->i;
		if (basic(a->k) && basic(b->k))
			return -1;
		/* basicKind is invalidKind for both nil and the struct */
		if (basic(a->k) || basic(b->k))
			return a->k == TV_NIL || b->k == TV_NIL ? 0 : -1;
		return 0;
	}
	if (a->k == TV_STRING)
		return str_cmp(a, b) == 0;
	if (a->k == TV_NIL || a->k == TV_STRUCT)
		return 1;
	return a->i == b->i;
}

/* lt: 1, 0, or -1 for an error. */
static int
lt1(const struct tv *a, const struct tv *b)
{
	if (!basic(a->k) || !basic(b->k))
		return -1;
	if (a->k != b->k) {
		if ((a->k == TV_INT && b->k == TV_BYTE) ||
		    (a->k == TV_BYTE && b->k == TV_INT))
			return a->i < b->i;
		return -1;
	}
	if (a->k == TV_BOOL)
		return -1;
	if (a->k == TV_STRING)
		return str_cmp(a, b) < 0;
	return a->i < b->i;
}

static int
compare(struct xs *x, const struct tn *n, enum tpl_fn fn, const struct tv *av,
    size_t na, struct tv *v)
{
	int r = 0, e;
	size_t i;

	if (fn == FN_EQ || fn == FN_NE) {
		if (na < 2)
			return fail(x, n, "missing argument for comparison");
		for (i = 1; i < na && r == 0; i++)
			if ((r = eq1(&av[0], &av[i])) == -1)
				return fail(x, n,
				    "incompatible types for "
				    "comparison");
		set_int(v, TV_BOOL, fn == FN_EQ ? r : !r);
		return 0;
	}
	if ((r = lt1(&av[0], &av[1])) == -1)
		return fail(x, n,
		    "incompatible or invalid types for "
		    "comparison");
	if (fn == FN_LE || fn == FN_GT) {
		e = eq1(&av[0], &av[1]);
		r = r || e == 1;
	}
	set_int(v, TV_BOOL, fn == FN_LT || fn == FN_LE ? r : !r);
	return 0;
}

/* indexArg. */
static int
index_arg(struct xs *x, const struct tn *n, const struct tv *ix, size_t cap,
    size_t *out)
{
	if (ix->k != TV_INT && ix->k != TV_BYTE)
		return fail(x, n,
		    ix->k == TV_NIL
		        ? "cannot index slice/array "
		          "with nil"
		        : "cannot index slice/array with this type");
	if (ix->i < 0 || (uint64_t)ix->i > cap) {
		tpl_errf(x->err, n->pos, "index out of range: %lld",
		    (long long)ix->i);
		return -1;
	}
	*out = (size_t)ix->i;
	return 0;
}

static int
fn_index(struct xs *x, const struct tn *n, const struct tv *av, size_t na,
    struct tv *v)
{
	size_t i, k;

	*v = av[0];
	if (v->k == TV_NIL)
		return fail(x, n, "index of untyped nil");
	for (i = 1; i < na; i++) {
		if (v->k != TV_STRING) {
			tpl_errf(x->err, n->pos, "can't index item of type %s",
			    tpl_type_name(v->k));
			return -1;
		}
		if (index_arg(x, n, &av[i], v->n, &k) == -1)
			return -1;
		if (k == v->n) {
			tpl_errf(x->err, n->pos, "index out of range: %zu", k);
			return -1;
		}
		set_int(v, TV_BYTE, (unsigned char)v->s[k]);
	}
	return 0;
}

static int
fn_slice(struct xs *x, const struct tn *n, const struct tv *av, size_t na,
    struct tv *v)
{
	size_t idx[2], i;

	if (av[0].k == TV_NIL)
		return fail(x, n, "slice of untyped nil");
	if (na > 4)
		return fail(x, n, "too many slice indexes");
	if (av[0].k != TV_STRING) {
		tpl_errf(x->err, n->pos, "can't slice item of type %s",
		    tpl_type_name(av[0].k));
		return -1;
	}
	if (na == 4)
		return fail(x, n, "cannot 3-index slice a string");
	idx[0] = 0;
	idx[1] = av[0].n;
	for (i = 1; i < na; i++)
		if (index_arg(x, n, &av[i], av[0].n, &idx[i - 1]) == -1)
			return -1;
	if (idx[0] > idx[1]) {
		tpl_errf(x->err, n->pos, "invalid slice index: %zu > %zu",
		    idx[0], idx[1]);
		return -1;
	}
	set_str(v, av[0].s + idx[0], idx[1] - idx[0]);
	return 0;
}

static int
fn_len(struct xs *x, const struct tn *n, const struct tv *a, struct tv *v)
{
	if (a->k != TV_STRING) {
		tpl_errf(x->err, n->pos, "len of %s", tpl_type_name(a->k));
		return -1;
	}
	set_int(v, TV_INT, (int64_t)a->n);
	return 0;
}

/* HTMLEscapeString. */
static int
html_escape(struct buf *b, const char *s, size_t n)
{
	const char *rep;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		switch (s[i]) {
		case '\0':
			rep = "\xef\xbf\xbd";
			break;
		case '"':
			rep = "&#34;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		default:
			rc = buf_addch(b, s[i]);
			continue;
		}
		rc = buf_addstr(b, rep);
	}
	return rc;
}

/* JSEscapeString. */
static int
js_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i, w;
	uint32_t r;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i += w) {
		c = (unsigned char)s[i];
		w = 1;
		if (c >= 0x80) {
			w = tpl_utf8(s + i, n - i, &r);
			if (tpl_isprint(r))
				rc = buf_add(b, s + i, w);
			else
				rc = buf_addf(b, "\\u%04X", r);
		} else if (strchr("\\'\"", c) != NULL && c != '\0')
			rc = buf_addch(b, '\\') == -1 ? -1
			                              : buf_addch(b, (char)c);
		else if (strchr("<>&=", c) != NULL && c != '\0')
			rc = buf_addf(b, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		else if (c < ' ')
			rc = buf_addf(b, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		else
			rc = buf_addch(b, (char)c);
	}
	return rc;
}

/* url.QueryEscape. */
static int
query_escape(struct buf *b, const char *s, size_t n)
{
	unsigned char c;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			rc = buf_addch(b, (char)c);
		else if (c == ' ')
			rc = buf_addch(b, '+');
		else
			rc = buf_addf(b, "%%%02X", c);
	}
	return rc;
}

/* html, js, urlquery: evalArgs, then the escaper. */
static int
fn_escape(struct xs *x, const struct tn *n, enum tpl_fn fn, struct tv *av,
    size_t na, struct tv *v)
{
	struct buf b, e;
	size_t i;
	int rc;

	tmp_init(x, &b);
	if (na == 1 && av[0].k == TV_STRING)
		rc = buf_add(&b, av[0].s, av[0].n);
	else {
		for (i = 0; i < na; i++)
			if (av[i].k == TV_NIL)
				set_str(&av[i], "<no value>", 10);
		rc = tpl_sprint(&b, av, na, 0, &x->fd);
	}
	if (rc == -1)
		return tmp_fail(x, n, &b);
	tmp_init(x, &e);
	rc = fn == FN_HTML ? html_escape(&e, b.data ? b.data : "", b.len)
	    : fn == FN_JS  ? js_escape(&e, b.data ? b.data : "", b.len)
	                   : query_escape(&e, b.data ? b.data : "", b.len);
	buf_free(&b);
	if (rc == -1)
		return tmp_fail(x, n, &e);
	return keep(x, n, &e, v);
}

static int
fn_print(struct xs *x, const struct tn *n, enum tpl_fn fn, const struct tv *av,
    size_t na, struct tv *v)
{
	struct buf b;
	int rc;

	tmp_init(x, &b);
	if (fn == FN_PRINTF)
		rc = tpl_sprintf(&b, av[0].s, av[0].n, av + 1, na - 1, &x->fd);
	else
		rc = tpl_sprint(&b, av, na, fn == FN_PRINTLN, &x->fd);
	if (rc == -1)
		return tmp_fail(x, n, &b);
	return keep(x, n, &b, v);
}

/* Go's signatures: fixed parameters, and whether more may follow. */
static void
signature(enum tpl_fn fn, size_t *fixed, int *variadic)
{
	*variadic = 1;
	*fixed = 1;
	switch (fn) {
	case FN_HTML:
	case FN_JS:
	case FN_URLQUERY:
	case FN_PRINT:
	case FN_PRINTLN:
		*fixed = 0;
		break;
	case FN_LEN:
	case FN_NOT:
		*variadic = 0;
		break;
	case FN_GE:
	case FN_GT:
	case FN_LE:
	case FN_LT:
	case FN_NE:
		*variadic = 0;
		*fixed = 2;
		break;
	default:
		break;
	}
}

static enum ptype
param_type(enum tpl_fn fn, size_t i)
{
	switch (fn) {
	case FN_HTML:
	case FN_JS:
	case FN_URLQUERY:
	case FN_PRINT:
	case FN_PRINTLN:
		return P_IFACE;
	case FN_PRINTF:
		return i == 0 ? P_STRING : P_IFACE;
	default:
		return P_VALUE;
	}
}

/* and, or: the arguments are evaluated until one decides. */
static int
and_or(struct xs *x, const struct tv *dot, enum tpl_fn fn,
    const struct tn *args, const struct final *fin, struct tv *v)
{
	const struct tn *a;

	for (a = args; a != NULL; a = a->next) {
		if (eval_arg(x, dot, P_VALUE, a, v) == -1)
			return -1;
		if (truth(v) == (fn == FN_OR))
			return 0;
	}
	if (fin->set)
		*v = fin->v;
	return 0;
}

static int
apply(struct xs *x, const struct tn *n, enum tpl_fn fn, struct tv *av,
    size_t na, struct tv *v)
{
	switch (fn) {
	case FN_CALL:
		return fail(x, n,
		    av[0].k == TV_NIL
		        ? "call of nil"
		        : "call of a value that is not a function");
	case FN_HTML:
	case FN_JS:
	case FN_URLQUERY:
		return fn_escape(x, n, fn, av, na, v);
	case FN_PRINT:
	case FN_PRINTF:
	case FN_PRINTLN:
		return fn_print(x, n, fn, av, na, v);
	case FN_INDEX:
		return fn_index(x, n, av, na, v);
	case FN_SLICE:
		return fn_slice(x, n, av, na, v);
	case FN_LEN:
		return fn_len(x, n, &av[0], v);
	case FN_NOT:
		set_int(v, TV_BOOL, !truth(&av[0]));
		return 0;
	default:
		return compare(x, n, fn, av, na, v);
	}
}

/*
 * evalCall for a builtin: id is the identifier, cmd its command (NULL
 * when it is an argument itself, without arguments of its own).
 */
static int
call_builtin(struct xs *x, const struct tv *dot, const struct tn *id,
    const struct tn *cmd, const struct final *fin, struct tv *v)
{
	const struct tn *args = cmd != NULL ? cmd->kid->next : NULL, *a;
	enum tpl_fn fn = (enum tpl_fn)id->i;
	size_t nargs = 0, fixed, na = 0;
	struct tv *av;
	int variadic, rc;

	for (a = args; a != NULL; a = a->next)
		nargs++;
	signature(fn, &fixed, &variadic);
	if ((variadic && nargs + (fin->set != 0) < fixed) ||
	    (!variadic && nargs + (fin->set != 0) != fixed)) {
		tpl_errf(x->err, id->pos, "wrong number of args for %s",
		    tpl_fn_names[fn]);
		return -1;
	}
	if (fn == FN_AND || fn == FN_OR)
		return and_or(x, dot, fn, args, fin, v);
	if ((av = calloc(nargs + 1, sizeof(*av))) == NULL)
		return fail(x, id, "out of memory");
	for (a = args, rc = 0; a != NULL && rc == 0; a = a->next, na++)
		rc = eval_arg(x, dot, param_type(fn, na), a, &av[na]);
	if (rc == 0 && fin->set) {
		av[na] = fin->v;
		rc = validate(x, id, param_type(fn, na), &av[na]);
		na++;
	}
	if (rc == 0)
		rc = apply(x, id, fn, av, na, v);
	free(av);
	return rc;
}

/* notAFunction. */
static int
no_args(struct xs *x, const struct tn *cmd, const struct final *fin)
{
	if (cmd->kid->next != NULL || fin->set)
		return fail(x, cmd->kid,
		    "can't give argument to "
		    "non-function");
	return 0;
}

static int
eval_cmd(struct xs *x, const struct tv *dot, const struct tn *cmd,
    const struct final *fin, struct tv *v)
{
	const struct tn *w = cmd->kid;
	int has_args = w->next != NULL || fin->set;

	if (step(x, cmd) == -1)
		return -1;
	memset(v, 0, sizeof(*v));
	v->k = TV_NIL;
	switch (w->type) {
	case TN_FIELD:
		*v = *dot;
		return field_chain(x, w, w->ids, w->nids, has_args, v);
	case TN_CHAIN:
		if (w->a->type == TN_NIL)
			return fail(x, w, "indirection through explicit nil");
		if (eval_arg(x, dot, P_NONE, w->a, v) == -1)
			return -1;
		return field_chain(x, w, w->ids, w->nids, has_args, v);
	case TN_IDENT:
		return call_builtin(x, dot, w, cmd, fin, v);
	case TN_VAR:
		if (var_value(x, w, v) == -1)
			return -1;
		if (w->nids == 1)
			return no_args(x, cmd, fin);
		return field_chain(x, w, w->ids + 1, w->nids - 1, has_args, v);
	case TN_NIL:
		if (no_args(x, cmd, fin) == -1)
			return -1;
		return fail(x, w, "nil is not a command");
	default:
		if (no_args(x, cmd, fin) == -1)
			return -1;
		return eval_arg(x, dot, P_VALUE, w, v);
	}
}

static int
push_var(struct xs *x, const struct tn *n, const struct tn_id *id,
    const struct tv *v)
{
	if (x->nvars == MAX_XVARS)
		return fail(x, n, "too many variables");
	x->vars[x->nvars].s = id->s;
	x->vars[x->nvars].n = id->n;
	x->vars[x->nvars].v = *v;
	x->nvars++;
	return 0;
}

static int
set_var(struct xs *x, const struct tn *n, const struct tn_id *id,
    const struct tv *v)
{
	size_t i;

	for (i = x->nvars; i-- > x->base;)
		if (x->vars[i].n == id->n &&
		    memcmp(x->vars[i].s, id->s, id->n) == 0) {
			x->vars[i].v = *v;
			return 0;
		}
	return fail(x, n, "undefined variable");
}

/* evalPipeline. */
static int
eval_pipe(struct xs *x, const struct tv *dot, const struct tn *pipe,
    struct tv *v)
{
	struct final fin = { 0, { TV_NIL, 0, NULL, 0 } };
	const struct tn *c;
	size_t i;

	for (c = pipe->kid; c != NULL; c = c->next) {
		if (eval_cmd(x, dot, c, &fin, v) == -1)
			return -1;
		fin.set = 1;
		fin.v = *v;
	}
	for (i = 0; i < pipe->nids; i++)
		if ((pipe->i ? set_var(x, pipe, &pipe->ids[i], v)
		             : push_var(x, pipe, &pipe->ids[i], v)) == -1)
			return -1;
	return 0;
}

static int
out_fail(struct xs *x, const struct tn *n)
{
	if (errno == EMSGSIZE) {
		tpl_errf(x->err, n->pos, "output longer than %zu bytes",
		    x->out->max);
		errno = EMSGSIZE;
		return -1;
	}
	return fail(x, n, "out of memory");
}

/* printValue. */
static int
print_value(struct xs *x, const struct tn *n, const struct tv *v)
{
	size_t before = x->out->len;

	if (v->k == TV_STRING)
		return buf_add(x->out, v->s, v->n) == -1 ? out_fail(x, n) : 0;
	if (v->k == TV_NIL)
		return buf_addstr(x->out, "<no value>") == -1 ? out_fail(x, n)
		                                              : 0;
	(void)before;
	return tpl_sprint(x->out, v, 1, 0, &x->fd) == -1 ? out_fail(x, n) : 0;
}

/* walkIfOrWith and walkRange; variables end with the control. */
static int
walk_control(struct xs *x, const struct tv *dot, const struct tn *n)
{
	size_t mark = x->nvars;
	struct tv v;
	int rc;

	if ((rc = eval_pipe(x, dot, n->a, &v)) == -1)
		return -1;
	if (n->type == TN_RANGE) {
		if (v.k != TV_NIL)
			rc = fail(x, n,
			    "range can't iterate over a value of "
			    "this type");
		else if (n->c != NULL)
			rc = walk(x, dot, n->c);
	} else if (truth(&v))
		rc = walk(x, n->type == TN_WITH ? &v : dot, n->b);
	else if (n->c != NULL)
		rc = walk(x, dot, n->c);
	x->nvars = mark;
	return rc;
}

/* walkTemplate: the tree runs with a new "$". */
static int
walk_template(struct xs *x, const struct tv *dot, const struct tn *n)
{
	size_t mark = x->nvars, base = x->base;
	struct tv v = { TV_NIL, 0, NULL, 0 };
	struct tn_id dollar = { "$", 1, -1 };
	int rc;

	if (n->i < 0 || (size_t)n->i >= x->t->ntrees)
		return fail(x, n, "template not defined");
	if (x->depth >= TPL_MAX_CALLS) {
		tpl_errf(x->err, n->pos,
		    "template calls nested more than %d "
		    "deep",
		    TPL_MAX_CALLS);
		return -1;
	}
	if (n->a != NULL && eval_pipe(x, dot, n->a, &v) == -1)
		return -1;
	x->base = x->nvars;
	if (push_var(x, n, &dollar, &v) == -1)
		return -1;
	x->depth++;
	rc = walk(x, &v, x->t->trees[n->i].root);
	x->depth--;
	x->nvars = mark;
	x->base = base;
	return rc;
}

static int
walk(struct xs *x, const struct tv *dot, const struct tn *n)
{
	const struct tn *k;
	struct tv v;

	if (step(x, n) == -1)
		return -1;
	switch (n->type) {
	case TN_LIST:
		for (k = n->kid; k != NULL; k = k->next)
			if (walk(x, dot, k) == -1)
				return -1;
		return 0;
	case TN_TEXT:
		return buf_add(x->out, n->s, n->n) == -1 ? out_fail(x, n) : 0;
	case TN_ACTION:
		if (eval_pipe(x, dot, n->a, &v) == -1)
			return -1;
		return n->a->nids == 0 ? print_value(x, n, &v) : 0;
	case TN_IF:
	case TN_WITH:
	case TN_RANGE:
		return walk_control(x, dot, n);
	case TN_TEMPLATE:
		return walk_template(x, dot, n);
	default:
		return fail(x, n, "{{break}} or {{continue}} outside a range");
	}
}

int
tpl_exec(const struct tpl *t, const char *const *values, struct buf *out,
    struct tpl_err *err)
{
	struct tv dot = { TV_STRUCT, 0, NULL, 0 };
	struct tn_id dollar = { "$", 1, -1 };
	struct tmpstr *ts;
	struct xs *x;
	int rc, e;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		tpl_errf(err, 0, "out of memory");
		return -1;
	}
	x->t = t;
	x->fd.fields = t->fields;
	x->fd.nfields = t->nfields;
	x->fd.values = values;
	x->out = out;
	x->err = err;
	push_var(x, t->trees[t->main].root, &dollar, &dot);
	rc = walk(x, &dot, t->trees[t->main].root);
	e = errno;
	while ((ts = x->tmp) != NULL) {
		x->tmp = ts->next;
		free(ts->data);
		free(ts);
	}
	free(x);
	errno = e;
	return rc;
}
