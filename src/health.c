/* health.c: is everything this program needs reachable? */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "beanstalk.h"
#include "cfg.h"
#include "docker.h"
#include "health.h"
#include "notify.h"
#include "request.h"

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
