/* template.c: notification templates: Go's text/template, compiled once */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "template.h"
#include "tplint.h"

/*
 * Compilation is parse (tplparse.c) then the load-time checks
 * (tplcheck.c); rendering walks the trees (tplexec.c).  The template
 * owns a copy of its source, into which text nodes point, and a list of
 * blocks for its nodes and unquoted strings.
 */

#define BLK_SIZE 4096

void
tpl_errf(struct tpl_err *e, size_t off, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (e->set)
		return;
	e->set = 1;
	if (e->buf == NULL || e->len == 0)
		return;
	k = snprintf(e->buf, e->len, "template: offset %zu: ", off);
	if (k < 0 || (size_t)k >= e->len)
		return;
	va_start(ap, fmt);
	vsnprintf(e->buf + k, e->len - (size_t)k, fmt, ap);
	va_end(ap);
}

void *
tpl_alloc(struct tpl *t, size_t n)
{
	struct tpl_blk *b = t->mem;
	size_t hdr = (sizeof(*b) + 15) & ~(size_t)15, cap;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (b == NULL || b->cap - b->used < n) {
		cap = n > BLK_SIZE ? n : BLK_SIZE;
		if ((b = malloc(hdr + cap)) == NULL)
			return NULL;
		b->next = t->mem;
		b->used = 0;
		b->cap = cap;
		t->mem = b;
	}
	p = (char *)b + hdr + b->used;
	b->used += n;
	return p;
}

void
tpl_mem_free(struct tpl *t)
{
	struct tpl_blk *b;

	while ((b = t->mem) != NULL) {
		t->mem = b->next;
		free(b);
	}
}

static struct tpl *
tpl_new(const char *src, size_t n, const char *const *fields, struct tpl_err *e)
{
	struct tpl *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto nomem;
	while (fields != NULL && fields[t->nfields] != NULL)
		t->nfields++;
	t->fields = fields;
	t->n = n;
	if ((t->src = malloc(n > 0 ? n : 1)) == NULL ||
	    (t->uses = calloc(t->nfields + 1, 1)) == NULL) {
		tpl_free(t);
		goto nomem;
	}
	if (n > 0)
		memcpy(t->src, src, n);
	return t;
nomem:
	tpl_errf(e, 0, "out of memory");
	return NULL;
}

struct tpl *
tpl_compile(const char *src, size_t n, const char *const *fields, char *err,
    size_t errlen)
{
	struct tpl_err e = { err, errlen, 0 };
	struct tpl *t;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (src == NULL && n > 0) {
		tpl_errf(&e, 0, "no template");
		return NULL;
	}
	if (n > TPL_MAX) {
		tpl_errf(&e, TPL_MAX, "template longer than 64 KiB");
		return NULL;
	}
	if ((t = tpl_new(src, n, fields, &e)) == NULL)
		return NULL;
	if (tpl_parse(t, &e) == -1 || tpl_check(t, &e) == -1) {
		tpl_free(t);
		return NULL;
	}
	return t;
}

int
tpl_render_err(const struct tpl *t, const char *const *values, struct buf *out,
    char *err, size_t errlen)
{
	struct tpl_err e = { err, errlen, 0 };
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (t == NULL) {
		tpl_errf(&e, 0, "no template");
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	rc = tpl_exec(t, values, out, &e);
	if (rc == -1 && errno != EMSGSIZE)
		errno = EINVAL;
	return rc;
}

int
tpl_render(const struct tpl *t, const char *const *values, struct buf *out)
{
	return tpl_render_err(t, values, out, NULL, 0);
}

int
tpl_uses(const struct tpl *t, size_t i)
{
	if (t == NULL || i >= t->nfields)
		return 0;
	return t->uses[i];
}

void
tpl_free(struct tpl *t)
{
	if (t == NULL)
		return;
	tpl_mem_free(t);
	free(t->trees);
	free(t->uses);
	free(t->src);
	free(t);
}
