/* http.h: HTTP requests to the Docker daemon through libcurl */
/* SPDX-License-Identifier: MIT */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#include "buf.h"

/* Docker's replies we read are specs and small documents; a service list
 * is never fetched.  Anything larger is refused. */
#define HTTP_BODY_MAX (4 * 1024 * 1024)
#define HTTP_APIVER_MAX 15

enum http_fail {
	HTTP_FAIL_NONE = 0,
	HTTP_FAIL_CONNECT, /* nobody answers at the address */
	HTTP_FAIL_TIMEOUT,
	HTTP_FAIL_PROTOCOL, /* a reply that is not HTTP, or truncated */
	HTTP_FAIL_TOO_BIG,
	HTTP_FAIL_OTHER,
};

struct http_target {
	const char *host; /* DOCKER_HOST: unix:///path or tcp://h:p */
	int tls;
	int tls_verify;
	const char *cert_path; /* ca.pem, cert.pem, key.pem; NULL: none */
	int connect_timeout_ms;
};

struct http_response {
	long status;
	struct buf body;
	char api_version[HTTP_APIVER_MAX + 1]; /* Api-Version header */
};

struct http_client;

/* One client per Docker host; it keeps its connection open between
 * requests.  NULL with *errstr on failure. */
struct http_client *http_open(const struct http_target *t, const char **errstr);
/* 1 when c was opened for the same target (reuse it). */
int http_same_target(const struct http_client *c, const struct http_target *t);

/*
 * Performs one request.  path is below the daemon root ("/_ping",
 * "/v1.41/services/x").  body may be NULL; when given it is sent as
 * application/json.  extra_header is one "Name: value" line or NULL.
 * Returns 0 with r filled (any HTTP status), or -1 with *fail and *errstr.
 * r->body is reset first and freed by the caller.
 */
int http_request(struct http_client *c, const char *method, const char *path,
    const char *body, size_t n, const char *extra_header, int timeout_ms,
    struct http_response *r, enum http_fail *fail, const char **errstr);

void http_close(struct http_client *c);

/*
 * POSTs body as application/json to url (http or https, no redirects,
 * proxies from the environment ignored), for webhook notifications.
 * Returns 0 for a 2xx answer, else -1 with the reason (libcurl's
 * message, or the HTTP status) in errbuf and *status (0 when no answer
 * came).
 */
int http_post_json(const char *url, const char *body, size_t n, int timeout_ms,
    long *status, char *errbuf, size_t errlen);

#endif
