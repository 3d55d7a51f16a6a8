/* notify.h: the message about a deploy, rendered and queued */
/* SPDX-License-Identifier: MIT */
#ifndef NOTIFY_H
#define NOTIFY_H

#include "request.h"

/* beanstalkd's default max-job-size: a larger message would be refused. */
#define NOTIFY_BODY_MAX 65535

/*
 * Renders the configured template with the request's fields and puts it
 * into the tube.  Never fails the request: the outcome is recorded in
 * req->notify (and req->notify_error), and logged.
 */
void notify_send(struct request *req);

/* The same for one service's write c (a member of a stack release); the
 * outcome goes to *n. */
void notify_change(const struct request *req, const struct change *c,
    struct notice *n);

const char *notify_state_name(enum notify_state s);

/* The notice's members of an answer: "notification" (and its error),
 * "webhook" when one is configured. */
void notify_put(cJSON *o, const struct config *c, const struct notice *n);

struct bs_put_args;
struct spool;
/* The beanstalkd put parameters and the spool, from the settings. */
void notify_args(const struct config *c, struct bs_put_args *a);
void spool_init(const struct config *c, const struct bs_put_args *a,
    struct spool *s);

/* Fills values[NF_COUNT] from the request and its write c; time_buf
 * holds the time. */
void notify_values(const struct request *req, const struct change *c,
    const char **values, char *time_buf, size_t time_len);

struct cfg_err;
struct cfg_value;

/*
 * Sets up notifications from their settings: NOTIFY_FLAGS (the Go
 * program's {"addr", "tube", "template": base64}), notify_url and
 * notify_template_file.  The template is compiled here, so that a broken
 * one is a configuration error.
 */
int notify_configure(struct config *c, const struct cfg_value *flags,
    const struct cfg_value *url, const struct cfg_value *tplfile,
    struct cfg_err *e);

#endif
