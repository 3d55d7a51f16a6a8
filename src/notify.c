/* notify.c: the message about a deploy, rendered and queued */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "beanstalk.h"
#include "buf.h"
#include "cfg.h"
#include "http.h"
#include "job.h"
#include "log.h"
#include "notify.h"
#include "respond.h"
#include "spool.h"
#include "template.h"
#include "util.h"

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
notify_values(const struct request *req, const struct change *c, const char **v,
    char *time_buf, size_t time_len)
{
	const cJSON *w;
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(time_buf, time_len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		time_buf[0] = '\0';
	memset(v, 0, sizeof(*v) * NF_COUNT);
	v[NF_ARTIFACT] = c->requested;
	v[NF_SERVICE_NAME] = c->service;
	v[NF_SERVICE_ID] = c->service_id;
	v[NF_IMAGE] = c->new_image;
	v[NF_PREVIOUS_IMAGE] = c->prev_image;
	v[NF_ACTION] = action_name(req->action);
	v[NF_STATE] = c->state ? c->state : "accepted";
	/* Swarm's own word on the rollout, else Docker's first warning. */
	w = req->warnings ? cJSON_GetArrayItem(req->warnings, 0) : NULL;
	v[NF_MESSAGE] = c->message ? c->message
	    : cJSON_IsString(w)    ? w->valuestring
	                           : "";
	v[NF_REQUEST_ID] = req->id;
	v[NF_REMOTE_ADDR] = req->remote_addr;
	v[NF_TOKEN_NAME] = req->token_name;
	v[NF_TIME] = time_buf;
	v[NF_STACK] = c->stack ? c->stack : "";
	v[NF_JOB_STATE] = c->job ? c->job->state : "";
	v[NF_JOB_EXIT_CODE] = c->job ? c->job->exit_text : "";
}

void
notify_put(cJSON *o, const struct config *c, const struct notice *n)
{
	json_put(o, "notification", notify_state_name(n->notify));
	if (n->notify == NOTIFY_FAILED || n->notify == NOTIFY_SPOOLED)
		json_put(o, "notification_error", n->notify_error);
	if (c->notify_url != NULL) {
		json_put(o, "webhook", notify_state_name(n->webhook));
		if (n->webhook == NOTIFY_FAILED)
			json_put(o, "webhook_error", n->webhook_error);
	}
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
spool_init(const struct config *c, const struct bs_put_args *a, struct spool *s)
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
webhook(const struct request *req, const struct buf *msg, struct notice *nt)
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
			nt->webhook = NOTIFY_FAILED;
			goto out;
		}
		body = wrapped;
		n = strlen(wrapped);
	}
	if (http_post_json(req->cfg->notify_url, body, n,
	        req->cfg->notify_timeout_ms, &status, err, sizeof(err)) == -1) {
		nt->webhook = NOTIFY_FAILED;
		/* The URL may hold a secret (Slack's do): never log it. */
		log_warnx("notify: webhook not delivered: %s", err);
		snprintf(nt->webhook_error, sizeof(nt->webhook_error), "%s",
		    err);
	} else {
		nt->webhook = NOTIFY_SENT;
		log_info("notify: webhook answered HTTP %ld", status);
	}
out:
	cJSON_free(wrapped);
	cJSON_Delete(o);
	cJSON_Delete(parsed);
}

void
notify_change(const struct request *req, const struct change *ch,
    struct notice *n)
{
	const struct config *c = req->cfg;
	const char *values[NF_COUNT], *errstr;
	struct bs_put_args a;
	struct spool s;
	char when[32];
	struct buf msg;

	n->notify = NOTIFY_DISABLED;
	if (!c->notify && c->notify_url == NULL)
		return;
	notify_values(req, ch, values, when, sizeof(when));
	buf_init(&msg, NOTIFY_BODY_MAX);
	if (tpl_render_err(c->notify_tpl, values, &msg, n->notify_error,
	        sizeof(n->notify_error)) == -1) {
		n->notify = NOTIFY_FAILED;
		log_warnx("notify: %s", n->notify_error);
		buf_free(&msg);
		return;
	}
	if (c->notify_url != NULL)
		webhook(req, &msg, n);
	if (!c->notify) {
		buf_free(&msg);
		return;
	}
	notify_args(c, &a);
	spool_init(c, &a, &s);
	switch (
	    spool_send(&s, buf_str(&msg), msg.len, &n->notify_job, &errstr)) {
	case SPOOL_SENT:
		n->notify = NOTIFY_SENT;
		log_info("notify: job %llu in tube %s",
		    (unsigned long long)n->notify_job, c->notify_tube);
		break;
	case SPOOL_QUEUED:
		n->notify = NOTIFY_SPOOLED;
		snprintf(n->notify_error, sizeof(n->notify_error),
		    "beanstalkd at %s: %s; the message waits in the spool",
		    c->notify_addr, errstr);
		log_warnx("notify: spooled: %s", n->notify_error);
		break;
	case SPOOL_LOST:
	default:
		n->notify = NOTIFY_FAILED;
		snprintf(n->notify_error, sizeof(n->notify_error),
		    "beanstalkd at %s: %s", c->notify_addr, errstr);
		log_warnx("notify: NOT delivered: %s", n->notify_error);
		break;
	}
	buf_free(&msg);
}

/* NOTIFY_FLAGS holds a base64 template of at most TPL_SOURCE_MAX bytes. */
#define NOTIFY_FLAGS_MAX (TPL_SOURCE_MAX / 3 * 4 + 4096)

static int
load_flags(struct config *c, const struct cfg_value *r, struct cfg_err *e)
{
	const cJSON *item;
	cJSON *root;
	struct buf tpl;
	char tplerr[256];
	const char *addr = NULL, *tube = NULL, *b64 = NULL;

	if (r->val == NULL)
		return 0;
	if (strlen(r->val) > NOTIFY_FLAGS_MAX)
		return cfg_fail(e, "%s: NOTIFY_FLAGS is too long", r->where);
	if ((root = cJSON_Parse(r->val)) == NULL || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return cfg_fail(e, "%s: NOTIFY_FLAGS is not a JSON object",
		    r->where);
	}
	cJSON_ArrayForEach(item, root) {
		const char *k = item->string;

		if (!cJSON_IsString(item)) {
			cfg_fail(e,
			    "%s: NOTIFY_FLAGS: \"%.40s\" must be a string",
			    r->where, k);
			cJSON_Delete(root);
			return -1;
		}
		if (strcmp(k, "addr") == 0)
			addr = item->valuestring;
		else if (strcmp(k, "tube") == 0)
			tube = item->valuestring;
		else if (strcmp(k, "template") == 0)
			b64 = item->valuestring;
		else {
			cfg_fail(e,
			    "%s: NOTIFY_FLAGS: unknown key \"%.40s\" "
			    "(expected addr, tube, template)",
			    r->where, k);
			cJSON_Delete(root);
			return -1;
		}
	}
	if (addr == NULL || *addr == '\0' || tube == NULL || b64 == NULL) {
		cJSON_Delete(root);
		return cfg_fail(e,
		    "%s: NOTIFY_FLAGS needs \"addr\", \"tube\" and "
		    "\"template\"",
		    r->where);
	}
	if (!bs_tube_valid(tube)) {
		cJSON_Delete(root);
		return cfg_fail(e,
		    "%s: NOTIFY_FLAGS: invalid beanstalkd tube name", r->where);
	}
	buf_init(&tpl, strlen(b64));
	if (base64_decode(b64, strlen(b64), &tpl) == -1) {
		buf_free(&tpl);
		cJSON_Delete(root);
		return cfg_fail(e,
		    "%s: NOTIFY_FLAGS: \"template\" is not valid "
		    "base64",
		    r->where);
	}
	c->notify_tpl = tpl_compile(buf_str(&tpl), tpl.len, notify_fields,
	    tplerr, sizeof(tplerr));
	buf_free(&tpl);
	if (c->notify_tpl == NULL) {
		cJSON_Delete(root);
		return cfg_fail(e, "%s: NOTIFY_FLAGS: template: %s", r->where,
		    tplerr);
	}
	c->notify_addr = strdup(addr);
	c->notify_tube = strdup(tube);
	c->notify = 1;
	cJSON_Delete(root);
	if (c->notify_addr == NULL || c->notify_tube == NULL)
		return cfg_fail(e, "out of memory");
	return 0;
}

/* The webhook's template when NOTIFY_FLAGS gives none: a file, or a
 * plain sentence (which the webhook wraps as {"text": ...}). */
#define DEFAULT_TEMPLATE                                  \
	"{{.Action}} of {{.Image}} to {{.ServiceName}}: " \
	"{{.State}} ({{.TokenName}}, request {{.RequestID}})"

static int
load_webhook(struct config *c, const struct cfg_value *u,
    const struct cfg_value *f, struct cfg_err *e)
{
	struct buf text;
	const char *errstr, *src = DEFAULT_TEMPLATE;
	size_t n = strlen(DEFAULT_TEMPLATE);
	char tplerr[256];

	if (u->val != NULL) {
		if (strncmp(u->val, "http://", 7) != 0 &&
		    strncmp(u->val, "https://", 8) != 0)
			return cfg_fail(e,
			    "%s: notify_url must be an http:// or "
			    "https:// URL",
			    u->where);
		if ((c->notify_url = strdup(u->val)) == NULL)
			return cfg_fail(e, "out of memory");
	}
	if (f->val == NULL && (c->notify_tpl != NULL || c->notify_url == NULL))
		return 0;
	if (f->val != NULL && c->notify_tpl != NULL)
		return cfg_fail(e,
		    "%s: notify_template_file and the template in "
		    "NOTIFY_FLAGS exclude each other",
		    f->where);
	buf_init(&text, TPL_SOURCE_MAX);
	if (f->val != NULL) {
		if (file_slurp(f->val, &text, TPL_SOURCE_MAX, &errstr) == -1)
			return cfg_fail(e, "%s: %s: %s", f->where, f->val,
			    errstr);
		src = buf_str(&text);
		n = text.len;
	}
	c->notify_tpl =
	    tpl_compile(src, n, notify_fields, tplerr, sizeof(tplerr));
	buf_free(&text);
	if (c->notify_tpl == NULL)
		return cfg_fail(e, "%s: template: %s",
		    f->val ? f->where : "default template", tplerr);
	return 0;
}

int
notify_configure(struct config *c, const struct cfg_value *flags,
    const struct cfg_value *url, const struct cfg_value *tplfile,
    struct cfg_err *e)
{
	if (load_flags(c, flags, e) == -1)
		return -1;
	return load_webhook(c, url, tplfile, e);
}

void
notify_send(struct request *req)
{
	struct change c;

	req_change(req, &c);
	notify_change(req, &c, &req->notice);
}
