/* respond.h: the one place a response is written */
/* SPDX-License-Identifier: MIT */
#ifndef RESPOND_H
#define RESPOND_H

struct request;

/* Writes the CGI header block and the JSON body: req->result on success,
 * {"error", "status", "request_id"} otherwise.  HEAD gets no body. */
void respond(struct request *req);

/* The reason phrase for a status we send. */
const char *status_reason(int status);

#endif
