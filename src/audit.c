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
#include <openssl/sha.h>

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

static void
hash_hex(const char *p, size_t n, char out[65])
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	size_t i;

	sha256(p, n, d);
	for (i = 0; i < sizeof(d); i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Each line ends in ,"hash":"<64 hex>"} : the SHA-256 of the line with
 * that member taken out, so an edited line is found at its own number. */
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

/* The hash of the file's last line (its "hash" member). */
static int
last_line_hash(int fd, char out[65])
{
	char tail[AUDIT_LINE_MAX + 2], *start, *end;
	struct stat st;
	off_t from;
	ssize_t n;

	if (fstat(fd, &st) == -1)
		return -1;
	if (st.st_size == 0) {
		memcpy(out, ZERO_HASH, 65);
		return 0;
	}
	from = st.st_size > (off_t)sizeof(tail) - 1 ?
	    st.st_size - (off_t)sizeof(tail) + 1 : 0;
	if ((n = pread(fd, tail, (size_t)(st.st_size - from), from)) !=
	    st.st_size - from)
		return -1;
	tail[n] = '\0';
	end = tail + n;
	if (end[-1] != '\n') {
		errno = EILSEQ;		/* an unterminated last line */
		return -1;
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

static char *
make_line(const struct request *req, const char *prev)
{
	static const char *const actions[] = {
		[ACT_NONE] = NULL, [ACT_DEPLOY] = "deploy",
		[ACT_ROLLBACK] = "rollback", [ACT_STATUS] = "status",
		[ACT_HEALTH] = NULL, [ACT_METRICS] = "metrics",
		[ACT_HISTORY] = "history",
	};
	char when[40], ver[24];
	struct timespec ts;
	struct tm tm;
	cJSON *o;
	char *text;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ldZ",
	    ts.tv_nsec / 1000000);
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	json_put(o, "time", when);
	json_put(o, "request_id", req->id);
	json_put(o, "remote_addr", req->remote_addr);
	json_put(o, "token", req->token_name);
	json_put(o, "action", actions[req->action]);
	json_put(o, "service", req->service);
	json_put(o, "old_image", req->prev_image);
	json_put(o, "new_image", req->new_image ? req->new_image :
	    req->image[0] ? req->image : NULL);
	json_put(o, "digest", req->digest);
	/* A string: a version index is a uint64. */
	if (req->spec_version != 0) {
		snprintf(ver, sizeof(ver), "%llu",
		    (unsigned long long)req->spec_version);
		json_put(o, "version", ver);
	} else
		json_put(o, "version", NULL);
	json_put(o, "outcome", req->status == 401 ? "unauthenticated" :
	    req->status == 403 ? "forbidden" : req->status >= 400 ? "error" :
	    req->state ? req->state : "ok");
	cJSON_AddNumberToObject(o, "status", req->status);
	if (req->status >= 400)
		json_put(o, "error", req->error);
	json_put(o, "prev", prev);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

int
audit_record(const struct request *req, char hash[17])
{
	const char *path = req->cfg ? req->cfg->audit_file : NULL;
	char prev[65], mine[65];
	char *line = NULL;
	struct buf out;
	size_t n;
	int fd, rc = -1;

	hash[0] = '\0';
	if (path == NULL)
		return 0;
	if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1) {
		log_warn("audit: cannot open %s", path);
		return -1;
	}
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			log_warn("audit: cannot lock %s", path);
			goto out;
		}
	if (last_line_hash(fd, prev) == -1) {
		log_warn("audit: cannot read the last line of %s", path);
		goto out;
	}
	if ((line = make_line(req, prev)) == NULL ||
	    (n = strlen(line)) >= AUDIT_LINE_MAX) {
		log_warnx("audit: cannot build the record");
		goto out;
	}
	hash_hex(line, n, mine);
	buf_init(&out, AUDIT_LINE_MAX + HASH_SUFFIX_LEN + 1);
	if (buf_add(&out, line, n - 1) == -1 ||
	    buf_addf(&out, ",\"hash\":\"%s\"}\n", mine) == -1) {
		buf_free(&out);
		goto out;
	}
	if (write(fd, out.data, out.len) != (ssize_t)out.len ||
	    fsync(fd) == -1) {
		log_warn("audit: cannot write %s", path);
		buf_free(&out);
		goto out;
	}
	buf_free(&out);
	memcpy(hash, mine, 16);
	hash[16] = '\0';
	rc = 0;
out:
	cJSON_free(line);
	close(fd);		/* releases the lock */
	return rc;
}

long
audit_verify(const char *path, long *lines)
{
	char want[65], stored[65], mine[65], *line = NULL;
	struct buf body;
	size_t cap = 0;
	ssize_t n;
	long no = 0, bad = 0;
	FILE *f;

	*lines = 0;
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	buf_init(&body, AUDIT_LINE_MAX + HASH_SUFFIX_LEN + 1);
	memcpy(want, ZERO_HASH, 65);
	while ((n = getline(&line, &cap, f)) != -1) {
		const cJSON *prev;
		cJSON *o;

		no++;
		/* The line must be whole, hash to its own "hash", and name
		 * the line before it in "prev". */
		if (n == 0 || line[n - 1] != '\n' ||
		    unhashed(line, (size_t)n - 1, &body, stored) == -1) {
			bad = no;
			break;
		}
		hash_hex(body.data, body.len, mine);
		o = cJSON_ParseWithLength(body.data, body.len);
		prev = cJSON_GetObjectItemCaseSensitive(o, "prev");
		if (strcmp(mine, stored) != 0 || !cJSON_IsString(prev) ||
		    strcmp(prev->valuestring, want) != 0) {
			cJSON_Delete(o);
			bad = no;
			break;
		}
		cJSON_Delete(o);
		memcpy(want, stored, 65);
	}
	buf_free(&body);
	free(line);
	fclose(f);
	*lines = no;
	return bad;
}
