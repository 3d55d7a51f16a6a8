/* main.c: options, settings, and the request loop */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "audit.h"
#include "auth.h"
#include "cfg.h"
#include "deploy.h"
#include "health.h"
#include "docker.h"
#include "io.h"
#include "log.h"
#include "notify.h"
#include "request.h"
#include "respond.h"
#include "route.h"
#include "spool.h"
#include "status.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static const char usage_text[] =
"usage: deployer [--config FILE] [--listen ADDRESS]\n"
"       deployer [--config FILE] --check\n"
"       deployer [--config FILE] --flush-spool\n"
"       deployer --hash-token[=NAME] < token\n"
"       deployer --verify-audit FILE\n"
"       deployer --help | --version\n"
"\n"
"Runs as a CGI program (one request) or, when its standard input is a\n"
"listening socket or --listen/BIND names an address, as a FastCGI\n"
"server.\n"
"\n"
"  -c, --config FILE     configuration file (default: $DEPLOYER_CONFIG,\n"
"                        else " SYSCONFDIR "/deployer.conf)\n"
"  -l, --listen ADDRESS  serve FastCGI on unix:/path or host:port\n"
"      --check           check the settings, Docker, beanstalkd and the\n"
"                        template, one line each (0: all pass)\n"
"      --flush-spool     deliver spooled notifications, then exit\n"
"                        (0: the spool is empty, 75: some still wait)\n"
"      --hash-token[=NAME]\n"
"                        read a token on standard input and print the\n"
"                        token.NAME line for the configuration file\n"
"      --verify-audit FILE\n"
"                        check the audit file's hash chain (0: intact)\n"
"  -h, --help            show this help\n"
"  -V, --version         show the version\n";

static const char *
env_lookup(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/* fds 0-2 must be open, or a later open() lands on one of them. */
static void
sanitize_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", O_RDWR) != fd)
			_exit(1);
	}
}

/* 0 when systemd passed exactly one socket to this process (LISTEN_PID,
 * LISTEN_FDS), which is then fd 3. */
static int
activated_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *errstr;
	uint64_t p, n;

	if (pid == NULL || fds == NULL ||
	    parse_u64(pid, 1, UINT64_MAX, &p, &errstr) == -1 ||
	    parse_u64(fds, 1, 1, &n, &errstr) == -1 ||
	    p != (uint64_t)getpid())
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 0;
}

/* deployer --hash-token: the configuration line for a new token. */
static int
hash_token(const char *name)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	char tok[CFG_TOKEN_MAX + 2];
	size_t n, i;

	for (i = 0; name[i] != '\0' || i == 0; i++)
		if (name[i] == '\0' || !((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' &&
		    name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '-' || name[i] == '_') || i >= CFG_TOKEN_NAME_MAX) {
			fprintf(stderr, "deployer: token names are 1-%d of "
			    "A-Za-z0-9_-\n", CFG_TOKEN_NAME_MAX);
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
		fprintf(stderr, "deployer: warning: a token shorter than 32 "
		    "characters may be guessed; use openssl rand -hex 32\n");
	SHA256((const unsigned char *)tok, n, d);
	wipe(tok, sizeof(tok));
	printf("token.%s = sha256:", name);
	for (i = 0; i < sizeof(d); i++)
		printf("%02x", d[i]);
	printf("\n");
	return 0;
}

/* deployer --verify-audit FILE */
static int
verify_audit(const char *path)
{
	long lines, bad = audit_verify(path, &lines);

	if (bad == -1) {
		fprintf(stderr, "deployer: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (bad > 0) {
		printf("%s:%ld: the hash chain is broken here (line edited, "
		    "inserted, removed or reordered)\n", path, bad);
		return 1;
	}
	printf("%s: %ld lines, hash chain intact\n", path, lines);
	return 0;
}

/* deployer --flush-spool, for a timer or cron. */
static int
flush_spool(const struct config *cfg)
{
	struct bs_put_args a;
	struct spool s;
	const char *why;
	unsigned sent;
	int waiting;

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

static const char *
action_name(enum action a)
{
	switch (a) {
	case ACT_DEPLOY:
		return "deploy";
	case ACT_ROLLBACK:
		return "rollback";
	case ACT_STATUS:
		return "status";
	case ACT_HEALTH:
		return "health";
	case ACT_NONE:
	default:
		return "-";
	}
}

static void
log_request(const struct request *req, const char *audit_hash)
{
	log_info("%s %s %s service=%s image=%s token=%s status=%d %llums%s%s",
	    req->remote_addr, req->method[0] ? req->method : "-",
	    action_name(req->action),
	    req->service[0] ? req->service : "-",
	    req->image[0] ? req->image : "-",
	    req->token_name ? req->token_name : "-", req->status,
	    (unsigned long long)(mono_ms() - req->started_ms),
	    audit_hash[0] ? " audit=" : "", audit_hash);
}

/* Reads the body where the action takes one, then checks a signature. */
static int
read_and_verify(struct request *req)
{
	if (req->action != ACT_STATUS && (req_parse_query(req) == -1 ||
	    req_read_body(req) == -1))
		return -1;
	return auth_signature(req);
}

static void
handle(struct io *io, struct docker *d, const struct config *cfg,
    const char *cfg_error)
{
	struct request req;
	char audit_hash[17] = "";

	/* Data flows one way: settings, route, identity, scope, body,
	 * signature, validation, then the only step that talks to Docker. */
	if (req_init(&req, io, d, cfg, cfg_error) == 0 && route(&req) == 0 &&
	    req.action == ACT_HEALTH)
		health_run(&req);
	else if (req.status == 0 && auth_check(&req) == 0 &&
	    auth_scope(&req) == 0 && read_and_verify(&req) == 0) {
		switch (req.action) {
		case ACT_DEPLOY:
			if (deploy_parse(&req) == 0)
				deploy_run(&req);
			break;
		case ACT_ROLLBACK:
			if (deploy_parse(&req) == 0)
				rollback_run(&req);
			break;
		case ACT_STATUS:
			status_run(&req);
			break;
		case ACT_NONE:
		default:
			req_fail(&req, 404, "no such endpoint");
			break;
		}
	}
	if (req.status == 0 && req.result == NULL)
		req_fail(&req, 500, "no result");
	if (req.status == 0)
		req.status = 200;
	/* On disk before the client hears anything. */
	if (req.auth_attempted && audit_record(&req, audit_hash) == -1)
		req_warn(&req, "the audit record could not be written");
	respond(&req);
	log_request(&req, audit_hash);
	req_free(&req);
	io_finish(io);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"listen", required_argument, NULL, 'l'},
		{"flush-spool", no_argument, NULL, 'F'},
		{"check", no_argument, NULL, 'C'},
		{"hash-token", optional_argument, NULL, 'H'},
		{"verify-audit", required_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *listen_addr = NULL, *errstr;
	const char *cfg_error = NULL;
	struct config cfg;
	struct docker docker;
	struct io io;
	char err[512];
	int ch, explicit_config, listen_fd = -1, rc, mode = 0;

	sanitize_fds();
	signal(SIGPIPE, SIG_IGN);

	while ((ch = getopt_long(argc, argv, "c:l:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'l':
			listen_addr = optarg;
			break;
		case 'F':
		case 'C':
			mode = ch;
			break;
		case 'H':
			return hash_token(optarg ? optarg : "ci");
		case 'A':
			return verify_audit(optarg);
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			puts(PACKAGE_NAME " " PACKAGE_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "deployer: unexpected argument '%s'\n",
		    argv[optind]);
		fputs(usage_text, stderr);
		return 2;
	}

	/* The file must exist only when it was named explicitly. */
	explicit_config = config_path != NULL ||
	    (getenv("DEPLOYER_CONFIG") && *getenv("DEPLOYER_CONFIG"));
	if (config_path == NULL)
		config_path = cfg_default_path();
	if (cfg_load(&cfg, config_path, explicit_config, env_lookup, NULL,
	    err, sizeof(err)) == -1) {
		cfg_error = err;
		memset(&cfg, 0, sizeof(cfg));
		cfg.max_body = 64 * 1024;
	}
	log_open(cfg.log_syslog ? LOG_TARGET_SYSLOG : LOG_TARGET_STDERR);
	if (cfg_error != NULL)
		log_warnx("configuration: %s", cfg_error);

	if (mode == 'F') {
		rc = cfg_error ? 1 : flush_spool(&cfg);
		cfg_free(&cfg);
		return rc;
	}
	if (mode == 'C') {
		memset(&docker, 0, sizeof(docker));
		rc = check_run(&cfg, config_path, cfg_error, &docker);
		docker_close(&docker);
		cfg_free(&cfg);
		return rc;
	}

	if (listen_addr == NULL)
		listen_addr = cfg.bind;
	/* systemd socket activation (Accept=no): the socket is fd 3.  With
	 * StandardInput=socket it is fd 0, which io_open finds by itself. */
	if (listen_addr == NULL && activated_fd() == 0)
		listen_fd = 3;
	else if (listen_addr != NULL &&
	    (listen_fd = io_listen(listen_addr, &errstr)) == -1) {
		log_warnx("cannot listen on %s: %s", listen_addr, errstr);
		cfg_free(&cfg);
		return 1;
	}
	if (io_open(&io, listen_fd, &errstr) == -1) {
		log_warnx("%s", errstr);
		cfg_free(&cfg);
		return 1;
	}
	if (io.fastcgi)
		log_info("serving FastCGI%s%s", listen_addr ? " on " : "",
		    listen_addr ? listen_addr : "");

	memset(&docker, 0, sizeof(docker));
	rc = 0;
	for (;;) {
		int a = io_accept(&io);

		if (a == 0)
			break;
		if (a == -1) {
			log_warn("accept");
			rc = 1;
			break;
		}
		handle(&io, &docker, cfg_error ? NULL : &cfg, cfg_error);
	}
	if (io.fastcgi)
		log_info("shutting down");
	docker_close(&docker);
	cfg_free(&cfg);
	if (listen_fd >= 0)
		close(listen_fd);
	return rc;
}
