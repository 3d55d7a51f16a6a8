/* spool.h: notifications that wait on disk until beanstalkd takes them */
/* SPDX-License-Identifier: MIT */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>

#include "beanstalk.h"

/*
 * One file per message in the spool directory, named so that names sort
 * in arrival order.  A message is written to a temporary file, fsynced and
 * renamed into place, so a crash never leaves half a message.  All
 * delivery happens under an exclusive lock on DIR/.lock, which keeps the
 * order across concurrent CGI processes: older messages first, and a new
 * message joins the spool while older ones are still waiting.  Delivery is
 * at least once: a crash between the put and the unlink repeats a message.
 */
struct spool {
	const char *dir;              /* NULL: spooling is off */
	unsigned max_messages;        /* refuse new messages beyond this */
	unsigned max_age_s;           /* drop (and log) older messages */
	const struct bs_put_args *bs; /* where messages go */
	int lock_fd;
	char reason[320]; /* what *why points to when composed here */
};

enum spool_result {
	SPOOL_SENT = 0, /* the new message is in beanstalkd */
	SPOOL_QUEUED,   /* it waits in the spool */
	SPOOL_LOST,     /* neither: spool full, unusable, or the
	                 * message can never be accepted */
};

/*
 * Sends msg (n bytes): first every spooled message, oldest first, then
 * msg; whatever cannot be sent now is spooled.  *why explains a result
 * other than SPOOL_SENT (static).  *id is the job id when sent.
 */
enum spool_result spool_send(struct spool *s, const char *msg, size_t n,
    uint64_t *id, const char **why);

/*
 * Delivers what is spooled (for deployer --flush-spool).  Returns the
 * number of messages still waiting, or -1 when the spool cannot be read;
 * *sent counts the deliveries.
 */
int spool_flush(struct spool *s, unsigned *sent, const char **why);

/*
 * Counts the messages waiting in dir, without the lock (a reader must not
 * wait for a delivery in progress), and the arrival time of the oldest
 * (ns since the epoch, 0 when none).  A missing directory is empty.
 * 0, or -1 when the directory cannot be read.
 */
int spool_stat(const char *dir, unsigned *count, uint64_t *oldest_ns);

#endif
