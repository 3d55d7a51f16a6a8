/* test-audit.c: unit tests for the hash-chained audit trail */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/sha.h>

#include "audit.h"
#include "cfg.h"
#include "request.h"
#include "unit.h"
#include "../tap.h"

/*
 * Records are written through audit_intent and audit_record, checked by
 * reading the file back, and the file is then edited the way an intruder
 * would (a changed line, a removed one, a recomputed chain) and given to
 * audit_verify, which is what deployer --verify-audit prints.
 */

#define AUDIT_KEY "audit-key-0123456789abcdef"

/* Settings with the audit file at path, keyed or not. */

/* An intent to write service_id from old to new at version. */
static int
intent(const struct request *r, const char *service_id, const char *old,
    const char *new, uint64_t version)
{
	const struct change c = {
		.service = r->service,
		.service_id = service_id,
		.prev_image = old,
		.new_image = new,
		.digest = r->digest,
		.version = version,
	};

	return audit_intent(r, &c);
}

static void
settings(struct config *c, const char *path, int keyed, unsigned refused_max)
{
	const char *key = tmp_path("audit.key");
	char text[1024];

	write_file(key, AUDIT_KEY, strlen(AUDIT_KEY));
	snprintf(text, sizeof(text), "token = s3cret\naudit_file = %s\n"
	    "audit_refused_max = %u\n%s%s\n", path, refused_max,
	    keyed ? "audit_key_file = " : "", keyed ? key : "");
	unit_settings(c, text);
}

static void
request(struct request *r, const struct config *c, const char *id, int status)
{
	memset(r, 0, sizeof(*r));
	r->cfg = c;
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->remote_addr, sizeof(r->remote_addr), "192.0.2.7");
	snprintf(r->service, sizeof(r->service), "web");
	r->action = ACT_DEPLOY;
	r->token_name = status == 401 ? NULL : "ci";
	r->status = status;
	if (status >= 400)
		snprintf(r->error, sizeof(r->error), "refused for a test");
}

/* Line n (1-based) of the file as a JSON object (the caller deletes). */
static cJSON *
line_json(const char *path, int n)
{
	char *text = read_file(path, NULL), *p, *nl;
	cJSON *o = NULL;

	for (p = text; p != NULL && *p != '\0' && --n > 0; p = nl + 1)
		if ((nl = strchr(p, '\n')) == NULL)
			p = NULL;
	if (p != NULL && n == 0 && (nl = strchr(p, '\n')) != NULL)
		o = cJSON_ParseWithLength(p, (size_t)(nl - p));
	free(text);
	return o;
}

static const char *
member(const cJSON *o, const char *key)
{
	static char out[4][128];
	static unsigned slot;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
	char *p = out[slot++ % 4];

	if (cJSON_IsString(m))
		snprintf(p, 128, "%s", m->valuestring);
	else if (cJSON_IsNumber(m))
		snprintf(p, 128, "%d", m->valueint);
	else if (cJSON_IsTrue(m))
		snprintf(p, 128, "true");
	else if (cJSON_IsNull(m))
		snprintf(p, 128, "null");
	else
		snprintf(p, 128, "(missing)");
	return p;
}

static struct audit_report rep;

static long
verify(const char *path, int keyed)
{
	if (audit_verify(path, keyed ? (const unsigned char *)AUDIT_KEY : NULL,
	    keyed ? strlen(AUDIT_KEY) : 0, &rep) == -1)
		return -1;
	return rep.bad;
}

/* Appends text to path, as a crash or an intruder would. */
static void
append_text(const char *path, const char *text)
{
	size_t n;
	char *old = read_file(path, &n), *all;

	if ((all = malloc(n + strlen(text) + 1)) == NULL) {
		free(old);
		return;
	}
	memcpy(all, old, n);
	memcpy(all + n, text, strlen(text) + 1);
	write_file(path, all, strlen(all));
	free(all);
	free(old);
}

/* Replaces the first from with to in the file. */
static int
edit(const char *path, const char *from, const char *to)
{
	char *text = read_file(path, NULL), *at, *out;
	size_t n;
	int rc = -1;

	if (text != NULL && (at = strstr(text, from)) != NULL &&
	    (out = malloc(strlen(text) + strlen(to) + 1)) != NULL) {
		n = (size_t)(at - text);
		memcpy(out, text, n);
		snprintf(out + n, strlen(text) + strlen(to) + 1 - n, "%s%s", to,
		    at + strlen(from));
		rc = write_file(path, out, strlen(out));
		free(out);
	}
	free(text);
	return rc;
}

/*
 * Rewrites every line's prev and hash with plain SHA-256, the way
 * someone without the key would after editing a line.
 */
static void
recompute(const char *path)
{
	char *text = read_file(path, NULL), *p, *nl, prev[65], hex[65];
	unsigned char d[SHA256_DIGEST_LENGTH];
	char *line, *out = NULL;
	size_t outlen = 0, i;
	FILE *f = open_memstream(&out, &outlen);
	cJSON *o;

	memset(prev, '0', 64);
	prev[64] = '\0';
	for (p = text; p != NULL && (nl = strchr(p, '\n')) != NULL;
	    p = nl + 1) {
		if ((o = cJSON_ParseWithLength(p, (size_t)(nl - p))) == NULL)
			break;
		cJSON_DeleteItemFromObjectCaseSensitive(o, "hash");
		cJSON_ReplaceItemInObjectCaseSensitive(o, "prev",
		    cJSON_CreateString(prev));
		line = cJSON_PrintUnformatted(o);
		SHA256((unsigned char *)line, strlen(line), d);
		for (i = 0; i < sizeof(d); i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		line[strlen(line) - 1] = '\0';
		fprintf(f, "%s,\"hash\":\"%s\"}\n", line, hex);
		memcpy(prev, hex, 65);
		cJSON_free(line);
		cJSON_Delete(o);
	}
	fclose(f);
	write_file(path, out, outlen);
	free(out);
	free(text);
}

static void
test_records(void)
{
	const char *path = tmp_path("audit.jsonl");
	static char v1[] = "local/app:v1", v2[] = "local/app:v2";
	struct config c;
	struct request r;
	char hash[17];
	cJSON *a, *b;

	settings(&c, path, 0, 10);
	request(&r, &c, "00000000000000a1", 0);
	is_int(intent(&r, "svcid1", "local/app:v1", "local/app:v2", 42), 0,
	    "an intent is written");
	r.prev_image = v1;
	r.new_image = v2;
	r.spec_version = 43;
	r.state = "accepted";
	r.status = 200;
	is_int(audit_record(&r, hash), 0, "... and its outcome");
	is_int(strlen(hash), 16, "... whose hash is given for the log");
	r.prev_image = r.new_image = NULL;

	a = line_json(path, 1);
	b = line_json(path, 2);
	ok(a != NULL && b != NULL, "two JSON lines");
	is_str(member(a, "phase"), "intent", "line 1 is the intent");
	is_str(member(a, "service_id"), "svcid1", "... with the service ID");
	is_str(member(a, "old_image"), "local/app:v1", "... the old image");
	is_str(member(a, "new_image"), "local/app:v2", "... the new image");
	is_str(member(a, "version"), "42", "... the version, as a string");
	is_str(member(a, "token"), "ci", "... the token's name");
	is_str(member(a, "remote_addr"), "192.0.2.7", "... the address");
	is_str(member(a, "prev"),
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "... and chains from zero");
	is_str(member(a, "chain"), "(missing)", "... unkeyed");
	is_str(member(b, "phase"), "outcome", "line 2 is the outcome");
	is_str(member(b, "outcome"), "accepted", "... accepted");
	is_str(member(b, "status"), "200", "... 200");
	is_str(member(b, "version"), "43", "... at the new version");
	is_str(member(b, "error"), "(missing)", "... no error");
	is_str(member(b, "prev"), member(a, "hash"), "... chained to line 1");
	ok(strncmp(member(b, "hash"), hash, 16) == 0,
	    "the hash given is the line's");
	cJSON_Delete(a);
	cJSON_Delete(b);

	is_int(verify(path, 0), 0, "verify: the chain holds");
	ok(rep.lines == 2 && rep.intents == 0 && !rep.keyed && !rep.torn,
	    "... 2 lines, no open intent, unkeyed, not torn");

	request(&r, &c, "00000000000000a2", 0);
	intent(&r, "svcid1", "local/app:v2", "local/app:v3", 43);
	is_int(verify(path, 0), 0, "an intent without its outcome");
	is_int(rep.intents, 1, "... is counted as open");
	request(&r, &c, "00000000000000a2", 409);
	audit_record(&r, hash);
	b = line_json(path, 4);
	is_str(member(b, "outcome"), "error", "a failed request's outcome");
	is_str(member(b, "error"), "refused for a test", "... with its error");
	cJSON_Delete(b);
	is_int(verify(path, 0), 0, "... and then none is open");
	is_int(rep.intents, 0, "... 0");

	edit(path, "local/app:v3", "local/app:v4");
	is_int(verify(path, 0), 3, "an edited line is found at its number");
	recompute(path);
	is_int(verify(path, 0), 0,
	    "an unkeyed chain recomputed after the edit passes: anyone can "
	    "do that (hence audit_key_file)");
	edit(path, "\"request_id\":\"00000000000000a2\"",
	    "\"request_id\":\"00000000000000a9\"");
	is_int(verify(path, 0), 3, "... until the next edit");
	cfg_free(&c);

	memset(&c, 0, sizeof(c));
	request(&r, &c, "00000000000000a3", 0);
	is_int(audit_record(&r, hash), 0, "no audit_file: nothing to do");
	is_str(hash, "", "... and no hash");
	is_int(verify(tmp_path("none.jsonl"), 0), -1,
	    "verify: a missing file cannot be read");
}

static void
test_keyed(void)
{
	const char *path = tmp_path("keyed.jsonl");
	struct config c;
	struct request r;
	char hash[17];
	cJSON *a;
	int i;

	settings(&c, path, 1, 10);
	for (i = 0; i < 3; i++) {
		char id[17];

		snprintf(id, sizeof(id), "00000000000000b%d", i);
		request(&r, &c, id, 0);
		r.state = "completed";
		intent(&r, "svcid2", "a:1", "a:2", 7);
		audit_record(&r, hash);
	}
	a = line_json(path, 1);
	is_str(member(a, "chain"), "hmac-sha256", "a keyed line says so");
	cJSON_Delete(a);
	is_int(verify(path, 1), 0, "verify with the key: the chain holds");
	ok(rep.keyed && rep.lines == 6, "... keyed, 6 lines");
	is_int(verify(path, 0), 1, "without the key, a keyed chain fails at 1");
	ok(rep.keyed, "... and is reported as keyed");

	edit(path, "\"a:2\"", "\"a:9\"");
	is_int(verify(path, 1), 1, "an edited keyed line is found (the first "
	    "intent)");
	recompute(path);
	ok(verify(path, 1) != 0,
	    "a keyed chain recomputed without the key fails (line %ld)",
	    rep.bad);
	cfg_free(&c);

	settings(&c, tmp_path("plain.jsonl"), 0, 10);
	request(&r, &c, "00000000000000b9", 0);
	audit_record(&r, hash);
	is_int(verify(tmp_path("plain.jsonl"), 1), 1,
	    "with a key, an unkeyed line fails");
	cfg_free(&c);
}

static void
test_torn(void)
{
	const char *path = tmp_path("torn.jsonl");
	struct config c;
	struct request r;
	char hash[17];
	cJSON *o, *first;

	settings(&c, path, 0, 10);
	request(&r, &c, "00000000000000c1", 0);
	audit_record(&r, hash);
	append_text(path, "{\"time\":\"2026-01-01T00:00:00.000Z\",\"pha");
	is_int(verify(path, 0), 2,
	    "a torn last line with nothing after it is named");
	request(&r, &c, "00000000000000c2", 0);
	is_int(audit_record(&r, hash), 0, "a record after a torn line");
	first = line_json(path, 1);
	o = line_json(path, 3);
	ok(o != NULL, "... starts a line of its own");
	is_str(member(o, "torn"), "true", "... marked torn");
	is_str(member(o, "prev"), member(first, "hash"),
	    "... chained from the line before the torn one");
	cJSON_Delete(o);
	cJSON_Delete(first);
	is_int(verify(path, 0), 0, "verify: the chain holds across it");
	is_int(rep.torn, 1, "... one torn line");
	is_int(rep.lines, 3, "... three lines");
	cfg_free(&c);
}

/* Lines in the file. */
static int
count_lines(const char *path)
{
	char *text = read_file(path, NULL), *p;
	int n = 0;

	for (p = text; p != NULL && (p = strchr(p, '\n')) != NULL; p++)
		n++;
	free(text);
	return n;
}

static void
test_refused(void)
{
	const char *path = tmp_path("refused.jsonl");
	char state[512], text[64];
	struct config c;
	struct request r;
	char hash[17];
	unsigned long long minute = (unsigned long long)time(NULL) / 60;
	cJSON *o;
	int i;

	settings(&c, path, 0, 2);
	for (i = 0; i < 5; i++) {
		request(&r, &c, "00000000000000d1", 401);
		audit_record(&r, hash);
	}
	is_int(count_lines(path), 2, "audit_refused_max 2: 2 of 5 refusals "
	    "are written");
	o = line_json(path, 1);
	is_str(member(o, "outcome"), "unauthenticated", "... as unauthenticated");
	is_str(member(o, "token"), "null", "... with no token");
	cJSON_Delete(o);
	request(&r, &c, "00000000000000d2", 403);
	audit_record(&r, hash);
	is_int(count_lines(path), 3, "a 403 is never counted away");

	/* The next minute: the state file as if the minute had passed. */
	snprintf(state, sizeof(state), "%s.refused", path);
	snprintf(text, sizeof(text), "%llu 2 3\n", minute - 1);
	write_file(state, text, strlen(text));
	request(&r, &c, "00000000000000d3", 401);
	audit_record(&r, hash);
	is_int(count_lines(path), 5, "a later minute's first refusal");
	o = line_json(path, 4);
	is_str(member(o, "outcome"), "refused_suppressed",
	    "... writes the count of the suppressed first");
	is_str(member(o, "count"), "3", "... 3");
	cJSON_Delete(o);
	o = line_json(path, 5);
	is_str(member(o, "request_id"), "00000000000000d3", "... then itself");
	cJSON_Delete(o);
	is_int(verify(path, 0), 0, "verify: the chain holds");
	cfg_free(&c);

	settings(&c, tmp_path("missing/dir/audit.jsonl"), 0, 2);
	request(&r, &c, "00000000000000d4", 0);
	is_int(audit_record(&r, hash), -1, "an audit file that cannot be "
	    "opened: -1");
	is_int(intent(&r, "x", "a", "b", 1), -1, "... for an intent too");
	cfg_free(&c);
}

int
main(void)
{
	tmp_dir("test-audit");
	test_records();
	test_keyed();
	test_torn();
	test_refused();
	return tap_done();
}
