/* notify.c: the message about a deploy, rendered and queued */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "beanstalk.h"
#include "buf.h"
#include "cfg.h"
#include "log.h"
#include "notify.h"
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
notify_send(struct request *req)
{
	const struct config *c = req->cfg;
	const char *values[NF_COUNT], *errstr;
	struct bs_put_args a;
	enum bs_reply reply;
	char when[32];
	struct buf msg;

	if (!c->notify) {
		req->notify = NOTIFY_DISABLED;
		return;
	}
	notify_values(req, values, when, sizeof(when));
	buf_init(&msg, NOTIFY_BODY_MAX);
	if (tpl_render(c->notify_tpl, values, &msg) == -1) {
		req->notify = NOTIFY_FAILED;
		snprintf(req->notify_error, sizeof(req->notify_error),
		    "the message is longer than %d bytes", NOTIFY_BODY_MAX);
		log_warnx("notify: %s", req->notify_error);
		buf_free(&msg);
		return;
	}
	a.addr = c->notify_addr;
	a.tube = c->notify_tube;
	a.priority = NOTIFY_PRIORITY;
	a.delay = NOTIFY_DELAY;
	a.ttr = NOTIFY_TTR;
	a.timeout_ms = c->notify_timeout_ms;
	if (bs_put(&a, buf_str(&msg), msg.len, &req->notify_job, &reply,
	    &errstr) == -1) {
		req->notify = NOTIFY_FAILED;
		snprintf(req->notify_error, sizeof(req->notify_error),
		    "beanstalkd at %s: %s", c->notify_addr, errstr);
		log_warnx("notify: not delivered: %s", req->notify_error);
	} else {
		req->notify = NOTIFY_SENT;
		log_info("notify: job %llu in tube %s",
		    (unsigned long long)req->notify_job, c->notify_tube);
	}
	buf_free(&msg);
}
