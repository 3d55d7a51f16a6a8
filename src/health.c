/* health.c: is everything this program needs reachable? */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "beanstalk.h"
#include "buf.h"
#include "cfg.h"
#include "docker.h"
#include "health.h"
#include "notify.h"
#include "request.h"
#include "template.h"

int
health_run(struct request *req)
{
	struct bs_put_args a;
	const char *errstr;
	int docker_ok, bs_ok = 1;
	cJSON *r;

	docker_ok = docker_ping(req) == 0;
	/* The check's outcome is the answer, not a request failure. */
	req->status = 0;
	if ((r = cJSON_CreateObject()) == NULL)
		return req_fail(req, 500, "out of memory");
	req->result = r;
	cJSON_AddStringToObject(r, "docker", docker_ok ? "ok" : "unreachable");
	if (docker_ok)
		cJSON_AddStringToObject(r, "api_version", req->docker->version);
	if (req->cfg->notify) {
		notify_args(req->cfg, &a);
		bs_ok = bs_check(&a, &errstr) == 0;
		cJSON_AddStringToObject(r, "beanstalkd", bs_ok ? "ok" : errstr);
	} else
		cJSON_AddStringToObject(r, "beanstalkd", "not configured");
	if (!docker_ok || !bs_ok)
		return req_fail(req, 503, "not healthy");
	cJSON_AddStringToObject(r, "status", "ok");
	return 0;
}

static int
line(int good, const char *what, const char *detail)
{
	printf("%-4s %-10s %s\n", good ? "ok" : "FAIL", what, detail);
	return good ? 0 : 1;
}

int
check_run(const struct config *cfg, const char *path, const char *cfg_error,
    struct docker *d)
{
	const char *values[NF_COUNT + 1] = {0}, *errstr;
	struct request req;
	struct bs_put_args a;
	char state[32], msg[600];
	struct buf out;
	int failed = 0, manager;

	if (cfg_error != NULL)
		return line(0, "config", cfg_error);
	failed |= line(1, "config", path);
	snprintf(msg, sizeof(msg), "%zu token(s)", cfg->ntokens);
	failed |= line(cfg->ntokens > 0, "tokens", cfg->ntokens ? msg :
	    "none configured: every request would be refused");

	memset(&req, 0, sizeof(req));
	req.cfg = cfg;
	req.docker = d;
	req.method = "";
	if (docker_ping(&req) == -1) {
		snprintf(msg, sizeof(msg), "%s: %s", cfg->docker_host,
		    req.error);
		failed |= line(0, "docker", msg);
	} else if (docker_info(&req, state, sizeof(state), &manager) == -1) {
		failed |= line(0, "docker", req.error);
	} else {
		snprintf(msg, sizeof(msg), "%s, API %s, swarm %s%s",
		    cfg->docker_host, d->version, state, manager ?
		    ", manager" : "");
		failed |= line(manager, "docker", manager ? msg :
		    "not a swarm manager: updates would fail with 503");
		if (!manager)
			printf("           (%s)\n", msg);
	}

	if (!cfg->notify)
		line(1, "notify", "off (no NOTIFY_FLAGS)");
	else {
		notify_args(cfg, &a);
		if (bs_check(&a, &errstr) == -1) {
			snprintf(msg, sizeof(msg), "%s tube %s: %s",
			    cfg->notify_addr, cfg->notify_tube, errstr);
			failed |= line(0, "beanstalkd", msg);
		} else {
			snprintf(msg, sizeof(msg), "%s tube %s",
			    cfg->notify_addr, cfg->notify_tube);
			failed |= line(1, "beanstalkd", msg);
		}
		values[NF_ARTIFACT] = "registry.example.com/team/app:v1.2";
		values[NF_SERVICE_NAME] = "app";
		values[NF_SERVICE_ID] = "abcdefghijklmnopqrstuvwxy";
		values[NF_IMAGE] = "registry.example.com/team/app:v1.2@sha256:"
		    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
		    "abcdef";
		values[NF_PREVIOUS_IMAGE] = "registry.example.com/team/app:v1.1";
		values[NF_ACTION] = "deploy";
		values[NF_STATE] = "completed";
		values[NF_MESSAGE] = "update completed";
		values[NF_REQUEST_ID] = "0123456789abcdef";
		values[NF_REMOTE_ADDR] = "192.0.2.1";
		values[NF_TOKEN_NAME] = "ci";
		values[NF_TIME] = "2026-01-01T00:00:00Z";
		buf_init(&out, NOTIFY_BODY_MAX);
		if (tpl_render(cfg->notify_tpl, values, &out) == -1)
			failed |= line(0, "template", "renders to more "
			    "than 65535 bytes");
		else {
			printf("ok   template   renders: %s\n", buf_str(&out));
		}
		buf_free(&out);
	}
	return failed;
}
