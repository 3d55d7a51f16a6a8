/* request.h: all state of one request, created and freed in one place */
/* SPDX-License-Identifier: MIT */
#ifndef REQUEST_H
#define REQUEST_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "cfg.h"
#include "docker.h"
#include "imageref.h"

struct io;
struct docker;

/* Swarm service names: a DNS label, at most 63 bytes. */
#define SERVICE_NAME_MAX 63
/* The path after the prefix; routes are short. */
#define PATH_MAX_LEN 256
/* A longer Authorization header is refused before any work. */
#define AUTH_HEADER_MAX (CFG_TOKEN_MAX + 16)

enum action {
	ACT_NONE = 0,
	ACT_DEPLOY,   /* PUT /service/<name> */
	ACT_ROLLBACK, /* POST /service/<name>/rollback */
	ACT_STATUS,   /* GET /service/<name> */
	ACT_HEALTH,   /* GET /health, no token */
	ACT_METRICS,  /* GET /metrics */
	ACT_HISTORY,  /* GET /service/<name>/history */
	ACT_STACK,    /* PUT /stack/<name> */
	/* POST /hook/<sender>, in enum push_sender's order. */
	ACT_HOOK_REGISTRY,
	ACT_HOOK_DOCKERHUB,
	ACT_HOOK_GITHUB,
	ACT_HOOK_HARBOR,
	ACT_HOOK_QUAY,
};
#define ACT_IS_HOOK(a) ((a) >= ACT_HOOK_REGISTRY && (a) <= ACT_HOOK_QUAY)

/* History: records per request, by default and at most. */
#define HISTORY_LIMIT_DEFAULT 20
#define HISTORY_LIMIT_MAX 500

/* No wait was asked for: answer when Docker accepted the update. */
#define WAIT_NONE (-1)

enum notify_state {
	NOTIFY_DISABLED = 0, /* no NOTIFY_FLAGS */
	NOTIFY_SENT,
	NOTIFY_SPOOLED, /* waits in the spool for beanstalkd */
	NOTIFY_FAILED,
};

/* What became of one notification, on each channel. */
struct notice {
	enum notify_state notify; /* beanstalkd */
	char notify_error[160];
	uint64_t notify_job;
	enum notify_state webhook; /* the notify_url POST */
	char webhook_error[256];
};

/*
 * One service's write as a notification and an audit record tell it: a
 * single deploy's is the request's own (req_change), a stack release has
 * one per member.  Every pointer is borrowed.
 */
struct change {
	const char *service;    /* the Swarm name */
	const char *service_id; /* "" until Docker named it */
	const char *stack;      /* the release's stack, or NULL */
	const char *requested;  /* the image as asked, or NULL */
	const char *prev_image;
	const char *new_image;
	const char *digest;
	const char *state;     /* accepted, completed, rolled_back, ... */
	const char *message;   /* Swarm's word on it, or NULL */
	uint64_t version;      /* the Version.Index written at */
	const struct job *job; /* the job run before it, or NULL */
};

struct job;
struct member;
struct push_set;

struct request {
	/* Transport and settings (borrowed). */
	struct io *io;
	struct docker *docker;
	const struct config *cfg;
	/* The process's settings made stricter by this request's parameters
	 * (cfg_tighten): a shallow copy that borrows every pointer. */
	struct config own_cfg;
	char id[17]; /* request id, 16 hex digits */
	uint64_t started_ms;

	/* What the client asked, validated. */
	const char *method; /* borrowed from the parameters */
	char remote_addr[64];
	enum action action;
	char service[SERVICE_NAME_MAX + 1];
	char stack[SERVICE_NAME_MAX + 1]; /* PUT /stack/<name> */
	const char *token_name;        /* borrowed from cfg once authorized */
	const struct cfg_token *token; /* borrowed: the token presented */
	int auth_attempted;            /* the request reached authentication */
	int authorized; /* token, scope, body and signature passed */
	char path[PATH_MAX_LEN + 1]; /* the routed path, below the prefix,
	                              * with a secret in it as "<secret>" */
	/* The token of a hook whose sender can only put it in the path
	 * (Docker Hub, Quay): a secret, wiped by req_free. */
	char path_secret[PATH_MAX_LEN + 1];
	uint64_t spec_version; /* the Version.Index the update was made at */
	struct buf body;
	int body_done;           /* the body was read (or dropped) to its end */
	char image[REF_MAX + 1]; /* the image as requested */
	struct imageref ref;
	int force;   /* bump ForceUpdate */
	int wait_s;  /* seconds to wait for the rollout, or WAIT_NONE */
	int dry_run; /* everything but the update */
	char expect[REF_MAX + 1]; /* compare-and-swap: "" when not asked */
	unsigned limit;           /* history: records asked for */

	/* What happened: the handler's result object for the response. */
	cJSON *result;         /* owned */
	struct buf text;       /* a 200 that is not JSON (metrics) */
	const char *text_type; /* its Content-Type, or NULL for JSON */
	int audit_failed;      /* the audit record could not be written */
	char service_id[72];
	char *prev_image;    /* owned */
	char *new_image;     /* owned: the image now in the spec */
	char *digest;        /* owned: what the tag resolved to, or NULL */
	const char *state;   /* accepted, completed, unchanged, ... */
	char *state_message; /* owned: Docker's UpdateStatus message */
	cJSON *warnings;     /* owned array of strings */
	struct notice notice;
	/* A stack release: its members, in release order; a hook: the
	 * services it moves (owned). */
	struct member *members;
	size_t nmembers;
	struct push_set *pushes; /* owned: what a hook's sender pushed */
	struct job *job;         /* owned: the job a deploy runs first */
	int ok_status;           /* a success other than 200 (202), or 0 */

	/* The last Docker call's error, for req_fail_docker. */
	struct docker_err docker_err;

	/* The one outcome: status 0 until something decides it. */
	int status;
	char error[512];       /* client-safe message for errors */
	const char *allow;     /* Allow header value for a 405 */
	int challenge;         /* send WWW-Authenticate with a 401 */
	int signature_refused; /* the 401 was a bad or replayed signature */
};

/* Starts a request: id, clock, settings (made stricter when a FastCGI
 * request's parameters say so).  Returns -1 with the request failed: 500
 * when the settings are broken, 400 when a parameter names a setting it
 * may not change; the request can still be answered. */
int req_init(struct request *req, struct io *io, struct docker *d,
    const struct config *base, const char *base_error);

/* Sets the outcome once (later calls keep the first) and returns -1, so
 * that a failure reads "return req_fail(req, 404, ...)". */
int req_fail(struct request *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Fails the request with the HTTP status that req->docker_err's kind
 * maps to (the one table of it, in request.c) and its message.  Returns
 * -1, as req_fail.
 */
int req_fail_docker(struct request *req);

/* A docker_warn_fn: Docker's warnings go into the answer. */
void req_docker_warning(void *req, const char *msg);

/* Adds a warning for the response (copied). */
void req_warn(struct request *req, const char *msg);

/* Parses QUERY_STRING: wait=<seconds>, dry_run=1|true|0|false, and for
 * history limit=<1..HISTORY_LIMIT_MAX>.  Any other key, a repeated key or
 * a malformed value is 400. */
int req_parse_query(struct request *req);

/* Reads the body per CONTENT_LENGTH (or to end of input when absent),
 * bounded by cfg->max_body: 400, 411, 413 on failure. */
int req_read_body(struct request *req);

/* CGI: reads and drops what is left of an announced body, bounded, so
 * that a web server still writing it (Apache mod_cgid, fcgiwrap) sees the
 * answer of a refused request instead of a reset. */
void req_finish_input(struct request *req);

/* The request's own write, as notify_change and audit_intent take it. */
void req_change(const struct request *req, struct change *c);

void req_free(struct request *req);

#endif
