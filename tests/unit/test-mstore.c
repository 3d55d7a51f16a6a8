/* test-mstore.c: the shared counter file, under concurrent processes */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mstore.h"
#include "../tap.h"

#define PROCS 6
#define ADDS 20000
#define NAMES 40

static char dir[] = "/tmp/test-mstore.XXXXXX";
static char path[4096];

/* Each child maps the file itself (as a CGI process would), adds, and
 * claims the same names as its siblings, in its own order. */
static void
child(int k)
{
	struct mstore m;
	const char *errstr;
	char name[32];
	int i, s;

	if (mstore_open(&m, path, &errstr) == -1)
		_exit(2);
	for (i = 0; i < ADDS; i++) {
		mstore_add(&m, 7, 1);
		mstore_add(&m, MS_GLOBALS - 1, 3);
		snprintf(name, sizeof(name), "svc-%d", (i * 7 + k) % NAMES);
		if ((s = mstore_slot(&m, name)) < 0 || s == MS_OVERFLOW)
			_exit(3);
		mstore_slot_add(&m, (unsigned)s, 5, 1);
	}
	mstore_close(&m);
	_exit(0);
}

static void
test_concurrent(void)
{
	struct mstore m;
	const char *errstr, *name;
	uint64_t sum = 0;
	int k, st, good = 1, named = 0;
	unsigned s;
	pid_t pid[PROCS];

	for (k = 0; k < PROCS; k++)
		if ((pid[k] = fork()) == 0)
			child(k);
	for (k = 0; k < PROCS; k++)
		if (waitpid(pid[k], &st, 0) != pid[k] || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			good = 0;
	ok(good, "%d processes created, mapped and counted at once", PROCS);
	ok(mstore_open(&m, path, &errstr) == 0, "the file opens afterwards");
	is_int(mstore_get(&m, 7), (long long)PROCS * ADDS,
	    "concurrent increments give the exact sum");
	is_int(mstore_get(&m, MS_GLOBALS - 1), 3LL * PROCS * ADDS,
	    "... in the last global counter too");
	for (s = 0; s < MS_SLOTS; s++) {
		if ((name = mstore_slot_name(&m, s)) == NULL)
			continue;
		named++;
		sum += mstore_slot_get(&m, s, 5);
	}
	is_int(named, NAMES, "each name got exactly one slot");
	is_int(sum, (long long)PROCS * ADDS, "slot counts add up exactly");
	mstore_close(&m);
}

static void
test_overflow(void)
{
	char p2[4200], name[32];
	struct mstore m;
	const char *errstr;
	int i, s = 0, full = 0;

	snprintf(p2, sizeof(p2), "%s/full", dir);
	ok(mstore_open(&m, p2, &errstr) == 0, "a second file");
	for (i = 0; i < MS_SLOTS && s >= 0 && s != MS_OVERFLOW; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		s = mstore_slot(&m, name);
	}
	is_int(i, MS_SLOTS, "every slot can be claimed");
	ok(s >= 0 && s < MS_SLOTS, "... the last one too");
	s = mstore_slot(&m, "one-more");
	is_int(s, MS_OVERFLOW, "a name beyond the table gets the overflow slot");
	ok(mstore_slot_name(&m, MS_OVERFLOW) == NULL, "... which has no name");
	mstore_slot_add(&m, MS_OVERFLOW, 0, 2);
	is_int(mstore_slot_get(&m, MS_OVERFLOW, 0), 2, "... and counts");
	for (i = 0; i < MS_SLOTS; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		if (mstore_slot(&m, name) == MS_OVERFLOW)
			full = 1;
	}
	ok(!full, "known names still find their slots in a full table");
	ok(mstore_slot(&m, "") == -1, "an empty name is refused");
	mstore_close(&m);
	unlink(p2);
}

static void
test_refused_files(void)
{
	char p3[4200];
	struct mstore m;
	const char *errstr = NULL;
	int fd;

	snprintf(p3, sizeof(p3), "%s/other", dir);
	fd = open(p3, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && write(fd, "not metrics\n", 12) == 12, "a foreign file");
	close(fd);
	ok(mstore_open(&m, p3, &errstr) == -1 && errstr != NULL,
	    "a file of another size is refused, not rewritten");
	unlink(p3);
	ok(mstore_open(&m, p3, &errstr) == 0, "a fresh file");
	mstore_close(&m);
	fd = open(p3, O_RDWR);
	ok(fd >= 0 && pwrite(fd, "XXXX", 4, 0) == 4, "its magic damaged");
	close(fd);
	ok(mstore_open(&m, p3, &errstr) == -1, "a damaged header is refused");
	unlink(p3);
	ok(mstore_open(&m, p3, &errstr) == 0 && mstore_current(&m, p3),
	    "a new file is current");
	unlink(p3);
	ok(!mstore_current(&m, p3), "... and not once removed");
	mstore_close(&m);
}

int
main(void)
{
	struct stat st;

	if (mkdtemp(dir) == NULL)
		return 99;
	snprintf(path, sizeof(path), "%s/metrics", dir);
	test_concurrent();
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the file is private (0600)");
	unlink(path);
	test_overflow();
	test_refused_files();
	rmdir(dir);
	return tap_done();
}
