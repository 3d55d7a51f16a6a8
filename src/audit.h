/* audit.h: a hash-chained, append-only record of who did what */
/* SPDX-License-Identifier: MIT */
#ifndef AUDIT_H
#define AUDIT_H

#include <stdio.h>

struct request;

/*
 * Appends one JSON line for a request that reached authentication: time,
 * request id, remote address, token name, action, service, old and new
 * image, digest, Docker version index, outcome and status, and "prev":
 * the SHA-256 (hex) of the previous line (64 zeros for the first).  The
 * file is opened O_APPEND, locked, and fsynced before the response is
 * written.  Returns 0, or -1 when the line could not be written (logged).
 * *hash receives the first 16 hex digits of the new line's hash, for the
 * log, so that a truncated file can be told from the logs.
 */
int audit_record(const struct request *req, char hash[17]);

/*
 * Checks the chain of the file at path.  Returns 0 when intact (*lines
 * counts them), or the 1-based number of the first line that does not
 * follow from the one before (edited, inserted, deleted or reordered), or
 * -1 when the file cannot be read.
 */
long audit_verify(const char *path, long *lines);

#endif
