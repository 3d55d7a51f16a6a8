/* lock.c: Swarm-wide locks, as configs every manager agrees exist once */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "docker.h"
#include "lock.h"
#include "log.h"
#include "request.h"
#include "respond.h"
#include "util.h"

int
lock_init(struct request *req, struct lock *l, const char *name, long seconds)
{
	memset(l, 0, sizeof(*l));
	if (strlen(name) >= sizeof(l->name))
		return req_fail(req, 500, "lock name too long");
	memcpy(l->name, name, strlen(name) + 1);
	if (lock_owner_self(l->owner, sizeof(l->owner)) == -1)
		return req_fail(req, 500, "cannot name this process");
	snprintf(l->expires, sizeof(l->expires), "%lld",
	    (long long)time(NULL) + seconds + LOCK_GRACE_S);
	l->labels[0] = LOCK_LABEL_OWNER;
	l->labels[1] = l->owner;
	l->labels[2] = LOCK_LABEL_EXPIRES;
	l->labels[3] = l->expires;
	l->labels[4] = LOCK_LABEL_REQUEST;
	l->labels[5] = req->id;
	l->labels[6] = NULL;
	return 0;
}

int
lock_stale(const cJSON *labels)
{
	const char *owner = json_str(labels, LOCK_LABEL_OWNER);
	const char *until = json_str(labels, LOCK_LABEL_EXPIRES);
	const char *errstr;
	uint64_t t;

	if (until == NULL ||
	    parse_u64(until, 0, UINT64_MAX, &t, &errstr) == -1 ||
	    t < (uint64_t)time(NULL))
		return 1;
	return owner == NULL || lock_owner_dead(owner);
}

/* The lock's labels: extra, then the owner's. */
#define LABELS_MAX 16

int
lock_take(struct request *req, struct lock *l, const char *const *extra,
    int (*clear)(struct request *req, const void *ctx), const void *ctx)
{
	const char *labels[LABELS_MAX + 1];
	cJSON *found = NULL;
	size_t n = 0, i;
	char id[72];
	int attempt, rc = 1;

	for (; extra[0] != NULL; extra += 2) {
		if (n + 2 > LABELS_MAX - 6)
			return req_fail(req, 500, "too many labels for lock %s",
			    l->name);
		labels[n++] = extra[0];
		labels[n++] = extra[1];
	}
	for (i = 0; i < 6; i++)
		labels[n++] = l->labels[i];
	labels[n] = NULL;
	for (attempt = 0; attempt < 3; attempt++) {
		rc = docker_config_create(req->docker, &req->docker_err,
		    l->name, labels, l->id, sizeof(l->id));
		if (rc != 1)
			break;
		rc = docker_config_get(req->docker, &req->docker_err, l->name,
		    id, sizeof(id), &found);
		if (rc == -1)
			break;
		if (rc == 1)
			continue; /* given back meanwhile: take it */
		if (!lock_stale(found)) {
			snprintf(l->holder, sizeof(l->holder), "%s",
			    json_str(found, LOCK_LABEL_REQUEST)
			        ? json_str(found, LOCK_LABEL_REQUEST)
			        : "unknown");
			cJSON_Delete(found);
			return 1;
		}
		cJSON_Delete(found);
		found = NULL;
		log_warnx("lock %s is left over; removing it", l->name);
		/* By ID: a lock taken anew meanwhile is another one. */
		if ((clear != NULL && clear(req, ctx) == -1) ||
		    docker_config_remove(req->docker, &req->docker_err, id) ==
		        -1) {
			rc = -1;
			break;
		}
		rc = 1;
	}
	if (rc == -1)
		return req->status ? -1 : req_fail_docker(req);
	if (rc == 1)
		return req_fail(req, 409, "the lock %s keeps changing hands",
		    l->name);
	if (l->id[0] == '\0')
		return req_fail(req, 502, "Docker named no ID for lock %s",
		    l->name);
	return 0;
}

void
lock_release(struct request *req, struct lock *l)
{
	struct docker_err e = { DOCKER_OK, "" };

	if (l->id[0] == '\0')
		return;
	if (docker_config_remove(req->docker, &e, l->id) == -1)
		req_warn(req, "a lock could not be given back; it expires");
	l->id[0] = '\0';
}

struct reap {
	struct docker *d;
	struct docker_err *e;
	const char *kind;
	int removed;
};

static int
reap_one(void *ctx, const char *id, const char *name, const cJSON *labels)
{
	struct reap *r = ctx;
	int rc;

	if (!lock_stale(labels))
		return 0;
	rc = strcmp(r->kind, "services") == 0
	    ? docker_service_remove(r->d, r->e, id)
	    : docker_config_remove(r->d, r->e, id);
	if (rc == -1)
		return -1;
	log_info("removed %s, left by %s", name,
	    json_str(labels, LOCK_LABEL_OWNER)
	        ? json_str(labels, LOCK_LABEL_OWNER)
	        : "an unknown process");
	r->removed++;
	return 0;
}

int
lock_reap(struct docker *d, struct docker_err *e, const char *kind,
    const char *label)
{
	struct reap r = { d, e, kind, 0 };

	if (docker_labelled(d, e, kind, label, reap_one, &r) == -1)
		return -1;
	return r.removed;
}

/* Field 22 of /proc/<pid>/stat (the start time, in clock ticks after
 * boot), which tells a process from a later one with its PID; "" when
 * it cannot be read. */
static void
start_time(pid_t pid, char *out, size_t outlen)
{
	char path[64], text[1024], *p;
	FILE *f;
	size_t n;
	int field;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	/* The command name may hold spaces and parentheses: count from the
	 * last ')', which ends field 2. */
	if ((p = strrchr(text, ')')) == NULL)
		return;
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return;
	p++;
	n = strspn(p, "0123456789");
	if (n > 0 && n < outlen) {
		memcpy(out, p, n);
		out[n] = '\0';
	}
}

/* This process's PID namespace ("4026531836"), "-" when unknown: a PID
 * means something only within its namespace. */
static void
pid_namespace(char *out, size_t outlen)
{
	char link[64];
	ssize_t n = readlink("/proc/self/ns/pid", link, sizeof(link) - 1);
	size_t d;

	snprintf(out, outlen, "-");
	if (n <= 0)
		return;
	link[n] = '\0';
	/* "pid:[4026531836]" */
	if (strncmp(link, "pid:[", 5) == 0 &&
	    (d = strspn(link + 5, "0123456789")) > 0 && link[5 + d] == ']' &&
	    d < outlen) {
		memcpy(out, link + 5, d);
		out[d] = '\0';
	}
}

int
lock_owner_self(char *out, size_t outlen)
{
	char host[256], ns[24], since[32];
	int n;

	if (gethostname(host, sizeof(host)) == -1)
		return -1;
	host[sizeof(host) - 1] = '\0';
	pid_namespace(ns, sizeof(ns));
	start_time(getpid(), since, sizeof(since));
	n = snprintf(out, outlen, "%.64s %s %ld %s", host, ns, (long)getpid(),
	    since[0] ? since : "-");
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
lock_owner_dead(const char *owner)
{
	char self[LOCK_OWNER_MAX], host[80], ns[24], ptext[24], since[32];
	char me_host[80], me_ns[24], me_pid[24], me_since[32], now[32];
	const char *errstr;
	uint64_t pid;

	/* Only a process of this host and PID namespace is judged here;
	 * another's expiry decides. */
	if (lock_owner_self(self, sizeof(self)) == -1 ||
	    sscanf(self, "%79s %23s %23s %31s", me_host, me_ns, me_pid,
	        me_since) != 4 ||
	    sscanf(owner, "%79s %23s %23s %31s", host, ns, ptext, since) != 4 ||
	    strcmp(host, me_host) != 0 || strcmp(ns, me_ns) != 0 ||
	    strcmp(ns, "-") == 0 ||
	    parse_u64(ptext, 1, INT32_MAX, &pid, &errstr) == -1)
		return 0;
	/* One request at a time: a lock of this very process is left over. */
	if ((pid_t)pid == getpid())
		return 1;
	if (kill((pid_t)pid, 0) == -1 && errno == ESRCH)
		return 1;
	/* A later process with the same PID. */
	start_time((pid_t)pid, now, sizeof(now));
	return now[0] != '\0' && strcmp(since, "-") != 0 &&
	    strcmp(now, since) != 0;
}
