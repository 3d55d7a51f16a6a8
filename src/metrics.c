/* metrics.c: what every request did, counted for Prometheus */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "curlapi.h"
#include "docker.h"
#include "log.h"
#include "api.h"
#include "metrics.h"
#include "mstore.h"
#include "request.h"
#include "stack.h"
#include "spool.h"
#include "util.h"

/*
 * The actions, by label value.  The counter file keeps counters by row,
 * so a new action gets a new row and no row ever moves.  Rows below
 * CHANGE_ROWS change services: they are counted per service, timed, and
 * have a last-success time.
 */
#define ROWS 16
#define CHANGE_ROWS 8
static const struct row {
	const char *name;
	unsigned row;
} rows[] = {
	{ "deploy", 0 },
	{ "rollback", 1 },
	{ "push", 2 },
	{ "stack", 3 },
	{ "status", 8 },
	{ "history", 9 },
	{ "metrics", 10 },
	{ "health", 11 },
	{ "none", 12 },
	{ "other", 13 },
};
#define ROW_NONE 12
#define ROW_OTHER 13
#define NROWS (sizeof(rows) / sizeof(rows[0]))
/* Rows whose histograms and refusals are shown even while zero. */
#define SHOWN_CHANGE_ROWS 4

/* deployer_requests_total{code}: the statuses the program answers. */
static const int codes[] = {
	200, 400, 401, 403, 404, 405, 409, 411, 412, 413, 500, 502, 503, 504,
	202, /* appended: a slot never moves (a hook that moved services) */
};
#define NCODES (sizeof(codes) / sizeof(codes[0]))
#define CODE_SLOTS 16 /* NCODES and "other", with room */

/* deployer_refused_total{reason}: stopped before doing anything. */
enum reason {
	R_UNAUTHENTICATED, /* no token, or not a known one */
	R_SIGNATURE,       /* a known token, a bad or replayed signature */
	R_SCOPE,           /* outside the token's actions or services */
	R_INVALID,         /* malformed path, query or body; too large */
	R_NOT_FOUND,       /* no such endpoint or service */
	R_METHOD,          /* wrong method */
	R_UNCONFIGURED,    /* no token configured */
	R_UNAVAILABLE,     /* the replay store cannot be used */
	R_OTHER,
	NREASONS
};
#define REASON_SLOTS 16
static const char *const reason_names[NREASONS] = {
	"unauthenticated",
	"signature",
	"scope",
	"invalid",
	"not_found",
	"method",
	"unconfigured",
	"unavailable",
	"other",
};

/* deployer_deploys_total{outcome,code}: one cell each, per service and
 * row; the row's last cell holds the last success's time. */
enum cell {
	C_ACCEPTED,
	C_COMPLETED,
	C_UNCHANGED,
	C_DRY_RUN,
	C_OK,
	C_FAILED_4XX,
	C_FAILED_5XX,
	C_LAST_SUCCESS,
	CELLS
};
static const struct {
	const char *outcome, *code;
} cell_labels[C_LAST_SUCCESS] = {
	{ "accepted", "2xx" },
	{ "completed", "2xx" },
	{ "unchanged", "2xx" },
	{ "dry_run", "2xx" },
	{ "ok", "2xx" },
	{ "failed", "4xx" },
	{ "failed", "5xx" },
};

/* Duration buckets, in ms (the histogram's le in seconds). */
static const unsigned bucket_ms[] = {
	10,
	25,
	50,
	100,
	250,
	500,
	1000,
	2500,
	5000,
	10000,
	30000,
	60000,
	120000,
	300000,
	900000,
};
#define NBUCKETS (sizeof(bucket_ms) / sizeof(bucket_ms[0]))
#define DUR_STRIDE (NBUCKETS + 2) /* buckets, +Inf, sum in ms */

enum channel { CH_BEANSTALKD, CH_WEBHOOK, NCHANNELS };
enum fate { F_SENT, F_SPOOLED, F_LOST, NFATES };

/* Where each family lives among the file's global counters. */
#define G_REQUESTS 0
#define G_REFUSED (G_REQUESTS + ROWS * CODE_SLOTS)
#define G_DURATION (G_REFUSED + ROWS * REASON_SLOTS)
#define G_NOTIFY (G_DURATION + CHANGE_ROWS * DUR_STRIDE)
#define G_AUDIT_FAILURES (G_NOTIFY + 8)
#define G_SIGNATURE_REFUSALS (G_AUDIT_FAILURES + 1)
#define G_API_VERSION (G_SIGNATURE_REFUSALS + 1)
#define G_END (G_API_VERSION + 1)

_Static_assert(G_END <= MS_GLOBALS, "the globals fit the file");
_Static_assert(CHANGE_ROWS *CELLS <= MS_SLOT_COUNTERS, "the cells fit a slot");
_Static_assert(NCODES < CODE_SLOTS && NREASONS <= REASON_SLOTS &&
        NCHANNELS * NFATES <= 8,
    "the families fit their rows");
_Static_assert(SERVICE_NAME_MAX <= MS_NAME_MAX, "a service fits a slot");

/* One mapping per process, kept across FastCGI requests. */
static struct mstore store = { -1, NULL, 0, 0 };
static char store_path[4096];

static int
metrics_path(const struct config *c, char *path, size_t len)
{
	if (c == NULL || c->state_dir == NULL)
		return -1;
	return path_join(path, len, c->state_dir, "metrics");
}

/* The shared counters, or NULL (*errstr says why).  A missing state
 * directory is not worth a log line on every request; anything else is. */
static struct mstore *
open_store(const struct config *c, const char **errstr)
{
	char path[sizeof(store_path)];

	*errstr = "no state_dir is configured";
	if (metrics_path(c, path, sizeof(path)) == -1)
		return NULL;
	if (store.f != NULL && strcmp(path, store_path) == 0 &&
	    mstore_current(&store, path))
		return &store;
	mstore_close(&store);
	if (mstore_open(&store, path, errstr) == -1) {
		if (errno != ENOENT)
			log_warn("metrics: %s: %s", path, *errstr);
		return NULL;
	}
	memcpy(store_path, path, sizeof(path));
	return &store;
}

static unsigned
row_of(enum action a)
{
	const char *name = action_name(a);
	size_t i;

	if (a == ACT_NONE)
		return ROW_NONE;
	for (i = 0; i < NROWS; i++)
		if (strcmp(rows[i].name, name) == 0)
			return rows[i].row;
	return ROW_OTHER;
}

int
action_changes(const char *name)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (strcmp(rows[i].name, name) == 0)
			return rows[i].row < CHANGE_ROWS;
	return 0;
}

static unsigned
code_slot(int status)
{
	size_t i;

	for (i = 0; i < NCODES; i++)
		if (codes[i] == status)
			return (unsigned)i;
	return NCODES;
}

/* Why the request was refused before it did anything, or -1. */
static int
refusal(const struct request *req)
{
	switch (req->status) {
	case 400:
	case 411:
	case 413:
		return R_INVALID;
	case 401:
		return req->token == NULL ? R_UNAUTHENTICATED : R_SIGNATURE;
	case 404:
		return R_NOT_FOUND;
	case 405:
		return R_METHOD;
	default:
		break;
	}
	if (req->authorized || req->status < 400 ||
	    (req->action == ACT_HEALTH && !req->auth_attempted))
		return -1;
	switch (req->status) {
	case 403:
		return R_SCOPE;
	case 500:
		return req->token == NULL ? R_UNCONFIGURED : R_OTHER;
	case 503:
		return R_UNAVAILABLE;
	default:
		return R_OTHER;
	}
}

/* A write's cell: the request's failure class, else the state. */
static enum cell
outcome(int status, const char *state)
{
	static const char *const states[] = {
		[C_ACCEPTED] = "accepted",
		[C_COMPLETED] = "completed",
		[C_UNCHANGED] = "unchanged",
		[C_DRY_RUN] = "dry_run",
	};
	size_t i;

	if (status >= 500)
		return C_FAILED_5XX;
	if (status >= 400)
		return C_FAILED_4XX;
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (state != NULL && strcmp(state, states[i]) == 0)
			return (enum cell)i;
	return C_OK;
}

/* One service's write, in its slot (named only once authorized). */
static void
count_service(struct mstore *m, const char *service, unsigned row, enum cell c)
{
	int s;

	if (service[0] == '\0' || (s = mstore_slot(m, service)) < 0)
		return;
	mstore_slot_add(m, (unsigned)s, row * CELLS + c, 1);
	if (c == C_ACCEPTED || c == C_COMPLETED)
		mstore_slot_set(m, (unsigned)s, row * CELLS + C_LAST_SUCCESS,
		    (uint64_t)time(NULL));
}

/* An authorized request of an action that changes services: its
 * duration, and each service it wrote (every member of a release). */
static void
count_change(struct mstore *m, const struct request *req, unsigned row)
{
	uint64_t ms = mono_ms() - req->started_ms;
	unsigned b, g = G_DURATION + row * (unsigned)DUR_STRIDE;
	size_t i;

	for (b = 0; b < NBUCKETS && ms > bucket_ms[b]; b++)
		;
	mstore_add(m, g + b, 1);
	mstore_add(m, g + NBUCKETS + 1, ms);
	if (req->action != ACT_STACK && !ACT_IS_HOOK(req->action)) {
		count_service(m, req->service, row,
		    outcome(req->status, req->state));
		return;
	}
	for (i = 0; i < req->nmembers; i++)
		count_service(m, req->members[i].svc.name, row,
		    outcome(req->status,
		        req->dry_run ? "dry_run" : req->members[i].state));
}

static void
count_notify(struct mstore *m, const struct notice *n)
{
	static const int fate[] = {
		[NOTIFY_DISABLED] = -1,
		[NOTIFY_SENT] = F_SENT,
		[NOTIFY_SPOOLED] = F_SPOOLED,
		[NOTIFY_FAILED] = F_LOST,
	};

	if (fate[n->notify] >= 0)
		mstore_add(m,
		    G_NOTIFY + CH_BEANSTALKD * NFATES +
		        (unsigned)fate[n->notify],
		    1);
	if (fate[n->webhook] >= 0)
		mstore_add(m,
		    G_NOTIFY + CH_WEBHOOK * NFATES + (unsigned)fate[n->webhook],
		    1);
}

/* "1.41" as 1 << 16 | 41, so that one atomic store keeps it whole. */
static void
count_api_version(struct mstore *m, const struct request *req)
{
	unsigned long major, minor;
	char *end;

	if (req->docker == NULL || req->docker->version[0] == '\0')
		return;
	major = strtoul(req->docker->version, &end, 10);
	if (*end != '.' || major > 0xffff)
		return;
	minor = strtoul(end + 1, &end, 10);
	if (*end == '\0' && minor <= 0xffff)
		mstore_set(m, G_API_VERSION, (uint64_t)(major << 16 | minor));
}

void
metrics_count(const struct request *req)
{
	unsigned row = row_of(req->action);
	struct mstore *m;
	const char *errstr;
	size_t i;
	int why;

	if ((m = open_store(req->cfg, &errstr)) == NULL)
		return;
	mstore_add(m, G_REQUESTS + row * CODE_SLOTS + code_slot(req->status),
	    1);
	if ((why = refusal(req)) >= 0) {
		mstore_add(m, G_REFUSED + row * REASON_SLOTS + (unsigned)why,
		    1);
		if (why == R_SIGNATURE)
			mstore_add(m, G_SIGNATURE_REFUSALS, 1);
	} else if (req->authorized && row < CHANGE_ROWS)
		count_change(m, req, row);
	count_notify(m, &req->notice);
	for (i = 0; i < req->nmembers; i++)
		count_notify(m, &req->members[i].notice);
	if (req->audit_failed)
		mstore_add(m, G_AUDIT_FAILURES, 1);
	count_api_version(m, req);
}

/* ------------------------------------------------------------ the scrape */

/* The row's label value (every row in the file has one in rows[]). */
static const char *
row_name(unsigned row)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (rows[i].row == row)
			return rows[i].name;
	return NULL;
}

/* A label value, escaped as the exposition format wants. */
static void
label(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			buf_addch(b, '\\');
		if (*v == '\n')
			buf_addstr(b, "\\n");
		else
			buf_addch(b, *v);
	}
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
render_build(struct buf *b, const struct mstore *m)
{
	const struct curl_api *c;
	const char *curl = "", *errstr;
	uint64_t api = mstore_get(m, G_API_VERSION);
	char ver[24] = "";

	if ((c = curlapi_get(&errstr)) != NULL)
		curl = c->version_info(CURLVERSION_NOW)->version;
	if (api != 0)
		snprintf(ver, sizeof(ver), "%u.%u", (unsigned)(api >> 16),
		    (unsigned)(api & 0xffff));
	family(b, "deployer_build_info", "gauge",
	    "The program's version, "
	    "the libcurl it uses and the Docker API version last negotiated.");
	buf_addstr(b, "deployer_build_info{version=\"");
	label(b, PACKAGE_VERSION);
	buf_addstr(b, "\",libcurl=\"");
	label(b, curl);
	buf_addstr(b, "\",docker_api=\"");
	label(b, ver);
	buf_addstr(b, "\"} 1\n");
}

static void
render_requests(struct buf *b, const struct mstore *m)
{
	unsigned r, c;
	uint64_t v;

	family(b, "deployer_requests_total", "counter",
	    "Requests answered, by action and HTTP status.");
	for (r = 0; r < ROWS; r++)
		for (c = 0; c < CODE_SLOTS; c++) {
			v = mstore_get(m, G_REQUESTS + r * CODE_SLOTS + c);
			if (v == 0 || row_name(r) == NULL)
				continue;
			if (c < NCODES)
				buf_addf(b,
				    "deployer_requests_total{action="
				    "\"%s\",code=\"%d\"} %llu\n",
				    row_name(r), codes[c],
				    (unsigned long long)v);
			else
				buf_addf(b,
				    "deployer_requests_total{action="
				    "\"%s\",code=\"other\"} %llu\n",
				    row_name(r), (unsigned long long)v);
		}
}

static void
render_refused(struct buf *b, const struct mstore *m)
{
	unsigned r, why;
	uint64_t v;

	family(b, "deployer_refused_total", "counter",
	    "Requests refused "
	    "before they did anything, by action and reason (no service "
	    "label: the name was not authorized).");
	for (r = 0; r < ROWS; r++)
		for (why = 0; why < NREASONS; why++) {
			v = mstore_get(m, G_REFUSED + r * REASON_SLOTS + why);
			if (row_name(r) == NULL ||
			    (v == 0 && r >= SHOWN_CHANGE_ROWS))
				continue;
			buf_addf(b,
			    "deployer_refused_total{action=\"%s\","
			    "reason=\"%s\"} %llu\n",
			    row_name(r), reason_names[why],
			    (unsigned long long)v);
		}
	family(b, "deployer_signature_refusals_total", "counter",
	    "Requests with a known token refused for a missing, bad, "
	    "expired or replayed signature.");
	buf_addf(b, "deployer_signature_refusals_total %llu\n",
	    (unsigned long long)mstore_get(m, G_SIGNATURE_REFUSALS));
}

/* One service's series of one family, for the rows it has used. */
static void
render_slot(struct buf *b, const struct mstore *m, unsigned s, const char *name,
    int last)
{
	unsigned r, c;
	uint64_t v, any;

	for (r = 0; r < CHANGE_ROWS && row_name(r) != NULL; r++) {
		for (any = 0, c = 0; c < C_LAST_SUCCESS; c++)
			any |= mstore_slot_get(m, s, r * CELLS + c);
		if (any == 0)
			continue;
		if (last) {
			v = mstore_slot_get(m, s, r * CELLS + C_LAST_SUCCESS);
			if (v == 0)
				continue;
			buf_addstr(b,
			    "deployer_last_success_timestamp_seconds"
			    "{service=\"");
			label(b, name);
			buf_addf(b, "\",action=\"%s\"} %llu\n", row_name(r),
			    (unsigned long long)v);
			continue;
		}
		for (c = 0; c < C_LAST_SUCCESS; c++) {
			v = mstore_slot_get(m, s, r * CELLS + c);
			if (c == C_OK && v == 0)
				continue;
			buf_addstr(b, "deployer_deploys_total{service=\"");
			label(b, name);
			buf_addf(b,
			    "\",action=\"%s\",outcome=\"%s\",code=\"%s\"}"
			    " %llu\n",
			    row_name(r), cell_labels[c].outcome,
			    cell_labels[c].code, (unsigned long long)v);
		}
	}
}

static void
render_services(struct buf *b, const struct mstore *m)
{
	const char *name;
	unsigned s;
	int last;

	for (last = 0; last <= 1; last++) {
		if (last)
			family(b, "deployer_last_success_timestamp_seconds",
			    "gauge",
			    "When a deploy or rollback of the service "
			    "was last accepted or completed (unix time).");
		else
			family(b, "deployer_deploys_total", "counter",
			    "Authorized deploys and rollbacks, by service, "
			    "action, outcome and HTTP status class; services "
			    "beyond the table's size count as _other.");
		for (s = 0; s <= MS_OVERFLOW; s++) {
			name = s == MS_OVERFLOW ? "_other"
			                        : mstore_slot_name(m, s);
			if (name != NULL)
				render_slot(b, m, s, name, last);
		}
	}
}

static void
render_durations(struct buf *b, const struct mstore *m)
{
	unsigned r, i, g;
	uint64_t n;

	family(b, "deployer_deploy_duration_seconds", "histogram",
	    "Time from request to answer of authorized deploys and "
	    "rollbacks, by action (with ?wait=, the rollout included).");
	for (r = 0; r < CHANGE_ROWS && row_name(r) != NULL; r++) {
		g = G_DURATION + r * (unsigned)DUR_STRIDE;
		for (n = 0, i = 0; i <= NBUCKETS; i++) {
			n += mstore_get(m, g + i);
			if (n == 0 && r >= SHOWN_CHANGE_ROWS)
				continue;
			buf_addf(b,
			    "deployer_deploy_duration_seconds_bucket{"
			    "action=\"%s\",le=\"",
			    row_name(r));
			if (i < NBUCKETS)
				buf_addf(b, "%g", bucket_ms[i] / 1000.0);
			else
				buf_addstr(b, "+Inf");
			buf_addf(b, "\"} %llu\n", (unsigned long long)n);
		}
		if (n == 0 && r >= SHOWN_CHANGE_ROWS)
			continue;
		buf_addf(b,
		    "deployer_deploy_duration_seconds_sum{action=\"%s\"}"
		    " %.3f\n",
		    row_name(r), mstore_get(m, g + NBUCKETS + 1) / 1000.0);
		buf_addf(b,
		    "deployer_deploy_duration_seconds_count{action="
		    "\"%s\"} %llu\n",
		    row_name(r), (unsigned long long)n);
	}
}

static void
render_notify(struct buf *b, const struct mstore *m)
{
	static const char *const channels[] = { "beanstalkd", "webhook" };
	static const char *const fates[] = { "sent", "spooled", "lost" };
	unsigned ch, f;

	family(b, "deployer_notifications_total", "counter",
	    "Notifications by channel and outcome: sent, spooled (waiting "
	    "for beanstalkd), lost.");
	for (ch = 0; ch < NCHANNELS; ch++)
		for (f = 0; f < NFATES; f++) {
			if (ch == CH_WEBHOOK && f == F_SPOOLED)
				continue; /* the webhook has no spool */
			buf_addf(b,
			    "deployer_notifications_total{channel="
			    "\"%s\",outcome=\"%s\"} %llu\n",
			    channels[ch], fates[f],
			    (unsigned long long)mstore_get(m,
			        G_NOTIFY + ch * NFATES + f));
		}
	family(b, "deployer_audit_write_failures_total", "counter",
	    "Audit records that could not be written.");
	buf_addf(b, "deployer_audit_write_failures_total %llu\n",
	    (unsigned long long)mstore_get(m, G_AUDIT_FAILURES));
}

/* The spool as it is now, read from its directory. */
static void
render_spool(struct buf *b, const struct config *c)
{
	struct timespec now;
	uint64_t oldest, now_ns;
	unsigned n;

	if (c->spool_dir == NULL || spool_stat(c->spool_dir, &n, &oldest) == -1)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	family(b, "deployer_spool_messages", "gauge",
	    "Notifications waiting in the spool for beanstalkd.");
	buf_addf(b, "deployer_spool_messages %u\n", n);
	family(b, "deployer_spool_oldest_message_age_seconds", "gauge",
	    "Age of the oldest notification in the spool (0: empty).");
	buf_addf(b, "deployer_spool_oldest_message_age_seconds %.3f\n",
	    oldest == 0 || oldest > now_ns ? 0.0
	                                   : (double)(now_ns - oldest) / 1e9);
}

int
metrics_run(struct request *req)
{
	const char *errstr;
	struct mstore *m;

	if ((m = open_store(req->cfg, &errstr)) == NULL) {
		log_warnx("metrics: %s/metrics: %s",
		    req->cfg->state_dir ? req->cfg->state_dir : "-", errstr);
		return req_fail(req, 503,
		    "the metrics file under state_dir "
		    "cannot be used (%s); see the server log",
		    errstr);
	}
	render_build(&req->text, m);
	render_requests(&req->text, m);
	render_refused(&req->text, m);
	render_services(&req->text, m);
	render_durations(&req->text, m);
	render_notify(&req->text, m);
	render_spool(&req->text, req->cfg);
	/* An add past the buffer's limit empties it, and later adds start
	 * again: the first family is then missing. */
	if (strncmp(buf_str(&req->text), "# HELP deployer_build_info ", 27) !=
	    0)
		return req_fail(req, 500, "the metrics do not fit the answer");
	req->text_type = "text/plain; version=0.0.4; charset=utf-8";
	return 0;
}
