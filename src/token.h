/* token.h: the credentials a request may present, as configured */
/* SPDX-License-Identifier: MIT */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>

struct config;
struct cfg_err;

/* 1 when name is a valid token name: 1-32 of A-Za-z0-9_- */
int token_name_valid(const char *name);

/* The Go program's single token (TOKEN, or token_file's content): the
 * token "default", which may do everything.  Its SHA-256 is kept. */
int token_add_legacy(struct config *c, const char *tok, size_t n,
    const char *where, struct cfg_err *e);

/* The same, read from the file at path (a trailing newline, as echo and
 * Docker secrets write, is not part of it). */
int token_add_file(struct config *c, const char *path, const char *where,
    struct cfg_err *e);

/*
 * A named token from the file's "token.NAME = ..." line, given as
 * "NAME sha256:<64 hex> [services=PATTERNS] [stacks=PATTERNS] [actions=ACTIONS]
 * [hmac_key_file=PATH] [signature=deployer|github]" in line (which is
 * cut up in place).  where names the file and line for errors.
 */
int token_add_named(struct config *c, char *line, const char *where,
    struct cfg_err *e);

/* Frees every token of c (wiping keys). */
void token_free_all(struct config *c);

#endif
