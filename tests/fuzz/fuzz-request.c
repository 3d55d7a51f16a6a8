/* fuzz-request.c: fuzz target for one CGI request, up to the Docker call */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/mman.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "audit.h"
#include "auth.h"
#include "buf.h"
#include "cfg.h"
#include "deploy.h"
#include "imageref.h"
#include "io.h"
#include "jsonedit.h"
#include "request.h"
#include "respond.h"
#include "route.h"
#include "api.h"
#include "fuzz.h"

/*
 * Input: eight lines, then the body.
 *
 *   REQUEST_METHOD \n PATH_INFO \n SCRIPT_NAME \n QUERY_STRING \n
 *   CONTENT_LENGTH \n HTTP_AUTHORIZATION \n HTTP_X_DEPLOYER_SIGNATURE \n
 *   HTTP_X_HUB_SIGNATURE_256 \n body...
 *
 * An empty line leaves the variable unset; a value is cut at a NUL byte
 * (so "\0" sets it to the empty string) and at FIELD_MAX bytes.  Fewer
 * than eight newlines: the missing variables are unset and the body empty.
 *
 * The variables go into the environment with putenv() on static buffers
 * (setenv() would keep every distinct value forever), the body into a
 * memfd on fd 0.  Then exactly what main.c's handle() does, minus
 * anything that talks to Docker: req_init and api_prepare (the same
 * function: route, auth_check, auth_scope, the query, the body,
 * auth_signature, body_parse), but not api_run; audit_record (a no-op:
 * no audit_file); respond() into a memfd on fd 1, which is checked and
 * thrown away; req_free.
 *
 * The configuration is made once by cfg_load from a fixed environment
 * and a fixed file (both memfds, closed after loading) with four tokens,
 * so that seeds can reach every branch of the authorization:
 *   "fuzz-token-0123456789"   TOKEN, "default": may do everything;
 *   "scoped-token-0123456789" services=blog,web-* actions=deploy,status;
 *   "signer-token-0123456789" signature=deployer (HMAC key below);
 *   "github-token-0123456789" signature=github.
 * A valid HMAC is out of the fuzzer's reach (and a deployer signature
 * must be recent), so replay_record, which writes under state_dir, is
 * never reached; state_dir points nowhere to make sure.
 *
 * Invariants: exactly one outcome, a status we document; a route that
 * passed named a valid service; a deploy that parsed has a valid image;
 * the response is one header block of CRLF lines ("Status: N reason"
 * first, X-Request-Id, Allow with 405, WWW-Authenticate with 401),
 * then, except for HEAD, a JSON body with the error and request id.
 */

#define FIELD_MAX 4096
#define NFIELDS 8
#define TOKEN "fuzz-token-0123456789"
#define HMAC_KEY "fuzz-hmac-key-0123456789abcdef"
/* Small, so that 413 is within the fuzzer's reach. */
#define MAX_BODY "1024"
#define RESPONSE_MAX (64 * 1024)

static const char *const names[NFIELDS] = {
	"REQUEST_METHOD", "PATH_INFO", "SCRIPT_NAME", "QUERY_STRING",
	"CONTENT_LENGTH", "HTTP_AUTHORIZATION", "HTTP_X_DEPLOYER_SIGNATURE",
	"HTTP_X_HUB_SIGNATURE_256",
};

/* "NAME=" + value + NUL, for putenv(). */
static char envbuf[NFIELDS][32 + FIELD_MAX + 1];

static const char *
fixed_env(void *ctx, const char *name)
{
	static const char *const env[][2] = {
		{ "TOKEN", TOKEN },
		{ "DEPLOYER_MAX_BODY", MAX_BODY },
		{ "DEPLOYER_WAIT_MAX", "600" },
		{ "DOCKER_HOST", "unix:///nonexistent/docker.sock" },
		{ "DEPLOYER_STATE_DIR", "/nonexistent/deployer" },
		{ "DEPLOYER_SPOOL_DIR", "off" },
	};
	size_t i;

	(void)ctx;
	for (i = 0; i < sizeof(env) / sizeof(env[0]); i++)
		if (strcmp(env[i][0], name) == 0)
			return env[i][1];
	return NULL;
}

struct fixture {
	struct config cfg;
	int in_fd;		/* memfd: the body, dup2'd onto fd 0 */
	int out_fd;		/* memfd: the response, dup2'd onto fd 1 */
	int saved_out;		/* the real fd 1, restored after respond */
};

/* A memfd holding s; its /proc path into path.  -1 on failure. */
static int
memfd_with(const char *name, const char *s, char *path, size_t pathlen)
{
	size_t n = strlen(s);
	int fd;

	if ((fd = memfd_create(name, MFD_CLOEXEC)) == -1)
		return -1;
	if (write(fd, s, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

/* "token.NAME = sha256:<hex of secret> options" */
static void
token_line(struct buf *b, const char *name, const char *secret,
    const char *options)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256((const unsigned char *)secret, strlen(secret), d);
	buf_addf(b, "token.%s = sha256:", name);
	for (i = 0; i < sizeof(d); i++)
		buf_addf(b, "%02x", d[i]);
	buf_addf(b, " %s\n", options);
}

static struct fixture *
fixture(void)
{
	static struct fixture f;
	static int state;	/* 0 not yet, 1 ready, -1 failed */
	char err[512], keypath[64], cfgpath[64], opt[128];
	int keyfd = -1, cfgfd = -1, rc;
	struct buf text;
	size_t i;

	if (state != 0)
		return state == 1 ? &f : NULL;
	state = -1;
	/* Variables a test harness may have set would change the paths. */
	for (i = 0; i < NFIELDS; i++)
		unsetenv(names[i]);
	unsetenv("REMOTE_ADDR");

	buf_init(&text, 4096);
	if ((keyfd = memfd_with("fuzz-request-key", HMAC_KEY, keypath,
	    sizeof(keypath))) == -1)
		return NULL;
	token_line(&text, "scoped", "scoped-token-0123456789",
	    "services=blog,web-* actions=deploy,status");
	snprintf(opt, sizeof(opt), "hmac_key_file=%s", keypath);
	token_line(&text, "signer", "signer-token-0123456789", opt);
	snprintf(opt, sizeof(opt), "hmac_key_file=%s signature=github",
	    keypath);
	token_line(&text, "hub", "github-token-0123456789", opt);
	cfgfd = memfd_with("fuzz-request-cfg", buf_str(&text), cfgpath,
	    sizeof(cfgpath));
	buf_free(&text);
	rc = cfgfd == -1 ? -1 : cfg_load(&f.cfg, cfgpath, 1, fixed_env, NULL,
	    err, sizeof(err));
	close(keyfd);
	if (cfgfd != -1)
		close(cfgfd);
	if (rc == -1) {
		fprintf(stderr, "fuzz-request: %s\n", cfgfd == -1 ?
		    "memfd_create failed" : err);
		return NULL;
	}
	if ((f.in_fd = memfd_create("fuzz-request-in", MFD_CLOEXEC)) == -1 ||
	    (f.out_fd = memfd_create("fuzz-request-out", MFD_CLOEXEC)) == -1 ||
	    (f.saved_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) == -1)
		return NULL;
	state = 1;
	return &f;
}

/* Sets or unsets the six variables from the input; returns the body. */
static const char *
set_env(const char *s, size_t size, size_t *bodylen)
{
	const char *p = s, *end = s + size, *nl;
	size_t i, n;

	for (i = 0; i < NFIELDS; i++) {
		nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		n = nl ? (size_t)(nl - p) : 0;
		if (nl == NULL || n == 0) {
			unsetenv(names[i]);
		} else {
			size_t off = (size_t)snprintf(envbuf[i],
			    sizeof(envbuf[i]), "%s=", names[i]);

			if (n > FIELD_MAX)
				n = FIELD_MAX;
			memcpy(envbuf[i] + off, p, n);
			envbuf[i][off + n] = '\0';
			putenv(envbuf[i]);
		}
		p = nl ? nl + 1 : end;
	}
	*bodylen = (size_t)(end - p);
	return p;
}

static int
documented(int status)
{
	static const int ok[] = { 400, 401, 403, 404, 405, 411, 413, 500,
		503 };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] == status)
			return 1;
	return 0;
}

/* The response as written to fd 1: header block, then the JSON body. */
static void
check_response(const struct request *req, const char *r, size_t n)
{
	const char *eoh, *p;
	char want[128];
	int head = strcmp(req->method, "HEAD") == 0;
	size_t hl;

	FUZZ_ASSERT((eoh = memmem(r, n, "\r\n\r\n", 4)) != NULL);
	hl = (size_t)(eoh - r) + 4;
	snprintf(want, sizeof(want), "Status: %d %s\r\n", req->status,
	    status_reason(req->status));
	FUZZ_ASSERT(strncmp(r, want, strlen(want)) == 0);
	/* Every header byte is printable or part of a CRLF. */
	for (p = r; p < eoh + 2; p++) {
		if (*p == '\r')
			FUZZ_ASSERT(p[1] == '\n');
		else if (*p == '\n')
			FUZZ_ASSERT(p > r && p[-1] == '\r');
		else
			FUZZ_ASSERT(*p >= 0x20 && *p < 0x7f);
	}
	snprintf(want, sizeof(want), "\r\nX-Request-Id: %s\r\n", req->id);
	FUZZ_ASSERT(memmem(r, hl, want, strlen(want)) != NULL);
	FUZZ_ASSERT((memmem(r, hl, "\r\nAllow: ", 9) != NULL) ==
	    (req->status == 405 && req->allow != NULL));
	FUZZ_ASSERT((memmem(r, hl, "\r\nWWW-Authenticate: ", 20) != NULL) ==
	    (req->status == 401 && req->challenge));
	if (head) {
		FUZZ_ASSERT(hl == n);
		return;
	}
	/* One JSON object and a newline; valid UTF-8 too. */
	FUZZ_ASSERT(n > hl + 1 && r[n - 1] == '\n');
	FUZZ_ASSERT(json_check(r + hl, n - hl - 1, 2) == 0);
	FUZZ_ASSERT(r[hl] == '{');
	snprintf(want, sizeof(want), "\"request_id\":\"%s\"", req->id);
	FUZZ_ASSERT(memmem(r + hl, n - hl, want, strlen(want)) != NULL);
	snprintf(want, sizeof(want), "\"status\":%d", req->status);
	FUZZ_ASSERT(memmem(r + hl, n - hl, want, strlen(want)) != NULL);
}

/* main.c's handle() up to the Docker call (api_prepare, the same
 * function); 1 when it got there. */
static int
run(struct fixture *f, struct request *req, struct io *io)
{
	struct imageref ref;
	const char *errstr;
	int routed, parsed, reached = 0;

	if (req_init(req, io, NULL, &f->cfg, NULL) == 0 &&
	    api_prepare(req) == 0)
		reached = 1;	/* main.c calls api_run: Docker */
	routed = req->action != ACT_NONE;
	parsed = reached && (req->action == ACT_DEPLOY ||
	    req->action == ACT_ROLLBACK);
	if (reached && (api_action(req->action)->flags & API_TOKEN)) {
		FUZZ_ASSERT(req->token != NULL && req->token_name != NULL);
		FUZZ_ASSERT(req->token->signature == CFG_SIG_NONE);
	}
	/* Every stop before Docker is a failure with a status. */
	FUZZ_ASSERT(reached == (req->status == 0));
	if (routed) {
		FUZZ_ASSERT(req->action != ACT_NONE);
		FUZZ_ASSERT(req->path[0] == '/');
		if (req->action == ACT_STACK)
			FUZZ_ASSERT(
			    service_name_valid(req->stack, strlen(req->stack)));
		else if (req->action != ACT_HEALTH &&
		    req->action != ACT_METRICS && !ACT_IS_HOOK(req->action))
			FUZZ_ASSERT(service_name_valid(req->service,
			    strlen(req->service)));
		/* A token in the path never stays in it. */
		if (req->path_secret[0] != '\0')
			FUZZ_ASSERT(strcmp(req->path,
			                "/hook/dockerhub/<secret>") == 0 ||
			    strcmp(req->path, "/hook/quay/<secret>") == 0);
	}
	if (req->token != NULL && req->status != 403 && reached) {
		FUZZ_ASSERT(req->action == ACT_HEALTH ||
		    strcmp(req->token->name, "scoped") != 0 ||
		    ((req->action == ACT_DEPLOY ||
		    req->action == ACT_STATUS) &&
		    (strcmp(req->service, "blog") == 0 ||
		    strncmp(req->service, "web-", 4) == 0)));
	}
	if (parsed) {
		FUZZ_ASSERT(req->body.len <= f->cfg.max_body);
		FUZZ_ASSERT(req->wait_s == WAIT_NONE ||
		    (req->wait_s >= 0 && req->wait_s <= f->cfg.wait_max));
		if (req->action == ACT_DEPLOY) {
			FUZZ_ASSERT(ref_parse(req->image, strlen(req->image),
			    &ref, &errstr) == 0);
			FUZZ_ASSERT(memcmp(&ref, &req->ref, sizeof(ref)) == 0);
			if (req->expect[0] != '\0')
				FUZZ_ASSERT(ref_parse(req->expect,
				    strlen(req->expect), &ref, &errstr) == 0);
		} else {
			FUZZ_ASSERT(req->image[0] == '\0' && !req->force &&
			    req->expect[0] == '\0');
		}
	}
	if (!reached) {
		FUZZ_ASSERT(documented(req->status));
		FUZZ_ASSERT(req->error[0] != '\0');
		FUZZ_ASSERT((req->status == 405) == (req->allow != NULL));
		FUZZ_ASSERT(req->status == 401 || req->challenge == 0);
	}
	return reached;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixture *f = fixture();
	struct request req;
	struct io io;
	const char *body;
	char *resp;
	size_t bodylen;
	off_t rn;

	if (f == NULL)
		return 0;
	body = set_env((const char *)data, size, &bodylen);

	/* The body on fd 0, read from the start. */
	if (ftruncate(f->in_fd, 0) == -1 ||
	    pwrite(f->in_fd, body, bodylen, 0) != (ssize_t)bodylen ||
	    lseek(f->in_fd, 0, SEEK_SET) == -1 ||
	    dup2(f->in_fd, STDIN_FILENO) == -1)
		return 0;

	memset(&io, 0, sizeof(io));
	io.fastcgi = 0;
	io.in_request = 1;

	run(f, &req, &io);
	/* What handle() does after the action. */
	if (req.status == 0 && req.result == NULL)
		req_fail(&req, 500, "no result");
	if (req.auth_attempted) {
		char hash[17];

		FUZZ_ASSERT(audit_record(&req, hash) == 0);
	}

	/* The response goes to a memfd on fd 1, then is checked. */
	fflush(stdout);
	if (ftruncate(f->out_fd, 0) == -1 ||
	    lseek(f->out_fd, 0, SEEK_SET) == -1 ||
	    dup2(f->out_fd, STDOUT_FILENO) == -1) {
		req_free(&req);
		return 0;
	}
	respond(&req);
	FUZZ_ASSERT(dup2(f->saved_out, STDOUT_FILENO) == STDOUT_FILENO);
	FUZZ_ASSERT(req.status != 0 && documented(req.status));
	rn = lseek(f->out_fd, 0, SEEK_CUR);
	FUZZ_ASSERT(rn > 0 && rn < RESPONSE_MAX);
	FUZZ_ASSERT((resp = malloc((size_t)rn)) != NULL);
	FUZZ_ASSERT(pread(f->out_fd, resp, (size_t)rn, 0) == rn);
	check_response(&req, resp, (size_t)rn);
	free(resp);

	req_free(&req);
	io_finish(&io);
	/* Nothing of the body is left over for the next input. */
	return 0;
}
