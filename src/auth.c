/* auth.c: who is asking, what they may do, and whether they signed it */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "auth.h"
#include "io.h"
#include "log.h"
#include "replay.h"
#include "request.h"
#include "util.h"

int
auth_check(struct request *req)
{
	const struct config *c = req->cfg;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	const struct cfg_token *match = NULL;
	const char *h, *tok;
	size_t n, i;

	req->auth_attempted = 1;
	if (c->ntokens == 0) {
		log_warnx("no token is configured (TOKEN, token_file or "
		    "token.NAME); refusing every request");
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
	sha256(tok, strlen(tok), digest);
	for (i = 0; i < c->ntokens; i++) {
		int eq = CRYPTO_memcmp(digest, c->tokens[i].sha256,
		    sizeof(digest)) == 0;

		if (eq && match == NULL)
			match = &c->tokens[i];
	}
	wipe(digest, sizeof(digest));
	if (match == NULL) {
		req->challenge = 1;
		log_warnx("%s: invalid token", req->remote_addr);
		return req_fail(req, 401, "invalid token");
	}
	req->token = match;
	req->token_name = match->name;
	return 0;
}

static unsigned
action_bit(enum action a)
{
	switch (a) {
	case ACT_DEPLOY:
		return CFG_ACT_DEPLOY;
	case ACT_ROLLBACK:
		return CFG_ACT_ROLLBACK;
	case ACT_STATUS:
	case ACT_HISTORY:
		return CFG_ACT_STATUS;
	case ACT_METRICS:
		return CFG_ACT_METRICS;
	case ACT_NONE:
	default:
		return 0;
	}
}

static const char *
action_word(enum action a)
{
	switch (a) {
	case ACT_DEPLOY:
		return "deploy";
	case ACT_ROLLBACK:
		return "roll back";
	case ACT_STATUS:
		return "read the status of";
	case ACT_HISTORY:
		return "read the history of";
	case ACT_NONE:
	default:
		return "use";
	}
}

/* The service matches one of the comma-separated patterns. */
static int
service_allowed(const char *patterns, const char *service)
{
	char pat[128];
	const char *p = patterns;
	size_t n;

	while (*p != '\0') {
		n = strcspn(p, ",");
		if (n > 0 && n < sizeof(pat)) {
			memcpy(pat, p, n);
			pat[n] = '\0';
			if (fnmatch(pat, service, 0) == 0)
				return 1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int
auth_scope(struct request *req)
{
	const struct cfg_token *t = req->token;

	/* The metrics name every service: not for a token limited to some. */
	if (req->action == ACT_METRICS) {
		if ((t->actions & CFG_ACT_METRICS) && t->services == NULL)
			return 0;
		log_warnx("token %s may not read the metrics", t->name);
		return req_fail(req, 403, "token %s may not read the metrics "
		    "(it needs actions=metrics and no services= limit)",
		    t->name);
	}
	if ((t->actions & action_bit(req->action)) == 0 ||
	    (t->services != NULL && !service_allowed(t->services,
	    req->service))) {
		log_warnx("token %s may not %s service %s", t->name,
		    action_word(req->action), req->service);
		return req_fail(req, 403, "token %s may not %s service %s",
		    t->name, action_word(req->action), req->service);
	}
	return 0;
}

static int
unhex(const char *s, size_t n, unsigned char *out)
{
	size_t i;

	for (i = 0; i < n / 2; i++) {
		int v = 0, k;

		for (k = 0; k < 2; k++) {
			char ch = s[2 * i + (size_t)k];

			v <<= 4;
			if (ch >= '0' && ch <= '9')
				v |= ch - '0';
			else if (ch >= 'a' && ch <= 'f')
				v |= ch - 'a' + 10;
			else if (ch >= 'A' && ch <= 'F')
				v |= ch - 'A' + 10;
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return n % 2 == 0 ? 0 : -1;
}

/* HMAC-SHA256 over the pieces, joined by newlines. */
static int
hmac(const struct cfg_token *t, const char *const *parts, const size_t *lens,
    size_t nparts, unsigned char out[32])
{
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t i, outl = 0;
	int rc = -1;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string("digest",
	    (char *)(uintptr_t)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, t->hmac_key, t->hmac_key_len, params) != 1)
		goto out;
	for (i = 0; i < nparts; i++) {
		if (i > 0 && EVP_MAC_update(ctx, (const unsigned char *)"\n",
		    1) != 1)
			goto out;
		if (EVP_MAC_update(ctx, (const unsigned char *)parts[i],
		    lens[i]) != 1)
			goto out;
	}
	if (EVP_MAC_final(ctx, out, &outl, 32) == 1 && outl == 32)
		rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

/* "t=<unix seconds>,v1=<64 hex>" */
static int
parse_deployer_sig(const char *h, long long *t, unsigned char sig[32])
{
	const char *v1 = strstr(h, ",v1=");
	const char *errstr;
	uint64_t u;

	if (strncmp(h, "t=", 2) != 0 || v1 == NULL ||
	    parse_u64n(h + 2, (size_t)(v1 - h - 2), 0, 99999999999ULL, &u,
	    &errstr) == -1 || strlen(v1 + 4) != 64 ||
	    unhex(v1 + 4, 64, sig) == -1)
		return -1;
	*t = (long long)u;
	return 0;
}

static int
fail_sig(struct request *req, const char *why)
{
	req->challenge = 1;
	log_warnx("token %s: %s", req->token->name, why);
	return req_fail(req, 401, "%s", why);
}

int
auth_signature(struct request *req)
{
	const struct cfg_token *t = req->token;
	unsigned char want[32], got[32];
	char hex[65], path[PATH_MAX_LEN * 2 + 2], ts[24];
	const char *h, *q, *parts[4];
	size_t lens[4], i;
	long long when = 0;
	time_t now = time(NULL), expires;
	int rc;

	if (t->signature == CFG_SIG_NONE)
		return 0;
	if (t->signature == CFG_SIG_GITHUB) {
		h = io_param(req->io, "HTTP_X_HUB_SIGNATURE_256");
		if (h == NULL || strncmp(h, "sha256=", 7) != 0 ||
		    strlen(h + 7) != 64 || unhex(h + 7, 64, got) == -1)
			return fail_sig(req, "missing or malformed "
			    "X-Hub-Signature-256");
		parts[0] = buf_str(&req->body);
		lens[0] = req->body.len;
		if (hmac(t, parts, lens, 1, want) == -1)
			return req_fail(req, 500, "HMAC failed");
		/* No timestamp is signed: a signature is refused again for
		 * one window after it was first seen. */
		expires = now + req->cfg->sig_window;
	} else {
		h = io_param(req->io, "HTTP_X_DEPLOYER_SIGNATURE");
		if (h == NULL || parse_deployer_sig(h, &when, got) == -1)
			return fail_sig(req, "missing or malformed "
			    "X-Deployer-Signature (t=<unix time>,v1=<hex>)");
		if (when < (long long)now - req->cfg->sig_window ||
		    when > (long long)now + req->cfg->sig_window)
			return fail_sig(req, "signature timestamp outside the "
			    "allowed window");
		q = io_param(req->io, "QUERY_STRING");
		snprintf(path, sizeof(path), "%s%s%s", req->path,
		    q && *q ? "?" : "", q && *q ? q : "");
		snprintf(ts, sizeof(ts), "%lld", when);
		parts[0] = ts;
		parts[1] = req->method;
		parts[2] = path;
		parts[3] = buf_str(&req->body);
		for (i = 0; i < 3; i++)
			lens[i] = strlen(parts[i]);
		lens[3] = req->body.len;
		if (hmac(t, parts, lens, 4, want) == -1)
			return req_fail(req, 500, "HMAC failed");
		expires = (time_t)when + req->cfg->sig_window;
	}
	if (CRYPTO_memcmp(want, got, sizeof(want)) != 0)
		return fail_sig(req, "bad signature");
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", got[i]);
	rc = replay_record(req->cfg->state_dir, hex, expires);
	if (rc == 1)
		return fail_sig(req, "replayed request (signature already "
		    "used)");
	if (rc == -1)
		return req_fail(req, 503, "cannot check for replayed requests; "
		    "see the server log");
	return 0;
}
