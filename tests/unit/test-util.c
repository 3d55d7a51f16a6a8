/* test-util.c: unit tests for number parsing, compare, UTF-8, ids */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "util.h"
#include "../tap.h"

static void
test_parse_u64(void)
{
	const char *e = NULL;
	uint64_t v = 0;

	ok(parse_u64("0", 0, 10, &v, &e) == 0 && v == 0, "zero");
	ok(parse_u64("18446744073709551615", 0, UINT64_MAX, &v, &e) == 0 &&
	    v == UINT64_MAX, "UINT64_MAX");
	ok(parse_u64("18446744073709551616", 0, UINT64_MAX, &v, &e) == -1,
	    "UINT64_MAX + 1 is refused");
	ok(parse_u64("99999999999999999999999", 0, UINT64_MAX, &v, &e) == -1,
	    "far too large is refused");
	ok(parse_u64("", 0, 10, &v, &e) == -1, "empty is refused");
	ok(parse_u64("-1", 0, 10, &v, &e) == -1, "a sign is refused");
	ok(parse_u64("+1", 0, 10, &v, &e) == -1, "a plus sign is refused");
	ok(parse_u64(" 1", 0, 10, &v, &e) == -1, "leading space is refused");
	ok(parse_u64("1 ", 0, 10, &v, &e) == -1, "trailing space is refused");
	ok(parse_u64("0x10", 0, 100, &v, &e) == -1, "hex is refused");
	ok(parse_u64("11", 0, 10, &v, &e) == -1, "above max is refused");
	ok(parse_u64("4", 5, 10, &v, &e) == -1, "below min is refused");
	ok(parse_u64n("123abc", 3, 0, 1000, &v, &e) == 0 && v == 123,
	    "length-counted parse stops at n");
}

static void
test_utf8(void)
{
	ok(utf8_valid("plain", 5), "ASCII");
	ok(utf8_valid("caf\xc3\xa9", 5), "two-byte sequence");
	ok(utf8_valid("\xf0\x9f\x98\x80", 4), "four-byte sequence");
	ok(!utf8_valid("\xc3", 1), "truncated sequence");
	ok(!utf8_valid("\xc0\xaf", 2), "overlong slash");
	ok(!utf8_valid("\xe0\x80\xaf", 3), "three-byte overlong");
	ok(!utf8_valid("\xed\xa0\x80", 3), "UTF-16 surrogate");
	ok(!utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF");
	ok(!utf8_valid("\xff", 1), "0xff");
	ok(!utf8_valid("a\x80", 2), "lone continuation byte");
	ok(utf8_valid("a\0b", 3), "NUL is valid UTF-8 (checked elsewhere)");
}

static void
test_request_id(void)
{
	char a[17], b[17];
	size_t i;
	int hex = 1;

	ok(make_request_id(a) == 0 && make_request_id(b) == 0,
	    "ids are made");
	is_int(strlen(a), 16, "16 characters");
	for (i = 0; i < 16; i++)
		hex &= strchr("0123456789abcdef", a[i]) != NULL;
	ok(hex, "lowercase hex");
	ok(strcmp(a, b) != 0, "two ids differ");
}

int
main(void)
{
	test_parse_u64();
	test_utf8();
	test_request_id();
	return tap_done();
}
