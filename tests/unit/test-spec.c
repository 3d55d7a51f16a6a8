/* test-spec.c: unit tests for the changes a deploy makes to a spec */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "docker.h"
#include "jsonedit.h"
#include "spec.h"
#include "../tap.h"

/* A service as docker_service_get leaves it: the reply, and the span of
 * its Spec.  The spec holds numbers a double would round. */
static char reply[] =
    "{\"ID\":\"abc\",\"Version\":{\"Index\":42},\"Spec\":{\"Name\":\"web\","
    "\"Labels\":{\"deployer.allowUpdates\":\"true\"},"
    "\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"local/app:v1\","
    "\"StopGracePeriod\":9007199254740993},\"ForceUpdate\":"
    "18446744073709551614,\"Placement\":{}},"
    "\"Mode\":{\"Replicated\":{\"Replicas\":2}}},\"PreviousSpec\":null}";

static void
service_of(char *raw, struct service *svc, uint64_t force_update)
{
	static const char *const path[] = { "Spec", NULL };

	memset(svc, 0, sizeof(*svc));
	svc->raw = raw;
	svc->rawlen = strlen(raw);
	svc->force_update = force_update;
	if (json_find(raw, svc->rawlen, path, &svc->spec) != 0) {
		printf("Bail out! no Spec in the test reply\n");
		exit(1);
	}
}

/* The value at path in the JSON in b, or "" (static): its raw text, or
 * with unquote a string's contents. */
static const char *
value_at(const struct buf *b, const char *const *path, int unquote)
{
	static char out[512];
	struct json_span sp;
	size_t n, skip;

	out[0] = '\0';
	if (json_find(buf_str(b), b->len, path, &sp) != 0 ||
	    (unquote && sp.type != JSON_STRING))
		return out;
	skip = unquote ? 1 : 0;
	n = sp.len - 2 * skip;
	if (n > sizeof(out) - 1)
		n = sizeof(out) - 1;
	memcpy(out, buf_str(b) + sp.off + skip, n);
	out[n] = '\0';
	return out;
}

#define str_at(b, path) value_at((b), (path), 1)
#define raw_at(b, path) value_at((b), (path), 0)

static const char *const p_image[] = { "TaskTemplate", "ContainerSpec", "Image",
	NULL };
static const char *const p_grace[] = { "TaskTemplate", "ContainerSpec",
	"StopGracePeriod", NULL };
static const char *const p_force[] = { "TaskTemplate", "ForceUpdate", NULL };
static const char *const p_platforms[] = { "TaskTemplate", "Placement",
	"Platforms", NULL };
static const char *const p_by[] = { "Labels", "deployer.last.by", NULL };
static const char *const p_req[] = { "Labels", "deployer.last.request", NULL };
static const char *const p_at[] = { "Labels", "deployer.last.at", NULL };
static const char *const p_allow[] = { "Labels", "deployer.allowUpdates",
	NULL };
static const char *const p_replicas[] = { "Mode", "Replicated", "Replicas",
	NULL };

static void
test_image(void)
{
	struct spec_change c = { .image = "local/app:v2@sha256:"
		                          "0123456789abcdef0123456789abcdef"
		                          "0123456789abcdef0123456789abcdef" };
	struct service svc;
	struct buf out;

	service_of(reply, &svc, 0);
	buf_init(&out, SPEC_MAX);
	is_int(spec_edit(&c, &svc, &out), 0, "the image changed");
	is_str(str_at(&out, p_image), c.image, "... to the pinned reference");
	is_str(raw_at(&out, p_grace), "9007199254740993",
	    "... a number above 2^53 as Docker wrote it");
	is_str(raw_at(&out, p_force), "18446744073709551614",
	    "... ForceUpdate untouched without force");
	is_str(raw_at(&out, p_replicas), "2",
	    "... the rest of the spec as it was");
	is_str(str_at(&out, p_allow), "true", "... its labels too");
	is_str(raw_at(&out, p_by), "", "... no deployer.last labels unasked");
	is_str(raw_at(&out, p_platforms), "", "... no platforms unasked");
	ok(strncmp(buf_str(&out), "{\"Name\":\"web\"", 13) == 0,
	    "... the spec alone, not the whole reply");
	buf_free(&out);
}

static void
test_force(void)
{
	struct spec_change c = { .image = "local/app:v1", .force = 1 };
	struct service svc;
	struct buf out;

	service_of(reply, &svc, 18446744073709551614ULL);
	buf_init(&out, SPEC_MAX);
	is_int(spec_edit(&c, &svc, &out), 0, "force");
	is_str(raw_at(&out, p_force), "18446744073709551615",
	    "... ForceUpdate + 1, in 64 bits");
	buf_free(&out);
}

static void
test_labels_and_platforms(void)
{
	struct spec_change c = { .image = "local/app:v3",
		.by = "ci",
		.request_id = "0123456789abcdef" };
	struct service svc;
	struct buf out;
	cJSON *plat =
	    cJSON_Parse("[{\"Architecture\":\"amd64\",\"OS\":\"linux\"}]");

	c.platforms = plat;
	service_of(reply, &svc, 0);
	buf_init(&out, SPEC_MAX);
	is_int(spec_edit(&c, &svc, &out), 0, "labels and platforms");
	is_str(str_at(&out, p_by), "ci", "... deployer.last.by");
	is_str(str_at(&out, p_req), "0123456789abcdef",
	    "... deployer.last.request");
	ok(strlen(str_at(&out, p_at)) == 20 && str_at(&out, p_at)[19] == 'Z',
	    "... deployer.last.at, UTC (%s)", str_at(&out, p_at));
	is_str(str_at(&out, p_allow), "true", "... beside the labels it had");
	is_str(raw_at(&out, p_platforms),
	    "[{\"Architecture\":\"amd64\",\"OS\":\"linux\"}]",
	    "... Placement.Platforms as resolved");
	is_str(str_at(&out, p_image), "local/app:v3", "... and the image");
	buf_free(&out);
	cJSON_Delete(plat);

	/* A token name with quotes is a JSON string, not JSON. */
	c.platforms = NULL;
	c.by = "a\"b";
	buf_init(&out, SPEC_MAX);
	is_int(spec_edit(&c, &svc, &out), 0, "a label value with a quote");
	ok(json_check(buf_str(&out), out.len, JSON_DEPTH_MAX) == 0,
	    "... the spec stays valid JSON");
	is_str(str_at(&out, p_by), "a\\\"b", "... the value escaped");
	buf_free(&out);
}

static void
test_refused(void)
{
	static char no_template[] =
	    "{\"Spec\":{\"Name\":\"web\",\"Labels\":{}}}";
	struct spec_change c = { .image = "local/app:v2" };
	struct service svc;
	struct buf out;

	service_of(no_template, &svc, 0);
	buf_init(&out, SPEC_MAX);
	is_int(spec_edit(&c, &svc, &out), 0,
	    "a spec without TaskTemplate: the path is made");
	is_str(str_at(&out, p_image), "local/app:v2",
	    "... and holds the image");
	buf_free(&out);

	service_of(reply, &svc, 0);
	buf_init(&out, 16);
	is_int(spec_edit(&c, &svc, &out), -1,
	    "an output buffer too small for the spec: -1");
	buf_free(&out);
}

int
main(void)
{
	test_image();
	test_force();
	test_labels_and_platforms();
	test_refused();
	return tap_done();
}
