/* status.c: GET /service/<name>: what a service runs and how it is doing */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "auth.h"
#include "docker.h"
#include "request.h"
#include "respond.h"
#include "status.h"

int
status_run(struct request *req)
{
	struct service svc;
	struct task_count tc;
	const char *at;
	cJSON *r, *u, *t;
	int rc = -1;

	memset(&svc, 0, sizeof(svc));
	if (docker_prepare(req->docker, req->cfg, &req->docker_err) == -1 ||
	    docker_service_get(req->docker, &req->docker_err, req->service,
	        &svc) == -1) {
		req_fail_docker(req);
		goto out;
	}
	if (auth_scope_service(req, svc.name) == -1)
		goto out;
	if (!svc.allow_updates) {
		req_fail(req, 403,
		    "service %s is not labelled "
		    "deployer.allowUpdates=true",
		    req->service);
		goto out;
	}
	if (docker_tasks(req->docker, &req->docker_err, svc.id, &tc) == -1) {
		req_fail_docker(req);
		goto out;
	}
	if ((r = cJSON_CreateObject()) == NULL) {
		req_fail(req, 500, "out of memory");
		goto out;
	}
	req->result = r;
	json_put(r, "service", req->service);
	json_put(r, "service_id", svc.id);
	json_put(r, "image", svc.image);
	at = strchr(svc.image, '@');
	json_put(r, "digest", at ? at + 1 : NULL);
	json_put(r, "previous_image", svc.prev_image);
	u = cJSON_AddObjectToObject(r, "update");
	json_put(u, "state", svc.update_state);
	json_put(u, "message", svc.update_message);
	t = cJSON_AddObjectToObject(r, "tasks");
	cJSON_AddNumberToObject(t, "running", tc.running);
	cJSON_AddNumberToObject(t, "desired",
	    svc.replicas >= 0 ? (double)svc.replicas : (double)tc.total);
	cJSON_AddStringToObject(t, "mode",
	    svc.replicas >= 0 ? "replicated" : "global");
	rc = 0;
out:
	service_free(&svc);
	return rc;
}
