/* template.h: notification templates in Go's text/template syntax */
/* SPDX-License-Identifier: MIT */
#ifndef TEMPLATE_H
#define TEMPLATE_H

#include <stddef.h>

#include "buf.h"

/*
 * Go 1.19's text/template, as the Go program parsed its notification
 * template (named "body") and executed it over a struct whose fields
 * are all strings (the fields list given to tpl_compile; the values
 * given to tpl_render).  Everything Go renders without an error renders
 * byte for byte the same; everything Go refuses, when it parses or when
 * it runs, is refused.  What could only fail when run is refused when
 * the template is compiled wherever that is certain (an unknown field or
 * function, a builtin given the wrong number or kinds of arguments, a
 * range over a string, call, a {{template}} that calls itself on every
 * path), so that a typo is a configuration error, not a lost message.
 * Floating-point and complex constants are refused too.
 *
 * Bounded: 64 KiB of source, 100 levels of nesting, 200 levels of
 * {{template}} calls at run time, a million steps of execution, 1 MiB
 * of intermediate strings, and the output buffer's maximum.
 */
/* The longest template source accepted, in bytes. */
#define TPL_SOURCE_MAX (64 * 1024)

struct tpl;

/*
 * Compiles n bytes of src against fields (a NULL-terminated list of names
 * without the dot).  Returns the template (free with tpl_free), or NULL
 * with a message that names the byte offset in err.
 */
struct tpl *tpl_compile(const char *src, size_t n, const char *const *fields,
    char *err, size_t errlen);

/*
 * Appends the output to out.  values[i] is the text for fields[i] given
 * at compile time (NULL renders as ""); the fields list must outlive the
 * template.  Returns 0, or -1 with errno EMSGSIZE when out overflows
 * (out is then empty, see buf.h) and EINVAL for an error of execution
 * (what is in out then is partial); err gets the message with the byte
 * offset.
 */
int tpl_render_err(const struct tpl *t, const char *const *values,
    struct buf *out, char *err, size_t errlen);
/* The same without a message. */
int tpl_render(const struct tpl *t, const char *const *values, struct buf *out);

/* 1 when the template uses field i. */
int tpl_uses(const struct tpl *t, size_t i);

void tpl_free(struct tpl *t);

#endif
