/* respond.c: the one place a response is written */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <stdio.h>
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
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "Error";
	}
}

const char *
json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
json_put(cJSON *o, const char *key, const char *value)
{
	cJSON *added;

	if (value != NULL && *value != '\0')
		added = cJSON_AddStringToObject(o, key, value);
	else
		added = cJSON_AddNullToObject(o, key);
	return added != NULL ? 0 : -1;
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

/*
 * The head every answer has, with extra header lines and the blank line,
 * into out: no allocation, so that an answer can always be sent.
 * Returns its length, or -1 when it does not fit.
 */
static int
head_text(char *out, size_t outlen, const struct request *req, const char *type,
    const char *extra)
{
	int n = snprintf(out, outlen,
	    "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Request-Id: %s\r\n%s\r\n",
	    req->status, status_reason(req->status), type, req->id, extra);

	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

/* A 200 whose body is req->text (the metrics' exposition format). */
static void
respond_text(struct request *req)
{
	char head[HEADER_MAX];
	int n = head_text(head, sizeof(head), req, req->text_type, "");

	if (n == -1 || io_write(req->io, head, (size_t)n) == -1 ||
	    io_write(req->io, buf_str(&req->text), req->text.len) == -1)
		log_warn("writing the response");
}

void
respond(struct request *req)
{
	char head[HEADER_MAX], extra[128], *text = NULL;
	cJSON *body;
	int status, n;

	if (req->status == 0 && req->result == NULL && req->text_type == NULL)
		req_fail(req, 500, "no result");
	status = req->status      ? req->status
	    : req->ok_status != 0 ? req->ok_status
	                          : 200;
	req->status = status;
	if (status == 200 && req->text_type != NULL) {
		respond_text(req);
		return;
	}

	body = status < 300 ? req->result : error_body(req);
	if (body != NULL && req->warnings != NULL) {
		cJSON *w = cJSON_GetObjectItemCaseSensitive(body, "warnings");
		cJSON *item;

		if (w == NULL)
			w = cJSON_AddArrayToObject(body, "warnings");
		while (w != NULL &&
		    (item = cJSON_DetachItemFromArray(req->warnings, 0)) !=
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

	/* The answer can always be sent: the headers need no allocation, and
	 * a body that could not be rendered becomes a fixed 500. */
	if (text == NULL) {
		status = req->status = 500;
		snprintf(req->error, sizeof(req->error), "out of memory");
	}
	extra[0] = '\0';
	if (status == 405 && req->allow != NULL)
		snprintf(extra, sizeof(extra), "Allow: %s\r\n", req->allow);
	else if (status == 401 && req->challenge)
		snprintf(extra, sizeof(extra),
		    "WWW-Authenticate: Bearer "
		    "realm=\"deployer\"\r\n");
	n = head_text(head, sizeof(head), req, "application/json", extra);
	if (n == -1 || io_write(req->io, head, (size_t)n) == -1)
		log_warn("writing the response");
	else if (strcmp(req->method, "HEAD") != 0) {
		const char *t = text ? text
		                     : "{\"error\":\"out of memory\","
		                       "\"status\":500}";

		if (io_write(req->io, t, strlen(t)) == -1 ||
		    io_write(req->io, "\n", 1) == -1)
			log_warn("writing the response");
	}
	cJSON_free(text);
}

void
json_put_request(cJSON *o, struct request *req)
{
	if (req->dry_run)
		cJSON_AddTrueToObject(o, "dry_run");
	if (req->force)
		cJSON_AddTrueToObject(o, "force");
	/* cJSON leaves an item it could not add with the caller. */
	if (req->warnings == NULL)
		cJSON_AddArrayToObject(o, "warnings");
	else if (cJSON_AddItemToObject(o, "warnings", req->warnings))
		req->warnings = NULL;
}
