/* respond.c: the one place a response is written */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "io.h"
#include "log.h"
#include "request.h"
#include "respond.h"

/* Headers are a few short lines; bodies are bounded JSON documents. */
#define HEADER_MAX 1024

const char *
status_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Error";
	}
}

void
json_put(cJSON *o, const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		cJSON_AddStringToObject(o, key, value);
	else
		cJSON_AddNullToObject(o, key);
}

/* An error: what went wrong, plus whatever the handler learned (a
 * failed rollout still names the service, images and Swarm's state). */
static cJSON *
error_body(struct request *req)
{
	cJSON *o = req->result ? req->result : cJSON_CreateObject();

	cJSON_DeleteItemFromObjectCaseSensitive(o, "error");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
	cJSON_AddStringToObject(o, "error", req->error);
	cJSON_AddNumberToObject(o, "status", req->status);
	return o;
}

/* The head every answer has, up to the blank line. */
static void
head_start(struct buf *head, const struct request *req, const char *type)
{
	buf_init(head, HEADER_MAX);
	buf_addf(head, "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Request-Id: %s\r\n", req->status, status_reason(req->status),
	    type, req->id);
}

/* A 200 whose body is req->text (the metrics' exposition format). */
static void
respond_text(struct request *req)
{
	struct buf head;

	head_start(&head, req, req->text_type);
	buf_addstr(&head, "\r\n");
	if (io_write(req->io, buf_str(&head), head.len) == -1 ||
	    io_write(req->io, buf_str(&req->text), req->text.len) == -1)
		log_warn("writing the response");
	buf_free(&head);
}

void
respond(struct request *req)
{
	struct buf head;
	cJSON *body;
	char *text = NULL;
	int status;

	if (req->status == 0 && req->result == NULL && req->text_type == NULL)
		req_fail(req, 500, "no result");
	status = req->status ? req->status : 200;
	req->status = status;
	if (status == 200 && req->text_type != NULL) {
		respond_text(req);
		return;
	}

	body = status == 200 ? req->result : error_body(req);
	if (body != NULL && req->warnings != NULL) {
		cJSON *w = cJSON_GetObjectItemCaseSensitive(body, "warnings");
		cJSON *item;

		if (w == NULL)
			w = cJSON_AddArrayToObject(body, "warnings");
		while ((item = cJSON_DetachItemFromArray(req->warnings, 0)) !=
		    NULL)
			cJSON_AddItemToArray(w, item);
	}
	if (body != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(body, "request_id");
		cJSON_AddStringToObject(body, "request_id", req->id);
		text = cJSON_PrintUnformatted(body);
	}
	if (body != req->result)
		cJSON_Delete(body);

	head_start(&head, req, "application/json");
	if (status == 405 && req->allow != NULL)
		buf_addf(&head, "Allow: %s\r\n", req->allow);
	if (status == 401 && req->challenge)
		buf_addstr(&head, "WWW-Authenticate: Bearer realm=\"deployer\"\r\n");
	buf_addstr(&head, "\r\n");

	if (io_write(req->io, buf_str(&head), head.len) == -1)
		log_warn("writing the response");
	else if (strcmp(req->method, "HEAD") != 0) {
		const char *t = text ? text : "{\"error\":\"out of memory\"}";

		if (io_write(req->io, t, strlen(t)) == -1 ||
		    io_write(req->io, "\n", 1) == -1)
			log_warn("writing the response");
	}
	buf_free(&head);
	cJSON_free(text);
}
