/* jobspec.c: a job's command, spec and output, without Docker */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "docker.h"
#include "job.h"
#include "jsonedit.h"
#include "spec.h"
#include "util.h"

int
job_wanted(const struct service *svc)
{
	static const char *const path[] = { "Labels", JOB_LABEL_COMMAND, NULL };
	struct json_span sp;

	return svc->raw != NULL &&
	    json_find(svc->raw + svc->spec.off, svc->spec.len, path, &sp) ==
	    0 &&
	    sp.type == JSON_STRING;
}

cJSON *
job_command(const char *label)
{
	const char *p = label;
	const char *sh[] = { "/bin/sh", "-c", label };
	const cJSON *w;
	cJSON *a;
	int n = 0;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p == '\0')
		return NULL;
	/* Text that is a JSON array (and nothing after it) is the command
	 * as Docker runs it; anything else, "[ -f x ] && y" too, is a
	 * command line. */
	if (*p != '[' || (a = cJSON_ParseWithOpts(p, NULL, 1)) == NULL)
		return cJSON_CreateStringArray(sh, 3);
	if (!cJSON_IsArray(a))
		goto bad;
	cJSON_ArrayForEach(w, a) {
		if (!cJSON_IsString(w) || (n == 0 && w->valuestring[0] == '\0'))
			goto bad;
		n++;
	}
	if (n >= 1 && n <= JOB_ARGS_MAX)
		return a;
bad:
	cJSON_Delete(a);
	return NULL;
}

/* out (reset first) = in with the value at path set to val (raw JSON). */
static int
set(struct buf *in, struct buf *out, const char *const *path, const char *val)
{
	buf_reset(out);
	return json_set(out, in->data, in->len, path, val, strlen(val));
}

/* s as a JSON string into t. */
static int
quoted(struct buf *t, const char *s)
{
	buf_reset(t);
	return json_quote(t, s, strlen(s));
}

/* The JSON text of v into t. */
static int
printed(struct buf *t, const cJSON *v)
{
	char *p;
	int rc;

	buf_reset(t);
	if (v == NULL || (p = cJSON_PrintUnformatted(v)) == NULL)
		return -1;
	rc = buf_addstr(t, p);
	cJSON_free(p);
	return rc;
}

/* The labels object. */
static int
labels_text(struct buf *t, const char *const *labels)
{
	buf_reset(t);
	if (buf_addch(t, '{') == -1)
		return -1;
	for (; labels[0] != NULL; labels += 2)
		if (json_quote(t, labels[0], strlen(labels[0])) == -1 ||
		    buf_addch(t, ':') == -1 ||
		    json_quote(t, labels[1], strlen(labels[1])) == -1 ||
		    (labels[2] != NULL && buf_addch(t, ',') == -1))
			return -1;
	return buf_addch(t, '}');
}

int
job_spec(const struct service *svc, const struct job *job,
    const cJSON *platforms, const char *const *labels, struct buf *out)
{
	static const char *const p_name[] = { "Name", NULL };
	static const char *const p_labels[] = { "Labels", NULL };
	static const char *const p_mode[] = { "Mode", NULL };
	static const char *const p_update[] = { "UpdateConfig", NULL };
	static const char *const p_rollback[] = { "RollbackConfig", NULL };
	static const char *const p_endpoint[] = { "EndpointSpec", NULL };
	static const char *const p_image[] = { "TaskTemplate", "ContainerSpec",
		"Image", NULL };
	static const char *const p_command[] = { "TaskTemplate",
		"ContainerSpec", "Command", NULL };
	static const char *const p_args[] = { "TaskTemplate", "ContainerSpec",
		"Args", NULL };
	static const char *const p_health[] = { "TaskTemplate", "ContainerSpec",
		"Healthcheck", NULL };
	static const char *const p_restart[] = { "TaskTemplate",
		"RestartPolicy", NULL };
	static const char *const p_platforms[] = { "TaskTemplate", "Placement",
		"Platforms", NULL };
	struct buf a, b, t, *res;
	int rc = -1;

	buf_init(&a, SPEC_MAX);
	buf_init(&b, SPEC_MAX);
	buf_init(&t, SPEC_MAX);
	if (buf_add(&a, svc->raw + svc->spec.off, svc->spec.len) == -1 ||
	    quoted(&t, job->name) == -1 ||
	    set(&a, &b, p_name, buf_str(&t)) == -1 ||
	    labels_text(&t, labels) == -1 ||
	    set(&b, &a, p_labels, buf_str(&t)) == -1 ||
	    set(&a, &b, p_mode,
	        "{\"ReplicatedJob\":{\"MaxConcurrent\":1,"
	        "\"TotalCompletions\":1}}") == -1 ||
	    /* A job publishes no port, is never updated, and a health
	     * check made for the server would kill the job. */
	    set(&b, &a, p_update, "null") == -1 ||
	    set(&a, &b, p_rollback, "null") == -1 ||
	    set(&b, &a, p_endpoint, "null") == -1 ||
	    quoted(&t, job->image) == -1 ||
	    set(&a, &b, p_image, buf_str(&t)) == -1 ||
	    printed(&t, job->command) == -1 ||
	    set(&b, &a, p_command, buf_str(&t)) == -1 ||
	    set(&a, &b, p_args, "null") == -1 ||
	    set(&b, &a, p_health, "{\"Test\":[\"NONE\"]}") == -1 ||
	    set(&a, &b, p_restart,
	        "{\"Condition\":\"none\",\"MaxAttempts\":0}") == -1)
		goto out;
	res = &b;
	if (platforms != NULL) {
		if (printed(&t, platforms) == -1 ||
		    set(&b, &a, p_platforms, buf_str(&t)) == -1)
			goto out;
		res = &a;
	}
	rc = buf_add(out, res->data, res->len);
out:
	buf_free(&a);
	buf_free(&b);
	buf_free(&t);
	return rc;
}

/* One line, valid UTF-8 (other bytes as '?') and bounded, into arr. */
static int
add_line(cJSON *arr, const char *s, size_t n)
{
	char line[JOB_LINE_MAX + 1];
	size_t i = 0, o = 0, k;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	while (i < n && o < JOB_LINE_MAX) {
		k = utf8_seq((const unsigned char *)s + i, n - i);
		if (k == 0 || s[i] == '\0') {
			line[o++] = '?';
			i++;
			continue;
		}
		if (o + k > JOB_LINE_MAX)
			break;
		memcpy(line + o, s + i, k);
		o += k;
		i += k;
	}
	line[o] = '\0';
	return cJSON_AddItemToArray(arr, cJSON_CreateString(line)) ? 0 : -1;
}

cJSON *
job_lines(const char *text, size_t n)
{
	const char *start[JOB_OUTPUT_LINES + 1], *p = text, *end = text + n;
	size_t len[JOB_OUTPUT_LINES + 1], count = 0, i;
	cJSON *arr;

	/* A ring of the last lines seen. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		start[count % (JOB_OUTPUT_LINES + 1)] = p;
		len[count % (JOB_OUTPUT_LINES + 1)] = (size_t)(e - p);
		count++;
		p = nl ? nl + 1 : end;
	}
	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	i = count > JOB_OUTPUT_LINES ? count - JOB_OUTPUT_LINES : 0;
	for (; i < count; i++)
		if (add_line(arr, start[i % (JOB_OUTPUT_LINES + 1)],
		        len[i % (JOB_OUTPUT_LINES + 1)]) == -1) {
			cJSON_Delete(arr);
			return NULL;
		}
	return arr;
}
