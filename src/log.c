/* log.c: one log line per event, to stderr or syslog */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

/* A line longer than this is cut; no event needs more. */
#define LOG_LINE_MAX 1024
/* Request ids are 16 hex digits; room for a caller-supplied longer one. */
#define LOG_ID_MAX 40

static enum log_target target = LOG_TARGET_STDERR;
static char request_id[LOG_ID_MAX + 1];

void
log_open(enum log_target t)
{
	target = t;
	if (t == LOG_TARGET_SYSLOG)
		openlog("deployer", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_request(const char *id)
{
	size_t n;

	if (id == NULL) {
		request_id[0] = '\0';
		return;
	}
	n = strnlen(id, LOG_ID_MAX);
	memcpy(request_id, id, n);
	request_id[n] = '\0';
}

/* Escapes control bytes in place-safe fashion into out. */
static void
log_escape(char *out, size_t outlen, const char *in)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *in != '\0' && o + 5 < outlen; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static void
log_emit(int prio, const char *fmt, va_list ap, int errnum)
{
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX];
	int n;

	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n >= 0 && errnum != 0 && (size_t)n < sizeof(raw))
		snprintf(raw + n, sizeof(raw) - (size_t)n, ": %s",
		    strerror(errnum));
	log_escape(line, sizeof(line), raw);

	if (target == LOG_TARGET_SYSLOG) {
		if (request_id[0] != '\0')
			syslog(prio, "[%s] %s", request_id, line);
		else
			syslog(prio, "%s", line);
		return;
	}
	if (request_id[0] != '\0')
		fprintf(stderr, "deployer[%ld]: [%s] %s\n", (long)getpid(),
		    request_id, line);
	else
		fprintf(stderr, "deployer[%ld]: %s\n", (long)getpid(), line);
	fflush(stderr);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}
