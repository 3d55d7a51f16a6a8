/* tplint.h: internals of the template engine (tpl*.c, template.c) */
/* SPDX-License-Identifier: MIT */
#ifndef TPLINT_H
#define TPLINT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * The engine is Go 1.19's text/template for data that is one struct of
 * string fields.  It is split the way Go's is:
 *
 *   tpllex.c    the lexer (text/template/parse/lex.go)
 *   tplparse.c  the parser into a tree of struct tn (parse.go, node.go)
 *   tplcheck.c  load-time refusals of what can only fail when run
 *   tplexec.c   execution and the builtin functions (exec.go, funcs.go)
 *   tplfmt.c    Go's fmt for the values a template can hold
 *   tplunicode.c  Unicode classes (generated from Go's tables)
 *   template.c  the public API (template.h)
 */

/* Limits; see template.h. */
#define TPL_MAX TPL_SOURCE_MAX     /* source bytes */
#define TPL_MAX_NEST 100           /* nested controls and parentheses */
#define TPL_MAX_CALLS 200          /* {{template}} depth at run time */
#define TPL_MAX_STEPS 1000000      /* evaluations per render */
#define TPL_MAX_TEMP (1024 * 1024) /* bytes of intermediate strings */
#define TPL_MAX_WIDTH 1000000      /* Go's fmt: larger is BADWIDTH */

/* The name Go's program gave its template. */
#define TPL_MAIN_NAME "body"

/* Value kinds; as bits, a set of possible kinds at load time. */
enum tv_kind {
	TV_NIL = 1, /* no value / untyped nil */
	TV_BOOL = 2,
	TV_INT = 4,  /* Go int */
	TV_BYTE = 8, /* Go uint8, from index of a string */
	TV_STRING = 16,
	TV_STRUCT = 32, /* the data: one string per field */
};
#define TV_ANY (TV_NIL | TV_BOOL | TV_INT | TV_BYTE | TV_STRING | TV_STRUCT)

struct tv {
	enum tv_kind k;
	int64_t i;     /* BOOL, INT, BYTE */
	const char *s; /* STRING: not NUL-terminated */
	size_t n;
};

/* Parse tree node types (Go's parse.NodeType, plus the ones it hides). */
enum tn_type {
	TN_LIST,
	TN_TEXT,
	TN_ACTION,
	TN_IF,
	TN_WITH,
	TN_RANGE,
	TN_TEMPLATE,
	TN_BREAK,
	TN_CONTINUE,
	TN_PIPE,
	TN_CMD,
	TN_FIELD,
	TN_VAR,
	TN_CHAIN,
	TN_IDENT,
	TN_DOT,
	TN_NIL,
	TN_BOOL,
	TN_NUMBER,
	TN_STRING,
	TN_ELSE_MARK,
	TN_END_MARK /* only while parsing */
};

/* One name of a field chain: ".A.B" is two; a variable's first is "$x". */
struct tn_id {
	const char *s;
	size_t n;
	int field; /* index in the field list, or -1 */
};

/*
 * LIST: kid = first element.  ACTION: a = pipe.  IF, WITH, RANGE: a =
 * pipe, b = list, c = else list (or NULL).  TEMPLATE: s/n = name, a =
 * pipe (or NULL), i = tree index after linking.  PIPE: kid = first
 * command, ids = declared variables, i = 1 for "=".  CMD: kid = first
 * argument.  FIELD, VAR: ids.  CHAIN: a = the term, ids = the fields.
 * IDENT: i = builtin.  STRING, TEXT: s/n.  BOOL, NUMBER: i.
 */
struct tn {
	enum tn_type type;
	uint32_t pos;    /* byte offset in the source */
	struct tn *next; /* next element, command or argument */
	struct tn *kid, *a, *b, *c;
	struct tn_id *ids;
	size_t nids;
	const char *s;
	size_t n;
	int64_t i;
};

/* Builtins, in Go's order of funcs.go. */
enum tpl_fn {
	FN_AND,
	FN_CALL,
	FN_HTML,
	FN_INDEX,
	FN_SLICE,
	FN_JS,
	FN_LEN,
	FN_NOT,
	FN_OR,
	FN_PRINT,
	FN_PRINTF,
	FN_PRINTLN,
	FN_URLQUERY,
	FN_EQ,
	FN_GE,
	FN_GT,
	FN_LE,
	FN_LT,
	FN_NE,
	FN_COUNT
};
extern const char *const tpl_fn_names[FN_COUNT];

struct tpl_tree {
	const char *name;
	size_t namelen;
	struct tn *root; /* a LIST */
	int empty;       /* Go's IsEmptyTree */
};

/* Allocation block of a template's nodes and strings. */
struct tpl_blk {
	struct tpl_blk *next;
	size_t used, cap;
	/* data follows, max-aligned */
};

struct tpl {
	char *src; /* a copy of the source */
	size_t n;
	const char *const *fields;
	size_t nfields;
	unsigned char *uses; /* per field */
	struct tpl_tree *trees;
	size_t ntrees;
	size_t main; /* index of the tree that runs */
	struct tpl_blk *mem;
};

/* Error: message with the offset, as "template: offset N: ...". */
struct tpl_err {
	char *buf;
	size_t len;
	int set;
};
void tpl_errf(struct tpl_err *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Node and string memory of a template; NULL when out of memory. */
void *tpl_alloc(struct tpl *, size_t);
void tpl_mem_free(struct tpl *);

/* tpllex.c */
enum tpl_item {
	IT_ERROR,
	IT_BOOL,
	IT_CHAR,
	IT_CHARCONST,
	IT_COMPLEX,
	IT_ASSIGN,
	IT_DECLARE,
	IT_EOF,
	IT_FIELD,
	IT_IDENT,
	IT_LDELIM,
	IT_LPAREN,
	IT_NUMBER,
	IT_PIPE,
	IT_RAWSTRING,
	IT_RDELIM,
	IT_RPAREN,
	IT_SPACE,
	IT_STRING,
	IT_TEXT,
	IT_VARIABLE,
	IT_DOT,
	/* keywords */
	IT_BLOCK,
	IT_BREAK,
	IT_CONTINUE,
	IT_DEFINE,
	IT_ELSE,
	IT_END,
	IT_IF,
	IT_NIL,
	IT_RANGE,
	IT_TEMPLATE,
	IT_WITH
};
struct tpl_tok {
	enum tpl_item t;
	uint32_t pos, len; /* the text; for IT_ERROR, msg */
	const char *msg;
};
struct tpl_lex {
	const char *s;
	size_t n, pos, start;
	int state; /* 0 text, 1 action, 2 done */
	int paren;
	struct tpl_tok q[4]; /* items scanned but not yet read */
	size_t nq;
};
void tpl_lex_init(struct tpl_lex *, const char *, size_t);
void tpl_lex_next(struct tpl_lex *, struct tpl_tok *);
size_t tpl_utf8(const char *, size_t, uint32_t *);
size_t tpl_utf8_put(char *, uint32_t);
int tpl_isprint(uint32_t);
int tpl_isalnum(uint32_t);

/* tplparse.c: the trees of src into t (t->src set); 0 or -1. */
int tpl_parse(struct tpl *, struct tpl_err *);
int tpl_tree_empty(const struct tn *);
/* strconv.UnquoteChar on s[0..n); bytes used, or 0 when malformed. */
size_t tpl_unquote_char(const char *, size_t, char, uint32_t *, int *);

/* tplcheck.c: load-time refusals; 0 or -1. */
int tpl_check(struct tpl *, struct tpl_err *);

/* tplexec.c */
int tpl_exec(const struct tpl *, const char *const *, struct buf *,
    struct tpl_err *);

/* tplfmt.c: Go's fmt into out; the values are what print sees. */
struct tpl_fmtdata {
	const char *const *fields; /* names */
	size_t nfields;
	const char *const *values; /* NULL entries are "" */
};
int tpl_sprint(struct buf *, const struct tv *, size_t, int,
    const struct tpl_fmtdata *);
int tpl_sprintf(struct buf *, const char *, size_t, const struct tv *, size_t,
    const struct tpl_fmtdata *);
int tpl_quote(struct buf *, const char *, size_t, int);
const char *tpl_type_name(enum tv_kind);

#endif
