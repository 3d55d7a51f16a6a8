/* chars.h: ASCII character classes, the same in every locale */
/* SPDX-License-Identifier: MIT */
#ifndef CHARS_H
#define CHARS_H

/*
 * <ctype.h> depends on the locale and takes an int that must be an
 * unsigned char or EOF; grammars (references, names, JSON, routes) need
 * fixed ASCII classes.  One definition of each, for every module.
 */
static inline int
ch_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline int
ch_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static inline int
ch_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static inline int
ch_alnum(unsigned char c)
{
	return ch_digit(c) || ch_lower(c) || ch_upper(c);
}

static inline int
ch_lowerhex(unsigned char c)
{
	return ch_digit(c) || (c >= 'a' && c <= 'f');
}

static inline int
ch_hex(unsigned char c)
{
	return ch_lowerhex(c) || (c >= 'A' && c <= 'F');
}

#endif
