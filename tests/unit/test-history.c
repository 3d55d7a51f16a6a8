/* test-history.c: reading the audit file backwards, in bounded chunks */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history.h"
#include "../tap.h"

#define LINES 5000
#define LONG_LINE 2		/* this one is longer than REV_LINE_MAX */
#define EMPTY_AFTER 10		/* an empty line follows this one */

/* Line i: its number, padded to a length that varies with i, so that
 * lines cross the chunk boundaries at many offsets. */
static size_t
line_text(int i, char *out, size_t len)
{
	int pad = 20 + (i * 37) % 300, n;

	n = snprintf(out, len, "%d ", i);
	memset(out + n, 'a' + i % 26, (size_t)pad);
	out[n + pad] = '\0';
	return (size_t)(n + pad);
}

static int
write_file(const char *path)
{
	char text[400], *big;
	FILE *f = fopen(path, "w");
	int i;

	if (f == NULL || (big = malloc(REV_LINE_MAX + 100)) == NULL)
		return -1;
	memset(big, 'x', REV_LINE_MAX + 99);
	big[REV_LINE_MAX + 99] = '\0';
	for (i = 0; i < LINES; i++) {
		if (i == LONG_LINE)
			fprintf(f, "%s\n", big);
		else {
			line_text(i, text, sizeof(text));
			fprintf(f, "%s\n", text);
		}
		if (i == EMPTY_AFTER)
			fputc('\n', f);
	}
	fputs("last, unterminated", f);
	free(big);
	return fclose(f);
}

static void
test_order(const char *path)
{
	struct rev_reader r;
	const char *line;
	char want[400];
	size_t len, n;
	int fd, i = LINES, good = 1, rc;

	fd = open(path, O_RDONLY);
	ok(fd >= 0 && rev_open(&r, fd) == 0, "the reader opens");
	while (good && (rc = rev_line(&r, &line, &len)) == 1) {
		if (i == LINES) {
			strcpy(want, "last, unterminated");
			n = strlen(want);
		} else
			n = line_text(i, want, sizeof(want));
		if (len != n || memcmp(line, want, n) != 0) {
			printf("# line %d: got %.40s (%zu bytes)\n", i, line, len);
			good = 0;
		}
		i -= i - 1 == LONG_LINE ? 2 : 1;
	}
	ok(good, "every line comes back, last first, across chunk boundaries");
	ok(good && rc == 0, "... the end of the file is 0");
	is_int(i, -1, "... down to the first line; the overlong and empty "
	    "ones skipped");
	rev_close(&r);
	close(fd);
}

static void
test_small(const char *path)
{
	struct rev_reader r;
	const char *line;
	size_t len;
	FILE *f = fopen(path, "w");
	int fd;

	fputs("one\n", f);
	fclose(f);
	fd = open(path, O_RDONLY);
	ok(rev_open(&r, fd) == 0 && rev_line(&r, &line, &len) == 1 &&
	    len == 3 && memcmp(line, "one", 3) == 0, "a one-line file");
	ok(rev_line(&r, &line, &len) == 0, "... then the end");
	rev_close(&r);
	close(fd);
	f = fopen(path, "w");
	fclose(f);
	fd = open(path, O_RDONLY);
	ok(rev_open(&r, fd) == 0 && rev_line(&r, &line, &len) == 0,
	    "an empty file has no lines");
	rev_close(&r);
	close(fd);
}

int
main(void)
{
	char dir[] = "/tmp/test-history.XXXXXX", path[64];

	if (mkdtemp(dir) == NULL)
		return 99;
	snprintf(path, sizeof(path), "%s/audit", dir);
	ok(write_file(path) == 0, "an audit-sized file of %d lines", LINES);
	test_order(path);
	test_small(path);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
