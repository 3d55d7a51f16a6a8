/* fuzz-beanstalk.c: fuzz target for beanstalkd reply lines and tube names */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "beanstalk.h"
#include "fuzz.h"

/*
 * The input is a reply line as the server might send it, and also (up
 * to its first NUL) a tube name.  Invariants:
 *   - the result does not depend on whether an id is asked for;
 *   - INSERTED and BURIED come with an id >= 1 that, printed back with
 *     %PRIu64, gives the line exactly (one optional CRLF at the end);
 *   - a keyword-only reply is exactly its keyword, USING is "USING "
 *     plus one token of at most BS_TUBE_MAX bytes;
 *   - bs_tube_valid agrees with beanstalkd's rule, written out again
 *     here in the plainest way.
 */

static const char *const words[] = {
	[BS_R_INVALID] = "INVALID",
	[BS_R_USING] = "USING",
	[BS_R_INSERTED] = "INSERTED",
	[BS_R_BURIED] = "BURIED",
	[BS_R_EXPECTED_CRLF] = "EXPECTED_CRLF",
	[BS_R_JOB_TOO_BIG] = "JOB_TOO_BIG",
	[BS_R_DRAINING] = "DRAINING",
	[BS_R_OUT_OF_MEMORY] = "OUT_OF_MEMORY",
	[BS_R_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[BS_R_BAD_FORMAT] = "BAD_FORMAT",
	[BS_R_UNKNOWN_COMMAND] = "UNKNOWN_COMMAND",
};

static int
tube_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > BS_TUBE_MAX || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-+/;.$_()", c) != NULL))
			return 0;
	}
	return 1;
}

static void
check_reply(const char *line, size_t n)
{
	enum bs_reply r, r2;
	char want[64];
	uint64_t id = 12345;
	size_t wl, i;

	r = bs_parse_reply(line, n, &id);
	r2 = bs_parse_reply(line, n, NULL);
	FUZZ_ASSERT(r == r2);
	FUZZ_ASSERT((unsigned)r < sizeof(words) / sizeof(words[0]));
	FUZZ_ASSERT(strcmp(bs_reply_name(r), words[r]) == 0);
	if (r != BS_R_INSERTED && r != BS_R_BURIED)
		FUZZ_ASSERT(id == 0);
	if (r == BS_R_INVALID)
		return;

	FUZZ_ASSERT(n <= BS_REPLY_MAX);
	if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n')
		n -= 2;
	wl = strlen(words[r]);
	FUZZ_ASSERT(n >= wl && memcmp(line, words[r], wl) == 0);
	switch (r) {
	case BS_R_INSERTED:
	case BS_R_BURIED:
		FUZZ_ASSERT(id >= 1);
		snprintf(want, sizeof(want), "%s %" PRIu64, words[r], id);
		FUZZ_ASSERT(strlen(want) == n && memcmp(want, line, n) == 0);
		break;
	case BS_R_USING:
		FUZZ_ASSERT(n > wl + 1 && line[wl] == ' ');
		FUZZ_ASSERT(n - wl - 1 <= BS_TUBE_MAX);
		for (i = wl + 1; i < n; i++)
			FUZZ_ASSERT(line[i] != ' ' && line[i] != '\r' &&
			    line[i] != '\n' && line[i] != '\0');
		break;
	default:
		FUZZ_ASSERT(n == wl);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char name[BS_REPLY_MAX + 64];
	size_t n;

	check_reply(s, size);
	/* The same line with a CRLF added, when it still fits the check. */
	if (size + 2 <= sizeof(name)) {
		memcpy(name, s, size);
		memcpy(name + size, "\r\n", 2);
		check_reply(name, size + 2);
	}
	FUZZ_ASSERT(bs_parse_reply(NULL, 0, NULL) == BS_R_INVALID);

	/* Tube names are C strings: the bytes up to the first NUL. */
	n = strnlen(s, size);
	if (n < sizeof(name)) {
		memcpy(name, s, n);
		name[n] = '\0';
		FUZZ_ASSERT((bs_tube_valid(name) != 0) == tube_ok(name));
	}
	FUZZ_ASSERT(bs_tube_valid(NULL) == 0);
	return 0;
}
