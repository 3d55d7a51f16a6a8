/* registry.c: registry credentials from a docker-style config.json */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "registry.h"
#include "util.h"

/* config.json files are small; a credential helper setup is too. */
#define REGISTRY_FILE_MAX (1024 * 1024)
/* An auth entry: user, password or token, each bounded by the file. */
#define REGISTRY_AUTH_MAX (64 * 1024)

int
registry_default_path(char *out, size_t outlen)
{
	const char *d = getenv("DOCKER_CONFIG"), *h = getenv("HOME");

	if (d != NULL && *d != '\0')
		return path_join(out, outlen, d, "config.json");
	if (h != NULL && *h != '\0')
		return path_join(out, outlen, h, ".docker/config.json");
	return -1;
}

/* The server part of an auths key: no scheme, no path. */
static void
server_of(const char *key, char *out, size_t outlen)
{
	const char *p = strstr(key, "://");
	size_t n;

	p = p ? p + 3 : key;
	n = strcspn(p, "/");
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static int
matches(const char *key, const char *registry)
{
	char server[256];

	server_of(key, server, sizeof(server));
	if (strcmp(server, registry) == 0)
		return 1;
	/* Docker Hub goes by several names. */
	return strcmp(registry, "docker.io") == 0 &&
	    (strcmp(server, "index.docker.io") == 0 ||
	        strcmp(server, "registry-1.docker.io") == 0);
}

/* Builds {"username","password","serveraddress"} or {"identitytoken",
 * "serveraddress"} from one auths entry. */
static int
entry_json(const cJSON *e, const char *registry, cJSON *o, const char **errstr)
{
	const cJSON *auth = cJSON_GetObjectItemCaseSensitive(e, "auth");
	const cJSON *user = cJSON_GetObjectItemCaseSensitive(e, "username");
	const cJSON *pass = cJSON_GetObjectItemCaseSensitive(e, "password");
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(e, "identitytoken");
	struct buf dec;
	char *colon;

	if (cJSON_IsString(auth) && auth->valuestring[0] != '\0') {
		buf_init(&dec, REGISTRY_AUTH_MAX);
		if (base64_decode(auth->valuestring, strlen(auth->valuestring),
		        &dec) == -1 ||
		    dec.data == NULL ||
		    (colon = strchr(dec.data, ':')) == NULL) {
			buf_free(&dec);
			*errstr =
			    "an \"auth\" entry is not base64 of user:password";
			return -1;
		}
		*colon = '\0';
		cJSON_AddStringToObject(o, "username", dec.data);
		cJSON_AddStringToObject(o, "password", colon + 1);
		wipe(dec.data, dec.len);
		buf_free(&dec);
	} else if (cJSON_IsString(user) && cJSON_IsString(pass)) {
		cJSON_AddStringToObject(o, "username", user->valuestring);
		cJSON_AddStringToObject(o, "password", pass->valuestring);
	}
	if (cJSON_IsString(tok) && tok->valuestring[0] != '\0')
		cJSON_AddStringToObject(o, "identitytoken", tok->valuestring);
	if (o->child == NULL) {
		*errstr = "the entry holds no credentials (a credential helper "
		          "is not supported)";
		return -1;
	}
	cJSON_AddStringToObject(o, "serveraddress", registry);
	return 0;
}

int
registry_auth_header(const char *path, const char *registry, struct buf *out,
    const char **errstr)
{
	const cJSON *auths, *e, *found = NULL;
	struct buf text;
	cJSON *root = NULL, *o = NULL;
	char *json = NULL;
	int rc = -1;

	if (file_slurp(path, &text, REGISTRY_FILE_MAX, errstr) == -1)
		goto out;
	if ((root = cJSON_ParseWithLength(buf_str(&text), text.len)) == NULL ||
	    !cJSON_IsObject(root)) {
		*errstr = "not a JSON object";
		goto out;
	}
	auths = cJSON_GetObjectItemCaseSensitive(root, "auths");
	cJSON_ArrayForEach(e, auths) {
		if (e->string != NULL && matches(e->string, registry)) {
			found = e;
			break;
		}
	}
	if (found == NULL) {
		rc = 0;
		goto out;
	}
	if ((o = cJSON_CreateObject()) == NULL) {
		*errstr = "out of memory";
		goto out;
	}
	if (entry_json(found, registry, o, errstr) == -1)
		goto out;
	if ((json = cJSON_PrintUnformatted(o)) == NULL ||
	    buf_addstr(out, "X-Registry-Auth: ") == -1 ||
	    base64_encode(json, strlen(json), 1, out) == -1) {
		*errstr = "out of memory";
		goto out;
	}
	rc = 1;
out:
	if (json != NULL) {
		wipe(json, strlen(json));
		cJSON_free(json);
	}
	/* Wipe the password copies cJSON holds before freeing them. */
	if (o != NULL) {
		cJSON *c;

		for (c = o->child; c != NULL; c = c->next)
			if (c->valuestring)
				wipe(c->valuestring, strlen(c->valuestring));
	}
	cJSON_Delete(o);
	cJSON_Delete(root);
	if (text.data)
		wipe(text.data, text.len);
	buf_free(&text);
	return rc;
}
