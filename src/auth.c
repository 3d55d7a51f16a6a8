/* auth.c: who is asking, decided before anything else is read */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "auth.h"
#include "io.h"
#include "log.h"
#include "request.h"
#include "util.h"

int
auth_check(struct request *req)
{
	const struct config *c = req->cfg;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	const char *h, *tok;
	size_t n;
	int ok;

	if (!c->have_token) {
		log_warnx("no token is configured (TOKEN or token_file); "
		    "refusing every request");
		return req_fail(req, 500, "the server has no token configured");
	}
	h = io_param(req->io, "HTTP_AUTHORIZATION");
	if (h == NULL || *h == '\0') {
		req->challenge = 1;
		log_warnx("%s: no Authorization header", req->remote_addr);
		return req_fail(req, 401, "missing Authorization header");
	}
	n = strlen(h);
	if (n > AUTH_HEADER_MAX) {
		req->challenge = 1;
		log_warnx("%s: Authorization header too long", req->remote_addr);
		return req_fail(req, 401, "invalid token");
	}
	tok = h;
	if (n > 7 && strncasecmp(h, "Bearer ", 7) == 0) {
		tok = h + 7;
		while (*tok == ' ')
			tok++;
	}
	SHA256((const unsigned char *)tok, strlen(tok), digest);
	ok = CRYPTO_memcmp(digest, c->token_sha256, sizeof(digest)) == 0;
	wipe(digest, sizeof(digest));
	if (!ok) {
		req->challenge = 1;
		log_warnx("%s: invalid token", req->remote_addr);
		return req_fail(req, 401, "invalid token");
	}
	req->token_name = c->token_name;
	return 0;
}
