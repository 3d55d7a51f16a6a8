/* status.c: GET /service/<name>: what a service runs and how it is doing */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "docker.h"
#include "request.h"
#include "status.h"

static void
add_str(cJSON *o, const char *k, const char *v)
{
	if (v != NULL && *v != '\0')
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

int
status_run(struct request *req)
{
	struct service svc;
	struct task_count tc;
	const char *at;
	cJSON *r, *u, *t;
	int rc = -1;

	if (docker_prepare(req) == -1 ||
	    docker_service_get(req, req->service, &svc) == -1)
		return -1;
	if (!svc.allow_updates) {
		req_fail(req, 403, "service %s is not labelled "
		    "deployer.allowUpdates=true", req->service);
		goto out;
	}
	if (docker_tasks(req, svc.id, &tc) == -1)
		goto out;
	if ((r = cJSON_CreateObject()) == NULL) {
		req_fail(req, 500, "out of memory");
		goto out;
	}
	req->result = r;
	add_str(r, "service", req->service);
	add_str(r, "service_id", svc.id);
	add_str(r, "image", svc.image);
	at = strchr(svc.image, '@');
	add_str(r, "digest", at ? at + 1 : NULL);
	add_str(r, "previous_image", svc.prev_image);
	u = cJSON_AddObjectToObject(r, "update");
	add_str(u, "state", svc.update_state);
	add_str(u, "message", svc.update_message);
	t = cJSON_AddObjectToObject(r, "tasks");
	cJSON_AddNumberToObject(t, "running", tc.running);
	cJSON_AddNumberToObject(t, "desired", svc.replicas >= 0 ?
	    (double)svc.replicas : (double)tc.total);
	cJSON_AddStringToObject(t, "mode", svc.replicas >= 0 ? "replicated" :
	    "global");
	rc = 0;
out:
	service_free(&svc);
	return rc;
}
