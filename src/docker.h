/* docker.h: the Docker Engine API calls a deploy makes */
/* SPDX-License-Identifier: MIT */
#ifndef DOCKER_H
#define DOCKER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "jsonedit.h"

struct config;
struct http_client;

/*
 * The Docker client knows nothing of HTTP requests: every call returns 0
 * (or a documented positive value) or -1 with a typed error, and one
 * table (req_fail_docker in request.c) turns error kinds into HTTP
 * statuses.
 */
enum docker_error {
	DOCKER_OK = 0,
	DOCKER_ERR_SETUP,       /* the client could not be set up */
	DOCKER_ERR_UNREACHABLE, /* no connection */
	DOCKER_ERR_TIMEOUT,     /* no answer in docker_timeout */
	DOCKER_ERR_PROTOCOL,    /* a malformed, cut or oversized reply */
	DOCKER_ERR_NOT_FOUND,   /* no such object */
	DOCKER_ERR_NOT_MANAGER, /* not an active swarm manager */
	DOCKER_ERR_CONFLICT,    /* the object's state forbids it */
	DOCKER_ERR_REFUSED,     /* Docker answered with an error */
	DOCKER_ERR_NOMEM,
};

struct docker_err {
	enum docker_error kind;
	char msg[512]; /* for the client: names no secret */
};

/* Sets *e and returns -1. */
int docker_fail(struct docker_err *e, enum docker_error kind, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* Receives each warning Docker sends with an accepted update. */
typedef void (*docker_warn_fn)(void *ctx, const char *msg);

/* Lives as long as the process: a FastCGI process keeps its connection
 * and the negotiated API version from one request to the next. */
struct docker {
	struct http_client *http;
	const struct config *cfg; /* the settings of the current request */
	char version[16];         /* "1.41": the daemon's own, from /_ping */
};

/*
 * Ownership, the one rule for every struct a call fills (struct service
 * here, struct plan in deploy.c, a parsed cJSON root anywhere): the caller
 * owns it, zeroed, on its stack; a call that fails frees what it took and
 * leaves it zeroed; the caller frees it exactly once, on every path, with
 * its *_free, which is a no-op on a zeroed struct.
 */

/* A service as read for one request. */
struct service {
	char id[72];      /* full ID */
	char name[64];    /* Spec.Name */
	uint64_t version; /* Version.Index, for the update */
	char *raw;        /* owned: the GET /services reply */
	size_t rawlen;
	struct json_span spec; /* the Spec object inside raw */
	char *image;           /* owned: Spec...ContainerSpec.Image */
	char *prev_image;      /* owned: PreviousSpec's, or NULL */
	int allow_updates;     /* label deployer.allowUpdates=true */
	char *allowed_images;  /* owned: label deployer.allowedImages */
	char update_state[24]; /* UpdateStatus.State, "" when absent */
	char *update_message;  /* owned: UpdateStatus.Message, or NULL */
	int64_t replicas;      /* desired tasks; -1 for global mode */
	uint64_t force_update; /* TaskTemplate.ForceUpdate */
	char stack[64];        /* label com.docker.stack.namespace, or "" */
	long order;            /* label deployer.order, default 0 */
	int order_bad;         /* that label is not an integer */
};

/* A service as a listing names it: enough to choose a release's members. */
struct service_brief {
	char id[72];
	char name[64];
	char *image;       /* owned */
	int allow_updates; /* label deployer.allowUpdates=true */
	char *track;       /* owned: label deployer.track, or NULL */
	char stack[64];    /* label com.docker.stack.namespace, or "" */
};

/* Tasks of a service, counted as `docker service ps` would show them. */
struct task_count {
	unsigned running; /* up to date and running */
	unsigned failed;  /* up to date and failed, rejected or gone */
	unsigned total;   /* up to date, desired running */
};

/* Connects (or reuses the connection) to cfg's Docker host, which the
 * calls after it use, and negotiates the API version. */
int docker_prepare(struct docker *d, const struct config *cfg,
    struct docker_err *e);

/* 1 when the negotiated API version is 1.minor or later. */
int docker_api_at_least(const struct docker *d, int minor);

/* Pings the daemon now (for /health), renewing the API version. */
int docker_ping(struct docker *d, struct docker_err *e);

/* The node's swarm state (LocalNodeState) and whether it is a manager
 * that can take updates (ControlAvailable). */
int docker_info(struct docker *d, struct docker_err *e, char *state,
    size_t statelen, int *manager);

/*
 * Reads the service whose name or full ID is exactly name; Docker's own
 * lookup also matches ID prefixes, which is refused here as 404.
 */
int docker_service_get(struct docker *d, struct docker_err *e, const char *name,
    struct service *svc);

/*
 * Posts spec (n bytes) as the service's new spec at svc->version.
 * Returns 0 when accepted (each of Docker's warnings goes to warn, when
 * not NULL), 1 when Docker answered "update out of sequence" (read again
 * and retry), -1 on failure.
 */
int docker_service_update(struct docker *d, struct docker_err *e,
    const struct service *svc, const char *spec, size_t n,
    const char *auth_header, int rollback, docker_warn_fn warn, void *ctx);

/*
 * Asks the daemon to resolve name (a familiar reference with a tag) to a
 * digest through its registry (GET /distribution/<name>/json, with
 * auth_header when not NULL).  Returns 0 with *digest (owned) and
 * *platforms (owned cJSON array of {"Architecture","OS"}, NULL when none
 * is known); 1 when the registry could not be asked or refused (the
 * reason in why); -1 when the request failed (Docker unreachable).
 */
int docker_resolve(struct docker *d, struct docker_err *e, const char *name,
    const char *auth_header, char **digest, cJSON **platforms, char *why,
    size_t whylen);

/*
 * Lists the services labelled label ("key=value", or "key" for any
 * value), at most max of
 * them, into *list (owned, *n entries; free with service_briefs_free).
 * More than max is a failure (DOCKER_ERR_REFUSED).
 */
int docker_services_list(struct docker *d, struct docker_err *e,
    const char *label, size_t max, struct service_brief **list, size_t *n);

void service_briefs_free(struct service_brief *list, size_t n);

/* Counts the service's up-to-date tasks (the `_up-to-date` filter the
 * docker CLI uses while it watches a rollout). */
int docker_tasks(struct docker *d, struct docker_err *e, const char *service_id,
    struct task_count *tc);

/*
 * Creates a Swarm config called name with a one-byte body, labelled with
 * labels (key, value, key, value, ..., NULL).  The managers' Raft log
 * makes names unique across the swarm, so this is an insert-if-absent
 * that every manager agrees on.  Returns 0 when created (its ID into id,
 * idlen bytes, unless id is NULL), 1 when the name exists, -1 on failure.
 */
int docker_config_create(struct docker *d, struct docker_err *e,
    const char *name, const char *const *labels, char *id, size_t idlen);

/* Removes up to max configs labelled label whose value (unix seconds)
 * is before now.  Returns how many, or -1; e stays clear either way. */
int docker_configs_prune(struct docker *d, struct docker_err *e,
    const char *label, time_t now, unsigned max);

/* A job's task as Swarm reports it. */
struct job_task {
	char state[16]; /* Status.State ("running", "complete", "failed",
	                 * ...), "" while Swarm has made no task */
	int has_exit;   /* the container's exit code is known */
	int exit_code;
	char err[256]; /* Status.Err, else Status.Message */
};

/* Creates a service from spec (n bytes, with auth_header when not NULL);
 * its ID into id (idlen bytes).  0, or -1 (a taken name is
 * DOCKER_ERR_CONFLICT). */
int docker_service_create(struct docker *d, struct docker_err *e,
    const char *spec, size_t n, const char *auth_header, char *id,
    size_t idlen);

/* Removes a service (Swarm stops its tasks) or a config: 0, also when it
 * is already gone, or -1. */
int docker_service_remove(struct docker *d, struct docker_err *e,
    const char *id);
int docker_config_remove(struct docker *d, struct docker_err *e,
    const char *name);

/* The newest task of service_id into *t (t->state "" when none). */
int docker_job_task(struct docker *d, struct docker_err *e,
    const char *service_id, struct job_task *t);

/* Appends the last tail lines of the service's output (stdout and
 * stderr, unframed) to out, as far as out's bound allows. */
int docker_service_logs(struct docker *d, struct docker_err *e, const char *id,
    unsigned tail, struct buf *out);

/* Config name's ID into id (idlen bytes) and its labels into *labels
 * (owned object): 0, 1 when there is no such config, -1. */
int docker_config_get(struct docker *d, struct docker_err *e, const char *name,
    char *id, size_t idlen, cJSON **labels);

/* Called for each object a listing returns: its ID, name and labels (an
 * object, or NULL); -1 stops the listing. */
typedef int (*docker_each_fn)(void *ctx, const char *id, const char *name,
    const cJSON *labels);

/* Calls fn for each object of kind ("services", "configs") labelled
 * label ("key" or "key=value").  0, or -1 (fn's, or Docker's with e). */
int docker_labelled(struct docker *d, struct docker_err *e, const char *kind,
    const char *label, docker_each_fn fn, void *ctx);

void service_free(struct service *svc);

/* Closes the connection (at exit). */
void docker_close(struct docker *d);

#endif
