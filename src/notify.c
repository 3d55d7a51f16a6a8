/* notify.c: the message about a deploy, rendered and queued */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "beanstalk.h"
#include "buf.h"
#include "cfg.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "spool.h"
#include "template.h"

/* The Go program's job parameters: priority 10, no delay, TTR 1 min. */
#define NOTIFY_PRIORITY 10
#define NOTIFY_DELAY 0
#define NOTIFY_TTR 60

const char *
notify_state_name(enum notify_state s)
{
	switch (s) {
	case NOTIFY_SENT:
		return "sent";
	case NOTIFY_SPOOLED:
		return "spooled";
	case NOTIFY_FAILED:
		return "failed";
	case NOTIFY_DISABLED:
	default:
		return "disabled";
	}
}

void
notify_values(const struct request *req, const char **v, char *time_buf,
    size_t time_len)
{
	const cJSON *w;
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(time_buf, time_len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		time_buf[0] = '\0';
	memset(v, 0, sizeof(*v) * NF_COUNT);
	v[NF_ARTIFACT] = req->image;
	v[NF_SERVICE_NAME] = req->service;
	v[NF_SERVICE_ID] = req->service_id;
	v[NF_IMAGE] = req->new_image;
	v[NF_PREVIOUS_IMAGE] = req->prev_image;
	v[NF_ACTION] = req->action == ACT_ROLLBACK ? "rollback" : "deploy";
	v[NF_STATE] = req->state ? req->state : "accepted";
	/* Swarm's own word on the rollout, else Docker's first warning. */
	w = req->warnings ? cJSON_GetArrayItem(req->warnings, 0) : NULL;
	v[NF_MESSAGE] = req->state_message ? req->state_message :
	    cJSON_IsString(w) ? w->valuestring : "";
	v[NF_REQUEST_ID] = req->id;
	v[NF_REMOTE_ADDR] = req->remote_addr;
	v[NF_TOKEN_NAME] = req->token_name;
	v[NF_TIME] = time_buf;
}

void
notify_args(const struct config *c, struct bs_put_args *a)
{
	a->addr = c->notify_addr;
	a->tube = c->notify_tube;
	a->priority = NOTIFY_PRIORITY;
	a->delay = NOTIFY_DELAY;
	a->ttr = NOTIFY_TTR;
	a->timeout_ms = c->notify_timeout_ms;
}

void
spool_init(const struct config *c, const struct bs_put_args *a,
    struct spool *s)
{
	s->dir = c->spool_dir;
	s->max_messages = c->spool_max;
	s->max_age_s = c->spool_max_age;
	s->bs = a;
	s->lock_fd = -1;
}

/*
 * POSTs the message to notify_url: as it is when it is a JSON object
 * (Slack and Mattermost payloads), else as {"text": message}.  A failure
 * is logged and reported, never a reason to fail the deploy.
 */
static void
webhook(struct request *req, const struct buf *msg)
{
	char err[256];
	cJSON *o = NULL, *parsed;
	char *wrapped = NULL;
	const char *body = buf_str(msg);
	size_t n = msg->len;
	long status;

	parsed = cJSON_ParseWithLength(body, n);
	if (!cJSON_IsObject(parsed)) {
		if ((o = cJSON_CreateObject()) == NULL ||
		    cJSON_AddStringToObject(o, "text", body) == NULL ||
		    (wrapped = cJSON_PrintUnformatted(o)) == NULL) {
			req->webhook = NOTIFY_FAILED;
			goto out;
		}
		body = wrapped;
		n = strlen(wrapped);
	}
	if (http_post_json(req->cfg->notify_url, body, n,
	    req->cfg->notify_timeout_ms, &status, err, sizeof(err)) == -1) {
		req->webhook = NOTIFY_FAILED;
		/* The URL may hold a secret (Slack's do): never log it. */
		log_warnx("notify: webhook not delivered: %s", err);
		snprintf(req->webhook_error, sizeof(req->webhook_error), "%s",
		    err);
	} else {
		req->webhook = NOTIFY_SENT;
		log_info("notify: webhook answered HTTP %ld", status);
	}
out:
	cJSON_free(wrapped);
	cJSON_Delete(o);
	cJSON_Delete(parsed);
}

void
notify_send(struct request *req)
{
	const struct config *c = req->cfg;
	const char *values[NF_COUNT], *errstr;
	struct bs_put_args a;
	struct spool s;
	char when[32];
	struct buf msg;

	req->notify = NOTIFY_DISABLED;
	if (!c->notify && c->notify_url == NULL)
		return;
	notify_values(req, values, when, sizeof(when));
	buf_init(&msg, NOTIFY_BODY_MAX);
	if (tpl_render_err(c->notify_tpl, values, &msg, req->notify_error,
	    sizeof(req->notify_error)) == -1) {
		req->notify = NOTIFY_FAILED;
		log_warnx("notify: %s", req->notify_error);
		buf_free(&msg);
		return;
	}
	if (c->notify_url != NULL)
		webhook(req, &msg);
	if (!c->notify) {
		buf_free(&msg);
		return;
	}
	notify_args(c, &a);
	spool_init(c, &a, &s);
	switch (spool_send(&s, buf_str(&msg), msg.len, &req->notify_job,
	    &errstr)) {
	case SPOOL_SENT:
		req->notify = NOTIFY_SENT;
		log_info("notify: job %llu in tube %s",
		    (unsigned long long)req->notify_job, c->notify_tube);
		break;
	case SPOOL_QUEUED:
		req->notify = NOTIFY_SPOOLED;
		snprintf(req->notify_error, sizeof(req->notify_error),
		    "beanstalkd at %s: %s; the message waits in the spool",
		    c->notify_addr, errstr);
		log_warnx("notify: spooled: %s", req->notify_error);
		break;
	case SPOOL_LOST:
	default:
		req->notify = NOTIFY_FAILED;
		snprintf(req->notify_error, sizeof(req->notify_error),
		    "beanstalkd at %s: %s", c->notify_addr, errstr);
		log_warnx("notify: NOT delivered: %s", req->notify_error);
		break;
	}
	buf_free(&msg);
}
