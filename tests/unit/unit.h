/* unit.h: what several unit tests need: child processes, loopback
 * sockets, a real beanstalkd, temporary directories and files */
/* SPDX-License-Identifier: MIT */
#ifndef UNIT_H
#define UNIT_H

#include <sys/types.h>

#include <stddef.h>

#ifndef BEANSTALKD
#define BEANSTALKD "/usr/bin/beanstalkd"
#endif

/* fork() that records the child; in the child, dies with the parent. */
pid_t spawn(void);
/* Waits for a recorded child, killing it first with sig (0: none). */
void reap(pid_t pid, int sig);
/* Kills and reaps every recorded child (for atexit). */
void kill_children(void);

/* A listening socket on a kernel-chosen loopback port. */
int listener(int family, int *port);
/* A loopback port with nothing listening on it (for now). */
int free_port(void);
/* A blocking test-side connection with a 3 s receive timeout. */
int tc_connect(int port);
/* Sends a beanstalkd command and reads its whole reply into out. */
int tc_cmd(int fd, const char *cmd, char *out, size_t cap, size_t *outlen);
/* Starts beanstalkd -z max_job on a free port: the port, or -1. */
int start_beanstalkd(int max_job, pid_t *pidp);

/* A private temporary directory /tmp/name.XXXXXX, made on the first
 * call and removed with everything in it at exit. */
const char *tmp_dir(const char *name);
/* name inside it (static: four at a time). */
const char *tmp_path(const char *name);
/* Removes the temporary directory now. */
void tmp_remove(void);

struct config;
/* Loads the settings text as a configuration file (d.conf in the
 * temporary directory) into c; bails out of the test if it fails. */
void unit_settings(struct config *c, const char *text);

/* Writes n bytes to path (0600): 0 or -1. */
int write_file(const char *path, const void *data, size_t n);
/* The whole file, NUL-terminated (the caller frees it), or NULL. */
char *read_file(const char *path, size_t *len);

/* Sends fd 1 (what CGI answers go to) into path until capture_end,
 * which returns what was written (the caller frees it). */
int capture_start(const char *path);
char *capture_end(const char *path);
/* Makes path the process's stdin (the CGI request body). */
int stdin_from(const char *path);

#endif
