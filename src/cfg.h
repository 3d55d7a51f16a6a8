/* cfg.h: settings from the configuration file and the environment */
/* SPDX-License-Identifier: MIT */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>
#include <stdint.h>

#include "template.h"

/*
 * Settings come from the operator only, strongest first:
 *   1. the configuration file (everything it sets),
 *   2. the process environment, for what the file does not set (CGI: what
 *      the web server's configuration set; the Go program's TOKEN,
 *      DOCKER_HOST, NOTIFY_FLAGS keep working without a file),
 *   3. built-in defaults.
 * A request never carries a setting.  A FastCGI request's parameters may
 * only make the process stricter (cfg_tighten); any other parameter named
 * like a setting is refused with 400.  Environment names are the Go
 * program's (TOKEN, DOCKER_HOST, NOTIFY_FLAGS, BIND) plus DEPLOYER_* for
 * settings it did not have.
 */

#define CFG_TOKEN_MAX 1024 /* longest accepted token, in bytes */
/* Bodies above this get 413 unless max_body says otherwise. */
#define CFG_MAX_BODY_DEFAULT (64 * 1024)

/* The fields a notification template may use, in this order. */
enum notify_field {
	NF_ARTIFACT, /* the image as requested */
	NF_SERVICE_NAME,
	NF_SERVICE_ID,
	NF_IMAGE, /* the image now in the spec */
	NF_PREVIOUS_IMAGE,
	NF_ACTION,  /* "deploy", "rollback": api.c's names */
	NF_STATE,   /* "accepted", "completed", ... */
	NF_MESSAGE, /* Swarm's UpdateStatus message, else Docker's
	             * first warning */
	NF_REQUEST_ID,
	NF_REMOTE_ADDR,
	NF_TOKEN_NAME,
	NF_TIME,          /* RFC 3339, UTC */
	NF_STACK,         /* the stack of a release, "" for one service */
	NF_JOB_STATE,     /* the job's outcome, "" without a job */
	NF_JOB_EXIT_CODE, /* its exit code, "" when none is known */
	NF_COUNT
};
extern const char *const notify_fields[NF_COUNT + 1];

#define CFG_TOKEN_NAME_MAX 32
/* Room for every setting's origin. */
#define CFG_SOURCES 40

/* What a token may do; a token with no restriction may do everything. */
enum {
	CFG_ACT_DEPLOY = 1 << 0,
	CFG_ACT_ROLLBACK = 1 << 1,
	CFG_ACT_STATUS = 1 << 2, /* also the service's history */
	CFG_ACT_METRICS = 1 << 3,
	CFG_ACT_HOOK = 1 << 4, /* POST /hook/<sender> */
	CFG_ACT_ALL = (1 << 5) - 1,
};

enum cfg_signature {
	CFG_SIG_NONE = 0,
	CFG_SIG_DEPLOYER, /* X-Deployer-Signature: t=..,v1=<hmac> */
	CFG_SIG_GITHUB,   /* X-Hub-Signature-256: sha256=<hmac> */
};

/* One accepted credential: the SHA-256 of the secret, never the secret. */
struct cfg_token {
	char name[CFG_TOKEN_NAME_MAX + 1];
	unsigned char sha256[32];
	char *services;   /* comma-separated fnmatch patterns; NULL: all */
	char *stacks;     /* the same for stack releases */
	unsigned actions; /* CFG_ACT_* */
	enum cfg_signature signature;
	unsigned char *hmac_key; /* owned, when signature is required; the
	                          * legacy token's: its secret, which signs
	                          * GitHub webhooks (/hook/github) only */
	size_t hmac_key_len;
};

struct config {
	char *file;               /* the file read, or NULL */
	struct cfg_token *tokens; /* owned array */
	size_t ntokens;
	char *state_dir;   /* replay store for signed requests */
	int sig_window;    /* seconds a signature's timestamp is valid */
	char *audit_file;  /* hash-chained JSON lines; NULL: none */
	int record_labels; /* write deployer.last.* labels on deploy */
	int require_allowed_images; /* deployer.allowedImages mandatory */

	char *docker_host; /* unix:///var/run/docker.sock or tcp://h:p */
	int docker_tls;    /* DOCKER_TLS / DOCKER_TLS_VERIFY non-empty */
	int docker_tls_verify;
	char *docker_cert_path; /* DOCKER_CERT_PATH; NULL = ~/.docker */
	int docker_timeout_ms;  /* every Docker call */
	int connect_timeout_ms;
	unsigned update_retries; /* read-modify-write attempts */

	int notify;        /* NOTIFY_FLAGS given */
	char *notify_addr; /* host:port */
	char *notify_tube;
	struct tpl *notify_tpl; /* for beanstalkd and the webhook */
	int notify_timeout_ms;
	char *notify_url; /* webhook receiving a JSON POST, or NULL */

	char *bind;             /* FastCGI listen address, or NULL */
	size_t max_body;        /* request bodies above this get 413 */
	int wait_max;           /* longest ?wait= accepted, seconds */
	int job_timeout;        /* a job's, without deployer.job.timeout */
	int job_timeout_max;    /* the most deployer.job.timeout may ask */
	int require_digest;     /* refuse to deploy an unresolved tag */
	char *registry_auth;    /* config.json with registry credentials */
	char *spool_dir;        /* undelivered notifications; NULL: none */
	unsigned spool_max;     /* messages the spool holds at most */
	unsigned spool_max_age; /* seconds a message may wait */
	int log_syslog;

	int allow_remote_bind;    /* FastCGI beyond loopback, explicitly */
	int audit_required;       /* 503 when the intent cannot be recorded */
	unsigned char *audit_key; /* owned: keys the audit chain, or NULL */
	size_t audit_key_len;
	unsigned audit_refused_max; /* refused-request lines per minute */
	int request_timeout_ms;     /* a FastCGI client's time to send it all */
	int delivery_ttl; /* seconds a GitHub delivery ID is refused */

	/* Where each setting came from ("file:line", "environment variable
	 * X", "default"), for --check. */
	struct cfg_source {
		const char *key;
		char where[160];
	} sources[CFG_SOURCES];
	size_t nsources;
};

/* Returns the value of an environment-like variable, or NULL. */
typedef const char *(*cfg_lookup_fn)(void *ctx, const char *name);

/* Where loading writes its one error: it names file and line (or the
 * environment variable), and never a secret. */
struct cfg_err {
	char *msg;
	size_t len;
};
int cfg_fail(struct cfg_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A setting's raw text (NULL when unset) and where it came from, for the
 * loaders of other modules (tokens, notifications). */
struct cfg_value {
	const char *val;
	const char *where;
};

/* The i-th setting's key in the file, or NULL past the last. */
const char *cfg_setting_key(size_t i);

/* 1 when name is a setting's name in the environment, or any
 * DEPLOYER_* name: a request parameter so named is never a setting. */
int cfg_is_setting_name(const char *name);

/*
 * Applies a FastCGI request parameter that names a setting to c (a copy
 * of the process's settings for this request), when it may: only
 * DEPLOYER_WAIT_MAX and DEPLOYER_MAX_BODY lower than the process's, and
 * DEPLOYER_REQUIRE_DIGEST=1, DEPLOYER_REQUIRE_ALLOWED_IMAGES=1.  Returns
 * 0, or -1 with the reason in *why.
 */
int cfg_tighten(struct config *c, const char *name, const char *value,
    const char **why);

/*
 * Builds *c from defaults, then the file at path (NULL: none; a missing
 * file is an error only when must_exist), then lookup.  On error returns
 * -1 with a message in err that names file and line and never contains a
 * secret; *c is then freed.
 */
int cfg_load(struct config *c, const char *path, int must_exist,
    cfg_lookup_fn lookup, void *ctx, char *err, size_t errlen);
void cfg_free(struct config *c);

/* The configuration file path: --config, else DEPLOYER_CONFIG, else the
 * compiled-in default. */
const char *cfg_default_path(void);

#endif
