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

#include "admin.h"
#include "api.h"
#include "audit.h"
#include "cfg.h"
#include "docker.h"
#include "io.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "respond.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static const char usage_text[] =
    "usage: deployer [--config FILE] [--listen ADDRESS]\n"
    "       deployer [--config FILE] --check\n"
    "       deployer [--config FILE] --flush-spool\n"
    "       deployer --hash-token[=NAME] < token\n"
    "       deployer --verify-audit FILE [--key KEYFILE]\n"
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
    "      --key KEYFILE     the audit_key_file of a keyed chain\n"
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
	    parse_u64(fds, 1, 1, &n, &errstr) == -1 || p != (uint64_t)getpid())
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 0;
}

static void
log_request(const struct request *req, const char *audit_hash)
{
	log_info("%s %s %s service=%s image=%s token=%s status=%d %llums%s%s",
	    req->remote_addr, req->method[0] ? req->method : "-",
	    action_name(req->action), req->service[0] ? req->service : "-",
	    req->image[0] ? req->image : "-",
	    req->token_name ? req->token_name : "-", req->status,
	    (unsigned long long)(mono_ms() - req->started_ms),
	    audit_hash[0] ? " audit=" : "", audit_hash);
}

static void
handle(struct io *io, struct docker *d, const struct config *cfg,
    const char *cfg_error)
{
	struct request req;
	char audit_hash[17] = "";

	/* Data flows one way (api.c): settings, route, identity, scope,
	 * body, signature, validation, then the only step that talks to
	 * Docker. */
	if (req_init(&req, io, d, cfg, cfg_error) == 0 &&
	    api_prepare(&req) == 0)
		api_run(&req);
	if (req.status == 0 && req.result == NULL && req.text_type == NULL)
		req_fail(&req, 500, "no result");
	if (req.status == 0)
		req.status = req.ok_status != 0 ? req.ok_status : 200;
	/* On disk before the client hears anything. */
	if (req.auth_attempted && audit_record(&req, audit_hash) == -1) {
		req.audit_failed = 1;
		req_warn(&req, "the audit record could not be written");
	}
	/* Counted before the answer, so that a scrape after it sees it. */
	metrics_count(&req);
	respond(&req);
	req_finish_input(&req);
	log_request(&req, audit_hash);
	req_free(&req);
	io_finish(io);
}

/*
 * A persistent process serves whoever reaches its socket: it needs sound
 * settings with a token of its own (a request can never bring one), and
 * a socket only the web server can reach.
 */
static int
may_serve(const struct io *io, const struct config *cfg, const char *cfg_error)
{
	const char *errstr;
	char warn[320];

	if (cfg_error != NULL) {
		log_warnx("not serving FastCGI with a broken configuration");
		return -1;
	}
	if (cfg->ntokens == 0) {
		log_warnx(
		    "not serving FastCGI without a token: set token, "
		    "token_file or token.NAME in the configuration file (or "
		    "TOKEN in the process environment); a request's "
		    "parameters never carry one");
		return -1;
	}
	if (io_check_exposure(io->listen_fd, cfg->allow_remote_bind, &errstr,
	        warn, sizeof(warn)) == -1) {
		log_warnx("not serving FastCGI: %s", errstr);
		return -1;
	}
	if (warn[0] != '\0')
		log_warnx("%s", warn);
	return 0;
}

/* What the command line asked for. */
struct options {
	const char *config_path; /* --config, or NULL */
	const char *listen_addr; /* --listen, or NULL */
	const char *verify_path; /* --verify-audit FILE */
	const char *key_path;    /* --key KEYFILE */
	const char *hash_name;   /* --hash-token[=NAME] */
	int mode;                /* 'F' --flush-spool, 'C' --check */
};

/* Returns -1 to go on, or the exit status for main. */
static int
parse_options(int argc, char *argv[], struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "flush-spool", no_argument, NULL, 'F' },
		{ "check", no_argument, NULL, 'C' },
		{ "hash-token", optional_argument, NULL, 'H' },
		{ "verify-audit", required_argument, NULL, 'A' },
		{ "key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "c:l:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'l':
			o->listen_addr = optarg;
			break;
		case 'F':
		case 'C':
			o->mode = ch;
			break;
		case 'H':
			o->hash_name = optarg ? optarg : "ci";
			break;
		case 'A':
			o->verify_path = optarg;
			break;
		case 'K':
			o->key_path = optarg;
			break;
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
	if (o->key_path != NULL && o->verify_path == NULL) {
		fputs("deployer: --key goes with --verify-audit\n", stderr);
		return 2;
	}
	return -1;
}

/*
 * Loads the settings into *cfg; returns NULL, or the error (in err),
 * with *cfg then holding the defaults a broken configuration still needs
 * to answer requests.
 */
static const char *
load_settings(struct options *o, struct config *cfg, char *err, size_t n)
{
	/* The file must exist only when it was named explicitly. */
	int explicit_config = o->config_path != NULL ||
	    (getenv("DEPLOYER_CONFIG") && *getenv("DEPLOYER_CONFIG"));

	if (o->config_path == NULL)
		o->config_path = cfg_default_path();
	if (cfg_load(cfg, o->config_path, explicit_config, env_lookup, NULL,
	        err, n) == 0)
		return NULL;
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_body = CFG_MAX_BODY_DEFAULT;
	return err;
}

/*
 * The listening socket: --listen or BIND, else one systemd passed (fd 3;
 * with StandardInput=socket it is fd 0, which io_open finds by itself).
 * *listen_fd is -1 when there is none of ours.
 */
static int
open_listener(const char *addr, const struct config *cfg, const char *cfg_error,
    int *listen_fd)
{
	const char *errstr;

	*listen_fd = -1;
	if (addr != NULL && addr[0] == ':' &&
	    (cfg_error != NULL || !cfg->allow_remote_bind)) {
		log_warnx(
		    "BIND=%s would listen on every address.  deployer "
		    "speaks FastCGI to a web server, not HTTP to clients: "
		    "put nginx, lighttpd or Apache in front and set "
		    "BIND=127.0.0.1%s (or a unix socket path); set "
		    "allow_remote_bind = 1 only if a firewall guards the "
		    "port",
		    addr, addr);
		return -1;
	}
	if (addr == NULL && activated_fd() == 0)
		*listen_fd = 3;
	else if (addr != NULL &&
	    (*listen_fd = io_listen(addr, &errstr)) == -1) {
		log_warnx("cannot listen on %s: %s", addr, errstr);
		return -1;
	}
	return 0;
}

/* Serves requests until the transport has no more (CGI: one). */
static int
serve(struct io *io, const struct config *cfg, const char *cfg_error,
    const char *addr)
{
	struct docker docker;
	int rc = 0, a;

	if (io->fastcgi)
		log_info("serving FastCGI%s%s", addr ? " on " : "",
		    addr ? addr : "");
	memset(&docker, 0, sizeof(docker));
	while ((a = io_accept(io)) != 0) {
		if (a == -1) {
			log_warn("accept");
			rc = 1;
			break;
		}
		handle(io, &docker, cfg_error ? NULL : cfg, cfg_error);
	}
	if (io->fastcgi)
		log_info("shutting down");
	io_close(io);
	docker_close(&docker);
	return rc;
}

/* --flush-spool and --check, which need the settings. */
static int
admin_mode(const struct options *o, const struct config *cfg,
    const char *cfg_error)
{
	struct docker docker;
	int rc;

	if (o->mode == 'F')
		return cfg_error ? 1 : admin_flush_spool(cfg);
	memset(&docker, 0, sizeof(docker));
	rc = admin_check(cfg, o->config_path, cfg_error, &docker);
	docker_close(&docker);
	return rc;
}

int
main(int argc, char *argv[])
{
	const char *cfg_error, *errstr, *addr;
	struct options o;
	struct config cfg;
	struct io io;
	char err[512];
	int listen_fd = -1, rc;

	sanitize_fds();
	signal(SIGPIPE, SIG_IGN);
	if ((rc = parse_options(argc, argv, &o)) != -1)
		return rc;
	if (o.hash_name != NULL)
		return admin_hash_token(o.hash_name);
	if (o.verify_path != NULL)
		return admin_verify_audit(o.verify_path, o.key_path);

	cfg_error = load_settings(&o, &cfg, err, sizeof(err));
	log_open(cfg.log_syslog ? LOG_TARGET_SYSLOG : LOG_TARGET_STDERR);
	if (cfg_error != NULL)
		log_warnx("configuration: %s", cfg_error);
	if (o.mode != 0) {
		rc = admin_mode(&o, &cfg, cfg_error);
		cfg_free(&cfg);
		return rc;
	}

	rc = 1;
	addr = o.listen_addr ? o.listen_addr : cfg.bind;
	if (open_listener(addr, &cfg, cfg_error, &listen_fd) == -1)
		goto out;
	if (io_open(&io, listen_fd, &errstr) == -1) {
		log_warnx("%s", errstr);
		goto out;
	}
	io.request_timeout_ms = cfg.request_timeout_ms;
	if (io.fastcgi && may_serve(&io, &cfg, cfg_error) == -1)
		goto out;
	rc = serve(&io, &cfg, cfg_error, addr);
out:
	cfg_free(&cfg);
	if (listen_fd >= 0)
		close(listen_fd);
	return rc;
}
