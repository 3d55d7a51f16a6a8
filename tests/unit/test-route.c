/* test-route.c: unit tests for routing and service-name validation */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "request.h"
#include "route.h"
#include "../tap.h"

static struct io io; /* CGI mode: parameters are the environment */

static int
try(const char *method, const char *path_info, const char *script_name,
    struct request *req)
{
	memset(req, 0, sizeof(*req));
	req->io = &io;
	req->method = method;
	if (path_info)
		setenv("PATH_INFO", path_info, 1);
	else
		unsetenv("PATH_INFO");
	if (script_name)
		setenv("SCRIPT_NAME", script_name, 1);
	else
		unsetenv("SCRIPT_NAME");
	route(req);
	return req->status;
}

static void
test_names(void)
{
	ok(service_name_valid("blog", 4), "plain name");
	ok(service_name_valid("my_blog-2", 9), "underscore and dash inside");
	ok(service_name_valid("x", 1), "one character");
	ok(service_name_valid("7gpfbwm4s3ijl0v2zq1ouaikq", 25), "a full ID");
	ok(!service_name_valid("", 0), "empty");
	ok(!service_name_valid("-blog", 5), "leading dash");
	ok(!service_name_valid("blog_", 5), "trailing underscore");
	ok(!service_name_valid("a.b", 3), "dot");
	ok(!service_name_valid("a b", 3), "space");
	ok(!service_name_valid("{{.X}}", 6), "template syntax");
	ok(service_name_valid("a123456789012345678901234567890123456789012345"
	                      "67890123456789012",
	       63),
	    "63 characters");
	ok(!service_name_valid("a123456789012345678901234567890123456789012345"
	                       "678901234567890123",
	       64),
	    "64 characters");
}

static void
test_routes(void)
{
	struct request r;

	is_int(try("PUT", "/service/blog", "/deploy", &r), 0,
	    "PUT /service/blog under a prefix routes");
	ok(r.action == ACT_DEPLOY, "to the deploy action");
	is_str(r.service, "blog", "with the service name");
	is_int(try("PUT", "/service/blog/", NULL, &r), 0,
	    "one trailing slash is tolerated");
	is_int(try("PUT", NULL, "/deploy/service/blog", &r), 0,
	    "without PATH_INFO, the route is found at the end of "
	    "SCRIPT_NAME");
	is_str(r.service, "blog", "and names the service");
	is_int(try("GET", "/service/blog", NULL, &r), 0,
	    "GET /service/blog routes");
	ok(r.action == ACT_STATUS, "to the status action");
	is_int(try("POST", "/service/blog/rollback", NULL, &r), 0,
	    "POST /service/blog/rollback routes");
	ok(r.action == ACT_ROLLBACK, "to the rollback action");
	is_int(try("GET", "/service/blog/history", NULL, &r), 0,
	    "GET /service/blog/history routes");
	ok(r.action == ACT_HISTORY && strcmp(r.service, "blog") == 0,
	    "to the history action, with the service name");
	is_int(try("PUT", "/service/blog/history", NULL, &r), 405,
	    "PUT on the history path is 405");
	is_int(try("PUT", "/stack/shop", NULL, &r), 0,
	    "PUT /stack/shop routes");
	ok(r.action == ACT_STACK && strcmp(r.stack, "shop") == 0 &&
	        r.service[0] == '\0',
	    "to the stack action, with the stack's name and no service");
	is_int(try("GET", "/stack/shop", NULL, &r), 405,
	    "GET /stack/shop: 405");
	is_int(try("PUT", "/stack/-shop", NULL, &r), 404,
	    "a stack name Swarm would refuse: 404");
	is_int(try("GET", "/metrics", "/deploy", &r), 0, "GET /metrics routes");
	ok(r.action == ACT_METRICS && r.service[0] == '\0',
	    "to the metrics action, with no service");
	is_int(try("POST", "/metrics", NULL, &r), 405, "POST /metrics is 405");
	is_int(try("PUT", "/service/blog/rollback", NULL, &r), 405,
	    "PUT on the rollback path is 405");
	is_str(r.allow, "POST", "with Allow: POST");
	is_int(try("DELETE", "/service/blog", NULL, &r), 405,
	    "DELETE on the service path is 405");
	is_str(r.allow, "GET, PUT", "with Allow");
	is_int(try("put", "/service/blog", NULL, &r), 405,
	    "methods are case-sensitive");
	is_int(try("PUT", "/service/", NULL, &r), 404, "no name");
	is_int(try("PUT", "/service/a.b", NULL, &r), 404, "invalid name");
	is_int(try("PUT", "/services/blog", NULL, &r), 404, "unknown path");
	is_int(try("PUT", "/service/blog/x", NULL, &r), 404, "extra segment");
	is_int(try("PUT", "/service//blog", NULL, &r), 404, "empty segment");
	is_int(try("PUT", "/service/../service/blog", NULL, &r), 400,
	    "dot-dot segment");
	is_int(try("PUT", "/./service/blog", NULL, &r), 400, "dot segment");
	is_int(try("PUT", "/service/bl%2Fog", NULL, &r), 400,
	    "percent sign (an encoded slash)");
	is_int(try("PUT", "/service/blog\n", NULL, &r), 400, "newline");
	is_int(try("PUT", "/service/bl\xc3\xa9og", NULL, &r), 400,
	    "non-ASCII byte");
	is_int(try("PUT", "service/blog", NULL, &r), 400, "relative path");
	{
		char longpath[400];

		memset(longpath, 'a', sizeof(longpath) - 1);
		longpath[0] = '/';
		longpath[sizeof(longpath) - 1] = '\0';
		is_int(try("PUT", longpath, NULL, &r), 400, "overlong path");
	}
	is_int(try("PUT", NULL, NULL, &r), 404, "no path at all");
}

static void
test_hooks(void)
{
	struct request r;

	is_int(try("POST", "/hook/registry", NULL, &r), 0,
	    "POST /hook/registry");
	is_int(r.action, ACT_HOOK_REGISTRY, "... a registry hook");
	is_int(try("POST", "/hook/github", NULL, &r), 0, "POST /hook/github");
	is_int(r.action, ACT_HOOK_GITHUB, "... a GitHub hook");
	is_int(try("POST", "/hook/harbor", NULL, &r), 0, "POST /hook/harbor");
	is_int(try("POST", "/hook/dockerhub", NULL, &r), 0,
	    "POST /hook/dockerhub (token in a header)");
	is_str(r.path_secret, "", "... no path token");
	is_int(try("POST", "/hook/dockerhub/s3cr3t.t0ken", NULL, &r), 0,
	    "POST /hook/dockerhub/<token>");
	is_int(r.action, ACT_HOOK_DOCKERHUB, "... a Docker Hub hook");
	is_str(r.path_secret, "s3cr3t.t0ken", "... its token kept apart");
	is_str(r.path, "/hook/dockerhub/<secret>", "... and not in the path");
	is_int(try("POST", NULL, "/deploy/hook/quay/abc-123/", &r), 0,
	    "POST /deploy/hook/quay/<token>/ (SCRIPT_NAME only)");
	is_str(r.path_secret, "abc-123", "... its token");
	is_str(r.path, "/hook/quay/<secret>", "... not in the path");
	is_int(try("POST", "/hook/registry/abc", NULL, &r), 404,
	    "a token in the path of /hook/registry: 404");
	is_int(try("POST", "/hook/github/abc", NULL, &r), 404,
	    "... of /hook/github: 404");
	is_int(try("POST", "/hook/harbor/abc", NULL, &r), 404,
	    "... of /hook/harbor: 404");
	is_int(try("GET", "/hook/quay/abc", NULL, &r), 405, "GET a hook: 405");
	is_int(try("POST", "/hook/gitlab", NULL, &r), 404,
	    "an unknown sender: 404");
	is_int(try("POST", "/hook/quay/a%2Fb", NULL, &r), 400,
	    "a token with a byte paths may not hold: 400");
}

int
main(void)
{
	io.fastcgi = 0;
	test_names();
	test_routes();
	test_hooks();
	return tap_done();
}
