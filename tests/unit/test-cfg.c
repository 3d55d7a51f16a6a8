/* test-cfg.c: unit tests for the settings loader */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "buf.h"
#include "cfg.h"
#include "util.h"
#include "template.h"
#include "../tap.h"

/* The Go program's README example: NOTIFY_FLAGS with a base64 template. */
#define GO_TEMPLATE \
	"IkkganVzdCBkZXBsb3llZCB7ey5BcnRpZmFjdH19IGZvciB7ey5TZXJ2aWNlTmFtZX19"

static char dir[] = "/tmp/test-cfg.XXXXXX";

/* A tiny environment: NAME=VALUE strings. */
struct env {
	const char *kv[8];
};

static const char *
lookup(void *ctx, const char *name)
{
	struct env *e = ctx;
	size_t i, n = strlen(name);

	for (i = 0; i < 8 && e->kv[i] != NULL; i++)
		if (strncmp(e->kv[i], name, n) == 0 && e->kv[i][n] == '=')
			return e->kv[i] + n + 1;
	return NULL;
}

static char *
write_file(const char *name, const char *text)
{
	static char path[4][256];
	static int slot;
	char *p = path[slot++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", dir, name);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	return p;
}

/* The token named name accepts secret tok. */
static const struct cfg_token *
find_token(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ntokens; i++)
		if (strcmp(c->tokens[i].name, name) == 0)
			return &c->tokens[i];
	return NULL;
}

static int
token_is(const struct config *c, const char *tok)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	const struct cfg_token *t = find_token(c, "default");

	SHA256((const unsigned char *)tok, strlen(tok), d);
	return t != NULL && memcmp(d, t->sha256, sizeof(d)) == 0 &&
	    t->actions == CFG_ACT_ALL && t->services == NULL;
}

static void
test_defaults(void)
{
	struct env e = {{NULL}};
	struct config c;
	char err[256];

	ok(cfg_load(&c, NULL, 0, lookup, &e, err, sizeof(err)) == 0,
	    "no file, no environment loads");
	is_str(c.docker_host, "unix:///var/run/docker.sock",
	    "default Docker socket");
	is_int(c.ntokens, 0, "no token by default");
	ok(!c.notify, "notifications off by default");
	is_int(c.max_body, 64 * 1024, "body cap 64 KiB");
	ok(c.bind == NULL, "no BIND by default");
	cfg_free(&c);
}

static void
test_environment(void)
{
	struct env e = {{"TOKEN=s3cret", "DOCKER_HOST=tcp://127.0.0.1:2376",
	    "BIND=127.0.0.1:9000", "NOTIFY_FLAGS={\"addr\": "
	    "\"beanstalk:11300\",\"tube\": \"jobs\",\"template\": \""
	    GO_TEMPLATE "\"}", NULL}};
	const char *values[NF_COUNT + 1] = {0};
	struct config c;
	struct buf out;
	char err[256];

	ok(cfg_load(&c, NULL, 0, lookup, &e, err, sizeof(err)) == 0,
	    "the Go program's variables load");
	ok(token_is(&c, "s3cret"), "TOKEN is the token");
	is_str(c.docker_host, "tcp://127.0.0.1:2376", "DOCKER_HOST");
	is_str(c.bind, "127.0.0.1:9000", "BIND");
	ok(c.notify, "NOTIFY_FLAGS enables notifications");
	is_str(c.notify_addr, "beanstalk:11300", "addr");
	is_str(c.notify_tube, "jobs", "tube");
	values[NF_ARTIFACT] = "me/blog:v1.12";
	values[NF_SERVICE_NAME] = "blog";
	buf_init(&out, 1024);
	ok(tpl_render(c.notify_tpl, values, &out) == 0, "template renders");
	is_str(buf_str(&out), "\"I just deployed me/blog:v1.12 for blog",
	    "the Go README's template renders as it did there");
	buf_free(&out);
	cfg_free(&c);
}

static void
test_file(void)
{
	struct env none = {{NULL}};
	struct env over = {{"TOKEN=from-env", "DOCKER_HOST=unix:///x.sock",
	    "DEPLOYER_WAIT_MAX=77", NULL}};
	struct config c;
	char err[256], *path, *tokfile;

	tokfile = write_file("token", "file-token\n");
	{
		char text[512];

		snprintf(text, sizeof(text),
		    "# deployer settings\n"
		    "\n"
		    "token_file = %s\n"
		    "docker_host = unix:///run/test.sock   \n"
		    "  docker_timeout=7\n"
		    "max_body = 1024\n"
		    "log = stderr\n", tokfile);
		path = write_file("good.conf", text);
	}
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == 0,
	    "a file with comments, blanks and spacing loads");
	ok(token_is(&c, "file-token"),
	    "token_file: the trailing newline is not part of the token");
	is_str(c.docker_host, "unix:///run/test.sock", "value is trimmed");
	is_int(c.docker_timeout_ms, 7000, "docker_timeout in seconds");
	is_int(c.max_body, 1024, "max_body");
	cfg_free(&c);

	ok(cfg_load(&c, path, 1, lookup, &over, err, sizeof(err)) == 0,
	    "file plus environment loads");
	ok(token_is(&c, "file-token") && c.ntokens == 1, "token_file in the "
	    "file wins over TOKEN in the environment");
	is_str(c.docker_host, "unix:///run/test.sock", "the file wins over "
	    "the environment");
	is_int(c.wait_max, 77, "the environment gives what the file does not "
	    "set");
	{
		size_t i;
		const char *dh = NULL, *wm = NULL;

		for (i = 0; i < c.nsources; i++) {
			if (strcmp(c.sources[i].key, "docker_host") == 0)
				dh = c.sources[i].where;
			if (strcmp(c.sources[i].key, "wait_max") == 0)
				wm = c.sources[i].where;
		}
		ok(dh != NULL && strstr(dh, "good.conf:4") != NULL,
		    "docker_host's origin is file:line");
		is_str(wm, "environment variable DEPLOYER_WAIT_MAX",
		    "wait_max's origin is the environment");
	}
	cfg_free(&c);
}

static void
test_errors(void)
{
	struct env none = {{NULL}};
	struct env badnotify = {{"NOTIFY_FLAGS={\"addr\":\"a:1\",\"tube\":"
	    "\"t\",\"template\":\"e3suTm9wZX19\"}", NULL}};
	struct env badjson = {{"NOTIFY_FLAGS=not json", NULL}};
	struct env badtube = {{"NOTIFY_FLAGS={\"addr\":\"a:1\",\"tube\":"
	    "\"-x\",\"template\":\"\"}", NULL}};
	struct config c;
	char err[256], *path;

	path = write_file("unknown.conf", "token = hunter2\nfrobnicate = 1\n");
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1,
	    "an unknown key is an error");
	ok(strstr(err, "unknown.conf:2:") != NULL, "the error names file "
	    "and line: %s", err);
	ok(strstr(err, "hunter2") == NULL, "the error reveals no secret");

	path = write_file("noeq.conf", "token hunter2\n");
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1 &&
	    strstr(err, "noeq.conf:1:") != NULL && strstr(err, "hunter2") ==
	    NULL, "a line without '=' is an error without the secret: %s",
	    err);

	path = write_file("twice.conf", "docker_timeout = 5\n"
	    "docker_timeout = 6\n");
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1 &&
	    strstr(err, ":2:") != NULL, "a key set twice is an error");

	path = write_file("range.conf", "docker_timeout = 0\n");
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1 &&
	    strstr(err, "range.conf:1") != NULL, "out of range: %s", err);

	path = write_file("both.conf", "token = a\ntoken_file = /x\n");
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1,
	    "token and token_file together are an error");

	path = write_file("missingtok.conf", "token_file = /nonexistent/t\n");
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1 &&
	    strstr(err, "missingtok.conf:1") != NULL,
	    "an unreadable token file is an error: %s", err);

	path = write_file("empty-token", "\n");
	{
		char text[300];

		snprintf(text, sizeof(text), "token_file = %s\n", path);
		path = write_file("emptytok.conf", text);
	}
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1,
	    "an empty token is an error");

	ok(cfg_load(&c, "/nonexistent/deployer.conf", 1, lookup, &none, err,
	    sizeof(err)) == -1, "a missing file named explicitly is an error");
	ok(cfg_load(&c, "/nonexistent/deployer.conf", 0, lookup, &none, err,
	    sizeof(err)) == 0, "a missing default file is not");
	cfg_free(&c);

	ok(cfg_load(&c, NULL, 0, lookup, &badnotify, err, sizeof(err)) == -1 &&
	    strstr(err, "Nope") != NULL,
	    "a template field that does not exist is an error: %s", err);
	ok(cfg_load(&c, NULL, 0, lookup, &badjson, err, sizeof(err)) == -1,
	    "NOTIFY_FLAGS that is not JSON is an error");
	ok(cfg_load(&c, NULL, 0, lookup, &badtube, err, sizeof(err)) == -1,
	    "an invalid tube name is an error");

	{
		struct env e = {{"DOCKER_HOST=http://x", NULL}};

		ok(cfg_load(&c, NULL, 0, lookup, &e, err, sizeof(err)) == -1,
		    "DOCKER_HOST must be unix:// or tcp://");
	}
}

/* sha256("ci-secret") and sha256("ops-secret") */
#define CI_HASH \
	"sha256:6f5cb4e36f4d8bd7b0e1f2ab9b4cc0b7e7fbb5e1c0e5b3a0c8a3f2c1d0e9f8a7"

static void
test_named_tokens(void)
{
	struct env none = {{NULL}};
	struct env legacy = {{"TOKEN=go-token", NULL}};
	const struct cfg_token *t;
	struct config c;
	char err[256], text[1024], *path, *key;

	key = write_file("hmac.key", "0123456789abcdef0123\n");
	snprintf(text, sizeof(text),
	    "token.ci = " CI_HASH " services=blog,web-* actions=deploy,status\n"
	    "token.ops = " CI_HASH "\n"
	    "token.gh = " CI_HASH " hmac_key_file=%s signature=github\n"
	    "token.signed = " CI_HASH " hmac_key_file=%s\n", key, key);
	path = write_file("tokens.conf", text);
	ok(cfg_load(&c, path, 1, lookup, &legacy, err, sizeof(err)) == 0,
	    "named tokens load: %s", err);
	is_int(c.ntokens, 5, "four named tokens and the Go program's TOKEN");
	ok(token_is(&c, "go-token"), "TOKEN is 'default' with full scope");
	t = find_token(&c, "ci");
	ok(t != NULL && t->sha256[0] == 0x6f && t->sha256[31] == 0xa7,
	    "the hash is decoded");
	is_str(t ? t->services : NULL, "blog,web-*", "service patterns");
	is_int(t ? t->actions : 0, CFG_ACT_DEPLOY | CFG_ACT_STATUS, "actions");
	t = find_token(&c, "ops");
	ok(t && t->actions == CFG_ACT_ALL && t->services == NULL &&
	    t->signature == CFG_SIG_NONE, "no options: full scope, unsigned");
	t = find_token(&c, "gh");
	ok(t && t->signature == CFG_SIG_GITHUB && t->hmac_key_len == 20,
	    "github signature with a key (newline stripped)");
	t = find_token(&c, "signed");
	ok(t && t->signature == CFG_SIG_DEPLOYER, "hmac_key_file alone means "
	    "deployer signatures");
	cfg_free(&c);

	path = write_file("clear.conf", "token.ci = hunter2\n");
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1 &&
	    strstr(err, "hunter2") == NULL && strstr(err, "clear.conf:1") !=
	    NULL, "a token in clear is refused without echoing it: %s", err);
	path = write_file("dup.conf", "token.ci = " CI_HASH "\ntoken.ci = "
	    CI_HASH "\n");
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1 &&
	    strstr(err, "dup.conf:2") != NULL, "a name defined twice");
	path = write_file("act.conf", "token.ci = " CI_HASH " actions=nuke\n");
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1,
	    "an unknown action");
	path = write_file("opt.conf", "token.ci = " CI_HASH " colour=red\n");
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1,
	    "an unknown option");
	path = write_file("sig.conf", "token.ci = " CI_HASH
	    " signature=github\n");
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1,
	    "a signature without a key");
	path = write_file("name.conf", "token.c i = " CI_HASH "\n");
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1,
	    "an invalid token name");
	key = write_file("short.key", "short\n");
	snprintf(text, sizeof(text), "token.ci = " CI_HASH
	    " hmac_key_file=%s\n", key);
	path = write_file("short.conf", text);
	ok(cfg_load(&c, path, 1, lookup, &none, err, sizeof(err)) == -1,
	    "a key shorter than 16 bytes");
}

/* FastCGI parameters may only make a request stricter. */
static void
test_tighten(void)
{
	struct env none = {{"TOKEN=t", NULL}};
	struct config c, copy;
	char err[256];
	const char *why;

	ok(cfg_load(&c, NULL, 0, lookup, &none, err, sizeof(err)) == 0,
	    "settings for cfg_tighten");
	copy = c;
	ok(cfg_tighten(&copy, "DEPLOYER_WAIT_MAX", "60", &why) == 0 &&
	    copy.wait_max == 60, "a lower wait_max applies");
	ok(cfg_tighten(&copy, "DEPLOYER_WAIT_MAX", "61", &why) == -1,
	    "a higher one is refused");
	ok(cfg_tighten(&copy, "DEPLOYER_MAX_BODY", "1000", &why) == 0 &&
	    copy.max_body == 1000, "a lower max_body applies");
	ok(cfg_tighten(&copy, "DEPLOYER_REQUIRE_ALLOWED_IMAGES", "1", &why) ==
	    0 && copy.require_allowed_images == 1,
	    "require_allowed_images=1 applies");
	ok(cfg_tighten(&copy, "DEPLOYER_REQUIRE_DIGEST", "0", &why) == -1,
	    "require_digest=0 is refused");
	ok(cfg_tighten(&copy, "DEPLOYER_REQUIRE_DIGEST", "1", &why) == 0 &&
	    copy.require_digest == 1, "require_digest=1 applies");
	ok(cfg_tighten(&copy, "TOKEN", "x", &why) == -1 &&
	    strstr(why, "never from a request") != NULL, "TOKEN is refused");
	ok(cfg_tighten(&copy, "DOCKER_HOST", "tcp://evil:1", &why) == -1,
	    "DOCKER_HOST is refused");
	ok(cfg_tighten(&copy, "DEPLOYER_AUDIT_FILE", "/tmp/x", &why) == -1,
	    "DEPLOYER_AUDIT_FILE is refused");
	ok(cfg_is_setting_name("DEPLOYER_ANYTHING") &&
	    cfg_is_setting_name("NOTIFY_FLAGS") &&
	    !cfg_is_setting_name("HTTP_AUTHORIZATION") &&
	    !cfg_is_setting_name("PATH_INFO"), "what is named like a setting");
	cfg_free(&c);
}

/* The manual and the sample file name every setting of the table. */
static void
test_documented(void)
{
	const char *top = getenv("top_srcdir"), *key, *errstr;
	const char *files[] = {"conf/deployer.conf.5.in", "conf/deployer.conf"};
	char path[4096], want[80];
	struct buf text;
	size_t i, f, missing;

	if (top == NULL)
		top = ".";
	for (f = 0; f < 2; f++) {
		snprintf(path, sizeof(path), "%s/%s", top, files[f]);
		if (file_slurp(path, &text, 1024 * 1024, &errstr) == -1) {
			ok(0, "read %s: %s", files[f], errstr);
			continue;
		}
		missing = 0;
		for (i = 0; (key = cfg_setting_key(i)) != NULL; i++) {
			/* mdoc: ".It Ic key" or ".It Ic other , key". */
			snprintf(want, sizeof(want), f == 0 ? "Ic %s " : "%s =",
			    key);
			if (strstr(buf_str(&text), want) == NULL && (f != 0 ||
			    snprintf(want, sizeof(want), ", %s ", key) < 0 ||
			    strstr(buf_str(&text), want) == NULL)) {
				printf("# %s does not document %s\n", files[f],
				    key);
				missing++;
			}
		}
		ok(missing == 0 && i > 20, "%s documents all %zu settings",
		    files[f], i);
		buf_free(&text);
	}
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	test_named_tokens();
	test_defaults();
	test_environment();
	test_file();
	test_errors();
	test_tighten();
	test_documented();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			ok(0, "clean up");
	}
	return tap_done();
}
