/* cfg.c: settings from the configuration file and the environment */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "notify.h"
#include "token.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

/* A configuration file is small; anything larger is a mistake. */
#define CFG_FILE_MAX (256 * 1024)
#define CFG_LINE_MAX 8192

const char *const notify_fields[NF_COUNT + 1] = {
	[NF_ARTIFACT] = "Artifact",
	[NF_SERVICE_NAME] = "ServiceName",
	[NF_SERVICE_ID] = "ServiceID",
	[NF_IMAGE] = "Image",
	[NF_PREVIOUS_IMAGE] = "PreviousImage",
	[NF_ACTION] = "Action",
	[NF_STATE] = "State",
	[NF_MESSAGE] = "Message",
	[NF_REQUEST_ID] = "RequestID",
	[NF_REMOTE_ADDR] = "RemoteAddr",
	[NF_TOKEN_NAME] = "TokenName",
	[NF_TIME] = "Time",
	[NF_STACK] = "Stack",
	[NF_JOB_STATE] = "JobState",
	[NF_JOB_EXIT_CODE] = "JobExitCode",
	[NF_COUNT] = NULL,
};

/* How a setting's text becomes a field of struct config. */
enum kind {
	K_TEXT, /* a copy (char *), or the default */
	K_INT,  /* a number into an int, times scale */
	K_UINT, /* into an unsigned */
	K_SIZE, /* into a size_t */
	K_OWN,  /* read by a function of its own (below) */
};

/* What a FastCGI request's parameter may do to it (cfg_tighten). */
enum tighten {
	T_NEVER = 0,
	T_LOWER, /* a smaller number than the process's */
	T_ONE,   /* 1, when it is a 0/1 switch */
};

#define NUM(k, field, def, lo, hi, scale) \
	k, offsetof(struct config, field), def, lo, hi, scale, NULL
#define TEXT(field, def) K_TEXT, offsetof(struct config, field), 0, 0, 0, 1, def
#define OWN K_OWN, 0, 0, 0, 0, 1, NULL

/* The settings, in the order --check lists them. */
enum setting {
	S_TOKEN,
	S_TOKEN_FILE,
	S_DOCKER_HOST,
	S_DOCKER_TLS,
	S_DOCKER_TLS_VERIFY,
	S_DOCKER_CERT_PATH,
	S_DOCKER_TIMEOUT,
	S_UPDATE_RETRIES,
	S_REGISTRY_AUTH,
	S_REQUIRE_DIGEST,
	S_WAIT_MAX,
	S_JOB_TIMEOUT,
	S_JOB_TIMEOUT_MAX,
	S_NOTIFY_FLAGS,
	S_NOTIFY_TIMEOUT,
	S_NOTIFY_URL,
	S_NOTIFY_TEMPLATE_FILE,
	S_SPOOL_DIR,
	S_SPOOL_MAX,
	S_SPOOL_MAX_AGE,
	S_STATE_DIR,
	S_SIGNATURE_WINDOW,
	S_GITHUB_DELIVERY_TTL,
	S_AUDIT_FILE,
	S_AUDIT_KEY_FILE,
	S_AUDIT_REQUIRED,
	S_AUDIT_REFUSED_MAX,
	S_RECORD_LABELS,
	S_REQUIRE_ALLOWED_IMAGES,
	S_BIND,
	S_ALLOW_REMOTE_BIND,
	S_REQUEST_TIMEOUT,
	S_MAX_BODY,
	S_LOG,
	S_COUNT
};

/*
 * Every setting: its key in the file, its name in the environment, how
 * it is stored, its default and bounds, and whether a request may make
 * it stricter.  Parsing, defaults, --check's origins and the manual's
 * list (tests/unit/test-cfg checks it) all come from this one table.
 */
static const struct setting_def {
	const char *key; /* in the file */
	const char *env; /* in the environment */
	enum kind kind;
	size_t off;             /* the field in struct config */
	uint64_t def, min, max; /* numbers, in the setting's unit */
	unsigned scale;         /* field = value * scale (seconds to ms) */
	const char *text_def;   /* K_TEXT's default, or NULL */
	enum tighten tighten;
} settings[S_COUNT] = {
	[S_TOKEN] = { "token", "TOKEN", OWN, T_NEVER },
	[S_TOKEN_FILE] = { "token_file", "TOKEN_FILE", OWN, T_NEVER },
	[S_DOCKER_HOST] = { "docker_host", "DOCKER_HOST",
	    TEXT(docker_host, "unix:///var/run/docker.sock"), T_NEVER },
	[S_DOCKER_TLS] = { "docker_tls", "DOCKER_TLS", OWN, T_NEVER },
	[S_DOCKER_TLS_VERIFY] = { "docker_tls_verify", "DOCKER_TLS_VERIFY", OWN,
	    T_NEVER },
	[S_DOCKER_CERT_PATH] = { "docker_cert_path", "DOCKER_CERT_PATH",
	    TEXT(docker_cert_path, NULL), T_NEVER },
	[S_DOCKER_TIMEOUT] = { "docker_timeout", "DEPLOYER_DOCKER_TIMEOUT",
	    NUM(K_INT, docker_timeout_ms, 30, 1, 3600, 1000), T_NEVER },
	[S_UPDATE_RETRIES] = { "update_retries", "DEPLOYER_UPDATE_RETRIES",
	    NUM(K_UINT, update_retries, 5, 1, 100, 1), T_NEVER },
	[S_REGISTRY_AUTH] = { "registry_auth", "DEPLOYER_REGISTRY_AUTH",
	    TEXT(registry_auth, NULL), T_NEVER },
	[S_REQUIRE_DIGEST] = { "require_digest", "DEPLOYER_REQUIRE_DIGEST",
	    NUM(K_INT, require_digest, 0, 0, 1, 1), T_ONE },
	[S_WAIT_MAX] = { "wait_max", "DEPLOYER_WAIT_MAX",
	    NUM(K_INT, wait_max, 900, 0, 86400, 1), T_LOWER },
	[S_JOB_TIMEOUT] = { "job_timeout", "DEPLOYER_JOB_TIMEOUT",
	    NUM(K_INT, job_timeout, 300, 1, 86400, 1), T_NEVER },
	[S_JOB_TIMEOUT_MAX] = { "job_timeout_max", "DEPLOYER_JOB_TIMEOUT_MAX",
	    NUM(K_INT, job_timeout_max, 3600, 1, 86400, 1), T_NEVER },
	[S_NOTIFY_FLAGS] = { "notify_flags", "NOTIFY_FLAGS", OWN, T_NEVER },
	[S_NOTIFY_TIMEOUT] = { "notify_timeout", "DEPLOYER_NOTIFY_TIMEOUT",
	    NUM(K_INT, notify_timeout_ms, 5, 1, 300, 1000), T_NEVER },
	[S_NOTIFY_URL] = { "notify_url", "DEPLOYER_NOTIFY_URL", OWN, T_NEVER },
	[S_NOTIFY_TEMPLATE_FILE] = { "notify_template_file",
	    "DEPLOYER_NOTIFY_TEMPLATE_FILE", OWN, T_NEVER },
	[S_SPOOL_DIR] = { "spool_dir", "DEPLOYER_SPOOL_DIR", OWN, T_NEVER },
	[S_SPOOL_MAX] = { "spool_max", "DEPLOYER_SPOOL_MAX",
	    NUM(K_UINT, spool_max, 1000, 1, 1000000, 1), T_NEVER },
	[S_SPOOL_MAX_AGE] = { "spool_max_age", "DEPLOYER_SPOOL_MAX_AGE",
	    NUM(K_UINT, spool_max_age, 7 * 86400, 60, 365 * 86400, 1),
	    T_NEVER },
	[S_STATE_DIR] = { "state_dir", "DEPLOYER_STATE_DIR",
	    TEXT(state_dir, LOCALSTATEDIR "/lib/deployer"), T_NEVER },
	[S_SIGNATURE_WINDOW] = { "signature_window",
	    "DEPLOYER_SIGNATURE_WINDOW",
	    NUM(K_INT, sig_window, 300, 10, 86400, 1), T_NEVER },
	/* GitHub redelivers for three days; a day more for clock skew. */
	[S_GITHUB_DELIVERY_TTL] = { "github_delivery_ttl",
	    "DEPLOYER_GITHUB_DELIVERY_TTL",
	    NUM(K_INT, delivery_ttl, 4 * 86400, 60, 365 * 86400, 1), T_NEVER },
	[S_AUDIT_FILE] = { "audit_file", "DEPLOYER_AUDIT_FILE",
	    TEXT(audit_file, NULL), T_NEVER },
	[S_AUDIT_KEY_FILE] = { "audit_key_file", "DEPLOYER_AUDIT_KEY_FILE", OWN,
	    T_NEVER },
	[S_AUDIT_REQUIRED] = { "audit_required", "DEPLOYER_AUDIT_REQUIRED",
	    NUM(K_INT, audit_required, 0, 0, 1, 1), T_NEVER },
	[S_AUDIT_REFUSED_MAX] = { "audit_refused_max",
	    "DEPLOYER_AUDIT_REFUSED_MAX",
	    NUM(K_UINT, audit_refused_max, 60, 0, 1000000, 1), T_NEVER },
	[S_RECORD_LABELS] = { "record_labels", "DEPLOYER_RECORD_LABELS",
	    NUM(K_INT, record_labels, 0, 0, 1, 1), T_NEVER },
	[S_REQUIRE_ALLOWED_IMAGES] = { "require_allowed_images",
	    "DEPLOYER_REQUIRE_ALLOWED_IMAGES",
	    NUM(K_INT, require_allowed_images, 0, 0, 1, 1), T_ONE },
	[S_BIND] = { "bind", "BIND", TEXT(bind, NULL), T_NEVER },
	[S_ALLOW_REMOTE_BIND] = { "allow_remote_bind",
	    "DEPLOYER_ALLOW_REMOTE_BIND",
	    NUM(K_INT, allow_remote_bind, 0, 0, 1, 1), T_NEVER },
	[S_REQUEST_TIMEOUT] = { "request_timeout", "DEPLOYER_REQUEST_TIMEOUT",
	    NUM(K_INT, request_timeout_ms, 10, 1, 3600, 1000), T_NEVER },
	[S_MAX_BODY] = { "max_body", "DEPLOYER_MAX_BODY",
	    NUM(K_SIZE, max_body, CFG_MAX_BODY_DEFAULT, 2, 1024 * 1024, 1),
	    T_LOWER },
	[S_LOG] = { "log", "DEPLOYER_LOG", OWN, T_NEVER },
};

_Static_assert(S_COUNT <= CFG_SOURCES, "CFG_SOURCES is too small");

/* A raw value and where it came from, for messages. */
struct raw {
	char *val;       /* owned */
	char where[320]; /* "file:line" or "environment variable X" */
};

/* Named tokens ("token.NAME = sha256:... options") are only in files. */
#define CFG_TOKENS_MAX 64

struct loader {
	struct raw v[S_COUNT];
	struct raw named[CFG_TOKENS_MAX];
	size_t nnamed;
	struct cfg_err e;
};

int
cfg_fail(struct cfg_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, e->len, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
cfg_setting_key(size_t i)
{
	return i < S_COUNT ? settings[i].key : NULL;
}

int
cfg_is_setting_name(const char *name)
{
	size_t i;

	if (strncmp(name, "DEPLOYER_", 9) == 0)
		return 1;
	for (i = 0; i < S_COUNT; i++)
		if (strcmp(name, settings[i].env) == 0)
			return 1;
	return 0;
}

/* The field of c that setting s is stored in, by its kind. */
#define FIELD(c, s, type) ((type *)(void *)((char *)(c) + (s)->off))

static uint64_t
get_num(const struct config *c, const struct setting_def *s)
{
	const char *p = (const char *)c + s->off;

	switch (s->kind) {
	case K_INT:
		return (uint64_t) * (const int *)(const void *)p / s->scale;
	case K_UINT:
		return *(const unsigned *)(const void *)p / s->scale;
	case K_SIZE:
		return *(const size_t *)(const void *)p / s->scale;
	default:
		return 0;
	}
}

static void
set_num(struct config *c, const struct setting_def *s, uint64_t v)
{
	v *= s->scale;
	if (s->kind == K_INT)
		*FIELD(c, s, int) = (int)v;
	else if (s->kind == K_UINT)
		*FIELD(c, s, unsigned) = (unsigned)v;
	else if (s->kind == K_SIZE)
		*FIELD(c, s, size_t) = (size_t)v;
}

/*
 * The settings a web server may still pass per request (FastCGI
 * parameters), each only in the direction that makes the process
 * stricter: a lower wait_max or max_body, require_digest = 1,
 * require_allowed_images = 1.
 */
int
cfg_tighten(struct config *c, const char *name, const char *value,
    const char **why)
{
	const struct setting_def *s = NULL;
	const char *errstr;
	uint64_t n;
	size_t i;

	for (i = 0; i < S_COUNT; i++)
		if (strcmp(name, settings[i].env) == 0)
			s = &settings[i];
	*why = "settings come from the configuration file or the process "
	       "environment, never from a request";
	if (s == NULL || s->tighten == T_NEVER)
		return -1;
	if (s->tighten == T_ONE) {
		*why = "may only be 1 (the stricter value)";
		if (strcmp(value, "1") != 0)
			return -1;
		set_num(c, s, 1);
		return 0;
	}
	*why = s->off == offsetof(struct config, wait_max)
	    ? "may only lower the process's wait_max"
	    : "may only lower the process's max_body";
	if (parse_u64(value, s->min, get_num(c, s), &n, &errstr) == -1)
		return -1;
	set_num(c, s, n);
	return 0;
}

const char *
cfg_default_path(void)
{
	const char *p = getenv("DEPLOYER_CONFIG");

	if (p != NULL && *p != '\0')
		return p;
	return SYSCONFDIR "/deployer.conf";
}

/* Keeps a copy of a raw value; -1 (with the error) when out of memory. */
static int
raw_set(struct loader *l, struct raw *r, const char *val, size_t n,
    const char *where)
{
	if (r->val != NULL) {
		wipe(r->val, strlen(r->val));
		free(r->val);
	}
	snprintf(r->where, sizeof(r->where), "%s", where);
	if ((r->val = strndup(val, n)) == NULL)
		return cfg_fail(&l->e, "out of memory");
	return 0;
}

static char *
trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (
	    end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

/* Keeps "NAME value" of a token.NAME line for build_tokens(). */
static int
add_named(struct loader *l, const char *name, const char *val,
    const char *where)
{
	char line[CFG_LINE_MAX + CFG_TOKEN_NAME_MAX + 2];
	size_t i;

	if (!token_name_valid(name))
		return cfg_fail(&l->e,
		    "%s: invalid token name (1-%d of A-Za-z0-9_-)", where,
		    CFG_TOKEN_NAME_MAX);
	for (i = 0; i < l->nnamed; i++) {
		size_t n = strcspn(l->named[i].val, " ");

		if (n == strlen(name) && memcmp(l->named[i].val, name, n) == 0)
			return cfg_fail(&l->e,
			    "%s: token '%s' is defined twice", where, name);
	}
	if (l->nnamed == CFG_TOKENS_MAX)
		return cfg_fail(&l->e, "%s: more than %d tokens", where,
		    CFG_TOKENS_MAX);
	snprintf(line, sizeof(line), "%s %s", name, val);
	return raw_set(l, &l->named[l->nnamed++], line, strlen(line), where);
}

/* One "key = value" line of the file (where is "file:line"). */
static int
file_setting(struct loader *l, const char *key, const char *val,
    const char *where, int seen[S_COUNT])
{
	size_t i;

	if (strncmp(key, "token.", 6) == 0)
		return add_named(l, key + 6, val, where);
	for (i = 0; i < S_COUNT; i++)
		if (strcmp(key, settings[i].key) == 0)
			break;
	if (i == S_COUNT) {
		/* A key that does not look like one may be a pasted secret:
		 * name it only when it is a plain word. */
		if (strlen(key) <= 32 &&
		    strspn(key, "abcdefghijklmnopqrstuvwxyz_") == strlen(key))
			return cfg_fail(&l->e, "%s: unknown setting '%s'",
			    where, key);
		return cfg_fail(&l->e, "%s: unknown setting", where);
	}
	if (seen[i])
		return cfg_fail(&l->e, "%s: '%s' is set twice", where, key);
	seen[i] = 1;
	return raw_set(l, &l->v[i], val, strlen(val), where);
}

static int
read_file(struct loader *l, const char *path, int must_exist)
{
	struct buf text;
	const char *errstr;
	int seen[S_COUNT] = { 0 }, rc = -1;
	char *line, *next, *end;
	unsigned lineno = 0;

	if (file_slurp(path, &text, CFG_FILE_MAX, &errstr) == -1) {
		if (!must_exist && errno == ENOENT)
			return 0;
		return cfg_fail(&l->e, "%s: %s", path, errstr);
	}
	if (memchr(buf_str(&text), '\0', text.len) != NULL) {
		cfg_fail(&l->e, "%s: contains a NUL byte", path);
		goto out;
	}
	for (line = text.data; line != NULL && *line != '\0'; line = next) {
		char *eq, *key, *val, where[320];

		lineno++;
		end = strchr(line, '\n');
		next = end ? end + 1 : NULL;
		if (end == NULL)
			end = line + strlen(line);
		if ((size_t)(end - line) > CFG_LINE_MAX) {
			cfg_fail(&l->e, "%s:%u: line too long", path, lineno);
			goto out;
		}
		*end = '\0';
		key = trim(line, end);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			cfg_fail(&l->e, "%s:%u: expected 'key = value'", path,
			    lineno);
			goto out;
		}
		val = trim(eq + 1, eq + 1 + strlen(eq + 1));
		key = trim(key, eq);
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (file_setting(l, key, val, where, seen) == -1)
			goto out;
	}
	if (l->v[S_TOKEN].val != NULL && l->v[S_TOKEN_FILE].val != NULL) {
		cfg_fail(&l->e,
		    "%s: set either 'token' or 'token_file', not both", path);
		goto out;
	}
	rc = 0;
out:
	if (text.data != NULL)
		wipe(text.data, text.len);
	buf_free(&text);
	return rc;
}

/*
 * The environment gives what the file does not set: the file is the
 * operator's word on everything it names.  A token in the file (token or
 * token_file) shuts out both TOKEN and TOKEN_FILE from the environment.
 */
static int
read_env(struct loader *l, cfg_lookup_fn lookup, void *ctx)
{
	char where[320];
	const char *v;
	size_t i;
	int file_token =
	    l->v[S_TOKEN].val != NULL || l->v[S_TOKEN_FILE].val != NULL;

	for (i = 0; i < S_COUNT; i++) {
		if (l->v[i].val != NULL ||
		    (file_token && (i == S_TOKEN || i == S_TOKEN_FILE)))
			continue;
		if ((v = lookup(ctx, settings[i].env)) == NULL || *v == '\0')
			continue;
		snprintf(where, sizeof(where), "environment variable %s",
		    settings[i].env);
		if (raw_set(l, &l->v[i], v, strlen(v), where) == -1)
			return -1;
	}
	if (l->v[S_TOKEN].val != NULL && l->v[S_TOKEN_FILE].val != NULL) {
		/* Both from the environment: TOKEN is the Go program's. */
		free(l->v[S_TOKEN_FILE].val);
		l->v[S_TOKEN_FILE].val = NULL;
	}
	return 0;
}

/* Records where each setting came from, for --check. */
static void
record_sources(struct config *c, const struct loader *l)
{
	size_t i;

	for (i = 0; i < S_COUNT && i < CFG_SOURCES; i++) {
		c->sources[i].key = settings[i].key;
		snprintf(c->sources[i].where, sizeof(c->sources[i].where), "%s",
		    l->v[i].val ? l->v[i].where : "default");
	}
	c->nsources = i;
}

/* The setting's raw value as a struct cfg_value. */
static struct cfg_value
value_of(const struct loader *l, size_t s)
{
	struct cfg_value v = { l->v[s].val, l->v[s].where };

	return v;
}

/* The settings of the table's K_TEXT and number kinds. */
static int
build_table(struct config *c, struct loader *l)
{
	const struct setting_def *s;
	const struct raw *r;
	const char *errstr;
	uint64_t n;
	size_t i;

	for (i = 0; i < S_COUNT; i++) {
		s = &settings[i];
		r = &l->v[i];
		if (s->kind == K_OWN)
			continue;
		if (s->kind == K_TEXT) {
			const char *v = r->val ? r->val : s->text_def;

			if (v != NULL &&
			    (*FIELD(c, s, char *) = strdup(v)) == NULL)
				return cfg_fail(&l->e, "out of memory");
			continue;
		}
		n = s->def;
		if (r->val != NULL &&
		    parse_u64(r->val, s->min, s->max, &n, &errstr) == -1)
			return cfg_fail(&l->e,
			    "%s: %s: %s (allowed: %llu to "
			    "%llu)",
			    r->where, s->key, errstr,
			    (unsigned long long)s->min,
			    (unsigned long long)s->max);
		set_num(c, s, n);
	}
	return 0;
}

/* Tokens: TOKEN or token_file, then the file's named tokens. */
static int
build_tokens(struct config *c, struct loader *l)
{
	const struct raw *t = &l->v[S_TOKEN], *f = &l->v[S_TOKEN_FILE];
	size_t i;

	if (t->val != NULL &&
	    token_add_legacy(c, t->val, strlen(t->val), t->where, &l->e) == -1)
		return -1;
	if (t->val == NULL && f->val != NULL &&
	    token_add_file(c, f->val, f->where, &l->e) == -1)
		return -1;
	for (i = 0; i < l->nnamed; i++)
		if (token_add_named(c, l->named[i].val, l->named[i].where,
		        &l->e) == -1)
			return -1;
	return 0;
}

/* Docker: the host's scheme, TLS as the docker CLI reads it. */
static int
build_docker(struct config *c, struct loader *l)
{
	if (strncmp(c->docker_host, "unix://", 7) != 0 &&
	    strncmp(c->docker_host, "tcp://", 6) != 0)
		return cfg_fail(&l->e,
		    "%s: DOCKER_HOST must start with "
		    "unix:// or tcp://",
		    l->v[S_DOCKER_HOST].where);
	/* TLS is on when either variable is non-empty (even "0");
	 * verification only with DOCKER_TLS_VERIFY. */
	c->docker_tls = l->v[S_DOCKER_TLS].val != NULL ||
	    l->v[S_DOCKER_TLS_VERIFY].val != NULL;
	c->docker_tls_verify = l->v[S_DOCKER_TLS_VERIFY].val != NULL;
	/* The CLI's default certificate directory. */
	if (c->docker_tls && c->docker_cert_path == NULL && getenv("HOME") &&
	    asprintf(&c->docker_cert_path, "%s/.docker", getenv("HOME")) ==
	        -1) {
		c->docker_cert_path = NULL;
		return cfg_fail(&l->e, "out of memory");
	}
	/* Connecting never takes longer than 5 s, nor than a whole call. */
	c->connect_timeout_ms =
	    c->docker_timeout_ms < 5000 ? c->docker_timeout_ms : 5000;
	return 0;
}

/* The spool ("off", or a directory made when first needed), the audit
 * key, the log target. */
static int
build_rest(struct config *c, struct loader *l)
{
	const struct raw *sp = &l->v[S_SPOOL_DIR], *k = &l->v[S_AUDIT_KEY_FILE];
	const char *lg = l->v[S_LOG].val, *why;

	if (sp->val == NULL || strcmp(sp->val, "off") != 0) {
		c->spool_dir =
		    strdup(sp->val ? sp->val : LOCALSTATEDIR "/spool/deployer");
		if (c->spool_dir == NULL)
			return cfg_fail(&l->e, "out of memory");
		if (c->spool_dir[0] != '/')
			return cfg_fail(&l->e,
			    "%s: spool_dir must be an "
			    "absolute path",
			    sp->where);
	}
	if (c->audit_required && c->audit_file == NULL)
		return cfg_fail(&l->e, "%s: audit_required needs audit_file",
		    l->v[S_AUDIT_REQUIRED].where);
	if (k->val != NULL &&
	    secret_file_load(k->val, &c->audit_key, &c->audit_key_len, &why) ==
	        -1)
		return cfg_fail(&l->e, "%s: audit_key_file %s: %s", k->where,
		    k->val, why);
	if (lg == NULL || strcmp(lg, "stderr") == 0)
		c->log_syslog = 0;
	else if (strcmp(lg, "syslog") == 0)
		c->log_syslog = 1;
	else
		return cfg_fail(&l->e, "%s: log must be 'stderr' or 'syslog'",
		    l->v[S_LOG].where);
	return 0;
}

static int
build(struct config *c, struct loader *l)
{
	struct cfg_value flags = value_of(l, S_NOTIFY_FLAGS);
	struct cfg_value url = value_of(l, S_NOTIFY_URL);
	struct cfg_value tpl = value_of(l, S_NOTIFY_TEMPLATE_FILE);

	if (build_table(c, l) == -1 || build_tokens(c, l) == -1 ||
	    notify_configure(c, &flags, &url, &tpl, &l->e) == -1 ||
	    build_docker(c, l) == -1)
		return -1;
	return build_rest(c, l);
}

int
cfg_load(struct config *c, const char *path, int must_exist,
    cfg_lookup_fn lookup, void *ctx, char *err, size_t errlen)
{
	struct loader l;
	size_t i;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	memset(&l, 0, sizeof(l));
	l.e.msg = err;
	l.e.len = errlen;
	if (path != NULL) {
		rc = read_file(&l, path, must_exist);
		if (rc == 0 && (c->file = strdup(path)) == NULL)
			rc = cfg_fail(&l.e, "out of memory");
	}
	if (rc == 0 && lookup != NULL)
		rc = read_env(&l, lookup, ctx);
	if (rc == 0)
		rc = build(c, &l);
	if (rc == 0)
		record_sources(c, &l);
	for (i = 0; i < S_COUNT; i++) {
		if (l.v[i].val != NULL) {
			wipe(l.v[i].val, strlen(l.v[i].val));
			free(l.v[i].val);
		}
	}
	for (i = 0; i < l.nnamed; i++)
		free(l.named[i].val);
	if (rc == -1)
		cfg_free(c);
	return rc;
}

void
cfg_free(struct config *c)
{
	token_free_all(c);
	free(c->file);
	free(c->state_dir);
	free(c->audit_file);
	free(c->docker_host);
	free(c->docker_cert_path);
	free(c->notify_addr);
	free(c->notify_tube);
	free(c->notify_url);
	tpl_free(c->notify_tpl);
	free(c->bind);
	free(c->registry_auth);
	free(c->spool_dir);
	if (c->audit_key != NULL) {
		wipe(c->audit_key, c->audit_key_len);
		free(c->audit_key);
	}
	wipe(c, sizeof(*c));
	memset(c, 0, sizeof(*c));
}
