/* admin.c: the modes that do one job for an operator and exit */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "admin.h"
#include "audit.h"
#include "beanstalk.h"
#include "buf.h"
#include "cfg.h"
#include "docker.h"
#include "job.h"
#include "health.h"
#include "log.h"
#include "notify.h"
#include "request.h"
#include "replay.h"
#include "spool.h"
#include "stack.h"
#include "template.h"
#include "token.h"
#include "util.h"

/* deployer --hash-token: the configuration line for a new token. */
int
admin_hash_token(const char *name)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	char tok[CFG_TOKEN_MAX + 2], hex[2 * SHA256_DIGEST_LENGTH + 1];
	size_t n;

	if (!token_name_valid(name)) {
		fprintf(stderr,
		    "deployer: token names are 1-%d of A-Za-z0-9_-\n",
		    CFG_TOKEN_NAME_MAX);
		return 2;
	}
	if (fgets(tok, sizeof(tok), stdin) == NULL) {
		fprintf(stderr, "deployer: no token on standard input\n");
		return 2;
	}
	n = strcspn(tok, "\r\n");
	if (n == 0 || n > CFG_TOKEN_MAX) {
		fprintf(stderr, "deployer: a token is 1 to %d bytes\n",
		    CFG_TOKEN_MAX);
		wipe(tok, sizeof(tok));
		return 2;
	}
	/* A hash is only as strong as the secret: 128 bits at least, e.g.
	 * openssl rand -hex 16. */
	if (n < 32)
		fprintf(stderr,
		    "deployer: warning: a token shorter than 32 "
		    "characters may be guessed; use openssl rand -hex 32\n");
	sha256(tok, n, d);
	wipe(tok, sizeof(tok));
	hex_encode(d, sizeof(d), hex);
	printf("token.%s = sha256:%s\n", name, hex);
	return 0;
}

/* deployer --verify-audit FILE [--key KEYFILE] */
int
admin_verify_audit(const char *path, const char *key_path)
{
	struct audit_report r;
	struct buf key;
	const char *errstr;
	size_t keylen = 0;
	int rc;

	buf_init(&key, 4096);
	if (key_path != NULL) {
		if (file_slurp(key_path, &key, 4096, &errstr) == -1) {
			fprintf(stderr, "deployer: %s: %s\n", key_path, errstr);
			return 2;
		}
		keylen = key.len;
		while (keylen > 0 &&
		    (key.data[keylen - 1] == '\n' ||
		        key.data[keylen - 1] == '\r'))
			keylen--;
	}
	rc = audit_verify(path, key_path ? (unsigned char *)key.data : NULL,
	    keylen, &r);
	if (key.data != NULL)
		wipe(key.data, key.len);
	buf_free(&key);
	if (rc == -1) {
		fprintf(stderr, "deployer: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (r.bad > 0) {
		const char *hint = "";

		if (key_path != NULL)
			hint = ", or recomputed without the key";
		else if (r.keyed)
			hint = "; the chain is keyed: give --key";
		printf("%s:%ld: the hash chain is broken here (line edited, "
		       "inserted, removed, reordered or incomplete%s)\n",
		    path, r.bad, hint);
		return 1;
	}
	printf("%s: %ld lines, hash chain intact%s", path, r.lines,
	    key_path ? " (keyed)" : "");
	if (r.torn > 0)
		printf("; %ld line(s) torn by a crash while writing, closed "
		       "by the next record",
		    r.torn);
	if (r.intents > 0)
		printf("; %ld intent(s) without an outcome (a process ended "
		       "between the Docker write and its answer)",
		    r.intents);
	printf("\n");
	return 0;
}

/* What the periodic timer also tidies in the swarm: the jobs and job
 * locks of processes that died, and expired entries of the replay store
 * when a token signs its requests. */
static void
housekeeping(const struct config *cfg)
{
	struct docker d;
	struct docker_err e;
	size_t i;
	int n;

	memset(&d, 0, sizeof(d));
	memset(&e, 0, sizeof(e));
	if ((n = job_reap(&d, cfg, &e)) >= 0)
		log_info("flush-spool: %d left-over jobs and job locks removed",
		    n);
	else
		log_warnx("flush-spool: cannot look for left-over jobs: %s",
		    e.msg);
	if ((n = stack_reap(&d, cfg, &e)) >= 0)
		log_info("flush-spool: %d left-over stack locks removed", n);
	else
		log_warnx("flush-spool: cannot look for left-over stack locks: "
		          "%s",
		    e.msg);
	for (i = 0; i < cfg->ntokens; i++)
		if (cfg->tokens[i].signature != CFG_SIG_NONE)
			break;
	if (i < cfg->ntokens) {
		if ((n = replay_prune(&d, cfg, &e)) >= 0)
			log_info("flush-spool: %d expired replay entries "
			         "removed",
			    n);
		else
			log_warnx("flush-spool: cannot prune the replay "
			          "store: %s",
			    e.msg);
	}
	docker_close(&d);
}

/* deployer --flush-spool, for a timer or cron. */
int
admin_flush_spool(const struct config *cfg)
{
	struct bs_put_args a;
	struct spool s;
	const char *why;
	unsigned sent;
	int waiting;

	housekeeping(cfg);
	if (!cfg->notify) {
		log_warnx("flush-spool: notifications are not configured "
		          "(NOTIFY_FLAGS)");
		return 1;
	}
	notify_args(cfg, &a);
	spool_init(cfg, &a, &s);
	if ((waiting = spool_flush(&s, &sent, &why)) == -1) {
		log_warnx("flush-spool: %s", why);
		return 1;
	}
	log_info("flush-spool: %u delivered, %d waiting", sent, waiting);
	/* EX_TEMPFAIL: beanstalkd is still away; the timer tries again. */
	return waiting == 0 ? 0 : 75;
}

static int
line(int good, const char *what, const char *detail)
{
	printf("%-4s %-10s %s\n", good ? "ok" : "FAIL", what, detail);
	return good ? 0 : 1;
}

/* Where each setting that is not a default came from. */
static void
print_sources(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nsources; i++)
		if (strcmp(cfg->sources[i].where, "default") != 0)
			printf("     %-10s %s = from %s\n", "setting",
			    cfg->sources[i].key, cfg->sources[i].where);
}

/* Docker: reachable, its API version, a swarm manager. */
static int
check_docker(const struct config *cfg, struct docker *d)
{
	struct docker_err e;
	char state[32], msg[600];
	int manager;

	if (docker_prepare(d, cfg, &e) == -1 || docker_ping(d, &e) == -1) {
		snprintf(msg, sizeof(msg), "%s: %s", cfg->docker_host, e.msg);
		return line(0, "docker", msg);
	}
	if (docker_info(d, &e, state, sizeof(state), &manager) == -1)
		return line(0, "docker", e.msg);
	snprintf(msg, sizeof(msg), "%s, API %s, swarm %s%s", cfg->docker_host,
	    d->version, state, manager ? ", manager" : "");
	if (manager)
		return line(1, "docker", msg);
	line(0, "docker", "not a swarm manager: updates would fail with 503");
	printf("           (%s)\n", msg);
	return 1;
}

/* beanstalkd takes the tube, and the template renders sample values. */
static int
check_notify(const struct config *cfg)
{
	static const char *const values[NF_COUNT + 1] = {
		[NF_ARTIFACT] = "registry.example.com/team/app:v1.2",
		[NF_SERVICE_NAME] = "app",
		[NF_SERVICE_ID] = "abcdefghijklmnopqrstuvwxy",
		[NF_IMAGE] =
		    "registry.example.com/team/app:v1.2@sha256:"
		    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
		    "abcdef",
		[NF_PREVIOUS_IMAGE] = "registry.example.com/team/app:v1.1",
		[NF_ACTION] = "deploy",
		[NF_STATE] = "completed",
		[NF_MESSAGE] = "update completed",
		[NF_REQUEST_ID] = "0123456789abcdef",
		[NF_REMOTE_ADDR] = "192.0.2.1",
		[NF_TOKEN_NAME] = "ci",
		[NF_TIME] = "2026-01-01T00:00:00Z",
		[NF_STACK] = "",
	};
	struct bs_put_args a;
	const char *errstr;
	char msg[600];
	struct buf out;
	int failed;

	if (!cfg->notify)
		return line(1, "notify", "off (no NOTIFY_FLAGS)");
	notify_args(cfg, &a);
	failed = bs_check(&a, &errstr) == -1;
	snprintf(msg, sizeof(msg), "%s tube %s%s%s", cfg->notify_addr,
	    cfg->notify_tube, failed ? ": " : "", failed ? errstr : "");
	failed |= line(!failed, "beanstalkd", msg);
	buf_init(&out, NOTIFY_BODY_MAX);
	if (tpl_render_err(cfg->notify_tpl, values, &out, msg, sizeof(msg)) ==
	    -1)
		failed |= line(0, "template", msg);
	else
		printf("ok   template   renders: %s\n", buf_str(&out));
	buf_free(&out);
	return failed;
}

int
admin_check(const struct config *cfg, const char *path, const char *cfg_error,
    struct docker *d)
{
	struct storage_check st[3];
	char msg[600];
	size_t i, nst;
	int failed = 0;

	if (cfg_error != NULL)
		return line(0, "config", cfg_error);
	failed |= line(1, "config", path);
	print_sources(cfg);
	nst = health_storage(cfg, st);
	for (i = 0; i < nst; i++) {
		snprintf(msg, sizeof(msg), "%s", st[i].path);
		failed |=
		    line(st[i].ok, st[i].what, st[i].ok ? msg : st[i].why);
	}
	snprintf(msg, sizeof(msg), "%zu token(s)", cfg->ntokens);
	failed |= line(cfg->ntokens > 0, "tokens",
	    cfg->ntokens ? msg
	                 : "none configured: every request would be refused");
	failed |= check_docker(cfg, d);
	failed |= check_notify(cfg);
	return failed;
}
