/* push.c: what a registry says was pushed, from each sender's payload */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "imageref.h"
#include "jsonedit.h"
#include "push.h"
#include "util.h"

/*
 * Each reader takes the documented fields of one sender's payload (the
 * notes in tests/hooks/ list them) and adds pushes with add_push, or notes
 * with ignore.  A field a push needs that is missing or malformed makes
 * the whole delivery malformed: a sender that changed its format is told
 * so (400) instead of being answered with a success that moved nothing.
 */

/* GitHub's package payloads are the deepest: six levels, with room. */
#define PAYLOAD_DEPTH_MAX 12

struct reader {
	struct push_set *s;
	char *err;
	size_t errlen;
	int nomem;
};

static int bad(struct reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const cJSON *
get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A member that must be a non-empty string, or NULL. */
static const char *
str(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ? v->valuestring
	                                                      : NULL;
}

/* Notes an event that is not a push (the first PUSH_IGNORED_MAX). */
static int
ignore(struct reader *r, const char *event, const char *reason)
{
	cJSON *o;

	r->s->nignored++;
	if (cJSON_GetArraySize(r->s->ignored) >= PUSH_IGNORED_MAX)
		return 0;
	if ((o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToArray(r->s->ignored, o))
		goto nomem;
	if (cJSON_AddStringToObject(o, "event", event ? event : "") == NULL ||
	    cJSON_AddStringToObject(o, "reason", reason) == NULL) {
		r->nomem = 1;
		return bad(r, "out of memory");
	}
	return 0;
nomem:
	cJSON_Delete(o);
	r->nomem = 1;
	return bad(r, "out of memory");
}

/*
 * Adds "repository:tag[@digest]" as a push.  repository must be a name
 * without tag or digest, with its registry host in front (as Docker would
 * read it: "localhost:5000/app", "docker.io/me/app").
 */
static int
add_push(struct reader *r, const char *what, const char *repository,
    const char *tag, const char *digest)
{
	char text[REF_MAX + 1];
	struct imageref ref, check;
	const char *errstr;
	size_t i, n;

	n = (size_t)snprintf(text, sizeof(text), "%s", repository);
	if (n >= sizeof(text) || ref_parse(text, n, &check, &errstr) == -1 ||
	    check.tag[0] != '\0' || check.digest[0] != '\0')
		return bad(r, "%s: the repository %.80s is not an image name",
		    what, repository);
	n = (size_t)snprintf(text, sizeof(text), "%s:%s%s%s", repository, tag,
	    digest ? "@" : "", digest ? digest : "");
	if (n >= sizeof(text) || ref_parse(text, n, &ref, &errstr) == -1)
		return bad(r, "%s: %.80s:%.40s: %s", what, repository, tag,
		    n >= sizeof(text) ? "too long" : errstr);
	/* "v1/x" as a tag would make "repo:v1" a registry host. */
	if (strcmp(ref.domain, check.domain) != 0 ||
	    strcmp(ref.path, check.path) != 0 || strcmp(ref.tag, tag) != 0 ||
	    strcmp(ref.digest, digest ? digest : "") != 0)
		return bad(r, "%s: %.40s is not a tag (or %.80s not a digest)",
		    what, tag, digest ? digest : "-");
	for (i = 0; i < r->s->n; i++)
		if (ref_same_repository(&r->s->v[i].ref, &ref) &&
		    strcmp(r->s->v[i].ref.tag, ref.tag) == 0 &&
		    strcmp(r->s->v[i].ref.digest, ref.digest) == 0)
			return 0;
	if (r->s->n == PUSH_MAX)
		return bad(r, "the delivery holds more than %d pushed tags",
		    PUSH_MAX);
	r->s->v[r->s->n++].ref = ref;
	return 0;
}

/* -------------------------------------------------- CNCF distribution */

/* Manifest media types: a push of one of these with a tag is a release;
 * everything else (layers, configs) is a blob. */
static int
is_manifest(const char *type)
{
	static const char *const types[] = {
		"application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.list.v2+json",
		"application/vnd.docker.distribution.manifest.v1+json",
		"application/vnd.docker.distribution.manifest.v1+prettyjws",
		"application/vnd.oci.image.manifest.v1+json",
		"application/vnd.oci.image.index.v1+json",
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (type != NULL && strcmp(type, types[i]) == 0)
			return 1;
	return 0;
}

static int
registry_event(struct reader *r, const cJSON *ev, size_t i)
{
	const cJSON *t = get(ev, "target");
	const char *action = str(ev, "action"), *host, *repo, *tag, *digest;
	char what[32], name[REF_MAX + 1];
	struct imageref ref;
	const char *errstr;

	snprintf(what, sizeof(what), "events[%zu]", i);
	if (!cJSON_IsObject(ev) || action == NULL)
		return bad(r, "%s: not an event with an \"action\"", what);
	if (strcmp(action, "push") != 0)
		return ignore(r, action, "not a push");
	if (!cJSON_IsObject(t))
		return bad(r, "%s: a push without a \"target\"", what);
	if (!is_manifest(str(t, "mediaType")))
		return ignore(r, "push", "a blob, not a manifest");
	if ((tag = str(t, "tag")) == NULL)
		return ignore(r, "push", "a manifest pushed by digest only");
	repo = str(t, "repository");
	digest = str(t, "digest");
	host = str(get(ev, "request"), "host");
	if (repo == NULL || digest == NULL || host == NULL)
		return bad(r,
		    "%s: a push needs target.repository, target.digest and "
		    "request.host",
		    what);
	if ((size_t)snprintf(name, sizeof(name), "%s/%s", host, repo) >=
	    sizeof(name))
		return bad(r, "%s: the repository name is too long", what);
	/* "registry/app" would be read as Docker Hub's registry/app. */
	if (ref_parse(name, strlen(name), &ref, &errstr) == 0 &&
	    strcmp(ref.domain, host) != 0)
		return ignore(r, "push",
		    "the registry's host cannot begin an image name (it "
		    "needs a '.' or a ':', or to be localhost)");
	return add_push(r, what, name, tag, digest);
}

/* {"events": [{"action": "push", "target": {...}, "request": {...}}]} */
static int
read_registry(struct reader *r, const cJSON *root)
{
	const cJSON *events = get(root, "events"), *ev;
	size_t i = 0;

	if (!cJSON_IsArray(events))
		return bad(r,
		    "not a registry notification: no \"events\" array");
	cJSON_ArrayForEach(ev, events) {
		r->s->events++;
		if (registry_event(r, ev, i++) == -1)
			return -1;
	}
	return 0;
}

/* ----------------------------------------------------------- Docker Hub */

/* {"push_data": {"tag"}, "repository": {"repo_name"}}: no digest. */
static int
read_dockerhub(struct reader *r, const cJSON *root)
{
	const cJSON *pd = get(root, "push_data");
	const char *tag, *repo;
	char name[REF_MAX + 1];

	r->s->events = 1;
	if (pd == NULL)
		return ignore(r, "unknown", "no push_data: not a push");
	tag = str(pd, "tag");
	repo = str(get(root, "repository"), "repo_name");
	if (!cJSON_IsObject(pd) || tag == NULL || repo == NULL)
		return bad(r,
		    "a Docker Hub push needs push_data.tag and "
		    "repository.repo_name");
	if ((size_t)snprintf(name, sizeof(name), "docker.io/%s", repo) >=
	    sizeof(name))
		return bad(r, "the repository name is too long");
	return add_push(r, "push_data", name, tag, NULL);
}

/* --------------------------------------------------------------- GitHub */

/* ghcr.io names are lowercase; GitHub's package names need not be. */
static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* The repository of a container package: package_url without its tag
 * ("ghcr.io/owner/name:tag"), else ghcr.io/<namespace>/<name>. */
static int
github_repository(struct reader *r, const cJSON *pkg, const cJSON *ver,
    char *out, size_t outlen)
{
	const char *url = str(ver, "package_url"), *ns, *name;
	struct imageref ref;
	const char *errstr;
	size_t n;

	if (url != NULL) {
		n = strlen(url);
		/* An untagged version's URL ends in ':'. */
		if (n > 0 && url[n - 1] == ':')
			n--;
		if (ref_parse(url, n, &ref, &errstr) == -1)
			return bad(r, "package_url %.80s: %s", url, errstr);
		if (ref.domain[0] == '\0')
			return bad(r, "package_url %.80s has no registry host",
			    url);
		snprintf(out, outlen, "%s/%s", ref.domain, ref.path);
		return 0;
	}
	ns = str(pkg, "namespace");
	if (ns == NULL)
		ns = str(get(pkg, "owner"), "login");
	name = str(pkg, "name");
	if (ns == NULL || name == NULL)
		return bad(r,
		    "a package without package_url needs namespace (or "
		    "owner.login) and name");
	if ((size_t)snprintf(out, outlen, "ghcr.io/%s/%s", ns, name) >= outlen)
		return bad(r, "the package name is too long");
	lower(out);
	return 0;
}

/* {"action": "published", "package": {"package_type": "container",
 *  "package_version": {"container_metadata": {"tag": {"name",
 *  "digest"}}, "package_url"}}} ("registry_package" for the older
 *  event) */
static int
read_github(struct reader *r, const cJSON *root, const char *event)
{
	const cJSON *pkg, *ver, *tag;
	const char *action, *type, *name, *digest;
	char repo[REF_MAX + 1];

	r->s->events = 1;
	if (event == NULL)
		return bad(r, "no X-GitHub-Event header");
	if (strcmp(event, "package") != 0 &&
	    strcmp(event, "registry_package") != 0)
		return ignore(r, event,
		    strcmp(event, "ping") == 0 ? "ping: the hook works"
		                               : "not a package event");
	action = str(root, "action");
	pkg = get(root, event);
	if (action == NULL || !cJSON_IsObject(pkg))
		return bad(r, "a %s event needs \"action\" and \"%s\"", event,
		    event);
	if (strcmp(action, "published") != 0 && strcmp(action, "updated") != 0)
		return ignore(r, event, "not a publication");
	type = str(pkg, "package_type");
	if (type == NULL)
		type = str(pkg, "ecosystem");
	if (type == NULL || strcasecmp(type, "container") != 0)
		return ignore(r, event, "not a container package");
	ver = get(pkg, "package_version");
	tag = get(get(get(ver, "container_metadata"), "tag"), "name");
	if (!cJSON_IsObject(ver) || !cJSON_IsString(tag))
		return bad(r,
		    "a container package needs package_version."
		    "container_metadata.tag.name");
	if ((name = tag->valuestring)[0] == '\0')
		return ignore(r, event, "an untagged version");
	digest = str(get(get(ver, "container_metadata"), "tag"), "digest");
	if (digest == NULL)
		digest = str(ver, "version");
	if (digest == NULL ||
	    github_repository(r, pkg, ver, repo, sizeof(repo)) == -1)
		return digest == NULL
		    ? bad(r, "a container package version needs a digest")
		    : -1;
	return add_push(r, "package_version", repo, name, digest);
}

/* --------------------------------------------------------------- Harbor */

/* One of event_data.resources: {"digest", "tag", "resource_url"}. */
static int
harbor_resource(struct reader *r, const cJSON *res, size_t i)
{
	const char *url = str(res, "resource_url"), *tag = str(res, "tag");
	const char *digest = str(res, "digest"), *errstr;
	struct imageref ref;
	char what[40], repo[REF_MAX + 1];

	snprintf(what, sizeof(what), "resources[%zu]", i);
	if (url == NULL || digest == NULL)
		return bad(r, "%s: needs resource_url and digest", what);
	if (ref_parse(url, strlen(url), &ref, &errstr) == -1)
		return bad(r, "%s: resource_url %.80s: %s", what, url, errstr);
	/* Pushed by digest: Harbor puts the digest where the tag goes. */
	if (tag == NULL || strchr(tag, ':') != NULL)
		return ignore(r, "PUSH_ARTIFACT", "an artifact without a tag");
	snprintf(repo, sizeof(repo), "%s%s%s", ref.domain,
	    ref.domain[0] ? "/" : "", ref.path);
	if (ref.domain[0] == '\0')
		return bad(r, "%s: resource_url %.80s has no registry host",
		    what, url);
	return add_push(r, what, repo, tag, digest);
}

/* {"type": "PUSH_ARTIFACT", "event_data": {"resources": [...]}}, or
 * CloudEvents: {"specversion", "type": "harbor.artifact.pushed", "data":
 * {"resources": [...]}}.  Harbor 1.x called it "pushImage". */
static int
read_harbor(struct reader *r, const cJSON *root)
{
	const char *type = str(root, "type");
	const cJSON *data, *res, *item;
	size_t i = 0;

	r->s->events = 1;
	if (type == NULL)
		return bad(r, "not a Harbor event: no \"type\"");
	if (get(root, "specversion") != NULL) {
		if (strcmp(type, "harbor.artifact.pushed") != 0)
			return ignore(r, type, "not a push");
		data = get(root, "data");
	} else {
		if (strcmp(type, "PUSH_ARTIFACT") != 0 &&
		    strcmp(type, "pushImage") != 0)
			return ignore(r, type, "not a push");
		data = get(root, "event_data");
	}
	res = get(data, "resources");
	if (!cJSON_IsArray(res) || cJSON_GetArraySize(res) == 0)
		return bad(r, "a %s event needs a resources array", type);
	cJSON_ArrayForEach(item, res) {
		if (harbor_resource(r, item, i++) == -1)
			return -1;
	}
	return 0;
}

/* ----------------------------------------------------------------- Quay */

/* repo_push: {"docker_url": "quay.io/ns/repo", "updated_tags": [...]};
 * Quay's other notifications have no updated_tags.  No digest. */
static int
read_quay(struct reader *r, const cJSON *root)
{
	const cJSON *tags = get(root, "updated_tags"), *t;
	const char *url = str(root, "docker_url");
	size_t i = 0;
	char what[40];

	r->s->events = 1;
	if (tags == NULL)
		return ignore(r, "unknown", "no updated_tags: not a repo_push");
	if (!cJSON_IsArray(tags) || url == NULL)
		return bad(r, "a repo_push needs docker_url and updated_tags");
	cJSON_ArrayForEach(t, tags) {
		snprintf(what, sizeof(what), "updated_tags[%zu]", i++);
		if (!cJSON_IsString(t))
			return bad(r, "%s is not a string", what);
		if (add_push(r, what, url, t->valuestring, NULL) == -1)
			return -1;
	}
	if (i == 0)
		return ignore(r, "repo_push", "no tag was updated");
	return 0;
}

/* -------------------------------------------------------------- entry */

int
push_parse(enum push_sender sender, const char *event, const char *body,
    size_t len, struct push_set *s, char *err, size_t errlen)
{
	struct reader r = { s, err, errlen, 0 };
	cJSON *root;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((s->ignored = cJSON_CreateArray()) == NULL) {
		bad(&r, "out of memory");
		return -2;
	}
	if (!utf8_valid(body, len))
		return bad(&r, "the payload is not valid UTF-8");
	if (json_check(body, len, PAYLOAD_DEPTH_MAX) == -1)
		return bad(&r,
		    "the payload is not valid JSON (or nested deeper "
		    "than %d levels)",
		    PAYLOAD_DEPTH_MAX);
	/* Well-formed: a failure now is a lack of memory. */
	root = cJSON_ParseWithLength(body, len);
	if (root == NULL) {
		bad(&r, "out of memory");
		return -2;
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return bad(&r, "the payload is not a JSON object");
	}
	switch (sender) {
	case PUSH_REGISTRY:
		rc = read_registry(&r, root);
		break;
	case PUSH_DOCKERHUB:
		rc = read_dockerhub(&r, root);
		break;
	case PUSH_GITHUB:
		rc = read_github(&r, root, event);
		break;
	case PUSH_HARBOR:
		rc = read_harbor(&r, root);
		break;
	default:
		rc = read_quay(&r, root);
		break;
	}
	cJSON_Delete(root);
	return r.nomem ? -2 : rc;
}

const char *
push_sender_name(enum push_sender sender)
{
	static const char *const names[] = {
		[PUSH_REGISTRY] = "registry",
		[PUSH_DOCKERHUB] = "dockerhub",
		[PUSH_GITHUB] = "github",
		[PUSH_HARBOR] = "harbor",
		[PUSH_QUAY] = "quay",
	};

	return (size_t)sender < sizeof(names) / sizeof(names[0]) ? names[sender]
	                                                         : "unknown";
}

void
push_set_free(struct push_set *s)
{
	if (s == NULL)
		return;
	cJSON_Delete(s->ignored);
	s->ignored = NULL;
	s->n = 0;
}
