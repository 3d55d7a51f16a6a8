/* util.h: strict number parsing, hashing, files, ids, clocks */
/* SPDX-License-Identifier: MIT */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Decimal digits only (no sign, no space, no empty string), within
 * [min, max].  On failure returns -1 and sets *errstr. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char **errstr);
/* Same for the n bytes at s, which need not be NUL-terminated. */
int parse_u64n(const char *s, size_t n, uint64_t min, uint64_t max,
    uint64_t *out, const char **errstr);

/* The SHA-256 of the n bytes at p (libcrypto, without the EVP setup). */
void sha256(const void *p, size_t n, unsigned char out[32]);

/* The n bytes at p as 2n lowercase hex digits and a NUL into out. */
void hex_encode(const void *p, size_t n, char *out);

/* 2n hex digits at s into n bytes at out; upper case only when
 * any_case.  -1 on any other byte. */
int hex_decode(const char *s, size_t n, int any_case, unsigned char *out);

/* 16 lowercase hex digits from the kernel's random source, NUL-terminated
 * into out (17 bytes). */
int make_request_id(char out[17]);

/* Milliseconds from CLOCK_MONOTONIC. */
uint64_t mono_ms(void);

/* Sleeps ms milliseconds, through signals. */
void sleep_ms(uint64_t ms);

/* Overwrites n bytes in a way the compiler keeps. */
void wipe(void *p, size_t n);

/* 1 when the n bytes at s are well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
int utf8_valid(const char *s, size_t n);
/* The length of the well-formed UTF-8 sequence at p (n bytes there), or
 * 0 when it is not one. */
size_t utf8_seq(const unsigned char *p, size_t n);

/*
 * Calls match(pattern, ctx) for each pattern of a comma-separated list
 * (blanks around a pattern are not part of it; empty and overlong ones
 * never match).  Returns 1 as soon as one matches, else 0.
 */
int pattern_list_any(const char *list, int (*match)(const char *, const void *),
    const void *ctx);

/* dir + "/" + name into out; -1 (out "") when it does not fit. */
int path_join(char *out, size_t outlen, const char *dir, const char *name);

/*
 * 0 when the process can create files in dir; with create set a missing
 * dir is made (0700; its parent must exist).  -1 with a sentence that
 * names dir and the reason in why.
 */
int dir_usable(const char *dir, int create, char *why, size_t whylen);

/* 0 when the process can append to the file at path (or create it). */
int file_appendable(const char *path, char *why, size_t whylen);

struct buf;

/* Reads the whole file at path into out (initialised here with max as
 * its limit).  0, or -1 with *errstr, errno kept, and out freed. */
int file_slurp(const char *path, struct buf *out, size_t max,
    const char **errstr);

/* The minimum length of a secret key, in bytes (128 bits). */
#define SECRET_KEY_MIN 16

/*
 * Reads a secret key from the file at path (a trailing newline is not
 * part of it; at least SECRET_KEY_MIN bytes).  *key is owned by the
 * caller, who wipes it before freeing.  0, or -1 with *why.
 */
int secret_file_load(const char *path, unsigned char **key, size_t *len,
    const char **why);

/* Standard base64 into out (no newlines); base64url when url is set
 * ("-" and "_", with padding, as Go's URLEncoding). */
int base64_encode(const void *p, size_t n, int url, struct buf *out);
/* Standard base64 (padding required) into out; -1 when malformed. */
int base64_decode(const char *in, size_t n, struct buf *out);

#endif
