/* member.c: one service's write in a request that writes several */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "deploy.h"
#include "docker.h"
#include "job.h"
#include "member.h"
#include "notify.h"
#include "request.h"
#include "respond.h"
#include "spec.h"

void
member_state(struct member *m, const char *state, const char *msg)
{
	m->state = state;
	free(m->message);
	m->message = msg != NULL ? strdup(msg) : NULL;
}

static int
record_intent(struct request *req, const struct member *m)
{
	struct change c;

	member_change(req, m, &c);
	return deploy_intent(req, &c);
}

int
member_write(struct request *req, struct member *m, int force, struct buf *spec,
    member_reread_fn reread)
{
	const struct spec_change c = {
		.image = m->pin.image,
		.platforms = m->pin.platforms,
		.force = force,
		.by = req->cfg->record_labels ? req->token_name : NULL,
		.request_id = req->id,
	};
	unsigned attempt;
	int rc;

	for (attempt = 1;; attempt++) {
		buf_reset(spec);
		if (spec_edit(&c, &m->svc, spec) == -1)
			return req_fail(req, 502,
			    "cannot edit the spec Docker sent for service %s",
			    m->svc.name);
		if (record_intent(req, m) == -1)
			return -1;
		m->attempted = 1;
		rc = docker_service_update(req->docker, &req->docker_err,
		    &m->svc, buf_str(spec), spec->len, pin_auth(&m->pin), 0,
		    req_docker_warning, req);
		if (rc == -1)
			return req_fail_docker(req);
		if (rc == 0)
			break;
		if ((rc = reread(req, m, attempt)) != 1)
			return rc;
	}
	m->written = 1;
	member_state(m, "accepted", NULL);
	return 0;
}

void
member_change(const struct request *req, const struct member *m,
    struct change *c)
{
	memset(c, 0, sizeof(*c));
	c->service = m->svc.name;
	c->service_id = m->svc.id;
	c->stack = req->stack;
	c->requested = m->image;
	c->prev_image = m->svc.image;
	c->new_image = m->pin.image[0] ? m->pin.image : NULL;
	c->digest = m->pin.digest;
	c->state = m->state;
	c->message = m->message;
	c->version = m->svc.version;
	c->job = m->job;
}

int
member_put(cJSON *arr, const struct request *req, const struct member *m)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return -1;
	}
	json_put(o, "service", m->svc.name);
	json_put(o, "service_id", m->svc.id);
	json_put(o, "requested_image", m->image);
	json_put(o, "image", m->pin.image);
	json_put(o, "previous_image", m->svc.image);
	json_put(o, "digest", m->pin.digest);
	if (req->action == ACT_STACK)
		cJSON_AddNumberToObject(o, "order", (double)m->svc.order);
	json_put(o, "state", m->state);
	json_put(o, "message", m->message);
	if (m->job != NULL && job_put(o, m->job) == -1)
		return -1;
	if (m->written || m->told)
		notify_put(o, req->cfg, &m->notice);
	return 0;
}

void
members_tell(struct request *req)
{
	struct change c;
	size_t i;

	for (i = 0; i < req->nmembers; i++) {
		struct member *m = &req->members[i];

		member_change(req, m, &c);
		if (m->written || m->told)
			notify_change(req, &c, &m->notice);
		if (m->svc.id[0] != '\0' && audit_member(req, &c) == -1) {
			req->audit_failed = 1;
			req_warn(req,
			    "an audit record of a member could not "
			    "be written");
		}
	}
}

void
member_free(struct member *m)
{
	service_free(&m->svc);
	pin_free(&m->pin);
	rollout_end(&m->watch);
	free(m->message);
	m->message = NULL;
	if (m->job != NULL)
		job_free(m->job);
	free(m->job);
	m->job = NULL;
}

void
members_free(struct member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n && m != NULL; i++)
		member_free(&m[i]);
	free(m);
}
