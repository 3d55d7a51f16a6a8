/* test-spool.c: unit tests for the notification spool */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "beanstalk.h"
#include "spool.h"
#include "util.h"
#include "unit.h"
#include "../tap.h"

/*
 * The spool in a temporary directory, in front of a real beanstalkd that
 * this test starts, and of a port where nothing listens (beanstalkd
 * down).  What arrived is read back with a test-side client.
 */

static char up_addr[32], down_addr[32];
static int port;

/* A spool on dir sending to addr (tube "t"). */
static void
spool_on(struct spool *s, struct bs_put_args *a, const char *dir,
    const char *addr)
{
	memset(a, 0, sizeof(*a));
	a->addr = addr;
	a->tube = "t";
	a->priority = 10;
	a->ttr = 60;
	a->timeout_ms = 2000;
	memset(s, 0, sizeof(*s));
	s->dir = dir;
	s->bs = a;
	s->lock_fd = -1;
}

/* Reserves the next job of tube t into out ("" when none), deletes it. */
static const char *
next_job(void)
{
	static char out[1024];
	char reply[1200], cmd[64];
	size_t len;
	uint64_t id;
	int fd, n;

	out[0] = '\0';
	if ((fd = tc_connect(port)) == -1)
		return out;
	if (tc_cmd(fd, "watch t\r\n", reply, sizeof(reply), NULL) == 0 &&
	    tc_cmd(fd, "reserve-with-timeout 0\r\n", reply, sizeof(reply),
	    &len) == 0 && sscanf(reply, "RESERVED %" SCNu64 " %d", &id,
	    &n) == 2 && n >= 0 && (size_t)n < sizeof(out)) {
		memcpy(out, strstr(reply, "\r\n") + 2, (size_t)n);
		out[n] = '\0';
		snprintf(cmd, sizeof(cmd), "delete %" PRIu64 "\r\n", id);
		tc_cmd(fd, cmd, reply, sizeof(reply), NULL);
	}
	close(fd);
	return out;
}

/* Messages waiting in dir. */
static unsigned
waiting(const char *dir)
{
	unsigned count;
	uint64_t oldest;

	return spool_stat(dir, &count, &oldest) == 0 ? count : 9999;
}

/* The name of the only (or first) message file in dir, static. */
static const char *
first_message(const char *dir)
{
	static char name[256];
	struct dirent *e;
	DIR *d;

	name[0] = '\0';
	if ((d = opendir(dir)) == NULL)
		return name;
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".msg") != NULL && e->d_name[0] != '.' &&
		    (name[0] == '\0' || strcmp(e->d_name, name) < 0))
			snprintf(name, sizeof(name), "%s", e->d_name);
	closedir(d);
	return name;
}

static enum spool_result
send_msg(struct spool *s, const char *msg, const char **why)
{
	uint64_t id = 0;

	*why = NULL;
	return spool_send(s, msg, strlen(msg), &id, why);
}

static void
test_order(void)
{
	const char *dir = tmp_path("spool"), *why;
	struct bs_put_args a;
	struct spool s;
	struct stat st;
	unsigned sent;

	spool_on(&s, &a, dir, up_addr);
	is_int(send_msg(&s, "m0", &why), SPOOL_SENT, "beanstalkd up: sent");
	is_str(next_job(), "m0", "... and it is in the tube");
	ok(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 07777) == 0700, "the spool directory is made 0700");
	is_int(waiting(dir), 0, "... and holds nothing");

	spool_on(&s, &a, dir, down_addr);
	is_int(send_msg(&s, "m1", &why), SPOOL_QUEUED,
	    "beanstalkd down: spooled");
	ok(why != NULL && *why != '\0', "... saying why (%s)", why ? why : "");
	is_int(send_msg(&s, "m2", &why), SPOOL_QUEUED, "a second, spooled");
	is_int(send_msg(&s, "m3", &why), SPOOL_QUEUED, "a third, spooled");
	is_int(waiting(dir), 3, "three wait");
	is_str(next_job(), "", "nothing reached the tube meanwhile");

	spool_on(&s, &a, dir, up_addr);
	is_int(send_msg(&s, "m4", &why), SPOOL_SENT,
	    "beanstalkd back: the new message is sent");
	is_int(waiting(dir), 0, "... after every spooled one");
	is_str(next_job(), "m1", "the oldest arrives first");
	is_str(next_job(), "m2", "then the second");
	is_str(next_job(), "m3", "then the third");
	is_str(next_job(), "m4", "and the new one last");

	spool_on(&s, &a, dir, down_addr);
	send_msg(&s, "f1", &why);
	send_msg(&s, "f2", &why);
	spool_on(&s, &a, dir, up_addr);
	is_int(spool_flush(&s, &sent, &why), 0, "spool_flush empties it");
	is_int(sent, 2, "... delivering two");
	is_str(next_job(), "f1", "... in order");
	is_str(next_job(), "f2", "... both");
}

static void
test_limits(void)
{
	const char *dir = tmp_path("spool-max"), *why;
	char old[512], renamed[512], name[256];
	struct bs_put_args a;
	struct spool s;
	unsigned sent;
	uint64_t ns;

	spool_on(&s, &a, dir, down_addr);
	s.max_messages = 2;
	is_int(send_msg(&s, "x1", &why), SPOOL_QUEUED, "max 2: the first waits");
	is_int(send_msg(&s, "x2", &why), SPOOL_QUEUED, "... the second too");
	is_int(send_msg(&s, "x3", &why), SPOOL_LOST, "... the third is lost");
	is_str(why, "the spool is full", "... because the spool is full");
	is_int(waiting(dir), 2, "... and two wait");

	/* Make the oldest one an hour old, as its name tells. */
	snprintf(name, sizeof(name), "%s", first_message(dir));
	ns = ((uint64_t)time(NULL) - 3600) * 1000000000ull;
	snprintf(old, sizeof(old), "%s/%s", dir, name);
	snprintf(renamed, sizeof(renamed), "%s/%020" PRIu64 "%s", dir, ns,
	    strlen(name) > 20 ? name + 20 : ".msg");
	ok(name[0] != '\0' && rename(old, renamed) == 0,
	    "the oldest message made an hour old");
	spool_on(&s, &a, dir, up_addr);
	s.max_age_s = 600;
	is_int(spool_flush(&s, &sent, &why), 0, "max_age 600 s: flushed");
	is_int(sent, 1, "... one delivered");
	is_str(next_job(), "x2", "... the young one");
	is_str(next_job(), "", "... the old one was dropped");
}

static void
test_leftovers(void)
{
	const char *dir = tmp_path("spool-left"), *why;
	char path[512];
	struct bs_put_args a;
	struct spool s;
	struct stat st;
	unsigned sent;
	static const char bad_tube[] = "deployer-spool 1\ntube no spaces\nbody";

	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/.tmp-00000000000000000001-x.msg", dir);
	write_file(path, "half", 4);
	snprintf(path, sizeof(path), "%s/00000000000000000002-1-a.msg", dir);
	write_file(path, "not a spool file", 16);
	snprintf(path, sizeof(path), "%s/00000000000000000003-1-a.msg", dir);
	write_file(path, bad_tube, sizeof(bad_tube) - 1);
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	write_file(path, "x", 1);

	spool_on(&s, &a, dir, up_addr);
	is_int(spool_flush(&s, &sent, &why), 0, "leftovers: flushed");
	is_int(sent, 0, "... nothing delivered");
	snprintf(path, sizeof(path), "%s/.tmp-00000000000000000001-x.msg", dir);
	ok(stat(path, &st) == -1, "a temporary file left by a crash is removed");
	snprintf(path, sizeof(path), "%s/failed/00000000000000000002-1-a.msg",
	    dir);
	ok(stat(path, &st) == 0, "an unreadable message moves to failed/");
	snprintf(path, sizeof(path), "%s/failed/00000000000000000003-1-a.msg",
	    dir);
	ok(stat(path, &st) == 0, "a message for an invalid tube moves too");
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	ok(stat(path, &st) == 0, "another file is left alone");
	is_int(waiting(dir), 0, "nothing waits");
	is_str(next_job(), "", "nothing reached the tube");
}

static void
test_unusable(void)
{
	const char *file = tmp_path("a-file"), *why;
	char nested[512];
	struct bs_put_args a;
	struct spool s;
	unsigned sent;

	write_file(file, "x", 1);
	spool_on(&s, &a, file, down_addr);
	is_int(send_msg(&s, "u1", &why), SPOOL_LOST,
	    "a file as the spool, beanstalkd down: lost");
	ok(why != NULL && strstr(why, "is not a directory") != NULL,
	    "... with the reason (%s)", why ? why : "");
	ok(why != NULL && strstr(why, "connect") != NULL,
	    "... and beanstalkd's");
	spool_on(&s, &a, file, up_addr);
	is_int(send_msg(&s, "u2", &why), SPOOL_SENT,
	    "a file as the spool, beanstalkd up: sent all the same");
	is_str(next_job(), "u2", "... it arrived");

	snprintf(nested, sizeof(nested), "%s/missing/spool", tmp_dir(""));
	spool_on(&s, &a, nested, up_addr);
	is_int(spool_flush(&s, &sent, &why), -1,
	    "a spool whose parent is missing: flush fails");
	ok(why != NULL && strstr(why, "cannot be created") != NULL,
	    "... saying why (%s)", why ? why : "");
	spool_on(&s, &a, NULL, up_addr);
	is_int(spool_flush(&s, &sent, &why), -1, "no spool: flush fails");
	is_str(why, "no spool directory is configured", "... saying so");
	is_int(waiting(nested), 0, "spool_stat: a missing directory is empty");
}

static void
test_lock(void)
{
	const char *dir = tmp_path("spool-lock"), *why;
	char lockpath[512];
	struct bs_put_args a;
	struct spool s;
	int fd, status = -1;
	pid_t pid, done;
	unsigned i;

	spool_on(&s, &a, dir, down_addr);
	send_msg(&s, "l1", &why);
	snprintf(lockpath, sizeof(lockpath), "%s/.lock", dir);
	fd = open(lockpath, O_RDWR | O_CLOEXEC);
	ok(fd != -1 && flock(fd, LOCK_EX) == 0, "the test holds the lock");
	if ((pid = spawn()) == 0) {
		unsigned sent = 0;

		close(fd);	/* the lock is the parent's */
		spool_on(&s, &a, dir, up_addr);
		_exit(spool_flush(&s, &sent, &why) == 0 && sent == 1 ? 0 : 1);
	}
	/* However slow the machine, the flush cannot end while the lock
	 * is held; 300 ms only gives it time to try. */
	usleep(300000);
	ok(pid > 0 && waitpid(pid, NULL, WNOHANG) == 0,
	    "a flush waits while another process holds the lock");
	is_int(waiting(dir), 1, "... and nothing was delivered");
	close(fd);
	for (i = 0, done = 0; i < 600 && done == 0; i++) {
		done = waitpid(pid, &status, WNOHANG);
		if (done == 0)
			usleep(50000);
	}
	ok(done == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "... and delivers once it is released");
	if (done != pid)
		reap(pid, SIGKILL);
	is_str(next_job(), "l1", "... the waiting message");
}

int
main(void)
{
	pid_t bs;
	int dead;

	atexit(kill_children);
	alarm(120);
	tmp_dir("test-spool");
	ok(access(BEANSTALKD, X_OK) == 0, "beanstalkd is installed at "
	    BEANSTALKD " (tests/setup.sh)");
	if ((port = start_beanstalkd(65535, &bs)) == -1 ||
	    (dead = free_port()) == -1) {
		printf("Bail out! cannot start beanstalkd\n");
		return 1;
	}
	snprintf(up_addr, sizeof(up_addr), "127.0.0.1:%d", port);
	snprintf(down_addr, sizeof(down_addr), "127.0.0.1:%d", dead);
	test_order();
	test_limits();
	test_leftovers();
	test_unusable();
	test_lock();
	kill_children();
	return tap_done();
}
