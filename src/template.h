/* template.h: notification templates in Go's text/template syntax */
/* SPDX-License-Identifier: MIT */
#ifndef TEMPLATE_H
#define TEMPLATE_H

#include <stddef.h>

#include "buf.h"

/*
 * The subset of Go's text/template that notification messages use:
 * text, field actions "{{.Name}}" with optional spaces "{{ .Name }}",
 * trim markers "{{- .Name -}}" (which remove adjacent white space from the
 * neighbouring text, as Go does), and comments ("{{", slash-star, text,
 * star-slash, "}}").  Output is not escaped, as in text/template.
 * Anything else inside {{ }} (if, range, pipes, functions, variables,
 * nested fields) and a field that is not in the caller's list is a
 * compile error, so a typo never renders as a blank.
 */
struct tpl;

/*
 * Compiles n bytes of src against fields (a NULL-terminated list of names
 * without the dot).  Returns the template (free with tpl_free), or NULL
 * with a message that names the byte offset in err.
 */
struct tpl *tpl_compile(const char *src, size_t n, const char *const *fields,
    char *err, size_t errlen);

/* values[i] is the text for fields[i] given at compile time (NULL renders
 * as ""). Returns 0, or -1 when out overflows. */
int tpl_render(const struct tpl *t, const char *const *values,
    struct buf *out);

/* 1 when the template uses field i. */
int tpl_uses(const struct tpl *t, size_t i);

void tpl_free(struct tpl *t);

#endif
