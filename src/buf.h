/* buf.h: bounded growable byte buffer */
/* SPDX-License-Identifier: MIT */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Every growable byte string in the program lives in a struct buf with a
 * hard maximum.  data is always NUL-terminated after a successful add
 * (the NUL is not counted in len and does not count against max).
 * When an add would pass max, the buffer frees its storage, stays usable
 * (empty) and the call returns -1 with errno = EMSGSIZE; allocation
 * failure returns -1 with errno = ENOMEM and leaves the buffer as it was.
 */
struct buf {
	char *data; /* owned; NULL until the first add */
	size_t len; /* bytes used, excluding the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* largest len allowed */
};

void buf_init(struct buf *b, size_t max);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Borrowed view; "" for an empty buffer. */
const char *buf_str(const struct buf *b);
/* Transfers ownership of the NUL-terminated data to the caller (free()). */
char *buf_take(struct buf *b, size_t *lenp);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

#endif
