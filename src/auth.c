/* auth.c: who is asking, what they may do, and whether they signed it */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "api.h"
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
	/* Docker Hub and Quay can put a secret only in the path. */
	h = req->path_secret[0] != '\0'
	    ? req->path_secret
	    : io_param(req->io, "HTTP_AUTHORIZATION");
	if (h == NULL || *h == '\0') {
		req->challenge = 1;
		log_warnx("%s: no Authorization header", req->remote_addr);
		return req_fail(req, 401, "missing Authorization header");
	}
	n = strlen(h);
	if (n > AUTH_HEADER_MAX) {
		req->challenge = 1;
		log_warnx("%s: Authorization header too long",
		    req->remote_addr);
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

/* Service patterns: '*' never crosses a '/'. */
static int
match_name(const char *pattern, const void *name)
{
	return fnmatch(pattern, name, FNM_PATHNAME) == 0;
}

static int
refuse_scope(struct request *req, const char *service)
{
	log_warnx("token %s may not %s service %s", req->token->name,
	    api_action(req->action)->verb, service);
	return req_fail(req, 403, "token %s may not %s service %s",
	    req->token->name, api_action(req->action)->verb, service);
}

int
auth_scope(struct request *req)
{
	const struct cfg_token *t = req->token;

	/* The metrics name every service: not for a token limited to some. */
	if (req->action == ACT_METRICS) {
		if ((t->actions & CFG_ACT_METRICS) && t->services == NULL &&
		    t->stacks == NULL)
			return 0;
		log_warnx("token %s may not read the metrics", t->name);
		return req_fail(req, 403,
		    "token %s may not read the metrics "
		    "(it needs actions=metrics and no services= or stacks= "
		    "limit)",
		    t->name);
	}
	if (ACT_IS_HOOK(req->action)) {
		/* Which services may move is decided per service
		 * (auth_may_move). */
		if (t->actions & CFG_ACT_HOOK)
			return 0;
		log_warnx("token %s may not send hooks", t->name);
		return req_fail(req, 403,
		    "token %s may not send hooks (it needs actions=hook)",
		    t->name);
	}
	if (req->action == ACT_STACK) {
		if ((t->actions & CFG_ACT_DEPLOY) &&
		    (t->stacks == NULL ||
		        pattern_list_any(t->stacks, match_name, req->stack)))
			return 0;
		log_warnx("token %s may not release stack %s", t->name,
		    req->stack);
		return req_fail(req, 403, "token %s may not release stack %s",
		    t->name, req->stack);
	}
	if ((t->actions & api_action(req->action)->scope) == 0 ||
	    (t->services != NULL &&
	        !pattern_list_any(t->services, match_name, req->service)))
		return refuse_scope(req, req->service);
	return 0;
}

int
auth_scope_service(struct request *req, const char *name)
{
	const struct cfg_token *t = req->token;

	if (t != NULL && t->services != NULL &&
	    !pattern_list_any(t->services, match_name, name))
		return refuse_scope(req, name);
	if (strlen(name) < sizeof(req->service))
		memcpy(req->service, name, strlen(name) + 1);
	return 0;
}

int
auth_may_move(const struct request *req, const char *name, const char *stack)
{
	const struct cfg_token *t = req->token;

	if (t == NULL)
		return 0;
	if (t->services != NULL &&
	    !pattern_list_any(t->services, match_name, name))
		return 0;
	return t->stacks == NULL ||
	    (stack[0] != '\0' &&
	        pattern_list_any(t->stacks, match_name, stack));
}

int
auth_scope_member(struct request *req, const char *name)
{
	const struct cfg_token *t = req->token;

	if (t == NULL || t->services == NULL ||
	    pattern_list_any(t->services, match_name, name))
		return 0;
	log_warnx("token %s may not deploy service %s (stack %s)", t->name,
	    name, req->stack);
	return req_fail(req, 403,
	    "token %s may not deploy service %s, a member of stack %s; "
	    "nothing was changed",
	    t->name, name, req->stack);
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
	    (char *)(uintptr_t) "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, t->hmac_key, t->hmac_key_len, params) != 1)
		goto out;
	for (i = 0; i < nparts; i++) {
		if (i > 0 &&
		    EVP_MAC_update(ctx, (const unsigned char *)"\n", 1) != 1)
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
	        &errstr) == -1 ||
	    strlen(v1 + 4) != 64 || hex_decode(v1 + 4, 32, 1, sig) == -1)
		return -1;
	*t = (long long)u;
	return 0;
}

static int
fail_sig(struct request *req, const char *why)
{
	req->challenge = 1;
	req->signature_refused = 1;
	log_warnx("token %s: %s", req->token->name, why);
	return req_fail(req, 401, "%s", why);
}

/* X-GitHub-Delivery: a GUID. */
static int
delivery_valid(const char *d)
{
	size_t n = d ? strlen(d) : 0;

	return n >= 8 && n <= 64 && strspn(d, "0123456789abcdefABCDEF-") == n;
}

/*
 * GitHub signs the body only, so the body must say what it is for: a
 * JSON object whose "service" is the service the URL names ("stack": the
 * stack, for a release).  An empty
 * body (a rollback, a status read) cannot be tied to anything.
 */
static int
body_names_service(const struct request *req)
{
	const cJSON *svc;
	cJSON *root;
	int ok;

	if (req->body.len == 0 ||
	    (root = cJSON_ParseWithLength(buf_str(&req->body),
	         req->body.len)) == NULL)
		return 0;
	/* A stack release says which stack. */
	svc = cJSON_GetObjectItemCaseSensitive(root,
	    req->action == ACT_STACK ? "stack" : "service");
	ok = cJSON_IsString(svc) &&
	    strcmp(svc->valuestring,
	        req->action == ACT_STACK ? req->stack : req->service) == 0;
	cJSON_Delete(root);
	return ok;
}

/* GitHub's X-Hub-Signature-256 over the body; want receives ours. */
static int
check_github(struct request *req, unsigned char got[32], unsigned char want[32],
    const char **delivery)
{
	const char *h = io_param(req->io, "HTTP_X_HUB_SIGNATURE_256");
	const char *parts[1];
	size_t lens[1];

	if (h == NULL || strncmp(h, "sha256=", 7) != 0 || strlen(h + 7) != 64 ||
	    hex_decode(h + 7, 32, 1, got) == -1)
		return fail_sig(req,
		    "missing or malformed X-Hub-Signature-256");
	*delivery = io_param(req->io, "HTTP_X_GITHUB_DELIVERY");
	if (!delivery_valid(*delivery))
		return fail_sig(req, "missing or malformed X-GitHub-Delivery");
	parts[0] = buf_str(&req->body);
	lens[0] = req->body.len;
	if (hmac(req->token, parts, lens, 1, want) == -1)
		return req_fail(req, 500, "HMAC failed");
	if (CRYPTO_memcmp(want, got, 32) != 0)
		return fail_sig(req, "bad signature");
	if (!body_names_service(req))
		return fail_sig(req,
		    "a GitHub-style signature covers the body "
		    "only: the body must be a JSON object whose \"service\" "
		    "is the service in the URL");
	return 0;
}

/* "t=..,v1=.." over the time, method, path and query, and body. */
static int
check_deployer(struct request *req, unsigned char got[32],
    unsigned char want[32], long long *when)
{
	char path[PATH_MAX_LEN * 2 + 2], ts[24];
	const char *h, *q, *parts[4];
	size_t lens[4], i;
	time_t now = time(NULL);

	h = io_param(req->io, "HTTP_X_DEPLOYER_SIGNATURE");
	if (h == NULL || parse_deployer_sig(h, when, got) == -1)
		return fail_sig(req,
		    "missing or malformed X-Deployer-Signature "
		    "(t=<unix time>,v1=<hex>)");
	if (*when < (long long)now - req->cfg->sig_window ||
	    *when > (long long)now + req->cfg->sig_window)
		return fail_sig(req,
		    "signature timestamp outside the allowed "
		    "window");
	q = io_param(req->io, "QUERY_STRING");
	snprintf(path, sizeof(path), "%s%s%s", req->path, q && *q ? "?" : "",
	    q && *q ? q : "");
	snprintf(ts, sizeof(ts), "%lld", *when);
	parts[0] = ts;
	parts[1] = req->method;
	parts[2] = path;
	parts[3] = buf_str(&req->body);
	for (i = 0; i < 3; i++)
		lens[i] = strlen(parts[i]);
	lens[3] = req->body.len;
	if (hmac(req->token, parts, lens, 4, want) == -1)
		return req_fail(req, 500, "HMAC failed");
	if (CRYPTO_memcmp(want, got, 32) != 0)
		return fail_sig(req, "bad signature");
	return 0;
}

/* Remembers key until expires; a key seen before is a replay. */
static int
remember(struct request *req, const char *kind, const char *key, time_t expires,
    const char *what)
{
	int rc = replay_record(req, kind, key, expires);

	if (rc == 1)
		return fail_sig(req, what);
	if (rc == -1) {
		log_warnx("the replay store in the swarm cannot be used: %s",
		    req->docker_err.msg);
		return req_fail(req, 503,
		    "cannot check for replayed requests; "
		    "see the server log");
	}
	return 0;
}

/* GitHub may redeliver for days, and the delivery ID is not signed: both
 * the ID and the signature are refused for that long. */
static int
remember_delivery(struct request *req, const char *delivery,
    const unsigned char got[32])
{
	char hex[65];

	hex_encode(got, 32, hex);
	if (remember(req, "github-delivery", delivery,
	        time(NULL) + req->cfg->delivery_ttl,
	        "replayed delivery (X-GitHub-Delivery already seen)") == -1)
		return -1;
	return remember(req, "signature", hex,
	    time(NULL) + req->cfg->delivery_ttl,
	    "replayed request (signature already used)");
}

int
auth_signed(struct request *req)
{
	const char *h = io_param(req->io, "HTTP_X_HUB_SIGNATURE_256");
	const char *delivery = io_param(req->io, "HTTP_X_GITHUB_DELIVERY");
	const struct cfg_token *match = NULL;
	unsigned char got[32], want[32];
	const char *parts[1];
	size_t lens[1], i;

	req->auth_attempted = 1;
	req->challenge = 1;
	if (h == NULL || strncmp(h, "sha256=", 7) != 0 || strlen(h + 7) != 64 ||
	    hex_decode(h + 7, 32, 1, got) == -1) {
		log_warnx("%s: no or a malformed X-Hub-Signature-256",
		    req->remote_addr);
		return req_fail(req, 401,
		    "missing or malformed X-Hub-Signature-256");
	}
	if (!delivery_valid(delivery)) {
		log_warnx("%s: no or a malformed X-GitHub-Delivery",
		    req->remote_addr);
		return req_fail(req, 401,
		    "missing or malformed X-GitHub-Delivery");
	}
	parts[0] = buf_str(&req->body);
	lens[0] = req->body.len;
	/* Every key is tried, whatever matched: timing tells nothing. */
	for (i = 0; i < req->cfg->ntokens; i++) {
		const struct cfg_token *t = &req->cfg->tokens[i];

		/* A GitHub token's key, or the legacy token's secret. */
		if (t->hmac_key == NULL || t->signature == CFG_SIG_DEPLOYER)
			continue;
		if (hmac(t, parts, lens, 1, want) == -1)
			return req_fail(req, 500, "HMAC failed");
		if (CRYPTO_memcmp(want, got, 32) == 0 && match == NULL)
			match = t;
	}
	if (match == NULL) {
		log_warnx("%s: no GitHub-signature token's key made this "
		          "signature",
		    req->remote_addr);
		req->signature_refused = 1;
		return req_fail(req, 401, "bad signature");
	}
	req->token = match;
	req->token_name = match->name;
	req->challenge = 0;
	return remember_delivery(req, delivery, got);
}

int
auth_signature(struct request *req)
{
	const struct cfg_token *t = req->token;
	unsigned char want[32], got[32];
	const char *delivery = NULL;
	char hex[65];
	long long when = 0;

	if (t->signature == CFG_SIG_NONE)
		return 0;
	if (t->signature == CFG_SIG_GITHUB
	        ? check_github(req, got, want, &delivery) == -1
	        : check_deployer(req, got, want, &when) == -1)
		return -1;
	if (t->signature == CFG_SIG_GITHUB)
		return remember_delivery(req, delivery, got);
	hex_encode(got, sizeof(got), hex);
	return remember(req, "signature", hex,
	    (time_t)when + req->cfg->sig_window,
	    "replayed request (signature already used)");
}
