/* beanstalk.h: a beanstalkd producer (use + put) */
/* SPDX-License-Identifier: MIT */
#ifndef BEANSTALK_H
#define BEANSTALK_H

#include <stddef.h>
#include <stdint.h>

/* A reply line is at most this long with its CRLF ("INSERTED " + 20 digits
 * + CRLF, or "USING " + a 200-byte tube + CRLF, rounded up). */
#define BS_REPLY_MAX 224
#define BS_TUBE_MAX 200

enum bs_reply {
	BS_R_INVALID = 0, /* not a line beanstalkd sends */
	BS_R_USING,
	BS_R_INSERTED,
	BS_R_BURIED,
	BS_R_EXPECTED_CRLF,
	BS_R_JOB_TOO_BIG,
	BS_R_DRAINING,
	BS_R_OUT_OF_MEMORY,
	BS_R_INTERNAL_ERROR,
	BS_R_BAD_FORMAT,
	BS_R_UNKNOWN_COMMAND,
};

/*
 * Parses one reply line (n bytes, with or without the trailing CRLF).
 * For INSERTED and BURIED, *id receives the job id; for USING the tube
 * name is not checked here.  Pure: no I/O.
 */
enum bs_reply bs_parse_reply(const char *line, size_t n, uint64_t *id);

/* Static name of a reply ("DRAINING", ...). */
const char *bs_reply_name(enum bs_reply r);

/* 1 when name is a valid tube name: 1-200 bytes of A-Za-z0-9-+/;.$_()
 * not starting with '-'. */
int bs_tube_valid(const char *name);

struct bs_put_args {
	const char *addr;  /* "host:port" (IPv6 as "[::1]:11300") */
	const char *tube;  /* valid tube name */
	uint32_t priority; /* 10, as the Go program sends */
	uint32_t delay;    /* seconds */
	uint32_t ttr;      /* seconds; 60, as the Go program sends */
	int timeout_ms;    /* for connect and for each reply */
};

/*
 * Connects, sends "use" and "put" with body, reads the replies.  Returns
 * 0 with *id set when the job was INSERTED; otherwise -1 with *reply set
 * to what the server said (BS_R_INVALID for a connection or protocol
 * failure) and *errstr to a static description.  Never raises SIGPIPE;
 * the connection is closed before returning.
 */
int bs_put(const struct bs_put_args *a, const char *body, size_t n,
    uint64_t *id, enum bs_reply *reply, const char **errstr);

/* Connects and uses the tube, without putting anything: for health
 * checks and deployer --check.  0, or -1 with *errstr. */
int bs_check(const struct bs_put_args *a, const char **errstr);

#endif
