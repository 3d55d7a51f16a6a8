/* respond.h: the one place a response is written */
/* SPDX-License-Identifier: MIT */
#ifndef RESPOND_H
#define RESPOND_H

struct request;

/* Writes the CGI header block and the JSON body: req->result on success,
 * {"error", "status", "request_id"} otherwise.  HEAD gets no body. */
void respond(struct request *req);

struct cJSON;

/* Adds key: value to a result object, or key: null when value is NULL or
 * empty (a field the client can rely on being present).  Returns 0, or
 * -1 when out of memory (the member is then missing). */
int json_put(struct cJSON *o, const char *key, const char *value);

/* The string member key of object o, or NULL when it is absent or not a
 * string. */
const char *json_str(const struct cJSON *o, const char *key);

/* What every write's answer has: "dry_run" and "force" when asked, and
 * "warnings" (taken from req). */
void json_put_request(struct cJSON *o, struct request *req);

/* The reason phrase for a status we send. */
const char *status_reason(int status);

#endif
