/* fuzz-config.c: fuzz target for the configuration file and environment */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "beanstalk.h"
#include "cfg.h"
#include "template.h"
#include "fuzz.h"

/*
 * Input: the configuration file, then optionally a NUL byte and an
 * environment block of NAME=VALUE lines that the lookup callback serves
 * (so NOTIFY_FLAGS, TOKEN and the rest are fuzzed in both places and in
 * their interplay).  The file is written to a memfd that cfg_load opens
 * as /proc/self/fd/N.
 *
 * Some settings make cfg_load open a second file (token_file,
 * hmac_key_file of a token.NAME line, notify_template_file).  To stay
 * deterministic (and never block on /dev/stdin or a FIFO) an input is
 * skipped when a line that mentions "file" or "FILE" holds a '/';
 * relative names resolve in a scratch directory made once, which holds
 * "token" (a secret of 16 bytes and a newline), "crlf", "empty", "long"
 * (past CFG_TOKEN_MAX), "nul", "template" and "badtemplate".
 *
 * Invariants: a failure leaves *c all zero with a message that contains
 * neither the token (when it is known and occurs once in the input: the
 * text may be in the message by coincidence, which a second load with
 * the token replaced tells) nor anything read from a secret file; a success
 * has every setting within its documented range, tokens with valid,
 * distinct names, a key for every signing token, and a notification
 * template that renders.
 */

#define ENV_MAX 64		/* NAME=VALUE lines looked at */
#define SECRET_MIN 8		/* shorter tokens may occur in messages */
/* What no message may show: the secret in the scratch files. */
#define FILE_SECRET "s3cret"
/* The scratch "template" file, for notify_template_file. */
#define TEMPLATE "{{.Action}} {{.Artifact}} -> {{.ServiceName}}\n"

struct env {
	char *name[ENV_MAX];
	char *val[ENV_MAX];
	size_t n;
};

static const char *
lookup(void *ctx, const char *name)
{
	const struct env *e = ctx;
	size_t i;

	/* The last definition wins, as with setenv. */
	for (i = e->n; i > 0; i--)
		if (strcmp(e->name[i - 1], name) == 0)
			return e->val[i - 1];
	return NULL;
}

static int
write_file(const char *dir, const char *name, const char *s, size_t n)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	ok = fwrite(s, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static char scratch[256];

static void
remove_scratch(void)
{
	static const char *const names[] = { "token", "crlf", "empty",
		"long", "nul", "template", "badtemplate", NULL };
	char path[512];
	size_t i;

	for (i = 0; names[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", scratch, names[i]);
		unlink(path);
	}
	rmdir(scratch);
}

/* The scratch directory and the memfd, made once. */
static int
setup(int *fdp, char *path, size_t pathlen)
{
	static int fd = -1;
	char longtok[CFG_TOKEN_MAX + 8];
	const char *tmp;

	if (fd >= 0)
		goto done;
	tmp = getenv("TMPDIR");
	snprintf(scratch, sizeof(scratch), "%s/fuzz-config.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(scratch) == NULL)
		return -1;
	memset(longtok, 'a', sizeof(longtok));
	if (write_file(scratch, "token", "s3cret-from-file\n", 17) == -1 ||
	    write_file(scratch, "crlf", "s3cret-crlf\r\n", 13) == -1 ||
	    write_file(scratch, "empty", "", 0) == -1 ||
	    write_file(scratch, "long", longtok, sizeof(longtok)) == -1 ||
	    write_file(scratch, "nul", "s3cret\0nul", 10) == -1 ||
	    write_file(scratch, "template", TEMPLATE, strlen(TEMPLATE)) == -1 ||
	    write_file(scratch, "badtemplate", "{{.Nope}}", 9) == -1)
		return -1;
	atexit(remove_scratch);
	if ((fd = memfd_create("fuzz-config", MFD_CLOEXEC)) == -1)
		return -1;
done:
	*fdp = fd;
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return 0;
}

/* 1 when a line that may name a file holds a '/'. */
static int
escapes(const char *s, size_t n)
{
	const char *line = s, *end = s + n, *nl;

	for (; line < end; line = nl + 1) {
		size_t len;

		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		len = (size_t)(nl - line);
		if ((memmem(line, len, "file", 4) != NULL ||
		    memmem(line, len, "FILE", 4) != NULL) &&
		    memchr(line, '/', len) != NULL)
			return 1;
		if (nl == end)
			break;
	}
	return 0;
}

static int
token_name_ok(const char *n)
{
	size_t len = strlen(n);

	return len >= 1 && len <= CFG_TOKEN_NAME_MAX &&
	    strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_") == len;
}

static void
check_loaded(const struct config *c, const char *path)
{
	static const char *const values[NF_COUNT] = { "me/blog:v2", "blog",
		"id", "me/blog:v2@sha256:00", "me/blog:v1", "deploy",
		"accepted", "", "0123456789abcdef", "192.0.2.1", "default",
		"2024-05-01T12:00:00Z" };
	struct buf out;

	size_t i, j;

	FUZZ_ASSERT(path != NULL ? c->file != NULL &&
	    strcmp(c->file, path) == 0 : c->file == NULL);
	FUZZ_ASSERT(c->ntokens == 0 || c->tokens != NULL);
	for (i = 0; i < c->ntokens; i++) {
		const struct cfg_token *t = &c->tokens[i];

		FUZZ_ASSERT(token_name_ok(t->name));
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(c->tokens[j].name, t->name) != 0);
		FUZZ_ASSERT(t->actions != 0 &&
		    (t->actions & ~(unsigned)CFG_ACT_ALL) == 0);
		FUZZ_ASSERT(t->signature == CFG_SIG_NONE ||
		    t->signature == CFG_SIG_DEPLOYER ||
		    t->signature == CFG_SIG_GITHUB);
		if (t->signature != CFG_SIG_NONE)
			FUZZ_ASSERT(t->hmac_key != NULL &&
			    t->hmac_key_len >= 16);
	}
	FUZZ_ASSERT(c->state_dir != NULL);
	FUZZ_ASSERT(c->sig_window >= 10 && c->sig_window <= 86400);
	FUZZ_ASSERT(c->record_labels == 0 || c->record_labels == 1);
	FUZZ_ASSERT(c->require_allowed_images == 0 ||
	    c->require_allowed_images == 1);
	FUZZ_ASSERT(c->spool_dir == NULL || c->spool_dir[0] == '/');
	FUZZ_ASSERT(c->spool_max >= 1 && c->spool_max <= 1000000);
	FUZZ_ASSERT(c->spool_max_age >= 60 &&
	    c->spool_max_age <= 365 * 86400);
	FUZZ_ASSERT(c->notify_url == NULL ||
	    strncmp(c->notify_url, "http://", 7) == 0 ||
	    strncmp(c->notify_url, "https://", 8) == 0);
	if (c->notify_url != NULL)
		FUZZ_ASSERT(c->notify_tpl != NULL);
	FUZZ_ASSERT(c->docker_host != NULL &&
	    (strncmp(c->docker_host, "unix://", 7) == 0 ||
	    strncmp(c->docker_host, "tcp://", 6) == 0));
	FUZZ_ASSERT(c->docker_tls_verify == 0 || c->docker_tls == 1);
	FUZZ_ASSERT(c->docker_timeout_ms >= 1000 &&
	    c->docker_timeout_ms <= 3600 * 1000);
	FUZZ_ASSERT(c->connect_timeout_ms > 0 &&
	    c->connect_timeout_ms <= c->docker_timeout_ms);
	FUZZ_ASSERT(c->notify_timeout_ms >= 1000 &&
	    c->notify_timeout_ms <= 300 * 1000);
	FUZZ_ASSERT(c->max_body >= 2 && c->max_body <= 1024 * 1024);
	FUZZ_ASSERT(c->update_retries >= 1 && c->update_retries <= 100);
	FUZZ_ASSERT(c->wait_max >= 0 && c->wait_max <= 86400);
	FUZZ_ASSERT(c->require_digest == 0 || c->require_digest == 1);
	FUZZ_ASSERT(c->log_syslog == 0 || c->log_syslog == 1);
	if (!c->notify) {
		FUZZ_ASSERT(c->notify_addr == NULL && c->notify_tube == NULL);
		/* A notify_template_file is compiled even when neither
		 * notify_url nor NOTIFY_FLAGS uses it. */
		if (c->notify_tpl == NULL)
			return;
		goto render;
	}
	FUZZ_ASSERT(c->notify_tpl != NULL);
	FUZZ_ASSERT(c->notify_addr != NULL && c->notify_addr[0] != '\0');
	FUZZ_ASSERT(c->notify_tube != NULL && bs_tube_valid(c->notify_tube));
render:
	/* notify.c renders into a buffer of beanstalkd's job size. */
	buf_init(&out, 65535);
	if (tpl_render(c->notify_tpl, values, &out) == -1)
		FUZZ_ASSERT(errno == EMSGSIZE);
	buf_free(&out);
}

/* Occurrences of the C string t in the n bytes at s. */
static size_t
count(const char *s, size_t n, const char *t)
{
	size_t tl = strlen(t), c = 0;
	const char *p = s, *end = s + n;

	while ((p = memmem(p, (size_t)(end - p), t, tl)) != NULL) {
		c++;
		p++;
	}
	return c;
}

/*
 * The token the input gives (TOKEN in the environment block, else
 * "token = x" in the file, with cfg.c's trimming) into buf; NULL when
 * there is none.
 */
static const char *
known_token(const char *s, size_t size, char *buf, size_t buflen)
{
	const char *end = s + size, *nul = memchr(s, '\0', size), *line, *nl;
	const char *fend = nul ? nul : end, *v, *ve;
	size_t n;

	buf[0] = '\0';
	/* The environment: the last TOKEN= line wins. */
	for (line = nul ? nul + 1 : end; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		ve = nl ? nl : end;
		if ((size_t)(ve - line) > 6 && memcmp(line, "TOKEN=", 6) == 0) {
			n = strnlen(line + 6, (size_t)(ve - line - 6));
			if (n > 0 && n < buflen) {
				memcpy(buf, line + 6, n);
				buf[n] = '\0';
			}
		}
		if (nl == NULL)
			break;
	}
	if (buf[0] != '\0')
		return buf;
	/* The file. */
	for (line = s; line < fend; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(fend - line));
		ve = nl ? nl : fend;
		/* The input is not NUL-terminated: no str*() here. */
		for (v = line; v < ve && (*v == ' ' || *v == '\t'); v++)
			;
		if (v + 5 <= ve && memcmp(v, "token", 5) == 0) {
			v += 5;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			if (v < ve && *v == '=') {
				v++;
				while (v < ve && (*v == ' ' || *v == '\t'))
					v++;
				while (ve > v && (ve[-1] == ' ' ||
				    ve[-1] == '\t' || ve[-1] == '\r'))
					ve--;
				n = (size_t)(ve - v);
				if (n > 0 && n < buflen) {
					memcpy(buf, v, n);
					buf[n] = '\0';
					return buf;
				}
			}
		}
		if (nl == NULL)
			break;
	}
	return NULL;
}

static char fdpath[64];	/* /proc/self/fd/N of the memfd */

/*
 * Runs cfg_load on the input: the file part through the memfd (unless
 * env_only), the environment block through lookup, relative paths in the
 * scratch directory.  Returns cfg_load's result, or -2 when the input
 * could not be set up.
 */
static int
load(const char *s, size_t size, int env_only, struct config *c, char *err,
    size_t errlen)
{
	const char *nul;
	char *block = NULL, *p, *nl;
	size_t flen;
	struct env e;
	int fd, rc, cwd;

	if (setup(&fd, fdpath, sizeof(fdpath)) == -1)
		return -2;	/* no scratch space: nothing to test */
	nul = memchr(s, '\0', size);
	flen = nul ? (size_t)(nul - s) : size;
	if (ftruncate(fd, 0) == -1 || pwrite(fd, s, flen, 0) != (ssize_t)flen)
		return -2;

	/* Environment block: NAME=VALUE lines after the NUL. */
	memset(&e, 0, sizeof(e));
	if (nul != NULL) {
		size_t bn = size - flen - 1;

		if ((block = malloc(bn + 1)) == NULL)
			return -2;
		memcpy(block, nul + 1, bn);
		block[bn] = '\0';
		for (p = block; *p != '\0' && e.n < ENV_MAX; p = nl + 1) {
			char *eq;

			nl = strchr(p, '\n');
			if (nl != NULL)
				*nl = '\0';
			if ((eq = strchr(p, '=')) != NULL) {
				*eq = '\0';
				e.name[e.n] = p;
				e.val[e.n++] = eq + 1;
				/* Both ways of naming are settings or not. */
				(void)cfg_is_setting_name(p);
			}
			if (nl == NULL)
				break;
		}
	}

	if ((cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    chdir(scratch) == -1) {
		if (cwd >= 0)
			close(cwd);
		free(block);
		return -2;
	}
	rc = cfg_load(c, env_only ? NULL : fdpath, !env_only, lookup, &e, err,
	    errlen);
	/* Back before any check, so that a crash leaves its artifact where
	 * libFuzzer was told. */
	FUZZ_ASSERT(fchdir(cwd) == 0);
	close(cwd);
	free(block);
	return rc;
}

/*
 * The message for a broken configuration must not show the token.  When
 * it contains the token's text, that may be a coincidence ("deployer" is
 * in a message): load the input again with the token's bytes replaced,
 * and the text must still be there.
 */
static void
check_secret(const char *s, size_t size, const char *err)
{
	char tokbuf[CFG_TOKEN_MAX + 1], err2[512], *s2;
	const char *tok, *at;
	struct config c;
	size_t tl;
	int rc;

	if ((tok = known_token(s, size, tokbuf, sizeof(tokbuf))) == NULL ||
	    (tl = strlen(tok)) < SECRET_MIN || strstr(err, tok) == NULL ||
	    count(s, size, tok) != 1 || strstr(fdpath, tok) != NULL)
		return;
	at = memmem(s, size, tok, tl);
	FUZZ_ASSERT(at != NULL && (s2 = malloc(size)) != NULL);
	memcpy(s2, s, size);
	memset(s2 + (at - s), tok[0] == 'Q' ? 'R' : 'Q', tl);
	rc = load(s2, size, 0, &c, err2, sizeof(err2));
	if (rc == 0)
		cfg_free(&c);
	FUZZ_ASSERT(rc != -1 || strstr(err2, tok) != NULL);
	free(s2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct config zero;
	const char *s = (const char *)data;
	struct config c;
	char err[512];
	int rc;

	if (escapes(s, size))
		return 0;
	memset(err, 'x', sizeof(err));
	memset(&c, 0xa5, sizeof(c));
	if ((rc = load(s, size, 0, &c, err, sizeof(err))) == -2)
		return 0;
	if (rc == 0) {
		check_loaded(&c, fdpath);
		cfg_free(&c);
		FUZZ_ASSERT(memcmp(&c, &zero, sizeof(c)) == 0);
	} else {
		FUZZ_ASSERT(rc == -1);
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_ASSERT(err[0] != '\0');
		FUZZ_ASSERT(memcmp(&c, &zero, sizeof(c)) == 0);
		check_secret(s, size, err);
		if (memmem(s, size, FILE_SECRET, strlen(FILE_SECRET)) == NULL)
			FUZZ_ASSERT(strstr(err, FILE_SECRET) == NULL);
	}

	/* No file at all: only the environment. */
	if (load(s, size, 1, &c, err, sizeof(err)) == 0) {
		check_loaded(&c, NULL);
		cfg_free(&c);
	}
	return 0;
}
