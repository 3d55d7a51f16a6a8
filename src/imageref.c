/* imageref.c: Docker image references: grammar, normalisation */
/* SPDX-License-Identifier: MIT */
#include "chars.h"
#include "config.h"

#include <stdio.h>
#include <fnmatch.h>
#include <string.h>

#include "imageref.h"

/*
 * The checks follow distribution/reference (regexp.go, normalize.go) and
 * opencontainers/go-digest, so that whatever passes here is something the
 * Docker daemon parses the same way.  The input is length-counted and may
 * hold any byte; it is cut into parts by position ('@', then the last ':'
 * after the last '/', then the first '/') and every part is checked by a
 * small hand-written matcher instead of a regex.
 */

#define HUB_DOMAIN "docker.io"
#define HUB_LEGACY_DOMAIN "index.docker.io"
#define HUB_OFFICIAL "library/" /* Docker Hub's namespace for "nginx" */
#define ID_HEX_LEN 64           /* a sha256 image ID written as hex */

/* The separators allowed inside a digest algorithm name. */
static int
is_algsep(unsigned char c)
{
	return c == '-' || c == '_' || c == '+' || c == '.';
}

/* Copies n bytes (n <= size - 1, checked by the caller) and terminates. */
static void
copy_part(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
fail(const char **errstr, const char *msg)
{
	if (errstr != NULL)
		*errstr = msg;
	return -1;
}

/*
 * path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 * Uppercase letters are accepted here and reported through *upper, so the
 * caller can say "must be lowercase" for a name that is otherwise fine,
 * which is the order of checks distribution/reference uses.
 */
static int
component_ok(const unsigned char *s, size_t n, int *upper)
{
	size_t i = 0;

	for (;;) {
		/* One run of [a-z0-9]+ (or uppercase, noted). */
		if (i == n || !ch_alnum(s[i]))
			return 0;
		while (i < n && ch_alnum(s[i])) {
			if (ch_upper(s[i]))
				*upper = 1;
			i++;
		}
		if (i == n)
			return 1;
		/* One separator; a run of alphanumerics must follow. */
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return 0;
		}
	}
}

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static int
dns_host_ok(const unsigned char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!ch_alnum(s[i]) && s[i] != '-')
				return 0;
			continue;
		}
		/* s[start..i) is one component. */
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
}

/* domain := ( dns-host | "[" [0-9A-Fa-f:]+ "]" ) [ ":" [0-9]+ ] */
static int
domain_ok(const unsigned char *s, size_t n)
{
	size_t i, hostlen;

	if (n > 0 && s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!ch_hex(s[i]) && s[i] != ':')
				return 0;
		if (i == n || i == 1)
			return 0; /* no ']', or "[]" */
		hostlen = i + 1;
	} else {
		for (hostlen = 0; hostlen < n && s[hostlen] != ':'; hostlen++)
			;
		if (!dns_host_ok(s, hostlen))
			return 0;
	}
	if (hostlen == n)
		return 1;
	if (s[hostlen] != ':' || hostlen + 1 == n)
		return 0;
	for (i = hostlen + 1; i < n; i++)
		if (!ch_digit(s[i]))
			return 0;
	return 1;
}

/* tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
static int
tag_ok(const unsigned char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > REF_TAG_MAX || !(ch_alnum(s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!ch_alnum(s[i]) && s[i] != '_' && s[i] != '.' &&
		    s[i] != '-')
			return 0;
	return 1;
}

/*
 * digest := algorithm ":" hex{32,}, where
 * algorithm := [A-Za-z][A-Za-z0-9]* ( [-_+.] [A-Za-z][A-Za-z0-9]* )*.
 * The grammar alone lets through digests that go-digest then refuses, so
 * this also applies go-digest's Validate(): only its registered algorithms,
 * each with its exact length of lowercase hex (sha256: 32 bytes = 64 hex).
 */
static int
digest_ok(const unsigned char *s, size_t n, const char **errstr)
{
	static const struct {
		const char *name;
		size_t hexlen;
	} algs[] = {
		{ "sha256", 64 },
		{ "sha384", 96 },
		{ "sha512", 128 },
	};
	size_t i, alen, j;

	/* Algorithm. */
	for (i = 0; i < n && s[i] != ':'; i++) {
		int valid;

		if (i == 0 || is_algsep(s[i - 1]))
			valid = ch_lower(s[i]) || ch_upper(s[i]);
		else
			valid = ch_alnum(s[i]) || is_algsep(s[i]);
		if (!valid)
			return fail(errstr, "invalid digest format");
	}
	alen = i;
	if (alen == 0 || alen == n || is_algsep(s[alen - 1]))
		return fail(errstr, "invalid digest format");
	/* Encoded part. */
	for (j = alen + 1; j < n; j++)
		if (!ch_hex(s[j]))
			return fail(errstr, "invalid digest format");
	if (n - alen - 1 < 32)
		return fail(errstr, "invalid digest format");

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (strlen(algs[i].name) != alen ||
		    memcmp(algs[i].name, s, alen) != 0)
			continue;
		if (n - alen - 1 != algs[i].hexlen)
			return fail(errstr, "invalid checksum digest length");
		for (j = alen + 1; j < n; j++)
			if (!ch_lowerhex(s[j]))
				return fail(errstr,
				    "invalid checksum digest format "
				    "(hex must be lowercase)");
		return 0;
	}
	return fail(errstr, "unsupported digest algorithm");
}

/*
 * normalize.go's splitDockerDomain(): the first component names a registry
 * only when it contains '.' or ':', is "localhost", or has an uppercase
 * letter (Docker Hub user names cannot).  Otherwise "me/blog" means
 * docker.io/me/blog.
 */
static int
looks_like_domain(const unsigned char *s, size_t n)
{
	size_t i;

	if (n == 9 && memcmp(s, "localhost", 9) == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == ':' || ch_upper(s[i]))
			return 1;
	return 0;
}

static int
path_ok(const unsigned char *s, size_t n, const char **errstr)
{
	size_t i, start = 0;
	int upper = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (i == start)
			return fail(errstr,
			    "repository name has an empty "
			    "component (leading, trailing or double '/')");
		if (!component_ok(s + start, i - start, &upper))
			return fail(errstr, "invalid repository name");
		start = i + 1;
	}
	if (upper)
		return fail(errstr, "repository name must be lowercase");
	if (n > REF_PATH_MAX)
		return fail(errstr,
		    "repository name must not be more than 255 characters");
	return 0;
}

/* What no part of a reference may hold, checked first for a message
 * that says what is really wrong. */
static int
check_bytes(const unsigned char *u, size_t n, const char **errstr)
{
	size_t i;
	int badbyte = 0;

	if (n == 0)
		return fail(errstr, "empty reference");
	if (n > REF_MAX)
		return fail(errstr, "reference too long");
	/*
	 * Template and variable syntax is reported on its own: an image of
	 * "me/blog:{{ .Tag }}" or "me/blog:$TAG" means the pipeline forgot
	 * to expand something, and that is more useful to say than "space".
	 */
	for (i = 0; i < n; i++) {
		if (u[i] == '{' || u[i] == '}' || u[i] == '$')
			return fail(errstr,
			    "reference contains unexpanded "
			    "template or variable syntax");
		if (u[i] <= 0x20 || u[i] >= 0x7f)
			badbyte = 1;
	}
	if (badbyte)
		return fail(errstr,
		    "reference contains a space, control or "
		    "non-ASCII byte");
	/* A bare image ID is refused, as ParseNormalizedNamed does. */
	if (n == ID_HEX_LEN) {
		for (i = 0; i < n && ch_lowerhex(u[i]); i++)
			;
		if (i == n)
			return fail(errstr,
			    "a 64-character hex image ID is "
			    "not a repository name");
	}
	return 0;
}

static int
parse(const char *s, size_t n, struct imageref *ref, const char **errstr)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, namelen, slash, colon;

	if (check_bytes(u, n, errstr) == -1)
		return -1;

	/* "@digest": neither name nor tag may contain '@'. */
	for (namelen = 0; namelen < n && u[namelen] != '@'; namelen++)
		;
	if (namelen < n) {
		size_t dlen = n - namelen - 1;

		if (digest_ok(u + namelen + 1, dlen, errstr) == -1)
			return -1;
		if (dlen > REF_DIGEST_MAX)
			return fail(errstr, "invalid digest format");
		copy_part(ref->digest, s + namelen + 1, dlen);
	}

	/* ":tag" is after the last ':' that comes after the last '/'. */
	slash = colon = namelen;
	for (i = 0; i < namelen; i++) {
		if (u[i] == '/')
			slash = i;
		else if (u[i] == ':')
			colon = i;
	}
	if (colon < namelen && (slash == namelen || colon > slash)) {
		size_t taglen = namelen - colon - 1;

		if (!tag_ok(u + colon + 1, taglen))
			return fail(errstr, "invalid tag");
		copy_part(ref->tag, s + colon + 1, taglen);
		namelen = colon;
	}

	if (namelen == 0)
		return fail(errstr,
		    "repository name must have at least one "
		    "component");

	/* The first component is the domain if it looks like one. */
	for (slash = 0; slash < namelen && u[slash] != '/'; slash++)
		;
	if (slash < namelen && looks_like_domain(u, slash)) {
		if (slash > REF_DOMAIN_MAX || !domain_ok(u, slash))
			return fail(errstr, "invalid registry host");
		copy_part(ref->domain, s, slash);
		u += slash + 1;
		namelen -= slash + 1;
	}
	if (path_ok(u, namelen, errstr) == -1)
		return -1;
	copy_part(ref->path, (const char *)u, namelen);
	return 0;
}

int
ref_parse(const char *s, size_t n, struct imageref *ref, const char **errstr)
{
	/* Parts are filled in as they pass; a failure leaves none. */
	memset(ref, 0, sizeof(*ref));
	if (parse(s, n, ref, errstr) == -1) {
		memset(ref, 0, sizeof(*ref));
		return -1;
	}
	return 0;
}

static int
is_hub(const struct imageref *ref)
{
	return ref->domain[0] == '\0' || strcmp(ref->domain, HUB_DOMAIN) == 0 ||
	    strcmp(ref->domain, HUB_LEGACY_DOMAIN) == 0;
}

const char *
ref_registry(const struct imageref *ref)
{
	return is_hub(ref) ? HUB_DOMAIN : ref->domain;
}

/* A Docker Hub path without its "library/" ("library/nginx" is "nginx"). */
static const char *
hub_short_path(const struct imageref *ref)
{
	size_t off = strlen(HUB_OFFICIAL);

	if (is_hub(ref) && strncmp(ref->path, HUB_OFFICIAL, off) == 0 &&
	    strchr(ref->path + off, '/') == NULL)
		return ref->path + off;
	return ref->path;
}

int
ref_same_repository(const struct imageref *a, const struct imageref *b)
{
	return strcmp(ref_registry(a), ref_registry(b)) == 0 &&
	    strcmp(hub_short_path(a), hub_short_path(b)) == 0;
}

/*
 * 1 when the first component of a Docker Hub path would be read as a
 * registry if the "docker.io/" in front of it were dropped
 * ("docker.io/a.b/c" is not the same as "a.b/c").
 */
static int
hub_path_needs_domain(const char *path)
{
	size_t n = strcspn(path, "/");

	return path[n] == '/' &&
	    looks_like_domain((const unsigned char *)path, n);
}

int
ref_familiar(const struct imageref *ref, int with_digest, char *out,
    size_t outlen)
{
	const char *dom = "", *domsep = "", *path = ref->path;
	const char *tagsep = "", *tag = "", *digsep = "", *dig = "";
	int len;

	if (is_hub(ref) && !hub_path_needs_domain(path)) {
		/* "library/nginx" prints as "nginx", but only when no
		 * further namespace follows (familiarizeName()). */
		size_t off = strlen(HUB_OFFICIAL);

		if (strncmp(path, HUB_OFFICIAL, off) == 0 &&
		    strchr(path + off, '/') == NULL)
			path += off;
	} else {
		dom = ref->domain;
		domsep = "/";
	}
	if (ref->tag[0] != '\0') {
		tagsep = ":";
		tag = ref->tag;
	} else if (ref->digest[0] == '\0') {
		tagsep = ":";
		tag = "latest";
	}
	if (with_digest && ref->digest[0] != '\0') {
		digsep = "@";
		dig = ref->digest;
	}
	len = snprintf(out, outlen, "%s%s%s%s%s%s%s", dom, domsep, path, tagsep,
	    tag, digsep, dig);
	if (len < 0 || (size_t)len >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

int
ref_match(const char *pattern, const struct imageref *ref)
{
	char form[REF_MAX + 32];
	const char *path = ref->path;
	int len;

	if (ref_familiar(ref, 1, form, sizeof(form)) == 0 &&
	    fnmatch(pattern, form, FNM_PATHNAME) == 0)
		return 1;
	if (is_hub(ref) && strchr(path, '/') == NULL)
		len = snprintf(form, sizeof(form), "docker.io/%s%s",
		    HUB_OFFICIAL, path);
	else
		len = snprintf(form, sizeof(form), "%s/%s", ref_registry(ref),
		    path);
	if (len < 0 || (size_t)len >= sizeof(form))
		return 0;
	if (ref->tag[0] != '\0' || ref->digest[0] == '\0')
		len += snprintf(form + len, sizeof(form) - (size_t)len, ":%s",
		    ref->tag[0] ? ref->tag : "latest");
	if (ref->digest[0] != '\0' && (size_t)len < sizeof(form))
		snprintf(form + len, sizeof(form) - (size_t)len, "@%s",
		    ref->digest);
	return fnmatch(pattern, form, FNM_PATHNAME) == 0;
}
