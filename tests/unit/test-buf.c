/* test-buf.c: unit tests for the bounded buffer */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "../tap.h"

static void
test_add_and_terminate(void)
{
	struct buf b;

	buf_init(&b, 16);
	is_str(buf_str(&b), "", "an empty buffer reads as \"\"");
	ok(buf_addstr(&b, "abc") == 0, "add within the limit");
	ok(buf_addch(&b, 'd') == 0, "add one byte");
	ok(buf_addf(&b, "%d-%s", 42, "x") == 0, "add formatted");
	is_str(buf_str(&b), "abcd42-x", "content is NUL-terminated");
	is_int(b.len, 8, "length excludes the NUL");
	buf_free(&b);
}

static void
test_limit(void)
{
	struct buf b;

	buf_init(&b, 4);
	ok(buf_add(&b, "1234", 4) == 0, "exactly max bytes fit");
	errno = 0;
	ok(buf_add(&b, "5", 1) == -1 && errno == EMSGSIZE,
	    "one byte more is EMSGSIZE");
	ok(b.data == NULL && b.len == 0, "overflow frees the storage");
	ok(buf_addstr(&b, "ab") == 0, "the buffer is usable after overflow");
	errno = 0;
	ok(buf_addf(&b, "%s", "xyz") == -1 && errno == EMSGSIZE,
	    "formatted add respects the limit");
	buf_free(&b);

	buf_init(&b, 0);
	ok(buf_add(&b, "", 0) == 0, "an empty add into a zero-max buffer");
	ok(buf_addch(&b, 'x') == -1, "a zero-max buffer holds nothing");
	buf_free(&b);
}

static void
test_huge_request(void)
{
	struct buf b;

	buf_init(&b, 1024);
	ok(buf_add(&b, "x", (size_t)-1) == -1 && errno == EMSGSIZE,
	    "a size near SIZE_MAX does not wrap around");
	buf_free(&b);
}

static void
test_take_and_reset(void)
{
	struct buf b;
	size_t n = 0;
	char *p;

	buf_init(&b, 64);
	buf_addstr(&b, "hello");
	p = buf_take(&b, &n);
	is_str(p, "hello", "take returns the content");
	is_int(n, 5, "take reports the length");
	ok(b.data == NULL && b.len == 0, "take empties the buffer");
	free(p);
	p = buf_take(&b, &n);
	is_str(p, "", "taking an empty buffer gives \"\"");
	free(p);
	buf_addstr(&b, "abc");
	buf_reset(&b);
	is_str(buf_str(&b), "", "reset empties");
	buf_free(&b);
	buf_free(&b);
	ok(1, "buf_free twice is harmless");
}

static void
test_growth(void)
{
	struct buf b;
	char chunk[1000];
	int i, good = 1;

	memset(chunk, 'a', sizeof(chunk));
	buf_init(&b, 100000);
	for (i = 0; i < 100; i++)
		good &= buf_add(&b, chunk, sizeof(chunk)) == 0;
	ok(good && b.len == 100000, "grows to exactly max in many adds");
	ok(b.cap <= 100001, "never allocates past max + 1");
	buf_free(&b);
}

int
main(void)
{
	test_add_and_terminate();
	test_limit();
	test_huge_request();
	test_take_and_reset();
	test_growth();
	return tap_done();
}
