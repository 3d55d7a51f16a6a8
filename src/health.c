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
#include "util.h"

size_t
health_storage(const struct config *c, struct storage_check out[3])
{
	size_t n = 0;

	if (c->spool_dir != NULL && c->notify) {
		out[n].what = "spool";
		out[n].path = c->spool_dir;
		out[n].ok = dir_usable(c->spool_dir, 1, out[n].why,
		                sizeof(out[n].why)) == 0;
		n++;
	}
	if (c->audit_file != NULL) {
		out[n].what = "audit";
		out[n].path = c->audit_file;
		out[n].ok = file_appendable(c->audit_file, out[n].why,
		                sizeof(out[n].why)) == 0;
		n++;
	}
	return n;
}

int
health_run(struct request *req)
{
	struct bs_put_args a;
	const char *errstr;
	struct storage_check st[3];
	size_t i, nst;
	int docker_ok, bs_ok = 1, storage_ok = 1;
	cJSON *r;

	docker_ok =
	    docker_prepare(req->docker, req->cfg, &req->docker_err) == 0 &&
	    docker_ping(req->docker, &req->docker_err) == 0;
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
	/* Storage is reported; only an audit file the configuration
	 * requires makes the process unhealthy (deploys would get 503). */
	nst = health_storage(req->cfg, st);
	for (i = 0; i < nst; i++) {
		cJSON_AddStringToObject(r, st[i].what,
		    st[i].ok ? "ok" : st[i].why);
		if (!st[i].ok && strcmp(st[i].what, "audit") == 0 &&
		    req->cfg->audit_required)
			storage_ok = 0;
	}
	if (!docker_ok || !bs_ok || !storage_ok)
		return req_fail(req, 503, "not healthy");
	cJSON_AddStringToObject(r, "status", "ok");
	return 0;
}
