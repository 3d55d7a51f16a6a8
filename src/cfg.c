/* cfg.c: settings from the configuration file and the environment */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/sha.h>

#include "beanstalk.h"
#include "buf.h"
#include "cfg.h"
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
/* NOTIFY_FLAGS holds a base64 template of at most 64 KiB. */
#define CFG_NOTIFY_MAX (96 * 1024)

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
	[NF_COUNT] = NULL,
};

/* One setting: its key in the file, its name in the environment. */
enum setting {
	S_TOKEN, S_TOKEN_FILE, S_DOCKER_HOST, S_DOCKER_TLS, S_DOCKER_TLS_VERIFY,
	S_DOCKER_CERT_PATH, S_DOCKER_TIMEOUT, S_NOTIFY_FLAGS, S_NOTIFY_TIMEOUT,
	S_BIND, S_MAX_BODY, S_LOG, S_UPDATE_RETRIES, S_WAIT_MAX,
	S_REQUIRE_DIGEST, S_REGISTRY_AUTH, S_SPOOL_DIR, S_SPOOL_MAX,
	S_SPOOL_MAX_AGE, S_STATE_DIR, S_SIG_WINDOW, S_AUDIT_FILE,
	S_RECORD_LABELS, S_REQUIRE_ALLOWED, S_NOTIFY_URL, S_NOTIFY_TEMPLATE_FILE,
	S_ALLOW_REMOTE_BIND, S_AUDIT_REQUIRED, S_AUDIT_KEY_FILE,
	S_AUDIT_REFUSED_MAX, S_REQUEST_TIMEOUT, S_DELIVERY_TTL,
	S_COUNT
};

static const struct {
	const char *key;	/* in the file */
	const char *env;	/* in the environment */
} settings[S_COUNT] = {
	[S_TOKEN] = {"token", "TOKEN"},
	[S_TOKEN_FILE] = {"token_file", "TOKEN_FILE"},
	[S_DOCKER_HOST] = {"docker_host", "DOCKER_HOST"},
	[S_DOCKER_TLS] = {"docker_tls", "DOCKER_TLS"},
	[S_DOCKER_TLS_VERIFY] = {"docker_tls_verify", "DOCKER_TLS_VERIFY"},
	[S_DOCKER_CERT_PATH] = {"docker_cert_path", "DOCKER_CERT_PATH"},
	[S_DOCKER_TIMEOUT] = {"docker_timeout", "DEPLOYER_DOCKER_TIMEOUT"},
	[S_NOTIFY_FLAGS] = {"notify_flags", "NOTIFY_FLAGS"},
	[S_NOTIFY_TIMEOUT] = {"notify_timeout", "DEPLOYER_NOTIFY_TIMEOUT"},
	[S_BIND] = {"bind", "BIND"},
	[S_MAX_BODY] = {"max_body", "DEPLOYER_MAX_BODY"},
	[S_LOG] = {"log", "DEPLOYER_LOG"},
	[S_UPDATE_RETRIES] = {"update_retries", "DEPLOYER_UPDATE_RETRIES"},
	[S_WAIT_MAX] = {"wait_max", "DEPLOYER_WAIT_MAX"},
	[S_REQUIRE_DIGEST] = {"require_digest", "DEPLOYER_REQUIRE_DIGEST"},
	[S_REGISTRY_AUTH] = {"registry_auth", "DEPLOYER_REGISTRY_AUTH"},
	[S_SPOOL_DIR] = {"spool_dir", "DEPLOYER_SPOOL_DIR"},
	[S_SPOOL_MAX] = {"spool_max", "DEPLOYER_SPOOL_MAX"},
	[S_SPOOL_MAX_AGE] = {"spool_max_age", "DEPLOYER_SPOOL_MAX_AGE"},
	[S_STATE_DIR] = {"state_dir", "DEPLOYER_STATE_DIR"},
	[S_SIG_WINDOW] = {"signature_window", "DEPLOYER_SIGNATURE_WINDOW"},
	[S_AUDIT_FILE] = {"audit_file", "DEPLOYER_AUDIT_FILE"},
	[S_RECORD_LABELS] = {"record_labels", "DEPLOYER_RECORD_LABELS"},
	[S_REQUIRE_ALLOWED] = {"require_allowed_images",
	    "DEPLOYER_REQUIRE_ALLOWED_IMAGES"},
	[S_NOTIFY_URL] = {"notify_url", "DEPLOYER_NOTIFY_URL"},
	[S_NOTIFY_TEMPLATE_FILE] = {"notify_template_file",
	    "DEPLOYER_NOTIFY_TEMPLATE_FILE"},
	[S_ALLOW_REMOTE_BIND] = {"allow_remote_bind",
	    "DEPLOYER_ALLOW_REMOTE_BIND"},
	[S_AUDIT_REQUIRED] = {"audit_required", "DEPLOYER_AUDIT_REQUIRED"},
	[S_AUDIT_KEY_FILE] = {"audit_key_file", "DEPLOYER_AUDIT_KEY_FILE"},
	[S_AUDIT_REFUSED_MAX] = {"audit_refused_max",
	    "DEPLOYER_AUDIT_REFUSED_MAX"},
	[S_REQUEST_TIMEOUT] = {"request_timeout", "DEPLOYER_REQUEST_TIMEOUT"},
	[S_DELIVERY_TTL] = {"github_delivery_ttl",
	    "DEPLOYER_GITHUB_DELIVERY_TTL"},
};

/* A raw value and where it came from, for messages. */
struct raw {
	char *val;		/* owned */
	char where[320];	/* "file:line" or "environment variable X" */
};

/* Named tokens ("token.NAME = sha256:... options") are only in files. */
#define CFG_TOKENS_MAX 64

struct loader {
	struct raw v[S_COUNT];
	struct raw named[CFG_TOKENS_MAX];
	size_t nnamed;
	char *err;
	size_t errlen;
};

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
	const char *errstr;
	uint64_t n;
	int *flag = NULL;

	if (strcmp(name, settings[S_WAIT_MAX].env) == 0) {
		if (parse_u64(value, 0, (uint64_t)c->wait_max, &n,
		    &errstr) == -1) {
			*why = "may only lower the process's wait_max";
			return -1;
		}
		c->wait_max = (int)n;
		return 0;
	}
	if (strcmp(name, settings[S_MAX_BODY].env) == 0) {
		if (parse_u64(value, 2, c->max_body, &n, &errstr) == -1) {
			*why = "may only lower the process's max_body";
			return -1;
		}
		c->max_body = (size_t)n;
		return 0;
	}
	if (strcmp(name, settings[S_REQUIRE_DIGEST].env) == 0)
		flag = &c->require_digest;
	else if (strcmp(name, settings[S_REQUIRE_ALLOWED].env) == 0)
		flag = &c->require_allowed_images;
	if (flag != NULL) {
		if (strcmp(value, "1") != 0) {
			*why = "may only be 1 (the stricter value)";
			return -1;
		}
		*flag = 1;
		return 0;
	}
	*why = "settings come from the configuration file or the process "
	    "environment, never from a request";
	return -1;
}

const char *
cfg_default_path(void)
{
	const char *p = getenv("DEPLOYER_CONFIG");

	if (p != NULL && *p != '\0')
		return p;
	return SYSCONFDIR "/deployer.conf";
}

static int
fail(struct loader *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct loader *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, l->errlen, fmt, ap);
	va_end(ap);
	return -1;
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
		return fail(l, "out of memory");
	return 0;
}

static char *
trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

int
cfg_token_name_valid(const char *n)
{
	size_t i, len = strlen(n);

	if (len == 0 || len > CFG_TOKEN_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' &&
		    n[i] <= 'Z') || (n[i] >= '0' && n[i] <= '9') ||
		    n[i] == '-' || n[i] == '_'))
			return 0;
	return 1;
}

/* Keeps "NAME value" of a token.NAME line for build_tokens(). */
static int
add_named(struct loader *l, const char *name, const char *val,
    const char *where)
{
	char line[CFG_LINE_MAX + CFG_TOKEN_NAME_MAX + 2];
	size_t i;

	if (!cfg_token_name_valid(name))
		return fail(l, "%s: invalid token name (1-%d of A-Za-z0-9_-)",
		    where, CFG_TOKEN_NAME_MAX);
	for (i = 0; i < l->nnamed; i++) {
		size_t n = strcspn(l->named[i].val, " ");

		if (n == strlen(name) && memcmp(l->named[i].val, name, n) == 0)
			return fail(l, "%s: token '%s' is defined twice", where,
			    name);
	}
	if (l->nnamed == CFG_TOKENS_MAX)
		return fail(l, "%s: more than %d tokens", where,
		    CFG_TOKENS_MAX);
	snprintf(line, sizeof(line), "%s %s", name, val);
	return raw_set(l, &l->named[l->nnamed++], line, strlen(line), where);
}

static int
read_file(struct loader *l, const char *path, int must_exist)
{
	struct buf text;
	const char *errstr;
	int seen[S_COUNT] = {0}, rc = -1;
	char *line, *next, *end;
	unsigned lineno = 0;
	size_t i;

	if (file_slurp(path, &text, CFG_FILE_MAX, &errstr) == -1) {
		if (!must_exist && errno == ENOENT)
			return 0;
		return fail(l, "%s: %s", path, errstr);
	}
	if (memchr(buf_str(&text), '\0', text.len) != NULL) {
		fail(l, "%s: contains a NUL byte", path);
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
			fail(l, "%s:%u: line too long", path, lineno);
			goto out;
		}
		*end = '\0';
		key = trim(line, end);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			fail(l, "%s:%u: expected 'key = value'", path, lineno);
			goto out;
		}
		val = trim(eq + 1, eq + 1 + strlen(eq + 1));
		key = trim(key, eq);
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (strncmp(key, "token.", 6) == 0) {
			if (add_named(l, key + 6, val, where) == -1)
				goto out;
			continue;
		}
		for (i = 0; i < S_COUNT; i++)
			if (strcmp(key, settings[i].key) == 0)
				break;
		if (i == S_COUNT) {
			/* A key that does not look like one may be a pasted
			 * secret: name it only when it is a plain word. */
			if (strlen(key) <= 32 && strspn(key,
			    "abcdefghijklmnopqrstuvwxyz_") == strlen(key))
				fail(l, "%s: unknown setting '%s'", where, key);
			else
				fail(l, "%s: unknown setting", where);
			goto out;
		}
		if (seen[i]) {
			fail(l, "%s: '%s' is set twice", where, key);
			goto out;
		}
		seen[i] = 1;
		if (raw_set(l, &l->v[i], val, strlen(val), where) == -1)
			goto out;
	}
	if (l->v[S_TOKEN].val != NULL && l->v[S_TOKEN_FILE].val != NULL) {
		fail(l, "%s: set either 'token' or 'token_file', not both",
		    path);
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
	int file_token = l->v[S_TOKEN].val != NULL ||
	    l->v[S_TOKEN_FILE].val != NULL;

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
		snprintf(c->sources[i].where, sizeof(c->sources[i].where),
		    "%s", l->v[i].val ? l->v[i].where : "default");
	}
	c->nsources = i;
}

/* Appends a token to c->tokens; the caller fills it. */
static struct cfg_token *
new_token(struct config *c, struct loader *l, const char *name,
    const char *where)
{
	struct cfg_token *t;
	size_t i;

	for (i = 0; i < c->ntokens; i++)
		if (strcmp(c->tokens[i].name, name) == 0) {
			fail(l, "%s: token '%s' is defined twice", where, name);
			return NULL;
		}
	t = realloc(c->tokens, (c->ntokens + 1) * sizeof(*t));
	if (t == NULL) {
		fail(l, "out of memory");
		return NULL;
	}
	c->tokens = t;
	t = &c->tokens[c->ntokens++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->actions = CFG_ACT_ALL;
	return t;
}

/* The Go program's single TOKEN: a token named "default" that may do
 * everything. */
static int
set_legacy_token(struct config *c, struct loader *l, const char *tok,
    size_t n, const char *where)
{
	struct cfg_token *t;

	if (n == 0)
		return fail(l, "%s: the token is empty", where);
	if (n > CFG_TOKEN_MAX)
		return fail(l, "%s: the token is longer than %d bytes", where,
		    CFG_TOKEN_MAX);
	if (memchr(tok, '\0', n) != NULL)
		return fail(l, "%s: the token contains a NUL byte", where);
	if ((t = new_token(c, l, "default", where)) == NULL)
		return -1;
	sha256(tok, n, t->sha256);
	return 0;
}

static int
load_token(struct config *c, struct loader *l)
{
	struct raw *t = &l->v[S_TOKEN], *f = &l->v[S_TOKEN_FILE];
	struct buf text;
	const char *errstr;
	size_t n;
	int rc;

	if (t->val != NULL)
		return set_legacy_token(c, l, t->val, strlen(t->val),
		    t->where);
	if (f->val == NULL)
		return 0;
	if (file_slurp(f->val, &text, CFG_TOKEN_MAX + 2, &errstr) == -1)
		return fail(l, "%s: token file %s: %s", f->where, f->val,
		    errstr);
	/* A trailing newline (echo, Docker secrets) is not part of it. */
	n = text.len;
	if (n > 0 && text.data[n - 1] == '\n')
		n--;
	if (n > 0 && text.data[n - 1] == '\r')
		n--;
	rc = set_legacy_token(c, l, buf_str(&text), n, f->val);
	wipe(text.data, text.len);
	buf_free(&text);
	return rc;
}

static int
parse_actions(const char *v, unsigned *out)
{
	char word[16];
	size_t n;

	*out = 0;
	while (*v != '\0') {
		n = strcspn(v, ",");
		if (n == 0 || n >= sizeof(word))
			return -1;
		memcpy(word, v, n);
		word[n] = '\0';
		if (strcmp(word, "deploy") == 0)
			*out |= CFG_ACT_DEPLOY;
		else if (strcmp(word, "rollback") == 0)
			*out |= CFG_ACT_ROLLBACK;
		else if (strcmp(word, "status") == 0)
			*out |= CFG_ACT_STATUS;
		else if (strcmp(word, "metrics") == 0)
			*out |= CFG_ACT_METRICS;
		else
			return -1;
		v += n;
		if (*v == ',')
			v++;
	}
	return *out ? 0 : -1;
}

/* A secret key from a file (a trailing newline is not part of it). */
static int
load_key(struct loader *l, const char *path, const char *what,
    const char *where, unsigned char **key, size_t *keylen)
{
	struct buf text;
	const char *errstr;
	size_t n;

	if (file_slurp(path, &text, 4096, &errstr) == -1)
		return fail(l, "%s: %s %s: %s", where, what, path, errstr);
	n = text.len;
	while (n > 0 && (text.data[n - 1] == '\n' || text.data[n - 1] == '\r'))
		n--;
	if (n < 16) {
		wipe(text.data, text.len);
		buf_free(&text);
		return fail(l, "%s: %s %s: a key needs at least 16 bytes",
		    where, what, path);
	}
	*key = (unsigned char *)buf_take(&text, NULL);
	*keylen = n;
	return *key ? 0 : fail(l, "out of memory");
}

static int
load_hmac_key(struct cfg_token *t, struct loader *l, const char *path,
    const char *where)
{
	return load_key(l, path, "hmac_key_file", where, &t->hmac_key,
	    &t->hmac_key_len);
}

/*
 * "NAME sha256:<64 hex> [services=a,b-*] [actions=deploy,status]
 *  [hmac_key_file=/path] [signature=deployer|github]"
 */
static int
parse_named(struct config *c, struct loader *l, struct raw *r)
{
	char *p = r->val, *word, *eq, *save = NULL;
	struct cfg_token *t;

	word = strtok_r(p, " \t", &save);
	if (word == NULL || (t = new_token(c, l, word, r->where)) == NULL)
		return -1;
	word = strtok_r(NULL, " \t", &save);
	if (word == NULL || strncmp(word, "sha256:", 7) != 0 ||
	    strlen(word) != 7 + 64)
		return fail(l, "%s: token.%s must start with sha256:<64 hex "
		    "digits> (see deployer --hash-token)", r->where, t->name);
	if (hex_decode(word + 7, sizeof(t->sha256), 0, t->sha256) == -1)
		return fail(l, "%s: token.%s: the hash must be 64 lowercase "
		    "hex digits", r->where, t->name);
	while ((word = strtok_r(NULL, " \t", &save)) != NULL) {
		if ((eq = strchr(word, '=')) == NULL || eq[1] == '\0')
			return fail(l, "%s: token.%s: expected option=value, "
			    "got '%.40s'", r->where, t->name, word);
		*eq++ = '\0';
		if (strcmp(word, "services") == 0) {
			free(t->services);
			if ((t->services = strdup(eq)) == NULL)
				return fail(l, "out of memory");
		} else if (strcmp(word, "actions") == 0) {
			if (parse_actions(eq, &t->actions) == -1)
				return fail(l, "%s: token.%s: actions are "
				    "deploy, rollback, status, metrics", r->where,
				    t->name);
		} else if (strcmp(word, "hmac_key_file") == 0) {
			/* A second key would leak the first, unwiped. */
			if (t->hmac_key != NULL)
				return fail(l, "%s: token.%s: hmac_key_file is "
				    "given twice", r->where, t->name);
			if (load_hmac_key(t, l, eq, r->where) == -1)
				return -1;
			if (t->signature == CFG_SIG_NONE)
				t->signature = CFG_SIG_DEPLOYER;
		} else if (strcmp(word, "signature") == 0) {
			if (strcmp(eq, "deployer") == 0)
				t->signature = CFG_SIG_DEPLOYER;
			else if (strcmp(eq, "github") == 0)
				t->signature = CFG_SIG_GITHUB;
			else
				return fail(l, "%s: token.%s: signature is "
				    "deployer or github", r->where, t->name);
		} else
			return fail(l, "%s: token.%s: unknown option '%.40s'",
			    r->where, t->name, word);
	}
	if (t->signature != CFG_SIG_NONE && t->hmac_key == NULL)
		return fail(l, "%s: token.%s: a signature needs hmac_key_file",
		    r->where, t->name);
	return 0;
}

static int
load_tokens(struct config *c, struct loader *l)
{
	size_t i;

	if (load_token(c, l) == -1)
		return -1;
	for (i = 0; i < l->nnamed; i++)
		if (parse_named(c, l, &l->named[i]) == -1)
			return -1;
	return 0;
}

static int
parse_num(struct loader *l, enum setting s, uint64_t min, uint64_t max,
    uint64_t *out)
{
	const char *errstr;

	if (l->v[s].val == NULL)
		return 0;
	if (parse_u64(l->v[s].val, min, max, out, &errstr) == -1)
		return fail(l, "%s: %s: %s (allowed: %llu to %llu)",
		    l->v[s].where, settings[s].key, errstr,
		    (unsigned long long)min, (unsigned long long)max);
	return 0;
}

static int
load_notify(struct config *c, struct loader *l)
{
	struct raw *r = &l->v[S_NOTIFY_FLAGS];
	const cJSON *item;
	cJSON *root;
	struct buf tpl;
	char tplerr[256];
	const char *addr = NULL, *tube = NULL, *b64 = NULL;

	if (r->val == NULL)
		return 0;
	if (strlen(r->val) > CFG_NOTIFY_MAX)
		return fail(l, "%s: NOTIFY_FLAGS is too long", r->where);
	if ((root = cJSON_Parse(r->val)) == NULL || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return fail(l, "%s: NOTIFY_FLAGS is not a JSON object",
		    r->where);
	}
	cJSON_ArrayForEach(item, root) {
		const char *k = item->string;

		if (!cJSON_IsString(item)) {
			fail(l, "%s: NOTIFY_FLAGS: \"%.40s\" must be a string",
			    r->where, k);
			cJSON_Delete(root);
			return -1;
		}
		if (strcmp(k, "addr") == 0)
			addr = item->valuestring;
		else if (strcmp(k, "tube") == 0)
			tube = item->valuestring;
		else if (strcmp(k, "template") == 0)
			b64 = item->valuestring;
		else {
			fail(l, "%s: NOTIFY_FLAGS: unknown key \"%.40s\" "
			    "(expected addr, tube, template)", r->where, k);
			cJSON_Delete(root);
			return -1;
		}
	}
	if (addr == NULL || *addr == '\0' || tube == NULL || b64 == NULL) {
		cJSON_Delete(root);
		return fail(l, "%s: NOTIFY_FLAGS needs \"addr\", \"tube\" and "
		    "\"template\"", r->where);
	}
	if (!bs_tube_valid(tube)) {
		cJSON_Delete(root);
		return fail(l, "%s: NOTIFY_FLAGS: invalid beanstalkd tube name",
		    r->where);
	}
	buf_init(&tpl, strlen(b64));
	if (base64_decode(b64, strlen(b64), &tpl) == -1) {
		buf_free(&tpl);
		cJSON_Delete(root);
		return fail(l, "%s: NOTIFY_FLAGS: \"template\" is not valid "
		    "base64", r->where);
	}
	c->notify_tpl = tpl_compile(buf_str(&tpl), tpl.len, notify_fields,
	    tplerr, sizeof(tplerr));
	buf_free(&tpl);
	if (c->notify_tpl == NULL) {
		cJSON_Delete(root);
		return fail(l, "%s: NOTIFY_FLAGS: template: %s", r->where,
		    tplerr);
	}
	c->notify_addr = strdup(addr);
	c->notify_tube = strdup(tube);
	c->notify = 1;
	cJSON_Delete(root);
	if (c->notify_addr == NULL || c->notify_tube == NULL)
		return fail(l, "out of memory");
	return 0;
}

/* The webhook's template when NOTIFY_FLAGS gives none: a file, or a
 * plain sentence (which the webhook wraps as {"text": ...}). */
#define DEFAULT_TEMPLATE "{{.Action}} of {{.Image}} to {{.ServiceName}}: " \
	"{{.State}} ({{.TokenName}}, request {{.RequestID}})"

static int
load_webhook(struct config *c, struct loader *l)
{
	struct raw *u = &l->v[S_NOTIFY_URL], *f = &l->v[S_NOTIFY_TEMPLATE_FILE];
	struct buf text;
	const char *errstr, *src = DEFAULT_TEMPLATE;
	size_t n = strlen(DEFAULT_TEMPLATE);
	char tplerr[256];

	if (u->val != NULL) {
		if (strncmp(u->val, "http://", 7) != 0 &&
		    strncmp(u->val, "https://", 8) != 0)
			return fail(l, "%s: notify_url must be an http:// or "
			    "https:// URL", u->where);
		if ((c->notify_url = strdup(u->val)) == NULL)
			return fail(l, "out of memory");
	}
	if (f->val == NULL && (c->notify_tpl != NULL || c->notify_url == NULL))
		return 0;
	if (f->val != NULL && c->notify_tpl != NULL)
		return fail(l, "%s: notify_template_file and the template in "
		    "NOTIFY_FLAGS exclude each other", f->where);
	buf_init(&text, 64 * 1024);
	if (f->val != NULL) {
		if (file_slurp(f->val, &text, 64 * 1024, &errstr) == -1)
			return fail(l, "%s: %s: %s", f->where, f->val, errstr);
		src = buf_str(&text);
		n = text.len;
	}
	c->notify_tpl = tpl_compile(src, n, notify_fields, tplerr,
	    sizeof(tplerr));
	buf_free(&text);
	if (c->notify_tpl == NULL)
		return fail(l, "%s: template: %s", f->val ? f->where :
		    "default template", tplerr);
	return 0;
}

static int
dup_setting(struct loader *l, enum setting s, char **out, const char *def)
{
	const char *v = l->v[s].val ? l->v[s].val : def;

	if (v == NULL)
		return 0;
	if ((*out = strdup(v)) == NULL)
		return fail(l, "out of memory");
	return 0;
}

/* The settings that guard the trust boundary: listening, the audit
 * trail, request deadlines, signature deliveries. */
static int
build_guards(struct config *c, struct loader *l)
{
	struct raw *k = &l->v[S_AUDIT_KEY_FILE];
	uint64_t n;

	n = 0;
	if (parse_num(l, S_ALLOW_REMOTE_BIND, 0, 1, &n) == -1)
		return -1;
	c->allow_remote_bind = (int)n;
	n = 0;
	if (parse_num(l, S_AUDIT_REQUIRED, 0, 1, &n) == -1)
		return -1;
	c->audit_required = (int)n;
	if (c->audit_required && c->audit_file == NULL)
		return fail(l, "%s: audit_required needs audit_file",
		    l->v[S_AUDIT_REQUIRED].where);
	if (k->val != NULL && load_key(l, k->val, "audit_key_file", k->where,
	    &c->audit_key, &c->audit_key_len) == -1)
		return -1;
	n = 60;
	if (parse_num(l, S_AUDIT_REFUSED_MAX, 0, 1000000, &n) == -1)
		return -1;
	c->audit_refused_max = (unsigned)n;
	n = 10;
	if (parse_num(l, S_REQUEST_TIMEOUT, 1, 3600, &n) == -1)
		return -1;
	c->request_timeout_ms = (int)n * 1000;
	/* GitHub redelivers for three days; a day more for clock skew. */
	n = 4 * 86400;
	if (parse_num(l, S_DELIVERY_TTL, 60, 365 * 86400, &n) == -1)
		return -1;
	c->delivery_ttl = (int)n;
	return 0;
}

static int
build(struct config *c, struct loader *l)
{
	uint64_t n;
	const char *lg;

	if (load_tokens(c, l) == -1 || load_notify(c, l) == -1 ||
	    load_webhook(c, l) == -1)
		return -1;
	if (dup_setting(l, S_DOCKER_HOST, &c->docker_host,
	    "unix:///var/run/docker.sock") == -1 ||
	    dup_setting(l, S_DOCKER_CERT_PATH, &c->docker_cert_path,
	    NULL) == -1 ||
	    dup_setting(l, S_BIND, &c->bind, NULL) == -1)
		return -1;
	if (strncmp(c->docker_host, "unix://", 7) != 0 &&
	    strncmp(c->docker_host, "tcp://", 6) != 0)
		return fail(l, "%s: DOCKER_HOST must start with unix:// or "
		    "tcp://", l->v[S_DOCKER_HOST].where);
	/* As the docker CLI: TLS is on when either variable is non-empty
	 * (even "0"); verification only with DOCKER_TLS_VERIFY. */
	c->docker_tls = l->v[S_DOCKER_TLS].val != NULL ||
	    l->v[S_DOCKER_TLS_VERIFY].val != NULL;
	c->docker_tls_verify = l->v[S_DOCKER_TLS_VERIFY].val != NULL;
	/* The CLI's default certificate directory. */
	if (c->docker_tls && c->docker_cert_path == NULL && getenv("HOME") &&
	    asprintf(&c->docker_cert_path, "%s/.docker", getenv("HOME")) == -1) {
		c->docker_cert_path = NULL;
		return fail(l, "out of memory");
	}

	n = 30;
	if (parse_num(l, S_DOCKER_TIMEOUT, 1, 3600, &n) == -1)
		return -1;
	c->docker_timeout_ms = (int)n * 1000;
	c->connect_timeout_ms = c->docker_timeout_ms < 5000 ?
	    c->docker_timeout_ms : 5000;
	n = 5;
	if (parse_num(l, S_NOTIFY_TIMEOUT, 1, 300, &n) == -1)
		return -1;
	c->notify_timeout_ms = (int)n * 1000;
	n = 64 * 1024;
	if (parse_num(l, S_MAX_BODY, 2, 1024 * 1024, &n) == -1)
		return -1;
	c->max_body = (size_t)n;
	n = 5;
	if (parse_num(l, S_UPDATE_RETRIES, 1, 100, &n) == -1)
		return -1;
	c->update_retries = (unsigned)n;

	n = 900;
	if (parse_num(l, S_WAIT_MAX, 0, 86400, &n) == -1)
		return -1;
	c->wait_max = (int)n;
	n = 0;
	if (parse_num(l, S_REQUIRE_DIGEST, 0, 1, &n) == -1)
		return -1;
	c->require_digest = (int)n;
	if (dup_setting(l, S_REGISTRY_AUTH, &c->registry_auth, NULL) == -1)
		return -1;

	/* "off" turns the spool off; the directory is made (0700) when a
	 * message first has to wait in it. */
	if (l->v[S_SPOOL_DIR].val == NULL ||
	    strcmp(l->v[S_SPOOL_DIR].val, "off") != 0) {
		if (dup_setting(l, S_SPOOL_DIR, &c->spool_dir,
		    LOCALSTATEDIR "/spool/deployer") == -1)
			return -1;
		if (c->spool_dir[0] != '/')
			return fail(l, "%s: spool_dir must be an absolute path",
			    l->v[S_SPOOL_DIR].where);
	}
	n = 1000;
	if (parse_num(l, S_SPOOL_MAX, 1, 1000000, &n) == -1)
		return -1;
	c->spool_max = (unsigned)n;
	n = 7 * 86400;
	if (parse_num(l, S_SPOOL_MAX_AGE, 60, 365 * 86400, &n) == -1)
		return -1;
	c->spool_max_age = (unsigned)n;

	if (dup_setting(l, S_STATE_DIR, &c->state_dir,
	    LOCALSTATEDIR "/lib/deployer") == -1 ||
	    dup_setting(l, S_AUDIT_FILE, &c->audit_file, NULL) == -1)
		return -1;
	n = 300;
	if (parse_num(l, S_SIG_WINDOW, 10, 86400, &n) == -1)
		return -1;
	c->sig_window = (int)n;
	n = 0;
	if (parse_num(l, S_RECORD_LABELS, 0, 1, &n) == -1)
		return -1;
	c->record_labels = (int)n;
	n = 0;
	if (parse_num(l, S_REQUIRE_ALLOWED, 0, 1, &n) == -1)
		return -1;
	c->require_allowed_images = (int)n;

	lg = l->v[S_LOG].val;
	if (lg == NULL || strcmp(lg, "stderr") == 0)
		c->log_syslog = 0;
	else if (strcmp(lg, "syslog") == 0)
		c->log_syslog = 1;
	else
		return fail(l, "%s: log must be 'stderr' or 'syslog'",
		    l->v[S_LOG].where);
	return build_guards(c, l);
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
	l.err = err;
	l.errlen = errlen;
	if (path != NULL) {
		rc = read_file(&l, path, must_exist);
		if (rc == 0 && (c->file = strdup(path)) == NULL)
			rc = fail(&l, "out of memory");
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
	size_t i;

	for (i = 0; i < c->ntokens; i++) {
		free(c->tokens[i].services);
		if (c->tokens[i].hmac_key != NULL) {
			wipe(c->tokens[i].hmac_key, c->tokens[i].hmac_key_len);
			free(c->tokens[i].hmac_key);
		}
	}
	free(c->tokens);
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
