/* http.c: HTTP requests to the Docker daemon through libcurl */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "curlapi.h"

#include "http.h"
#include "util.h"

#define UNIX_PATH_MAX 107 /* sun_path on Linux, without the NUL */

struct http_client {
	CURL *curl;
	char *host; /* the target it was opened for */
	int tls, tls_verify;
	char *cert_path;
	char base[300]; /* "http://localhost" or "https://h:p" */
	char errbuf[CURL_ERROR_SIZE];
};

/* The libcurl functions, once loaded. */
static const struct curl_api *api;

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct http_response *r = ud;
	size_t n = size * nmemb;

	/* A short count makes libcurl fail with CURLE_WRITE_ERROR. */
	if (buf_add(&r->body, p, n) == -1)
		return 0;
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct http_response *r = ud;
	size_t n = size * nmemb, k = sizeof("Api-Version:") - 1, len;
	const char *v, *end;

	if (n > k && strncasecmp(p, "Api-Version:", k) == 0) {
		v = p + k;
		end = p + n;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v &&
		    (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			end--;
		len = (size_t)(end - v);
		if (len > HTTP_APIVER_MAX)
			len = 0; /* not a version; ignore it */
		memcpy(r->api_version, v, len);
		r->api_version[len] = '\0';
	}
	return n;
}

static char *
dupnull(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
http_same_target(const struct http_client *c, const struct http_target *t)
{
	return streq(c->host, t->host) && c->tls == t->tls &&
	    c->tls_verify == t->tls_verify && streq(c->cert_path, t->cert_path);
}

/* What every handle gets: no signals (timeouts in a FastCGI process), no
 * proxies from the environment (in CGI, request data can set them:
 * httpoxy), no redirects, HTTP only. */
static void
common_options(CURL *h, char *errbuf, int connect_timeout_ms)
{
	api->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	api->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	api->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)connect_timeout_ms);
	api->easy_setopt(h, CURLOPT_PROXY, "");
	api->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	api->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	api->easy_setopt(h, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	api->easy_setopt(h, CURLOPT_USERAGENT,
	    PACKAGE_NAME "/" PACKAGE_VERSION);
}

/* Sets the options that stay the same for every request. */
static int
setup(struct http_client *c, const struct http_target *t, const char **errstr)
{
	CURL *h = c->curl;
	char file[4096];

	common_options(h, c->errbuf, t->connect_timeout_ms);

	if (strncmp(t->host, "unix://", 7) == 0) {
		const char *path = t->host + 7;

		if (*path == '\0' || strlen(path) > UNIX_PATH_MAX) {
			*errstr = "DOCKER_HOST: socket path empty or too long";
			return -1;
		}
		api->easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, path);
		snprintf(c->base, sizeof(c->base), "http://localhost");
		return 0;
	}
	if (strncmp(t->host, "tcp://", 6) != 0) {
		*errstr = "DOCKER_HOST must be unix:// or tcp://";
		return -1;
	}
	if (strlen(t->host + 6) + 9 >= sizeof(c->base) ||
	    strpbrk(t->host + 6, "/?#@ ") != NULL) {
		*errstr = "DOCKER_HOST: invalid tcp address";
		return -1;
	}
	snprintf(c->base, sizeof(c->base), "%s://%s", t->tls ? "https" : "http",
	    t->host + 6);
	if (!t->tls)
		return 0;
	api->easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	api->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, t->tls_verify ? 1L : 0L);
	api->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, t->tls_verify ? 2L : 0L);
	/* As the docker CLI: files that are not there are left out (a
	 * daemon may not ask for a client certificate). */
	if (t->cert_path != NULL) {
		path_join(file, sizeof(file), t->cert_path, "ca.pem");
		if (access(file, R_OK) == 0)
			api->easy_setopt(h, CURLOPT_CAINFO, file);
		path_join(file, sizeof(file), t->cert_path, "cert.pem");
		if (access(file, R_OK) == 0) {
			api->easy_setopt(h, CURLOPT_SSLCERT, file);
			path_join(file, sizeof(file), t->cert_path, "key.pem");
			api->easy_setopt(h, CURLOPT_SSLKEY, file);
		}
	}
	return 0;
}

struct http_client *
http_open(const struct http_target *t, const char **errstr)
{
	struct http_client *c;

	if (api == NULL && (api = curlapi_get(errstr)) == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		*errstr = "out of memory";
		return NULL;
	}
	c->host = dupnull(t->host);
	c->cert_path = dupnull(t->cert_path);
	c->tls = t->tls;
	c->tls_verify = t->tls_verify;
	if (c->host == NULL || (t->cert_path && c->cert_path == NULL) ||
	    (c->curl = api->easy_init()) == NULL) {
		*errstr = "out of memory";
		http_close(c);
		return NULL;
	}
	if (setup(c, t, errstr) == -1) {
		http_close(c);
		return NULL;
	}
	return c;
}

static enum http_fail
classify(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		return HTTP_FAIL_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_FAIL_TIMEOUT;
	case CURLE_WRITE_ERROR:
		return HTTP_FAIL_TOO_BIG;
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return HTTP_FAIL_PROTOCOL;
	default:
		return HTTP_FAIL_OTHER;
	}
}

int
http_request(struct http_client *c, const char *method, const char *path,
    const char *body, size_t n, const char *extra_header, int timeout_ms,
    struct http_response *r, enum http_fail *fail, const char **errstr)
{
	struct curl_slist *hdrs = NULL, *tmp;
	char url[1024];
	CURLcode rc;
	CURL *h = c->curl;
	int ret = 0;

	buf_free(&r->body);
	buf_init(&r->body, HTTP_BODY_MAX);
	r->status = 0;
	r->api_version[0] = '\0';
	*fail = HTTP_FAIL_NONE;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", c->base, path) >=
	    sizeof(url)) {
		*fail = HTTP_FAIL_OTHER;
		*errstr = "request URL too long";
		return -1;
	}
	c->errbuf[0] = '\0';
	api->easy_setopt(h, CURLOPT_URL, url);
	api->easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	api->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	api->easy_setopt(h, CURLOPT_WRITEDATA, r);
	api->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	api->easy_setopt(h, CURLOPT_HEADERDATA, r);
	if (body != NULL) {
		api->easy_setopt(h, CURLOPT_POST, 1L);
		api->easy_setopt(h, CURLOPT_POSTFIELDS, body);
		api->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
		/* libcurl would say x-www-form-urlencoded; Docker 23+
		 * refuses anything but JSON. */
		if ((tmp = api->slist_append(hdrs,
		         "Content-Type: application/json")) == NULL)
			goto nomem;
		hdrs = tmp;
		if ((tmp = api->slist_append(hdrs, "Expect:")) == NULL)
			goto nomem;
		hdrs = tmp;
	} else
		api->easy_setopt(h, CURLOPT_HTTPGET, 1L);
	api->easy_setopt(h, CURLOPT_CUSTOMREQUEST,
	    strcmp(method, body ? "POST" : "GET") == 0 ? NULL : method);
	if (extra_header != NULL) {
		if ((tmp = api->slist_append(hdrs, extra_header)) == NULL)
			goto nomem;
		hdrs = tmp;
	}
	api->easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

	rc = api->easy_perform(h);
	api->easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	api->easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	api->slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		*fail = classify(rc);
		*errstr = c->errbuf[0] ? c->errbuf : api->easy_strerror(rc);
		if (*fail == HTTP_FAIL_TOO_BIG)
			*errstr = "reply larger than the limit";
		return -1;
	}
	api->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	return ret;
nomem:
	api->slist_free_all(hdrs);
	*fail = HTTP_FAIL_OTHER;
	*errstr = "out of memory";
	return -1;
}

void
http_close(struct http_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		api->easy_cleanup(c->curl);
	free(c->host);
	free(c->cert_path);
	free(c);
}

static size_t
discard(char *p, size_t size, size_t nmemb, void *ud)
{
	(void)p;
	(void)ud;
	return size * nmemb;
}

int
http_post_json(const char *url, const char *body, size_t n, int timeout_ms,
    long *status, char *errbuf, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	const char *errstr;
	CURLcode rc;
	CURL *h;

	*status = 0;
	if (api == NULL && (api = curlapi_get(&errstr)) == NULL) {
		snprintf(errbuf, errlen, "%s", errstr);
		return -1;
	}
	if ((h = api->easy_init()) == NULL ||
	    (hdrs = api->slist_append(NULL,
	         "Content-Type: application/json")) == NULL) {
		api->easy_cleanup(h);
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	common_options(h, cerr, timeout_ms);
	api->easy_setopt(h, CURLOPT_URL, url);
	api->easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	api->easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	api->easy_setopt(h, CURLOPT_POSTFIELDS, body);
	api->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	api->easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	rc = api->easy_perform(h);
	if (rc == CURLE_OK)
		api->easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	api->slist_free_all(hdrs);
	api->easy_cleanup(h);
	if (rc != CURLE_OK) {
		snprintf(errbuf, errlen, "%s",
		    cerr[0] ? cerr : api->easy_strerror(rc));
		return -1;
	}
	if (*status < 200 || *status > 299) {
		snprintf(errbuf, errlen, "HTTP %ld", *status);
		return -1;
	}
	return 0;
}
