/* curlapi.h: libcurl, loaded when the first request needs it */
/* SPDX-License-Identifier: MIT */
#ifndef CURLAPI_H
#define CURLAPI_H

#include <curl/curl.h>

/*
 * libcurl's dependency tree (TLS, HTTP/2, IDN, LDAP, SSH, ...) takes
 * milliseconds to map and relocate.  A CGI process that refuses a request
 * never talks to Docker, so the program does not link libcurl: the first
 * request that passed authorization and validation loads it with dlopen.
 * Built with --disable-lazy-curl, the same table points at the linked
 * functions.
 */
struct curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	curl_version_info_data *(*version_info)(CURLversion v);
};

/* Loads and initialises libcurl once; NULL with *errstr on failure. */
const struct curl_api *curlapi_get(const char **errstr);

#endif
