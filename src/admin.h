/* admin.h: the modes that do one job for an operator and exit */
/* SPDX-License-Identifier: MIT */
#ifndef ADMIN_H
#define ADMIN_H

struct config;
struct docker;

/* Each returns the process exit status. */

/*
 * deployer --check: parses the settings, reaches Docker and confirms it
 * is a swarm manager (with its API version), connects to beanstalkd and
 * uses the tube, and renders the template with sample values; one line
 * per check on stdout.  0 only when every check passed.
 */
int admin_check(const struct config *cfg, const char *path,
    const char *cfg_error, struct docker *d);

/* deployer --flush-spool: 0 when the spool is empty afterwards, 75
 * (EX_TEMPFAIL) when messages still wait, 1 when it cannot be read. */
int admin_flush_spool(const struct config *cfg);

/* deployer --hash-token=NAME: reads a token on stdin and prints the
 * token.NAME line; the token is wiped from memory. */
int admin_hash_token(const char *name);

/* deployer --verify-audit FILE: 0 intact, 1 broken (names the line). */
int admin_verify_audit(const char *path, const char *key_path);

#endif
