/* test-auth.c: unit tests for tokens, scopes and request signatures */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "auth.h"
#include "cfg.h"
#include "docker.h"
#include "io.h"
#include "request.h"
#include "unit.h"
#include "../tap.h"

/*
 * The settings are a real configuration file loaded by cfg_load.  The
 * request is a CGI one: its parameters are this process's environment.
 * Signatures are computed here with OpenSSL's one-shot HMAC(), apart
 * from the code under test.  A valid signature goes on to the replay
 * store, which lives in the swarm; DOCKER_HOST names a socket nobody
 * listens on, so that step answers 503 ("cannot check"), which tells a
 * signature that was accepted from one that was refused (401).
 */

#define KEY "0123456789abcdef-fixed-test-key"

static struct io io;		/* CGI */
static struct docker docker;
static struct config cfg;

/* "sha256:<hex>" of a secret, for a token line. */
static const char *
hashed(const char *secret)
{
	static char out[8][80];
	static unsigned slot;
	unsigned char d[SHA256_DIGEST_LENGTH];
	char *p = out[slot++ % 8];
	size_t i;

	SHA256((const unsigned char *)secret, strlen(secret), d);
	memcpy(p, "sha256:", 7);
	for (i = 0; i < sizeof(d); i++)
		snprintf(p + 7 + 2 * i, 3, "%02x", d[i]);
	return p;
}

static void
load_settings(void)
{
	char text[2048];
	const char *key = tmp_path("hmac.key");
	const char *sock = tmp_path("nobody-listens.sock");

	write_file(key, KEY "\n", strlen(KEY) + 1);
	snprintf(text, sizeof(text),
	    "token.ci = %s services=web-*,app?,blog actions=deploy,status\n"
	    "token.ops = %s\n"
	    "token.metrics = %s actions=metrics services=web-*\n"
	    "token.signed = %s hmac_key_file=%s\n"
	    "token.gh = %s hmac_key_file=%s signature=github\n"
	    "token.hub = %s actions=hook services=web-* stacks=shop\n"
	    "docker_host = unix://%s\n",
	    hashed("ci-secret"), hashed("ops-secret"), hashed("m-secret"),
	    hashed("signed-secret"), key, hashed("gh-secret"), key,
	    hashed("hub-secret"), sock);
	unit_settings(&cfg, text);
}

/* A fresh request: the environment holds only what a test sets. */
static void
start(struct request *req, const char *method, enum action a,
    const char *service, const char *path)
{
	static const char *vars[] = {"HTTP_AUTHORIZATION",
	    "HTTP_X_DEPLOYER_SIGNATURE", "HTTP_X_HUB_SIGNATURE_256",
	    "HTTP_X_GITHUB_DELIVERY", "QUERY_STRING", NULL};
	size_t i;

	for (i = 0; vars[i] != NULL; i++)
		unsetenv(vars[i]);
	memset(req, 0, sizeof(*req));
	req->io = &io;
	req->docker = &docker;
	req->cfg = &cfg;
	req->method = method;
	req->action = a;
	snprintf(req->service, sizeof(req->service), "%s", service);
	snprintf(req->path, sizeof(req->path), "%s", path);
	snprintf(req->remote_addr, sizeof(req->remote_addr), "127.0.0.1");
	buf_init(&req->body, cfg.max_body);
}

static void
done(struct request *req)
{
	buf_free(&req->body);
}

/* Authenticates with the Authorization header h (NULL: none). */
static int
check_header(const char *h, struct request *req)
{
	start(req, "PUT", ACT_DEPLOY, "web-1", "/service/web-1");
	if (h != NULL)
		setenv("HTTP_AUTHORIZATION", h, 1);
	return auth_check(req);
}

static void
test_tokens(void)
{
	struct request r;
	char longh[AUTH_HEADER_MAX + 2];

	is_int(check_header("ci-secret", &r), 0, "the raw token is accepted");
	is_str(r.token_name, "ci", "... and names its token");
	done(&r);
	is_int(check_header("Bearer ops-secret", &r), 0,
	    "\"Bearer <token>\" is accepted");
	is_str(r.token_name, "ops", "... and names its token");
	done(&r);
	is_int(check_header("bearer   ops-secret", &r), 0,
	    "the scheme is case-insensitive, spaces after it are skipped");
	done(&r);
	is_int(check_header("Bearer wrong", &r), -1, "an unknown token fails");
	ok(r.status == 401 && r.challenge, "... with 401 and a challenge");
	is_str(r.error, "invalid token", "... saying so");
	ok(r.token == NULL && r.auth_attempted, "... with no token, attempted");
	done(&r);
	is_int(check_header("ci-secret ", &r), -1,
	    "a trailing space is part of the token");
	done(&r);
	is_int(check_header("Basic ci-secret", &r), -1,
	    "another scheme is part of the token");
	done(&r);
	check_header(NULL, &r);
	ok(r.status == 401 && r.challenge, "no header: 401 with a challenge");
	is_str(r.error, "missing Authorization header", "... saying so");
	done(&r);
	check_header("", &r);
	is_int(r.status, 401, "an empty header: 401");
	done(&r);
	memset(longh, 'a', sizeof(longh) - 1);
	longh[sizeof(longh) - 1] = '\0';
	check_header(longh, &r);
	is_int(r.status, 401, "a header over AUTH_HEADER_MAX: 401");
	done(&r);
}

static void
test_no_tokens(void)
{
	struct config empty;
	struct request r;
	char err[128];

	if (cfg_load(&empty, NULL, 0, NULL, NULL, err, sizeof(err)) == -1) {
		ok(0, "settings without a token load: %s", err);
		return;
	}
	start(&r, "GET", ACT_STATUS, "web", "/service/web");
	r.cfg = &empty;
	setenv("HTTP_AUTHORIZATION", "anything", 1);
	is_int(auth_check(&r), -1, "no token configured: refused");
	ok(r.status == 500 && !r.challenge, "... with 500, never open");
	done(&r);
	cfg_free(&empty);
}

/* auth_scope for token tok (a secret) on action a and service svc. */
static int
scope(const char *tok, enum action a, const char *svc)
{
	struct request r;
	int status;

	start(&r, "PUT", a, svc, "/");
	setenv("HTTP_AUTHORIZATION", tok, 1);
	if (auth_check(&r) == -1) {
		done(&r);
		return -2;
	}
	auth_scope(&r);
	status = r.status;
	done(&r);
	return status;
}

static void
test_scopes(void)
{
	is_int(scope("ci-secret", ACT_DEPLOY, "web-1"), 0,
	    "ci may deploy web-1 (web-*)");
	is_int(scope("ci-secret", ACT_STATUS, "blog"), 0,
	    "ci may read blog's status");
	is_int(scope("ci-secret", ACT_HISTORY, "blog"), 0,
	    "... and its history (the status action)");
	is_int(scope("ci-secret", ACT_ROLLBACK, "web-1"), 403,
	    "ci may not roll back (actions=deploy,status)");
	is_int(scope("ci-secret", ACT_DEPLOY, "db"), 403,
	    "ci may not deploy db (no pattern matches)");
	is_int(scope("ci-secret", ACT_DEPLOY, "blog2"), 403,
	    "a plain pattern matches the whole name only");
	is_int(scope("ci-secret", ACT_DEPLOY, "app1"), 0,
	    "'?' matches one character");
	is_int(scope("ci-secret", ACT_DEPLOY, "app12"), 403,
	    "... and only one");
	is_int(scope("ci-secret", ACT_DEPLOY, "web-a/b"), 403,
	    "'*' never crosses '/'");
	is_int(scope("ci-secret", ACT_DEPLOY, "app/"), 403,
	    "'?' never matches '/'");
	is_int(scope("ops-secret", ACT_ROLLBACK, "anything"), 0,
	    "a token without limits may do everything");
	is_int(scope("ops-secret", ACT_METRICS, ""), 0,
	    "... including the metrics");
	is_int(scope("metrics-secret", ACT_METRICS, ""), -2,
	    "(an unknown secret never gets to the scope)");
	is_int(scope("m-secret", ACT_METRICS, ""), 403,
	    "metrics need a token without services=");
	is_int(scope("ci-secret", ACT_METRICS, ""), 403,
	    "... and actions=metrics");
}

static void
test_scope_service(void)
{
	struct request r;

	start(&r, "PUT", ACT_DEPLOY, "7gpfbwm4s3ij", "/service/7gpfbwm4s3ij");
	setenv("HTTP_AUTHORIZATION", "ci-secret", 1);
	auth_check(&r);
	is_int(auth_scope_service(&r, "web-2"), 0,
	    "the real name web-2 is in ci's scope");
	is_str(r.service, "web-2", "... and is the request's service now");
	is_int(auth_scope_service(&r, "db"), -1,
	    "the real name db is not");
	is_int(r.status, 403, "... 403");
	ok(strstr(r.error, "service db") != NULL,
	    "... naming the real name (%s)", r.error);
	is_str(r.service, "web-2", "... and the service is kept");
	done(&r);

	start(&r, "PUT", ACT_DEPLOY, "x", "/service/x");
	setenv("HTTP_AUTHORIZATION", "ci-secret", 1);
	auth_check(&r);
	is_int(auth_scope_service(&r, "web-a/b"), -1,
	    "a real name is matched with '*' not crossing '/'");
	done(&r);

	start(&r, "GET", ACT_STATUS, "x", "/service/x");
	is_int(auth_scope_service(&r, "anything"), 0,
	    "no token (health): nothing to check");
	is_str(r.service, "anything", "... the name is taken");
	done(&r);
}

/* HMAC-SHA256 under KEY over the parts joined by newlines, as hex. */
static void
sign(const char *const *parts, size_t n, char hex[65])
{
	unsigned char d[32];
	unsigned int dl = sizeof(d);
	char joined[4096];
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(joined + len, sizeof(joined) - len,
		    "%s%s", i ? "\n" : "", parts[i]);
	HMAC(EVP_sha256(), KEY, (int)strlen(KEY), (unsigned char *)joined, len,
	    d, &dl);
	for (i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* A deployer-signed PUT: the header is made for (when, method, signed
 * path, body); the request itself has path and query. */
static int
deployer_sig(long long when, const char *signed_path, const char *query,
    const char *body, const char *header, struct request *r)
{
	char ts[24], hex[65], h[128];
	const char *parts[4];

	start(r, "PUT", ACT_DEPLOY, "web-1", "/service/web-1");
	setenv("HTTP_AUTHORIZATION", "signed-secret", 1);
	if (query != NULL)
		setenv("QUERY_STRING", query, 1);
	buf_addstr(&r->body, body);
	snprintf(ts, sizeof(ts), "%lld", when);
	parts[0] = ts;
	parts[1] = "PUT";
	parts[2] = signed_path;
	parts[3] = body;
	sign(parts, 4, hex);
	snprintf(h, sizeof(h), "t=%lld,v1=%s", when, hex);
	setenv("HTTP_X_DEPLOYER_SIGNATURE", header ? header : h, 1);
	if (auth_check(r) == -1)
		return -2;
	return auth_signature(r);
}

static void
test_deployer_signature(void)
{
	const char *body = "{\"image\": \"local/app:v2\"}";
	long long now = (long long)time(NULL);
	struct request r;

	deployer_sig(now, "/service/web-1?wait=5", "wait=5", body, NULL, &r);
	is_int(r.status, 503,
	    "a valid signature passes, to the replay store (unreachable)");
	ok(!r.signature_refused, "... and was not refused as a signature");
	ok(strstr(r.error, "replayed") != NULL, "... which says so (%s)",
	    r.error);
	done(&r);
	deployer_sig(now - 200, "/service/web-1", NULL, body, NULL, &r);
	is_int(r.status, 503, "a signature 200 s old is within the window");
	done(&r);
	deployer_sig(now - cfg.sig_window - 5, "/service/web-1", NULL, body,
	    NULL, &r);
	ok(r.status == 401 && r.signature_refused && r.challenge,
	    "a signature older than the window: 401");
	ok(strstr(r.error, "window") != NULL, "... saying so (%s)", r.error);
	done(&r);
	deployer_sig(now + cfg.sig_window + 5, "/service/web-1", NULL, body,
	    NULL, &r);
	is_int(r.status, 401, "a signature from the future: 401");
	done(&r);
	deployer_sig(now, "/service/web-1", "wait=5", body, NULL, &r);
	ok(r.status == 401 && strcmp(r.error, "bad signature") == 0,
	    "the query is signed: a signature without it is bad");
	done(&r);
	deployer_sig(now, "/service/web-2", NULL, body, NULL, &r);
	is_str(r.error, "bad signature", "the path is signed");
	done(&r);
	deployer_sig(now, "/service/web-1", NULL, "{\"image\": \"x\"}", NULL,
	    &r);
	is_int(r.status, 503, "a signature over another body is valid for it");
	r.status = 0;
	r.error[0] = '\0';
	buf_reset(&r.body);
	buf_addstr(&r.body, body);
	auth_signature(&r);
	ok(r.status == 401 && strcmp(r.error, "bad signature") == 0,
	    "... and bad for this one: the body is signed");
	done(&r);
	deployer_sig(now, "/service/web-1", NULL, body, "t=1,v1=zz", &r);
	ok(r.status == 401 && strstr(r.error, "malformed") != NULL,
	    "a malformed header: 401 (%s)", r.error);
	done(&r);
	deployer_sig(now, "/service/web-1", NULL, body, "v1=00,t=1", &r);
	is_int(r.status, 401, "parts out of order: 401");
	done(&r);
	deployer_sig(now, "/service/web-1", NULL, body,
	    "t=12x,v1=0000000000000000000000000000000000000000000000000000"
	    "000000000000", &r);
	is_int(r.status, 401, "a timestamp that is not a number: 401");
	done(&r);
	deployer_sig(now, "/service/web-1", NULL, body, "", &r);
	is_int(r.status, 401, "an empty header: 401");
	done(&r);

	start(&r, "PUT", ACT_DEPLOY, "web-1", "/service/web-1");
	setenv("HTTP_AUTHORIZATION", "ops-secret", 1);
	auth_check(&r);
	is_int(auth_signature(&r), 0, "a token without a key needs none");
	done(&r);
}

/* A GitHub-signed PUT of body, with the signature made over signed. */
static void
github_sig(const char *body, const char *signed_body, const char *delivery,
    struct request *r)
{
	char hex[65], h[80];
	const char *parts[1] = {signed_body};

	start(r, "PUT", ACT_DEPLOY, "web-1", "/service/web-1");
	setenv("HTTP_AUTHORIZATION", "gh-secret", 1);
	buf_addstr(&r->body, body);
	sign(parts, 1, hex);
	snprintf(h, sizeof(h), "sha256=%s", hex);
	setenv("HTTP_X_HUB_SIGNATURE_256", h, 1);
	if (delivery != NULL)
		setenv("HTTP_X_GITHUB_DELIVERY", delivery, 1);
	if (auth_check(r) == 0)
		auth_signature(r);
}

static void
test_github_signature(void)
{
	const char *body = "{\"service\": \"web-1\", \"image\": \"a:b\"}";
	const char *guid = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
	struct request r;

	github_sig(body, body, guid, &r);
	is_int(r.status, 503,
	    "GitHub: a valid signature passes, to the replay store");
	ok(!r.signature_refused, "... not refused as a signature");
	done(&r);
	github_sig(body, "{}", guid, &r);
	ok(r.status == 401 && strcmp(r.error, "bad signature") == 0,
	    "GitHub: a signature over another body is bad");
	done(&r);
	github_sig(body, body, NULL, &r);
	ok(r.status == 401 && strstr(r.error, "X-GitHub-Delivery") != NULL,
	    "GitHub: no delivery ID: 401 (%s)", r.error);
	done(&r);
	github_sig(body, body, "short", &r);
	is_int(r.status, 401, "GitHub: a delivery ID too short: 401");
	done(&r);
	github_sig(body, body, "72d3162e;cc78", &r);
	is_int(r.status, 401, "GitHub: a delivery ID that is not a GUID: 401");
	done(&r);
	github_sig("{\"service\": \"web-2\"}", "{\"service\": \"web-2\"}", guid,
	    &r);
	ok(r.status == 401 && strstr(r.error, "\"service\"") != NULL,
	    "GitHub: a signed body for another service: 401");
	done(&r);
	github_sig("", "", guid, &r);
	is_int(r.status, 401, "GitHub: an empty body names no service: 401");
	done(&r);
	github_sig("[\"web-1\"]", "[\"web-1\"]", guid, &r);
	is_int(r.status, 401, "GitHub: a body that is not an object: 401");
	done(&r);

	start(&r, "PUT", ACT_DEPLOY, "web-1", "/service/web-1");
	setenv("HTTP_AUTHORIZATION", "gh-secret", 1);
	setenv("HTTP_X_HUB_SIGNATURE_256", "sha1=00", 1);
	setenv("HTTP_X_GITHUB_DELIVERY", guid, 1);
	auth_check(&r);
	auth_signature(&r);
	ok(r.status == 401 && strstr(r.error, "X-Hub-Signature-256") != NULL,
	    "GitHub: a sha1= header is malformed: 401");
	done(&r);
}

/* Hooks: the path's token, the signature as the credential, scopes. */
static void
test_hooks(void)
{
	const char *body = "{\"action\": \"published\"}";
	const char *guid = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
	const char *parts[1] = { body };
	char hex[65], h[80];
	struct request r;

	start(&r, "POST", ACT_HOOK_DOCKERHUB, "", "/hook/dockerhub/<secret>");
	snprintf(r.path_secret, sizeof(r.path_secret), "hub-secret");
	setenv("HTTP_AUTHORIZATION", "ops-secret", 1);
	is_int(auth_check(&r), 0, "hook: the path's token authenticates");
	is_str(r.token_name, "hub", "... it, not the header's");
	is_int(auth_scope(&r), 0, "... and may send hooks");
	ok(auth_may_move(&r, "web-1", "shop"), "... move web-1 of shop");
	ok(!auth_may_move(&r, "api", "shop"),
	    "... not a service outside services=");
	ok(!auth_may_move(&r, "web-1", "other"),
	    "... nor one of another stack");
	ok(!auth_may_move(&r, "web-1", ""),
	    "... nor one of no stack (stacks= set)");
	done(&r);
	start(&r, "POST", ACT_HOOK_DOCKERHUB, "", "/hook/dockerhub/<secret>");
	snprintf(r.path_secret, sizeof(r.path_secret), "hub-wrong");
	is_int(auth_check(&r), -1, "hook: a wrong path token");
	is_int(r.status, 401, "... 401");
	done(&r);
	start(&r, "POST", ACT_HOOK_REGISTRY, "", "/hook/registry");
	setenv("HTTP_AUTHORIZATION", "Bearer ci-secret", 1);
	auth_check(&r);
	is_int(auth_scope(&r), -1, "hook: a token without actions=hook");
	ok(r.status == 403 && strstr(r.error, "actions=hook") != NULL,
	    "... 403, naming the action (%s)", r.error);
	done(&r);
	start(&r, "POST", ACT_HOOK_REGISTRY, "", "/hook/registry");
	setenv("HTTP_AUTHORIZATION", "ops-secret", 1);
	auth_check(&r);
	is_int(auth_scope(&r), 0, "hook: a token without limits may");
	ok(auth_may_move(&r, "anything", ""), "... move any service");
	done(&r);

	start(&r, "POST", ACT_HOOK_GITHUB, "", "/hook/github");
	buf_addstr(&r.body, body);
	sign(parts, 1, hex);
	snprintf(h, sizeof(h), "sha256=%s", hex);
	setenv("HTTP_X_HUB_SIGNATURE_256", h, 1);
	setenv("HTTP_X_GITHUB_DELIVERY", guid, 1);
	is_int(auth_signed(&r), -1, "hook/github: a valid signature");
	is_int(r.status, 503, "... passes on to the replay store");
	is_str(r.token_name, "gh", "... as the token whose key made it");
	done(&r);
	start(&r, "POST", ACT_HOOK_GITHUB, "", "/hook/github");
	buf_addstr(&r.body, "{}");
	setenv("HTTP_X_HUB_SIGNATURE_256", h, 1);
	setenv("HTTP_X_GITHUB_DELIVERY", guid, 1);
	is_int(auth_signed(&r), -1,
	    "hook/github: a signature over another body");
	ok(r.status == 401 && r.token == NULL, "... 401, nobody");
	done(&r);
	start(&r, "POST", ACT_HOOK_GITHUB, "", "/hook/github");
	buf_addstr(&r.body, body);
	setenv("HTTP_X_GITHUB_DELIVERY", guid, 1);
	auth_signed(&r);
	is_int(r.status, 401, "hook/github: no signature: 401");
	done(&r);
}

int
main(void)
{
	tmp_dir("test-auth");
	load_settings();
	test_tokens();
	test_no_tokens();
	test_scopes();
	test_scope_service();
	test_deployer_signature();
	test_github_signature();
	test_hooks();
	docker_close(&docker);
	cfg_free(&cfg);
	return tap_done();
}
