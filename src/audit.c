/* audit.c: a hash-chained, append-only record of who did what */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "api.h"
#include "audit.h"
#include "buf.h"
#include "log.h"
#include "request.h"
#include "util.h"
#include "respond.h"

/* A line is a few hundred bytes; images are at most REF_MAX each. */
#define AUDIT_LINE_MAX (16 * 1024)
#define ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* Refused-request accounting beside the audit file: "minute lines
 * suppressed", rewritten under the audit file's lock. */
#define REFUSED_SUFFIX ".refused"

struct chain {
	const unsigned char *key; /* NULL: plain SHA-256 */
	size_t keylen;
};

/* The chain hash of n bytes at p, as 64 hex digits. */
static void
chain_hash(const struct chain *k, const char *p, size_t n, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = SHA256_DIGEST_LENGTH;

	if (k->key != NULL)
		HMAC(EVP_sha256(), k->key, (int)k->keylen,
		    (const unsigned char *)p, n, d, &dl);
	else
		sha256(p, n, d);
	hex_encode(d, SHA256_DIGEST_LENGTH, out);
	wipe(d, sizeof(d));
}

/* Each line ends in ,"hash":"<64 hex>"} : the hash of the line with that
 * member taken out, so an edited line is found at its own number. */
#define HASH_SUFFIX_LEN (9 + 64 + 2)

/* The line without its hash member, as it was hashed, into out. */
static int
unhashed(const char *line, size_t n, struct buf *out, char stored[65])
{
	if (n < HASH_SUFFIX_LEN + 2 ||
	    memcmp(line + n - HASH_SUFFIX_LEN, ",\"hash\":\"", 9) != 0 ||
	    memcmp(line + n - 2, "\"}", 2) != 0)
		return -1;
	memcpy(stored, line + n - HASH_SUFFIX_LEN + 9, 64);
	stored[64] = '\0';
	buf_reset(out);
	if (buf_add(out, line, n - HASH_SUFFIX_LEN) == -1 ||
	    buf_addch(out, '}') == -1)
		return -1;
	return 0;
}

/*
 * The hash of the file's last complete line.  *torn is set when the file
 * does not end in a newline (a crash cut the last write): the hash is then
 * that of the line before the torn one.
 */
static int
last_line_hash(int fd, char out[65], int *torn)
{
	char tail[AUDIT_LINE_MAX + 2], *start, *end;
	struct stat st;
	off_t from;
	ssize_t n;

	*torn = 0;
	memcpy(out, ZERO_HASH, 65);
	if (fstat(fd, &st) == -1)
		return -1;
	if (st.st_size == 0)
		return 0;
	from = st.st_size > (off_t)sizeof(tail) - 1
	    ? st.st_size - (off_t)sizeof(tail) + 1
	    : 0;
	if ((n = pread(fd, tail, (size_t)(st.st_size - from), from)) !=
	    st.st_size - from)
		return -1;
	tail[n] = '\0';
	end = tail + n;
	if (end[-1] != '\n') {
		*torn = 1;
		while (end > tail && end[-1] != '\n')
			end--;
		if (end == tail)
			return from == 0 ? 0 : (errno = EILSEQ, -1);
	}
	end--;
	start = end;
	while (start > tail && start[-1] != '\n')
		start--;
	if ((start == tail && from > 0) ||
	    (size_t)(end - start) < HASH_SUFFIX_LEN) {
		errno = EILSEQ;
		return -1;
	}
	memcpy(out, end - HASH_SUFFIX_LEN + 9, 64);
	out[64] = '\0';
	return 0;
}

/* "2026-01-01T00:00:00.000Z" */
static void
now_rfc3339(char out[40])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + strlen(out), 40 - strlen(out), ".%03ldZ",
	    ts.tv_nsec / 1000000);
}

/* The action's name, or NULL (null in the record) for none. */
static const char *
record_action(enum action a)
{
	const char *name = action_name(a);

	return strcmp(name, "-") != 0 ? name : NULL;
}

/* A version index is a uint64: written as a string. */
static int
put_version(cJSON *o, uint64_t v)
{
	char ver[24];

	if (v == 0)
		return json_put(o, "version", NULL);
	snprintf(ver, sizeof(ver), "%llu", (unsigned long long)v);
	return json_put(o, "version", ver);
}

/* A record with a member missing would be a lie: all or nothing. */
static cJSON *
complete(cJSON *o, int failed)
{
	if (failed) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The members every record starts with. */
static cJSON *
new_record(const struct request *req, const char *phase, const char *service)
{
	char when[40];
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	now_rfc3339(when);
	return complete(o,
	    json_put(o, "time", when) | json_put(o, "phase", phase) |
	        json_put(o, "request_id", req->id) |
	        json_put(o, "remote_addr", req->remote_addr) |
	        json_put(o, "token", req->token_name) |
	        json_put(o, "action", record_action(req->action)) |
	        json_put(o, "service", service) |
	        (req->stack[0] != '\0' && json_put(o, "stack", req->stack)));
}

static const char *
outcome_word(const struct request *req)
{
	if (req->status == 401)
		return "unauthenticated";
	if (req->status == 403)
		return "forbidden";
	if (req->status >= 400)
		return "error";
	return req->state ? req->state : "ok";
}

/*
 * Decides, under the audit lock, whether a refused request gets its own
 * line: at most max a minute.  The others are counted; the first refusal
 * of a later minute writes their count first (*summary, owned).  Returns
 * 1 to write the refusal, 0 to count it only.
 */
static int
refused_gate(const char *audit_path, unsigned max, cJSON **summary)
{
	char path[4096], text[64];
	unsigned long long minute = 0, lines = 0, dropped = 0;
	unsigned long long now = (unsigned long long)time(NULL) / 60;
	ssize_t n;
	int fd, write_it;

	*summary = NULL;
	n = snprintf(path, sizeof(path), "%s%s", audit_path, REFUSED_SUFFIX);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 1;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return 1;
	if ((n = pread(fd, text, sizeof(text) - 1, 0)) > 0) {
		text[n] = '\0';
		if (sscanf(text, "%llu %llu %llu", &minute, &lines, &dropped) !=
		    3)
			minute = lines = dropped = 0;
	}
	if (minute != now) {
		if (dropped > 0 && (*summary = cJSON_CreateObject()) != NULL) {
			char when[40];

			now_rfc3339(when);
			*summary = complete(*summary,
			    json_put(*summary, "time", when) |
			        json_put(*summary, "phase", "outcome") |
			        json_put(*summary, "outcome",
			            "refused_suppressed") |
			        (cJSON_AddNumberToObject(*summary, "count",
			             (double)dropped) == NULL) |
			        (cJSON_AddNumberToObject(*summary,
			             "minute_start",
			             (double)(minute * 60)) == NULL));
		}
		minute = now;
		lines = dropped = 0;
	}
	write_it = lines < max;
	if (write_it)
		lines++;
	else
		dropped++;
	n = snprintf(text, sizeof(text), "%llu %llu %llu\n", minute, lines,
	    dropped);
	if (ftruncate(fd, 0) == -1 || pwrite(fd, text, (size_t)n, 0) != n)
		log_warn("audit: %s", path);
	close(fd);
	return write_it;
}

/* Chains o (consumed) after the last line, hashes and writes it. */
static int
append_locked(int fd, const struct chain *k, cJSON *o, char hash[17])
{
	char prev[65], mine[65];
	struct buf out;
	char *line;
	size_t n;
	int torn, rc = -1;

	if (last_line_hash(fd, prev, &torn) == -1) {
		log_warn("audit: cannot read the last line");
		cJSON_Delete(o);
		return -1;
	}
	if (json_put(o, "prev", prev) == -1 ||
	    (torn && cJSON_AddTrueToObject(o, "torn") == NULL) ||
	    (k->key != NULL && json_put(o, "chain", "hmac-sha256") == -1)) {
		log_warnx("audit: out of memory");
		cJSON_Delete(o);
		return -1;
	}
	line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (line == NULL || (n = strlen(line)) >= AUDIT_LINE_MAX) {
		log_warnx("audit: cannot build the record");
		cJSON_free(line);
		return -1;
	}
	chain_hash(k, line, n, mine);
	buf_init(&out, AUDIT_LINE_MAX + HASH_SUFFIX_LEN + 2);
	if ((torn && buf_addch(&out, '\n') == -1) ||
	    buf_add(&out, line, n - 1) == -1 ||
	    buf_addf(&out, ",\"hash\":\"%s\"}\n", mine) == -1)
		goto out;
	if (write(fd, out.data, out.len) != (ssize_t)out.len ||
	    fsync(fd) == -1) {
		log_warn("audit: cannot write");
		goto out;
	}
	if (torn)
		log_warnx(
		    "audit: the last line was torn (a crash while "
		    "writing); closed it and chained from the line before");
	if (hash != NULL) {
		memcpy(hash, mine, 16);
		hash[16] = '\0';
	}
	rc = 0;
out:
	buf_free(&out);
	cJSON_free(line);
	return rc;
}

/*
 * Appends record o (consumed) to the configured file under its lock.  A
 * refused request may be counted instead (refused_gate).
 */
static int
append(const struct config *c, cJSON *o, int refused, char hash[17])
{
	const struct chain k = { c->audit_key, c->audit_key_len };
	cJSON *summary = NULL;
	int fd, rc = -1;

	if (o == NULL) {
		log_warnx("audit: out of memory");
		return -1;
	}
	if ((fd = open(c->audit_file, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	         0600)) == -1) {
		log_warn("audit: cannot open %s", c->audit_file);
		cJSON_Delete(o);
		return -1;
	}
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			log_warn("audit: cannot lock %s", c->audit_file);
			cJSON_Delete(o);
			goto out;
		}
	if (refused &&
	    !refused_gate(c->audit_file, c->audit_refused_max, &summary)) {
		cJSON_Delete(o);
		rc = 0;
		goto out;
	}
	if (summary != NULL && append_locked(fd, &k, summary, NULL) == -1) {
		cJSON_Delete(o);
		goto out;
	}
	rc = append_locked(fd, &k, o, hash);
out:
	close(fd); /* releases the lock */
	return rc;
}

int
audit_intent(const struct request *req, const struct change *c)
{
	cJSON *o;

	if (req->cfg == NULL || req->cfg->audit_file == NULL)
		return 0;
	if ((o = new_record(req, "intent", c->service)) != NULL)
		o = complete(o,
		    json_put(o, "service_id", c->service_id) |
		        json_put(o, "old_image", c->prev_image) |
		        json_put(o, "new_image", c->new_image) |
		        json_put(o, "digest", c->digest) |
		        put_version(o, c->version));
	return append(req->cfg, o, 0, NULL);
}

/* The members an outcome record has after the common ones. */
static cJSON *
outcome_members(cJSON *o, const struct request *req, const struct change *c,
    const char *outcome, int status)
{
	return complete(o,
	    json_put(o, "old_image", c->prev_image) |
	        json_put(o, "new_image",
	            c->new_image ? c->new_image : c->requested) |
	        json_put(o, "digest", c->digest) | put_version(o, c->version) |
	        json_put(o, "outcome", outcome) |
	        (cJSON_AddNumberToObject(o, "status", status) == NULL) |
	        (req->status >= 400 && json_put(o, "error", req->error)));
}

int
audit_record(const struct request *req, char hash[17])
{
	struct change c;
	cJSON *o;

	hash[0] = '\0';
	if (req->cfg == NULL || req->cfg->audit_file == NULL)
		return 0;
	req_change(req, &c);
	if (c.requested != NULL && c.requested[0] == '\0')
		c.requested = NULL;
	if ((o = new_record(req, "outcome", req->service)) != NULL)
		o = outcome_members(o, req, &c, outcome_word(req), req->status);
	return append(req->cfg, o, req->status == 401, hash);
}

int
audit_member(const struct request *req, const struct change *c)
{
	cJSON *o;

	if (req->cfg == NULL || req->cfg->audit_file == NULL)
		return 0;
	if ((o = new_record(req, "outcome", c->service)) != NULL)
		/* Written before the request's status is final: 200 then. */
		o = outcome_members(o, req, c, c->state ? c->state : "planned",
		    req->status ? req->status : 200);
	return append(req->cfg, o, 0, NULL);
}

/* Intents waiting for their outcome, by request id (bounded: beyond it
 * an intent counts as open for good). */
#define OPEN_INTENTS_MAX AUDIT_OPEN_MAX

static void
track_intent(struct audit_report *r, const char *phase, const cJSON *rid)
{
	size_t i;

	if (!cJSON_IsString(rid) || strlen(rid->valuestring) != 16)
		return;
	if (strcmp(phase, "intent") == 0) {
		if (r->nopen < OPEN_INTENTS_MAX)
			memcpy(r->open[r->nopen++], rid->valuestring, 17);
		else
			r->overflow++;
		return;
	}
	for (i = 0; i < r->nopen; i++)
		if (strcmp(r->open[i], rid->valuestring) == 0) {
			memmove(r->open[i], r->open[i + 1],
			    (r->nopen - i - 1) * sizeof(r->open[0]));
			r->nopen--;
			return;
		}
}

/* One line of the file: 0 when it follows from want, -1 when not. */
static int
verify_line(const struct chain *k, const char *line, size_t n, struct buf *body,
    const char *want, char stored[65], int *is_torn_mark,
    struct audit_report *r)
{
	const cJSON *prev, *chain, *torn, *phase;
	char mine[65];
	cJSON *o;
	int rc = -1;

	*is_torn_mark = 0;
	if (unhashed(line, n, body, stored) == -1 ||
	    (o = cJSON_ParseWithLength(body->data, body->len)) == NULL)
		return -1;
	chain = cJSON_GetObjectItemCaseSensitive(o, "chain");
	if (cJSON_IsString(chain))
		r->keyed = 1;
	/* With a key every line must be keyed; without, none may be. */
	if ((k->key != NULL) != cJSON_IsString(chain))
		goto out;
	chain_hash(k, body->data, body->len, mine);
	prev = cJSON_GetObjectItemCaseSensitive(o, "prev");
	torn = cJSON_GetObjectItemCaseSensitive(o, "torn");
	*is_torn_mark = cJSON_IsTrue(torn);
	if (strcmp(mine, stored) != 0 || !cJSON_IsString(prev) ||
	    strcmp(prev->valuestring, want) != 0)
		goto out;
	phase = cJSON_GetObjectItemCaseSensitive(o, "phase");
	track_intent(r, cJSON_IsString(phase) ? phase->valuestring : "",
	    cJSON_GetObjectItemCaseSensitive(o, "request_id"));
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

int
audit_verify(const char *path, const unsigned char *key, size_t keylen,
    struct audit_report *r)
{
	const struct chain k = { key, keylen };
	char want[65], stored[65], *line = NULL;
	struct buf body;
	size_t cap = 0;
	ssize_t n;
	long torn_at = 0;
	int mark;
	FILE *f;

	memset(r, 0, sizeof(*r));
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	buf_init(&body, AUDIT_LINE_MAX + HASH_SUFFIX_LEN + 1);
	memcpy(want, ZERO_HASH, 65);
	while ((n = getline(&line, &cap, f)) != -1) {
		r->lines++;
		if (n > 0 && line[n - 1] == '\n' &&
		    verify_line(&k, line, (size_t)n - 1, &body, want, stored,
		        &mark, r) == 0) {
			/* A torn line counts only when the next record says
			 * so and chains from the line before it. */
			if (torn_at != 0 && !mark)
				break;
			if (torn_at != 0)
				r->torn++;
			torn_at = 0;
			memcpy(want, stored, 65);
			continue;
		}
		if (torn_at != 0)
			break;
		torn_at = r->lines;
	}
	if (torn_at != 0)
		r->bad = torn_at;
	r->intents = (long)r->nopen + r->overflow;
	buf_free(&body);
	free(line);
	fclose(f);
	return 0;
}
