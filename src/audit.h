/* audit.h: a hash-chained, append-only record of who did what */
/* SPDX-License-Identifier: MIT */
#ifndef AUDIT_H
#define AUDIT_H

#include <stddef.h>
#include <stdint.h>

struct change;
struct config;
struct request;

/*
 * The audit file holds one JSON object per line.  Each names the line
 * before it in "prev" and ends in "hash": the SHA-256 of the line without
 * that member, or, with audit_key_file, its HMAC-SHA256 under that key
 * (and then "chain":"hmac-sha256"), so that nobody without the key can
 * rewrite a line and recompute the rest.
 *
 * A write is two records: an intent ("phase":"intent") on disk before
 * the Docker write, and the outcome ("phase":"outcome") before the answer,
 * so that a process killed in between still leaves the change on record.
 * Unauthenticated requests get at most audit_refused_max lines a minute;
 * the rest are counted and written as one "refused_suppressed" record
 * when the next minute's first one arrives.
 *
 * Every record is appended under an exclusive lock and fsynced.  A last
 * line torn by a crash is closed and the next record, marked "torn",
 * chains from the line before it.
 */

/*
 * Records the intent to write c's service (at Docker version index
 * c->version) from c->prev_image to c->new_image.  Returns 0, or -1 when
 * it could not be written (logged).
 */
int audit_intent(const struct request *req, const struct change *c);

/* Records what became of one member of a stack release (its state as
 * the outcome, with the request's status).  Returns 0, or -1. */
int audit_member(const struct request *req, const struct change *c);

/*
 * Records the outcome of a request that reached authentication: time,
 * request id, remote address, token name, action, service, old and new
 * image, digest, Docker version index, outcome and status.  Returns 0, or
 * -1 when the line could not be written (logged).  hash receives the
 * first 16 hex digits of the new line's hash, for the log line ("" when
 * nothing was written), so that a truncated file can be told from the logs.
 */
int audit_record(const struct request *req, char hash[17]);

/* Intents audit_verify can match to their outcomes at once. */
#define AUDIT_OPEN_MAX 256

/* What audit_verify found. */
struct audit_report {
	long lines;   /* lines read */
	long bad;     /* first line that breaks the chain, or 0 */
	long torn;    /* lines torn by a crash (and closed after) */
	long intents; /* intents without an outcome */
	int keyed;    /* the chain is keyed (HMAC) */
	/* Work space: request ids of intents not yet followed. */
	char open[AUDIT_OPEN_MAX][17];
	size_t nopen;
	long overflow;
};

/*
 * Checks the chain of the file at path, with key (keylen bytes) when the
 * chain is keyed; a keyed chain cannot be checked without its key, and
 * with a key every line must be keyed.  Returns 0 with *r filled (r->bad
 * names the first line that does not follow from the one before: edited,
 * inserted, deleted, reordered, or recomputed without the key), or -1
 * when the file cannot be read.
 */
int audit_verify(const char *path, const unsigned char *key, size_t keylen,
    struct audit_report *r);

#endif
