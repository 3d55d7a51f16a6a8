/* test-push.c: unit tests for the registry webhook payloads (tests/hooks/) */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imageref.h"
#include "push.h"
#include "util.h"
#include "../tap.h"

#define D1 \
	"sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf"
#define D2 \
	"sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4"
#define D3 \
	"sha256:3da7e0c2ab7e1eb2ad5f2a9c1e36f3fa8f5a9e0b44f5e6b2c1c8d7e6a5b4c3d2"

static struct push_set set;
static char err[384];

/* Parses a payload given as text. */
static int
parse(enum push_sender s, const char *event, const char *body)
{
	push_set_free(&set);
	err[0] = '\0';
	return push_parse(s, event, body, strlen(body), &set, err, sizeof(err));
}

/* Parses tests/hooks/NAME. */
static int
parse_file(enum push_sender s, const char *event, const char *name)
{
	const char *top = getenv("top_srcdir"), *errstr;
	char p[4096];
	struct buf b;
	int rc;

	snprintf(p, sizeof(p), "%s/tests/hooks/%s", top ? top : ".", name);
	if (file_slurp(p, &b, 1 << 20, &errstr) == -1) {
		fprintf(stderr, "# %s: %s\n", p, errstr);
		return -9;
	}
	push_set_free(&set);
	rc = push_parse(s, event, buf_str(&b), b.len, &set, err, sizeof(err));
	buf_free(&b);
	return rc;
}

/* Push i as "domain/path:tag@digest". */
static const char *
pushed(size_t i)
{
	static char out[REF_MAX + 1];
	const struct imageref *r = &set.v[i].ref;

	if (i >= set.n)
		return "(none)";
	snprintf(out, sizeof(out), "%s/%s:%s%s%s", r->domain, r->path, r->tag,
	    r->digest[0] ? "@" : "", r->digest);
	return out;
}

/* The reason noted for ignored event i. */
static const char *
reason(int i)
{
	const cJSON *o = cJSON_GetArrayItem(set.ignored, i);
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "reason");

	return cJSON_IsString(r) ? r->valuestring : "(none)";
}

static void
test_registry(void)
{
	is_int(parse_file(PUSH_REGISTRY, NULL, "registry-push.json"), 0,
	    "registry: the documented envelope parses");
	is_int((int)set.events, 3, "... three events");
	is_int((int)set.n, 1, "... one push: the manifest with its tag");
	is_str(pushed(0), "registry.example.com:5000/hello-world:v1.4.2@" D1,
	    "... on the request's host, port included, with the digest");
	is_int((int)set.nignored, 2, "... the blob and the pull ignored");
	is_str(reason(0), "a blob, not a manifest", "... a blob is no release");
	is_str(reason(1), "not a push", "... a pull is no push");

	is_int(
	    parse(PUSH_REGISTRY, NULL,
	        "{\"events\":[{\"action\":\"push\",\"target\":{\"mediaType\":"
	        "\"application/vnd.oci.image.index.v1+json\",\"repository\":"
	        "\"app\",\"digest\":\"" D1 "\"},\"request\":{\"host\":"
	        "\"localhost:5000\"}}]}"),
	    0, "registry: an index pushed by digest only");
	is_int((int)set.n, 0, "... is no push");
	is_str(reason(0), "a manifest pushed by digest only",
	    "... and says why");

	is_int(
	    parse(PUSH_REGISTRY, NULL,
	        "{\"events\":[{\"action\":\"push\",\"target\":{\"mediaType\":"
	        "\"application/vnd.docker.distribution.manifest.v2+json\","
	        "\"repository\":\"app\",\"tag\":\"v1\",\"digest\":\"" D1
	        "\"},\"request\":{\"host\":\"registry\"}}]}"),
	    0, "registry: a host Docker would read as a path");
	is_int((int)set.n, 0,
	    "... moves nothing (registry/app is Docker Hub's)");

	is_int(
	    parse(PUSH_REGISTRY, NULL,
	        "{\"events\":[{\"action\":\"push\",\"target\":{\"mediaType\":"
	        "\"application/vnd.docker.distribution.manifest.v2+json\","
	        "\"repository\":\"app\",\"tag\":\"v1\"},\"request\":{"
	        "\"host\":\"localhost:5000\"}}]}"),
	    -1, "registry: a manifest push without a digest is malformed");
	ok(strstr(err, "target.digest") != NULL,
	    "... and says what is missing");

	is_int(parse(PUSH_REGISTRY, NULL, "{\"event\":[]}"), -1,
	    "registry: no events array: 400");
	is_int(parse(PUSH_REGISTRY, NULL, "[1]"), -1, "not an object: 400");
	is_int(parse(PUSH_REGISTRY, NULL,
	           "{\"events\":[{\"action\":\"push\","
	           "\"target\":{\"mediaType\":\"application/"
	           "vnd.docker.distribution.manifest.v2+"
	           "json\",\"repository\":\"App\",\"tag\":"
	           "\"v1\",\"digest\":\"" D1 "\"},"
	           "\"request\":{\"host\":\"h.example\"}}]}"),
	    -1, "registry: an uppercase repository is refused");
	is_int(parse(PUSH_REGISTRY, NULL, "{\"events\":[]} junk"), -1,
	    "trailing bytes: 400");
	is_int(parse(PUSH_REGISTRY, NULL, "{\"events\":[\"\xff\"]}"), -1,
	    "invalid UTF-8: 400");
}

/* The same tag twice in one delivery, and more than PUSH_MAX tags. */
static void
test_limits(void)
{
	struct buf b;
	int i;

	buf_init(&b, 1 << 20);
	buf_addf(&b, "{\"docker_url\":\"quay.io/a/b\",\"updated_tags\":[");
	for (i = 0; i < PUSH_MAX; i++)
		buf_addf(&b, "%s\"t%d\",\"t%d\"", i ? "," : "", i, i);
	buf_addf(&b, "]}");
	is_int(parse(PUSH_QUAY, NULL, buf_str(&b)), 0,
	    "quay: %d tags, each twice", PUSH_MAX);
	is_int((int)set.n, PUSH_MAX, "... each once");
	buf_reset(&b);
	buf_addf(&b, "{\"docker_url\":\"quay.io/a/b\",\"updated_tags\":[");
	for (i = 0; i <= PUSH_MAX; i++)
		buf_addf(&b, "%s\"t%d\"", i ? "," : "", i);
	buf_addf(&b, "]}");
	is_int(parse(PUSH_QUAY, NULL, buf_str(&b)), -1,
	    "quay: %d tags are refused", PUSH_MAX + 1);
	buf_free(&b);
}

static void
test_dockerhub(void)
{
	is_int(parse_file(PUSH_DOCKERHUB, NULL, "dockerhub-push.json"), 0,
	    "dockerhub: the documented payload parses");
	is_int((int)set.n, 1, "... one push");
	is_str(pushed(0), "docker.io/svendowideit/testhook:latest",
	    "... on Docker Hub, without a digest");
	is_int(parse(PUSH_DOCKERHUB, NULL, "{\"repository\":{}}"), 0,
	    "dockerhub: no push_data");
	is_int((int)set.n, 0, "... is ignored");
	is_int(parse(PUSH_DOCKERHUB, NULL,
	           "{\"push_data\":{},\"repository\":{\"repo_name\":\"a/b\"}}"),
	    -1, "dockerhub: push_data without a tag: 400");
}

static void
test_github(void)
{
	is_int(parse_file(PUSH_GITHUB, "package", "github-package.json"), 0,
	    "github: the documented package event parses");
	is_str(pushed(0), "ghcr.io/octo-org/hello-world:v1.4.2@" D3,
	    "... package_url's repository, the tag's digest");
	is_int(parse_file(PUSH_GITHUB, "registry_package",
	           "github-registry-package.json"),
	    0, "github: the older registry_package event parses");
	is_str(pushed(0), "ghcr.io/octo-org/hello-world:latest@" D3,
	    "... the same way");
	is_int(parse_file(PUSH_GITHUB, "ping", "github-ping.json"), 0,
	    "github: ping");
	is_int((int)set.n, 0, "... moves nothing");
	is_str(reason(0), "ping: the hook works",
	    "... and says the hook works");
	is_int(parse_file(PUSH_GITHUB, "package", "github-ping.json"), -1,
	    "github: a ping's body under the package event: 400");
	is_int(parse_file(PUSH_GITHUB, NULL, "github-package.json"), -1,
	    "github: no X-GitHub-Event: 400");
	is_int(parse(PUSH_GITHUB, "package",
	           "{\"action\":\"published\",\"package\":{\"name\":\"Hello\","
	           "\"namespace\":\"Octo\",\"package_type\":\"container\","
	           "\"package_version\":{\"version\":\"" D3 "\","
	           "\"container_metadata\":{\"tag\":{\"name\":\"v2\"}}}}}"),
	    0, "github: without package_url");
	is_str(pushed(0), "ghcr.io/octo/hello:v2@" D3,
	    "... ghcr.io/<namespace>/<name>, lowercased; the version's digest");
	is_int(parse(PUSH_GITHUB, "package",
	           "{\"action\":\"published\",\"package\":{\"package_type\":"
	           "\"npm\"}}"),
	    0, "github: an npm package");
	is_str(reason(0), "not a container package", "... is ignored");
	is_int(parse(PUSH_GITHUB, "package",
	           "{\"action\":\"published\",\"package\":{\"package_type\":"
	           "\"container\",\"package_version\":{\"version\":\"" D3 "\","
	           "\"container_metadata\":{\"tag\":{\"name\":\"\"}},"
	           "\"package_url\":\"ghcr.io/o/n:\"}}}"),
	    0, "github: an untagged version");
	is_int((int)set.n, 0, "... moves nothing");
	is_int(parse(PUSH_GITHUB, "workflow_run", "{}"), 0,
	    "github: another event type");
	is_str(reason(0), "not a package event", "... is ignored");
}

static void
test_harbor(void)
{
	is_int(parse_file(PUSH_HARBOR, NULL, "harbor-push.json"), 0,
	    "harbor: the documented PUSH_ARTIFACT parses");
	is_int((int)set.n, 2, "... two tags in one event");
	is_str(pushed(0), "harbor.example.com:8443/shop/web:v1.4.2@" D2,
	    "... host with its port, the resource's digest");
	is_str(pushed(1), "harbor.example.com:8443/shop/web:latest@" D2,
	    "... and the second tag");
	is_int(parse_file(PUSH_HARBOR, NULL, "harbor-cloudevents.json"), 0,
	    "harbor: the CloudEvents format parses");
	is_str(pushed(0), "harbor.example.com:8443/shop/web:v1.4.2@" D2,
	    "... the same push");
	is_int(parse_file(PUSH_HARBOR, NULL, "harbor-scan.json"), 0,
	    "harbor: SCANNING_COMPLETED");
	is_int((int)set.n, 0, "... moves nothing");
	is_str(reason(0), "not a push", "... and is noted");
	is_int(parse(PUSH_HARBOR, NULL,
	           "{\"type\":\"pushImage\",\"event_data\":{\"resources\":[{"
	           "\"digest\":\"" D2 "\",\"tag\":\"v1\",\"resource_url\":"
	           "\"h.example/p/r:v1\"}]}}"),
	    0, "harbor: Harbor 1.x's pushImage");
	is_str(pushed(0), "h.example/p/r:v1@" D2, "... parses");
	is_int(
	    parse(PUSH_HARBOR, NULL,
	        "{\"type\":\"PUSH_ARTIFACT\",\"event_data\":{\"resources\":[{"
	        "\"digest\":\"" D2 "\",\"tag\":\"" D2 "\",\"resource_url\":"
	        "\"h.example/p/r@" D2 "\"}]}}"),
	    0, "harbor: an artifact pushed by digest");
	is_int((int)set.n, 0, "... moves nothing");
	is_int(parse(PUSH_HARBOR, NULL,
	           "{\"type\":\"PUSH_ARTIFACT\",\"event_data\":{}}"),
	    -1, "harbor: PUSH_ARTIFACT without resources: 400");
}

static void
test_quay(void)
{
	is_int(parse_file(PUSH_QUAY, NULL, "quay-repo-push.json"), 0,
	    "quay: the documented repo_push parses");
	is_int((int)set.n, 2, "... two tags");
	is_str(pushed(1), "quay.io/mynamespace/repository:v1.4.2",
	    "... without a digest");
	is_int(parse_file(PUSH_QUAY, NULL, "quay-build-success.json"), 0,
	    "quay: build_success");
	is_int((int)set.n, 0, "... moves nothing");
	is_int(parse(PUSH_QUAY, NULL,
	           "{\"docker_url\":\"quay.example:8443/ns/r\","
	           "\"updated_tags\":[\"v1\"]}"),
	    0, "quay: a self-hosted Quay with a port");
	is_str(pushed(0), "quay.example:8443/ns/r:v1", "... keeps its port");
	is_int(parse(PUSH_QUAY, NULL, "{\"updated_tags\":[\"v1\"]}"), -1,
	    "quay: no docker_url: 400");
	is_int(parse(PUSH_QUAY, NULL,
	           "{\"docker_url\":\"quay.io/a/b\",\"updated_tags\":[1]}"),
	    -1, "quay: a tag that is not a string: 400");
	is_int(
	    parse(PUSH_QUAY, NULL,
	        "{\"docker_url\":\"quay.io/a/b\",\"updated_tags\":[\"-x\"]}"),
	    -1, "quay: an invalid tag: 400");
}

int
main(void)
{
	test_registry();
	test_limits();
	test_dockerhub();
	test_github();
	test_harbor();
	test_quay();
	push_set_free(&set);
	is_str(push_sender_name(PUSH_HARBOR), "harbor", "sender names");
	return tap_done();
}
