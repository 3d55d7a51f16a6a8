/* spec.c: the changes a deploy makes to a service's spec */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "docker.h"
#include "imageref.h"
#include "jsonedit.h"
#include "spec.h"

static const char *const path_image[] = { "TaskTemplate", "ContainerSpec",
	"Image", NULL };
static const char *const path_platforms[] = { "TaskTemplate", "Placement",
	"Platforms", NULL };
static const char *const path_force[] = { "TaskTemplate", "ForceUpdate", NULL };

/* Sets one string label on the spec in spec (through tmp). */
static int
set_label(struct buf *spec, struct buf *tmp, const char *key, const char *value)
{
	const char *path[] = { "Labels", key, NULL };
	struct buf val;
	int rc;

	buf_init(&val, 4 * REF_MAX);
	buf_reset(tmp);
	rc = json_quote(&val, value, strlen(value)) == -1 ||
	        json_set(tmp, buf_str(spec), spec->len, path, buf_str(&val),
	            val.len) == -1
	    ? -1
	    : 0;
	buf_free(&val);
	if (rc == 0) {
		buf_reset(spec);
		rc = buf_add(spec, buf_str(tmp), tmp->len);
	}
	return rc;
}

/* Who deployed, when, in which request: visible in docker service
 * inspect (record_labels = 1). */
static int
set_labels(const struct spec_change *c, struct buf *spec, struct buf *tmp)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return set_label(spec, tmp, "deployer.last.by", c->by) == -1 ||
	        set_label(spec, tmp, "deployer.last.at", when) == -1 ||
	        set_label(spec, tmp, "deployer.last.request", c->request_id) ==
	            -1
	    ? -1
	    : 0;
}

int
spec_edit(const struct spec_change *c, const struct service *svc,
    struct buf *out)
{
	const char *spec = svc->raw + svc->spec.off;
	size_t n = svc->spec.len;
	struct buf val, tmp;
	char *plat = NULL;
	int rc = -1;

	buf_init(&val, SPEC_MAX);
	buf_init(&tmp, SPEC_MAX);
	if (json_quote(&val, c->image, strlen(c->image)) == -1 ||
	    json_set(out, spec, n, path_image, buf_str(&val), val.len) == -1)
		goto fail;
	if (c->platforms != NULL) {
		if ((plat = cJSON_PrintUnformatted(c->platforms)) == NULL)
			goto fail;
		buf_reset(&tmp);
		if (json_set(&tmp, buf_str(out), out->len, path_platforms, plat,
		        strlen(plat)) == -1)
			goto fail;
		buf_reset(out);
		if (buf_add(out, buf_str(&tmp), tmp.len) == -1)
			goto fail;
	}
	if (c->by != NULL && set_labels(c, out, &tmp) == -1)
		goto fail;
	if (c->force) {
		/* uint64 arithmetic on the number's own text: a double
		 * would lose it past 2^53. */
		buf_reset(&val);
		buf_reset(&tmp);
		if (buf_addf(&val, "%llu",
		        (unsigned long long)(svc->force_update + 1)) == -1 ||
		    json_set(&tmp, buf_str(out), out->len, path_force,
		        buf_str(&val), val.len) == -1)
			goto fail;
		buf_reset(out);
		if (buf_add(out, buf_str(&tmp), tmp.len) == -1)
			goto fail;
	}
	rc = 0;
fail:
	cJSON_free(plat);
	buf_free(&val);
	buf_free(&tmp);
	return rc;
}
