/* failalloc.c: make the n-th allocation fail, for the allocation sweep */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/*
 * Linked into tests/tools/deployer-failalloc with -Wl,--wrap for malloc,
 * calloc, realloc, strdup and strndup: every allocation the program's
 * own code makes comes here, and cJSON's too (cJSON_InitHooks).  With
 * FAILALLOC_AT=N in the environment the N-th allocation returns NULL;
 * at exit the count goes to FAILALLOC_COUNT (a file), so that the sweep
 * knows when N has passed the last allocation.  Libraries' own
 * allocations (libcurl, libc) are not counted: they are theirs to handle.
 */

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
char *__real_strdup(const char *);
char *__real_strndup(const char *, size_t);
void *__wrap_malloc(size_t);
void *__wrap_calloc(size_t, size_t);
void *__wrap_realloc(void *, size_t);
char *__wrap_strdup(const char *);
char *__wrap_strndup(const char *, size_t);

static unsigned long count, fail_at;
static int failed;

/* 1 when this allocation is the one to fail. */
static int
fail_now(void)
{
	if (++count != fail_at)
		return 0;
	failed = 1;
	errno = ENOMEM;
	return 1;
}

void *
__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t a, size_t b)
{
	return fail_now() ? NULL : __real_calloc(a, b);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}

static void
report(void)
{
	const char *path = getenv("FAILALLOC_COUNT");
	FILE *f;

	if (path == NULL || (f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "%lu %d\n", count, failed);
	fclose(f);
}

__attribute__((constructor)) static void
failalloc_init(void)
{
	static cJSON_Hooks hooks = {__wrap_malloc, free};
	const char *at = getenv("FAILALLOC_AT");

	fail_at = at != NULL ? strtoul(at, NULL, 10) : 0;
	cJSON_InitHooks(&hooks);
	atexit(report);
}
