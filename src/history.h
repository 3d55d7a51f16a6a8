/* history.h: a service's deploys and rollbacks, from the audit trail */
/* SPDX-License-Identifier: MIT */
#ifndef HISTORY_H
#define HISTORY_H

#include <stddef.h>

struct request;

/*
 * GET /service/<name>/history?limit=N: the last N deploys and rollbacks
 * of the service (every action that changes services), newest first,
 * read from the end of the audit file in bounded chunks.  A record counts
 * when it is an outcome (no "phase" member, or "outcome"), it was not
 * refused (a 4xx other than 409) and it was not a dry run.  Records are
 * read by member name with cJSON.  Without audit_file: 404 saying how to
 * enable it.  No Docker call: a removed service keeps its history.
 */
int history_run(struct request *req);

/* The reader underneath, for tests: lines of the file at fd, last first. */
struct rev_reader {
	int fd;
	long long pos; /* bytes before the buffer not yet read */
	char *buf;     /* REV_CHUNK + REV_LINE_MAX bytes */
	size_t lo, hi; /* unreturned bytes: buf[lo, hi) */
	int skip;      /* the line being read is too long: drop it */
};
#define REV_CHUNK (64 * 1024)
#define REV_LINE_MAX (64 * 1024)

int rev_open(struct rev_reader *r, int fd);
/* The line before those returned (without its newline; lines longer
 * than REV_LINE_MAX are skipped): 1, 0 at the start of the file, -1 on a
 * read error. */
int rev_line(struct rev_reader *r, const char **line, size_t *len);
void rev_close(struct rev_reader *r);

#endif
