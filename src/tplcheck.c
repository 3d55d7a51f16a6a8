/* tplcheck.c: load-time refusals of templates that could only fail */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tplint.h"

/*
 * Go finds most errors of a template only when it runs, and then only
 * on the path it takes.  This pass finds at load time what is certain
 * to fail wherever it is reached:
 *
 *   - a field that the data does not have, a {{template}} of a name that
 *     is not defined, a call of "call" (nothing here is a function);
 *   - a wrong number of arguments for a builtin, arguments given to a
 *     field or a constant, nil as a command;
 *   - type errors that the kinds decide: len, index or slice of what
 *     cannot be a string, printf's format that cannot be a string, eq
 *     or lt of kinds Go cannot compare, a field of what cannot be the
 *     data, range over what cannot be nil (a string or a number);
 *   - a {{template}} that calls itself on every path, without end.
 *
 * Every expression gets the set of kinds its value may have (enum
 * tv_kind bits).  The data is TV_STRUCT; a defined template's dot is the
 * union of what its calls pass, found by repeating the pass until no set
 * grows, then once more to report.  Code that can never run (a range
 * body, an uncalled definition) is checked for names only.
 */

#define MAX_CVARS 1024

struct cvar {
	const char *s;
	size_t n;
	unsigned mask;
};

struct ck {
	struct tpl *t;
	struct tpl_err *err;
	unsigned *dots; /* per tree: kinds of its dot */
	unsigned char *called;
	int grew, report, live;
	struct cvar vars[MAX_CVARS];
	size_t nvars;
};

static int
refuse(struct ck *c, const struct tn *n, const char *msg)
{
	if (!c->report)
		return 0;
	tpl_errf(c->err, n->pos, "%s", msg);
	return -1;
}

/* A type refusal: only where the code can run. */
static int
type_refuse(struct ck *c, const struct tn *n, const char *msg)
{
	return c->live ? refuse(c, n, msg) : 0;
}

static int
field_index(struct ck *c, struct tn_id *id)
{
	size_t i;

	for (i = 0; i < c->t->nfields; i++)
		if (strlen(c->t->fields[i]) == id->n &&
		    memcmp(c->t->fields[i], id->s, id->n) == 0) {
			c->t->uses[i] = 1;
			return id->field = (int)i;
		}
	return -1;
}

/* A field chain on a value of kinds *m. */
static int
chain(struct ck *c, const struct tn *n, struct tn_id *ids, size_t nids,
    int has_args, unsigned *m)
{
	size_t i;

	for (i = 0; i < nids; i++) {
		if (field_index(c, &ids[i]) < 0) {
			if (!c->report)
				continue;
			tpl_errf(c->err, n->pos,
			    "unknown field .%.*s "
			    "(expected a field such as .%s)",
			    (int)(ids[i].n > 40 ? 40 : ids[i].n), ids[i].s,
			    c->t->nfields > 0 ? c->t->fields[0] : "Name");
			return -1;
		}
		if ((*m & (TV_STRUCT | TV_NIL)) == 0 &&
		    type_refuse(c, n,
		        "field of a value that is not the data (expected "
		        "the dot of the data or a variable that holds it)") ==
		        -1)
			return -1;
		if (i + 1 == nids && has_args && (*m & TV_NIL) == 0 &&
		    type_refuse(c, n,
		        "a field cannot take arguments "
		        "(expected a function such as printf)") == -1)
			return -1;
		*m = ((*m & TV_STRUCT) ? TV_STRING : 0) | (*m & TV_NIL);
	}
	return 0;
}

static int
var_mask(struct ck *c, const struct tn_id *id, unsigned *m)
{
	size_t i;

	for (i = c->nvars; i-- > 0;)
		if (c->vars[i].n == id->n &&
		    memcmp(c->vars[i].s, id->s, id->n) == 0) {
			*m = c->vars[i].mask;
			return 0;
		}
	return -1;
}

static int ck_pipe(struct ck *, unsigned, struct tn *, unsigned *);
static int ck_call(struct ck *, unsigned, struct tn *, struct tn *, int,
    unsigned, unsigned *);

enum { A_VALUE, A_STRING, A_NONE };

static int
ck_var(struct ck *c, struct tn *n, int has_args, unsigned *m)
{
	*m = TV_ANY;
	if (var_mask(c, &n->ids[0], m) == -1)
		return type_refuse(c, n,
		    "variable used before its declaration "
		    "ends (expected a variable declared earlier)");
	if (n->nids == 1 && has_args)
		return type_refuse(c, n, "a variable cannot take arguments");
	return chain(c, n, n->ids + 1, n->nids - 1, has_args, m);
}

/* evalArg's kinds. */
static int
ck_arg(struct ck *c, unsigned dot, struct tn *n, int at, unsigned *m)
{
	switch (n->type) {
	case TN_DOT:
		*m = dot;
		break;
	case TN_NIL:
		*m = TV_NIL;
		if (at == A_STRING)
			return type_refuse(c, n,
			    "nil where a string is "
			    "expected");
		return 0;
	case TN_FIELD:
		*m = dot;
		if (chain(c, n, n->ids, n->nids, 0, m) == -1)
			return -1;
		break;
	case TN_VAR:
		if (ck_var(c, n, 0, m) == -1)
			return -1;
		break;
	case TN_PIPE:
		if (ck_pipe(c, dot, n, m) == -1)
			return -1;
		break;
	case TN_IDENT:
		if (ck_call(c, dot, n, NULL, 0, 0, m) == -1)
			return -1;
		break;
	case TN_CHAIN:
		if (n->a->type == TN_NIL)
			return refuse(c, n, "field of nil");
		if (ck_arg(c, dot, n->a, A_NONE, m) == -1 ||
		    chain(c, n, n->ids, n->nids, 0, m) == -1)
			return -1;
		break;
	case TN_STRING:
		*m = TV_STRING;
		return 0;
	default:
		*m = n->type == TN_BOOL ? TV_BOOL : TV_INT;
		if (at == A_STRING)
			return type_refuse(c, n, "expected a string");
		return 0;
	}
	if (at == A_STRING && (*m & TV_STRING) == 0)
		return type_refuse(c, n, "expected a string (printf's format)");
	return 0;
}

/* 1 when some kind of a with some kind of b compares without error. */
static int
comparable(unsigned a, unsigned b, int order)
{
	static const unsigned kinds[] = { TV_NIL, TV_BOOL, TV_INT, TV_BYTE,
		TV_STRING, TV_STRUCT };
	unsigned i, j;
	int basic_a, basic_b;

	for (i = 0; i < 6; i++)
		for (j = 0; j < 6; j++) {
			if (!(a & kinds[i]) || !(b & kinds[j]))
				continue;
			basic_a = i >= 1 && i <= 4;
			basic_b = j >= 1 && j <= 4;
			if (order) {
				if (basic_a && basic_b &&
				    (i == j ? i != 1
				            : (i + j == 5 && i != 1 && j != 1)))
					return 1;
				continue;
			}
			if (i == j || (i + j == 5 && i >= 2 && j >= 2) ||
			    i == 0 || j == 0 || (!basic_a && !basic_b))
				return 1;
		}
	return 0;
}

/* The kinds each builtin accepts, and what it gives. */
static int
ck_builtin(struct ck *c, struct tn *id, const unsigned *am, struct tn **an,
    size_t na, unsigned *m)
{
	enum tpl_fn fn = (enum tpl_fn)id->i;
	size_t i;

	switch (fn) {
	case FN_LEN:
		*m = TV_INT;
		if ((am[0] & TV_STRING) == 0)
			return type_refuse(c, id,
			    "len of a value that cannot "
			    "be a string (expected a field or a string)");
		return 0;
	case FN_INDEX:
	case FN_SLICE:
		*m = fn == FN_SLICE || na == 1 ? am[0] : TV_BYTE;
		if (fn == FN_SLICE)
			*m = TV_STRING;
		if ((na > 1 || fn == FN_SLICE) &&
		    ((am[0] & TV_STRING) == 0 || (fn == FN_INDEX && na > 2) ||
		        (fn == FN_SLICE && na > 3)))
			return type_refuse(c, id,
			    fn == FN_INDEX
			        ? "index of a "
			          "value that is not a string (expected one index "
			          "of a string)"
			        : "slice of a value that is not a "
			          "string (expected at most two indexes)");
		if (na == 1 && am[0] == TV_NIL)
			return type_refuse(c, id, "index of nil");
		for (i = 1; i < na; i++)
			if ((am[i] & (TV_INT | TV_BYTE)) == 0 ||
			    (an[i] != NULL && an[i]->type == TN_NUMBER &&
			        an[i]->i < 0))
				return type_refuse(c, id,
				    "expected an index "
				    "that is a number from 0 up");
		return 0;
	case FN_EQ:
	case FN_NE:
	case FN_LT:
	case FN_LE:
	case FN_GT:
	case FN_GE:
		*m = TV_BOOL;
		if (!comparable(am[0], am[1], fn != FN_EQ && fn != FN_NE))
			return type_refuse(c, id,
			    "comparison of kinds that "
			    "cannot be compared (expected two strings or two "
			    "numbers)");
		return 0;
	case FN_NOT:
		*m = TV_BOOL;
		return 0;
	case FN_CALL:
		return refuse(c, id,
		    "call of a value that is not a function "
		    "(the data has no functions)");
	default:
		*m = TV_STRING;
		return 0;
	}
}

/* evalCall for builtin id with the arguments after it in cmd. */
static int
ck_call(struct ck *c, unsigned dot, struct tn *id, struct tn *cmd, int has_fin,
    unsigned fin, unsigned *m)
{
	static const signed char fixed[FN_COUNT] = { 1, 1, 0, 1, 1, 0, -1, -1,
		1, 0, 1, 0, 0, 1, -2, -2, -2, -2, -2 };
	enum tpl_fn fn = (enum tpl_fn)id->i;
	unsigned am[64];
	struct tn *an[64], *a;
	size_t na = 0, want, i;
	int at;

	*m = TV_ANY;
	for (i = 0; i < 64; i++)
		am[i] = TV_ANY;
	for (a = cmd != NULL ? cmd->kid->next : NULL; a != NULL; a = a->next) {
		at = fn == FN_PRINTF && na == 0 ? A_STRING : A_VALUE;
		if (ck_arg(c, dot, a, at, &am[na < 63 ? na : 63]) == -1)
			return -1;
		an[na < 63 ? na : 63] = a;
		if (na < 63)
			na++;
	}
	if (has_fin) {
		am[na] = fin;
		an[na] = NULL;
		na++;
		if (fn == FN_PRINTF && na == 1 && (fin & TV_STRING) == 0 &&
		    type_refuse(c, id,
		        "expected a string (printf's "
		        "format)") == -1)
			return -1;
	}
	want = (size_t)(fixed[fn] < 0 ? -fixed[fn] : fixed[fn]);
	if ((fixed[fn] < 0 ? na != want : na < want) && c->report) {
		tpl_errf(c->err, id->pos,
		    "wrong number of arguments for %s "
		    "(expected %s%zu)",
		    tpl_fn_names[fn], fixed[fn] < 0 ? "" : "at least ", want);
		return -1;
	}
	if (fn == FN_AND || fn == FN_OR) {
		for (*m = 0; na-- > 0;)
			*m |= am[na];
		return 0;
	}
	if ((fn == FN_EQ || fn == FN_NE) && na < 2)
		return refuse(c, id, "eq needs something to compare with");
	return ck_builtin(c, id, am, an, na, m);
}

static int
ck_cmd(struct ck *c, unsigned dot, struct tn *cmd, int has_fin, unsigned fin,
    unsigned *m)
{
	struct tn *w = cmd->kid;
	int has_args = w->next != NULL || has_fin;

	switch (w->type) {
	case TN_FIELD:
		*m = dot;
		return chain(c, w, w->ids, w->nids, has_args, m);
	case TN_CHAIN:
		if (w->a->type == TN_NIL)
			return refuse(c, w, "field of nil");
		if (ck_arg(c, dot, w->a, A_NONE, m) == -1)
			return -1;
		return chain(c, w, w->ids, w->nids, has_args, m);
	case TN_IDENT:
		return ck_call(c, dot, w, cmd, has_fin, fin, m);
	case TN_VAR:
		return ck_var(c, w, has_args, m);
	case TN_NIL:
		*m = TV_NIL;
		return type_refuse(c, w,
		    "nil is not a command (expected a "
		    "value or a function)");
	default:
		if (has_args &&
		    type_refuse(c, w,
		        "a constant cannot take "
		        "arguments (expected a function)") == -1)
			return -1;
		return ck_arg(c, dot, w, A_VALUE, m);
	}
}

static int
ck_pipe(struct ck *c, unsigned dot, struct tn *pipe, unsigned *m)
{
	struct tn *cmd;
	size_t i, k;
	int has_fin = 0;

	*m = TV_ANY;
	for (cmd = pipe->kid; cmd != NULL; cmd = cmd->next) {
		if (ck_cmd(c, dot, cmd, has_fin, *m, m) == -1)
			return -1;
		has_fin = 1;
	}
	for (i = 0; i < pipe->nids; i++) {
		if (!pipe->i) {
			if (c->nvars == MAX_CVARS)
				return refuse(c, pipe, "too many variables");
			c->vars[c->nvars].s = pipe->ids[i].s;
			c->vars[c->nvars].n = pipe->ids[i].n;
			c->vars[c->nvars++].mask = *m;
			continue;
		}
		for (k = c->nvars; k-- > 0;)
			if (c->vars[k].n == pipe->ids[i].n &&
			    memcmp(c->vars[k].s, pipe->ids[i].s,
			        c->vars[k].n) == 0)
				break;
		if (k == (size_t)-1 &&
		    type_refuse(c, pipe,
		        "assignment to a variable that "
		        "is not declared (expected $x := first)") == -1)
			return -1;
		if (k != (size_t)-1)
			c->vars[k].mask |= *m;
	}
	return 0;
}

static int ck_list(struct ck *, unsigned, struct tn *);

/* A list that runs only if live; names are checked either way. */
static int
ck_sub(struct ck *c, unsigned dot, struct tn *list, int live)
{
	int saved = c->live, rc;

	if (list == NULL)
		return 0;
	c->live = c->live && live;
	rc = ck_list(c, live ? dot : TV_ANY, list);
	c->live = saved;
	return rc;
}

static int
ck_control(struct ck *c, unsigned dot, struct tn *n)
{
	size_t mark = c->nvars;
	unsigned m;
	int rc;

	if (ck_pipe(c, dot, n->a, &m) == -1)
		return -1;
	if (n->type == TN_RANGE && (m & TV_NIL) == 0 &&
	    type_refuse(c, n,
	        "range over a value that is not a list (Go cannot iterate over "
	        "a string, a number or the data)") == -1)
		return -1;
	if (n->type == TN_WITH)
		rc = ck_sub(c, m & ~(unsigned)TV_NIL, n->b, (m & ~TV_NIL) != 0);
	else
		rc = ck_sub(c, dot, n->b, n->type == TN_IF);
	if (rc == 0)
		rc = ck_sub(c, dot, n->c, 1);
	c->nvars = mark;
	return rc;
}

static int
ck_template(struct ck *c, unsigned dot, struct tn *n)
{
	struct tpl *t = c->t;
	unsigned m = TV_NIL;
	size_t i;

	for (i = 0; i < t->ntrees; i++)
		if (t->trees[i].namelen == n->n &&
		    memcmp(t->trees[i].name, n->s, n->n) == 0)
			break;
	if (i == t->ntrees) {
		n->i = -1;
		if (!c->report)
			return 0;
		tpl_errf(c->err, n->pos,
		    "no template named \"%.*s\" "
		    "(expected the name of a define or block)",
		    (int)(n->n > 40 ? 40 : n->n), n->s);
		return -1;
	}
	n->i = (int64_t)i;
	if (n->a != NULL && ck_pipe(c, dot, n->a, &m) == -1)
		return -1;
	if (c->live && ((c->dots[i] | m) != c->dots[i] || !c->called[i])) {
		c->dots[i] |= m;
		c->called[i] = 1;
		c->grew = 1;
	}
	return 0;
}

static int
ck_list(struct ck *c, unsigned dot, struct tn *list)
{
	struct tn *n;
	unsigned m;

	for (n = list->kid; n != NULL; n = n->next) {
		switch (n->type) {
		case TN_ACTION:
			if (ck_pipe(c, dot, n->a, &m) == -1)
				return -1;
			break;
		case TN_IF:
		case TN_WITH:
		case TN_RANGE:
			if (ck_control(c, dot, n) == -1)
				return -1;
			break;
		case TN_TEMPLATE:
			if (ck_template(c, dot, n) == -1)
				return -1;
			break;
		default:
			break;
		}
	}
	return 0;
}

/*
 * Depth-first over the {{template}} calls that a tree makes whatever
 * its data (those in its own list, not under if, with or range): a
 * cycle there never ends.  state: 0 new, 1 on the path, 2 done.
 */
static int
endless(struct ck *c, size_t i, unsigned char *state, const struct tn **at)
{
	const struct tn *n;

	if (state[i] == 1)
		return 1;
	if (state[i] == 2)
		return 0;
	state[i] = 1;
	for (n = c->t->trees[i].root->kid; n != NULL; n = n->next)
		if (n->type == TN_TEMPLATE && n->i >= 0 &&
		    endless(c, (size_t)n->i, state, at)) {
			if (*at == NULL)
				*at = n;
			return 1;
		}
	state[i] = 2;
	return 0;
}

/* One pass over every tree; the main one and those called are live. */
static int
ck_pass(struct ck *c)
{
	size_t i;

	for (i = 0; i < c->t->ntrees; i++) {
		c->nvars = 1;
		c->vars[0].s = "$";
		c->vars[0].n = 1;
		c->vars[0].mask = c->called[i] ? c->dots[i] : TV_ANY;
		c->live = c->called[i];
		if (ck_list(c, c->vars[0].mask, c->t->trees[i].root) == -1)
			return -1;
	}
	return 0;
}

int
tpl_check(struct tpl *t, struct tpl_err *err)
{
	const struct tn *at = NULL;
	unsigned char *state;
	struct ck *c;
	int rc = -1, rounds = 0;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->dots = calloc(t->ntrees, sizeof(*c->dots))) == NULL ||
	    (c->called = calloc(t->ntrees, 1)) == NULL ||
	    (state = calloc(t->ntrees, 1)) == NULL) {
		if (c != NULL) {
			free(c->dots);
			free(c->called);
		}
		free(c);
		tpl_errf(err, 0, "out of memory");
		return -1;
	}
	c->t = t;
	c->err = err;
	c->dots[t->main] = TV_STRUCT;
	c->called[t->main] = 1;
	do {
		c->grew = 0;
		ck_pass(c);
	} while (c->grew && ++rounds < 64);
	c->report = 1;
	if (ck_pass(c) == 0) {
		if (endless(c, t->main, state, &at))
			tpl_errf(err, at != NULL ? at->pos : 0,
			    "{{template}} "
			    "calls itself on every path and would never end");
		else
			rc = 0;
	}
	free(state);
	free(c->dots);
	free(c->called);
	free(c);
	return rc;
}
