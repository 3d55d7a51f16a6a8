/* curlapi.c: libcurl, loaded when the first request needs it */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stddef.h>
#include <string.h>
#ifdef LAZY_CURL
#include <dlfcn.h>
#endif

#include "curlapi.h"

static struct curl_api api;
static int loaded;

#ifdef LAZY_CURL
/* Resolves one symbol into a table slot.  dlsym returns void *; the
 * standard way to turn it into a function pointer is to copy the bytes. */
static int
sym(void *lib, const char *name, void *slot, size_t size)
{
	void *p = dlsym(lib, name);

	if (p == NULL || size != sizeof(p))
		return -1;
	memcpy(slot, &p, size);
	return 0;
}
#endif

const struct curl_api *
curlapi_get(const char **errstr)
{
	if (loaded)
		return &api;
#ifdef LAZY_CURL
	{
		void *lib = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);

#define SYM(field, name) sym(lib, name, &api.field, sizeof(api.field))
		if (lib == NULL) {
			*errstr = "cannot load " LIBCURL_SONAME;
			return NULL;
		}
		if (SYM(global_init, "curl_global_init") ||
		    SYM(easy_init, "curl_easy_init") ||
		    SYM(easy_setopt, "curl_easy_setopt") ||
		    SYM(easy_perform, "curl_easy_perform") ||
		    SYM(easy_getinfo, "curl_easy_getinfo") ||
		    SYM(easy_cleanup, "curl_easy_cleanup") ||
		    SYM(easy_strerror, "curl_easy_strerror") ||
		    SYM(slist_append, "curl_slist_append") ||
		    SYM(slist_free_all, "curl_slist_free_all") ||
		    SYM(version_info, "curl_version_info")) {
			*errstr = LIBCURL_SONAME " lacks a needed function";
			dlclose(lib);
			return NULL;
		}
#undef SYM
	}
#else
	api.global_init = curl_global_init;
	api.easy_init = curl_easy_init;
	api.easy_setopt = curl_easy_setopt;
	api.easy_perform = curl_easy_perform;
	api.easy_getinfo = curl_easy_getinfo;
	api.easy_cleanup = curl_easy_cleanup;
	api.easy_strerror = curl_easy_strerror;
	api.slist_append = curl_slist_append;
	api.slist_free_all = curl_slist_free_all;
	api.version_info = curl_version_info;
#endif
	if (api.global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
		*errstr = "libcurl initialisation failed";
		return NULL;
	}
	loaded = 1;
	return &api;
}
