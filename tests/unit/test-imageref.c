/* test-imageref.c: unit tests for image reference parsing and printing */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "imageref.h"
#include "../tap.h"

#define HEX64 "0123456789abcdef0123456789abcdef" \
	"0123456789abcdef0123456789abcdef"

/*
 * Every input is copied into a heap block of exactly its length, so that
 * under ASan any read past the end of the reference is caught.
 */
static int
parse_n(const char *s, size_t n, struct imageref *ref, const char **err)
{
	char *p = malloc(n ? n : 1);
	int rc;

	if (p == NULL)
		return -2;
	memcpy(p, s, n);
	rc = ref_parse(p, n, ref, err);
	free(p);
	return rc;
}

static int
parse(const char *s, struct imageref *ref, const char **err)
{
	return parse_n(s, strlen(s), ref, err);
}

/* Parses s and checks all four parts. */
static void
good(const char *s, const char *domain, const char *path, const char *tag,
    const char *digest)
{
	struct imageref r;
	const char *err = NULL;
	int rc = parse(s, &r, &err);

	ok(rc == 0, "accepts '%s'", s);
	if (rc != 0) {
		printf("#   error: %s\n", err ? err : "(null)");
		return;
	}
	ok(strcmp(r.domain, domain) == 0 && strcmp(r.path, path) == 0 &&
	    strcmp(r.tag, tag) == 0 && strcmp(r.digest, digest) == 0,
	    "'%s' splits into '%s' '%s' '%s' '%s'", s, domain, path, tag,
	    digest);
}

/* Parses the n bytes at s and expects the error message want. */
static void
bad_n(const char *name, const char *s, size_t n, const char *want)
{
	struct imageref r;
	const char *err = NULL;
	int rc = parse_n(s, n, &r, &err);

	ok(rc == -1, "rejects %s", name);
	is_str(err, want, "%s: message", name);
	ok(r.domain[0] == '\0' && r.path[0] == '\0' && r.tag[0] == '\0' &&
	    r.digest[0] == '\0', "%s: leaves every part empty", name);
}

static void
bad(const char *s, const char *want)
{
	char name[96];

	snprintf(name, sizeof(name), "'%.80s'", s);
	bad_n(name, s, strlen(s), want);
}

static void
familiar(const char *s, int with_digest, const char *want)
{
	struct imageref r;
	const char *err;
	char out[REF_MAX + 16];

	if (parse(s, &r, &err) != 0) {
		ok(0, "familiar form of '%s': parse failed: %s", s, err);
		return;
	}
	ok(ref_familiar(&r, with_digest, out, sizeof(out)) == 0,
	    "familiar form of '%s' (digest %d) fits", s, with_digest);
	is_str(out, want, "familiar form of '%s' (digest %d)", s,
	    with_digest);
}

static void
registry(const char *s, const char *want)
{
	struct imageref r;
	const char *err;

	if (parse(s, &r, &err) != 0) {
		ok(0, "registry of '%s': parse failed: %s", s, err);
		return;
	}
	is_str(ref_registry(&r), want, "registry of '%s'", s);
}

static void
test_valid(void)
{
	good("me/blog:v1.12", "", "me/blog", "v1.12", "");
	good("nginx", "", "nginx", "", "");
	good("localhost:5000/app:v2", "localhost:5000", "app", "v2", "");
	good("localhost/app", "localhost", "app", "", "");
	good("registry.example.com:443/team/app@sha256:" HEX64,
	    "registry.example.com:443", "team/app", "", "sha256:" HEX64);
	good("app:tag@sha256:" HEX64, "", "app", "tag", "sha256:" HEX64);
	good("[::1]:5000/x:y", "[::1]:5000", "x", "y", "");
	good("[fe80::1]/x", "[fe80::1]", "x", "", "");
	good("a__b", "", "a__b", "", "");
	good("a---b", "", "a---b", "", "");
	good("a_b-c/e.f__g", "", "a_b-c/e.f__g", "", "");
	good("x/a.b_c-d", "", "x/a.b_c-d", "", "");
	/* A dot makes the first component a host, and '_' is no host. */
	good("reg.io/a.b_c", "reg.io", "a.b_c", "", "");
	good("docker.io/library/nginx:1.25", "docker.io", "library/nginx",
	    "1.25", "");
	good("Registry.Example.COM/x", "Registry.Example.COM", "x", "", "");
	/* Uppercase in the first component makes it a host, as in
	 * splitDockerDomain(); only the path must be lowercase. */
	good("MyHost/x", "MyHost", "x", "", "");
	good("Me/blog", "Me", "blog", "", "");
	good("a/b/c/d:e", "", "a/b/c/d", "e", "");
	good("example.com", "", "example.com", "", "");
	good("localhost:5000", "", "localhost", "5000", "");
	good("x:_under.score-Tag", "", "x", "_under.score-Tag", "");
	good("x@sha512:" HEX64 HEX64, "", "x", "", "sha512:" HEX64 HEX64);
	good("0abc/9z", "", "0abc/9z", "", "");
	good("my-reg.io:5000/a/b:latest", "my-reg.io:5000", "a/b", "latest",
	    "");
	/* An image ID with a tag is a name, as in distribution/reference. */
	good(HEX64 ":v1", "", HEX64, "v1", "");
}

static void
test_limits(void)
{
	char s[REF_MAX + 2], tag[REF_TAG_MAX + 2];
	size_t i;

	/* Tag of exactly 128 characters passes, 129 does not. */
	memset(tag, 't', REF_TAG_MAX);
	tag[REF_TAG_MAX] = '\0';
	snprintf(s, sizeof(s), "x:%s", tag);
	good(s, "", "x", tag, "");
	memset(tag, 't', REF_TAG_MAX + 1);
	tag[REF_TAG_MAX + 1] = '\0';
	snprintf(s, sizeof(s), "x:%s", tag);
	bad_n("a 129-character tag", s, strlen(s), "invalid tag");

	/* Path of 255 bytes passes; 256 fails.  "a/" repeated keeps every
	 * component valid so only the length is wrong. */
	for (i = 0; i < 255; i++)
		s[i] = i % 2 ? '/' : 'a';
	s[255] = '\0';
	good(s, "", s, "", "");
	memcpy(s + 255, "/a", 3);
	bad_n("a 257-byte path", s, 257,
	    "repository name must not be more than 255 characters");
	/* The domain does not count toward the 255. */
	memcpy(s, "reg.example.com/", 16);
	for (i = 16; i < 16 + 255; i++)
		s[i] = (i - 16) % 2 ? '/' : 'a';
	s[16 + 255] = '\0';
	good(s, "reg.example.com", s + 16, "", "");

	/* Whole reference longer than REF_MAX. */
	memset(s, 'a', REF_MAX + 1);
	bad_n("a reference over REF_MAX", s, REF_MAX + 1, "reference too long");
}

static void
test_invalid(void)
{
	static const char nul[] = "me/blog\0:v1";
	static const char ctl[] = "me/blog:v\x01";
	static const char utf[] = "me/bl\xc3\xb6g";

	bad("reg.io/Me/blog", "repository name must be lowercase");
	bad("a.b_c/x", "invalid registry host");
	bad("me/Blog:v1", "repository name must be lowercase");
	bad("NGINX", "repository name must be lowercase");
	bad_n("an empty reference", "", 0, "empty reference");
	bad("x:.v1", "invalid tag");
	bad("x:-v1", "invalid tag");
	bad("x:v!", "invalid tag");
	bad("x@sha256:" "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcde",
	    "invalid checksum digest length");
	bad("x@sha256:" "0123456789ABCDEF0123456789abcdef"
	    "0123456789abcdef0123456789abcdef",
	    "invalid checksum digest format (hex must be lowercase)");
	bad("x@sha256:0123456789abcdef0123456789abcde",
	    "invalid digest format");
	bad("x@md5:" HEX64, "unsupported digest algorithm");
	bad("x@sha256:" HEX64 "@sha256:" HEX64, "invalid digest format");
	bad("x@:" HEX64, "invalid digest format");
	bad("x@sha256-:" HEX64, "invalid digest format");
	bad("x@1sha:" HEX64, "invalid digest format");
	bad("me/blog :v1", "reference contains a space, control or non-ASCII "
	    "byte");
	bad_n("a control byte", ctl, sizeof(ctl) - 1,
	    "reference contains a space, control or non-ASCII byte");
	bad_n("a NUL in the middle", nul, sizeof(nul) - 1,
	    "reference contains a space, control or non-ASCII byte");
	bad_n("a non-ASCII byte", utf, sizeof(utf) - 1,
	    "reference contains a space, control or non-ASCII byte");
	bad("x\x7f", "reference contains a space, control or non-ASCII byte");
	bad("me/blog:{{.Tag}}",
	    "reference contains unexpanded template or variable syntax");
	bad("me/blog:{{ .Tag }}",
	    "reference contains unexpanded template or variable syntax");
	bad("me/}}", "reference contains unexpanded template or variable "
	    "syntax");
	bad("me/blog:$TAG",
	    "reference contains unexpanded template or variable syntax");
	bad("a..b", "invalid repository name");
	bad("a._b", "invalid repository name");
	bad("a___b", "invalid repository name");
	bad("a-", "invalid repository name");
	bad("-a", "invalid repository name");
	bad("_a", "invalid repository name");
	bad("a/.b", "invalid repository name");
	bad("/a", "repository name has an empty component (leading, "
	    "trailing or double '/')");
	bad("a/", "repository name has an empty component (leading, "
	    "trailing or double '/')");
	bad("a//b", "repository name has an empty component (leading, "
	    "trailing or double '/')");
	bad("example.com//b", "repository name has an empty component "
	    "(leading, trailing or double '/')");
	bad("example.com/", "repository name has an empty component "
	    "(leading, trailing or double '/')");
	bad(HEX64, "a 64-character hex image ID is not a repository name");
	bad("x:", "invalid tag");
	bad("x@", "invalid digest format");
	bad("x:v1@", "invalid digest format");
	bad(":v1", "repository name must have at least one component");
	bad("@sha256:" HEX64, "repository name must have at least one "
	    "component");
	bad("-bad.com/x", "invalid registry host");
	bad("bad-.com/x", "invalid registry host");
	bad("a..com/x", "invalid registry host");
	bad("reg.com:/x", "invalid registry host");
	bad("reg.com:80a/x", "invalid registry host");
	bad("reg_x.com/x", "invalid registry host");
	bad("[]:5000/x", "invalid registry host");
	bad("[]/x", "invalid repository name");
	bad("[::1/x", "invalid registry host");
	bad("[::g]/x", "invalid registry host");
	bad("[::1]x/x", "invalid registry host");
	bad("a:b/c", "invalid registry host");
	bad("foo:bar:baz", "invalid repository name");
	bad("x:v1:v2", "invalid repository name");
}

static void
test_registry(void)
{
	registry("nginx", "docker.io");
	registry("me/blog:v1", "docker.io");
	registry("index.docker.io/x", "docker.io");
	registry("docker.io/library/nginx", "docker.io");
	registry("localhost:5000/app", "localhost:5000");
	registry("ghcr.io/me/app@sha256:" HEX64, "ghcr.io");
	registry("[::1]:5000/x", "[::1]:5000");
}

static void
test_familiar(void)
{
	struct imageref r;
	const char *err;
	char small[8];

	familiar("docker.io/library/nginx", 0, "nginx:latest");
	familiar("index.docker.io/library/nginx:1", 0, "nginx:1");
	familiar("nginx", 0, "nginx:latest");
	familiar("library/nginx", 0, "nginx:latest");
	familiar("docker.io/nginx", 0, "nginx:latest");
	familiar("docker.io/library/a/b", 0, "library/a/b:latest");
	familiar("docker.io/me/blog:v1", 0, "me/blog:v1");
	familiar("localhost:5000/app", 0, "localhost:5000/app:latest");
	familiar("quay.io/library/x", 0, "quay.io/library/x:latest");
	familiar("me/blog:v1@sha256:" HEX64, 1, "me/blog:v1@sha256:" HEX64);
	familiar("me/blog:v1@sha256:" HEX64, 0, "me/blog:v1");
	familiar("docker.io/library/nginx@sha256:" HEX64, 1,
	    "nginx@sha256:" HEX64);
	familiar("docker.io/library/nginx@sha256:" HEX64, 0, "nginx");
	familiar("reg.io:443/a/b@sha256:" HEX64, 1,
	    "reg.io:443/a/b@sha256:" HEX64);

	/* "nginx:latest" is 12 bytes plus the NUL. */
	ok(parse("nginx", &r, &err) == 0, "parses nginx for size tests");
	memset(small, 'X', sizeof(small));
	ok(ref_familiar(&r, 0, small, sizeof(small)) == -1,
	    "too small an out buffer fails");
	is_str(small, "", "out is empty after a failure");
	{
		char exact[13], one_short[12];

		ok(ref_familiar(&r, 0, exact, sizeof(exact)) == 0,
		    "an out buffer of exactly len + 1 fits");
		ok(ref_familiar(&r, 0, one_short, sizeof(one_short)) == -1,
		    "an out buffer of exactly len fails");
	}
	ok(ref_familiar(&r, 0, small, 0) == -1, "outlen 0 fails");
}

/* One pattern against one reference. */
static int
matches(const char *pattern, const char *image)
{
	struct imageref ref;
	const char *errstr;

	if (ref_parse(image, strlen(image), &ref, &errstr) == -1)
		return -1;
	return ref_match(pattern, &ref);
}

static void
test_match(void)
{
	ok(matches("*.example.com/app:*", "reg.example.com/app:1") == 1,
	    "a host pattern matches a host");
	ok(matches("*.example.com/app:*", "evil.org/x.example.com/app:1") ==
	    0, "'*' never crosses '/' into the registry host");
	ok(matches("registry.example.com/*", "registry.example.com.evil.org/"
	    "x:1") == 0, "the registry host is matched as a whole");
	ok(matches("registry.example.com/team/*", "registry.example.com/team/"
	    "app:v1@sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef") == 1, "'*' covers tag and digest");
	ok(matches("registry.example.com/team/*", "registry.example.com/team/"
	    "sub/app:v1") == 0, "'*' covers one path component only");
	ok(matches("app:*", "docker.io/library/app:v2") == 1,
	    "the familiar form matches");
	ok(matches("docker.io/library/app:*", "app:v2") == 1,
	    "the full form matches");
	ok(matches("docker.io/*", "app:v2") == 0,
	    "docker.io/* is not docker.io/library/*");
	ok(matches("localhost:5000/app:v?", "localhost:5000/app:v1") == 1,
	    "a host with a port");
	ok(matches("app:*", "app") == 1, "no tag matches as :latest");
}

int
main(void)
{
	test_match();
	test_valid();
	test_limits();
	test_invalid();
	test_registry();
	test_familiar();
	return tap_done();
}
