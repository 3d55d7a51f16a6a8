/* log.h: one log line per event, to stderr or syslog */
/* SPDX-License-Identifier: MIT */
#ifndef LOG_H
#define LOG_H

enum log_target {
	LOG_TARGET_STDERR, /* the web server's error log in CGI mode */
	LOG_TARGET_SYSLOG, /* facility daemon */
};

void log_open(enum log_target target);
/* Prefixes every line with "[id] " until cleared with NULL; copied. */
void log_set_request(const char *id);

/* log_warn appends ": strerror(errno)"; the others log as given.  Control
 * characters in the result are escaped so that no input forges a line. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
