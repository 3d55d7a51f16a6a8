/* spool.c: notifications that wait on disk until beanstalkd takes them */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "notify.h"
#include "spool.h"
#include "util.h"

/* A spooled file: "tube <name>\n" then the message.  The tube is kept so
 * that a message goes where it was meant to even after a settings change. */
#define SPOOL_MAGIC "deployer-spool 1\n"
/* "<20 digits of ns>-<10 digits of pid>-<4 hex>.msg" */
#define NAME_MAX_LEN 48
/* A message is at most beanstalkd's default job size (notify.h) plus
 * the two header lines. */
#define FILE_MAX (NOTIFY_BODY_MAX + sizeof(SPOOL_MAGIC) + 5 + BS_TUBE_MAX + 1)

static int
is_message(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && n < NAME_MAX_LEN && name[0] != '.' &&
	    strcmp(name + n - 4, ".msg") == 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Takes the spool lock, making the directory (0700) and its lock file
 * when they are not there yet. */
static int
lock(struct spool *s, const char **why)
{
	char path[4096];

	if (path_join(path, sizeof(path), s->dir, ".lock") == -1 ||
	    dir_usable(s->dir, 1, s->reason, sizeof(s->reason)) == -1 ||
	    (s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) ==
	        -1) {
		if (s->lock_fd == -1 && s->reason[0] == '\0')
			snprintf(s->reason, sizeof(s->reason),
			    "the spool "
			    "directory %s cannot be used: %s",
			    s->dir, strerror(errno));
		s->lock_fd = -1;
		*why = s->reason;
		log_warnx("spool: %s", s->reason);
		return -1;
	}
	while (flock(s->lock_fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			*why = "cannot lock the spool";
			log_warn("spool: flock %s", path);
			close(s->lock_fd);
			s->lock_fd = -1;
			return -1;
		}
	}
	return 0;
}

static void
unlock(struct spool *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the flock */
	s->lock_fd = -1;
}

/* The sorted names of spooled messages (caller frees each and the array). */
static int
list(struct spool *s, char ***names, size_t *count)
{
	DIR *d;
	struct dirent *e;
	char **v = NULL, **nv;
	size_t n = 0, cap = 0;

	*names = NULL;
	*count = 0;
	if ((d = opendir(s->dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		/* Every caller holds the lock, and a writer keeps it while
		 * its temporary file exists (store): one seen now was left
		 * by a crash, and would stay forever. */
		if (strncmp(e->d_name, ".tmp-", 5) == 0) {
			if (unlinkat(dirfd(d), e->d_name, 0) == 0)
				log_warnx("spool: removed %s/%s, left by a "
				          "crash",
				    s->dir, e->d_name);
			continue;
		}
		if (!is_message(e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto fail;
			v = nv;
		}
		if ((v[n] = strdup(e->d_name)) == NULL)
			goto fail;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_names);
	*names = v;
	*count = n;
	return 0;
fail:
	while (n > 0)
		free(v[--n]);
	free(v);
	closedir(d);
	return -1;
}

static void
free_list(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* Moves a message that can never be delivered out of the way. */
static void
dead_letter(struct spool *s, const char *name, const char *why)
{
	char from[4096], dir[4096], to[4096];

	if (path_join(from, sizeof(from), s->dir, name) == -1 ||
	    path_join(dir, sizeof(dir), s->dir, "failed") == -1 ||
	    path_join(to, sizeof(to), dir, name) == -1)
		return;
	mkdir(dir, 0700);
	if (rename(from, to) == -1)
		unlink(from);
	log_warnx("spool: message %s can never be delivered (%s); moved to "
	          "%s/failed",
	    name, why, s->dir);
}

/* 1 when the message's name says it is older than max_age_s. */
static int
too_old(const struct spool *s, const char *name)
{
	uint64_t ns, now_s = (uint64_t)time(NULL);
	const char *errstr;

	if (s->max_age_s == 0 ||
	    parse_u64n(name, 20, 0, UINT64_MAX, &ns, &errstr) == -1)
		return 0;
	return ns / 1000000000u + s->max_age_s < now_s;
}

/*
 * Sends spooled messages in order until one fails.  Returns the number
 * still waiting (0: the spool is empty), or -1 when it cannot be read.
 */
static int
drain(struct spool *s, unsigned *sent)
{
	struct bs_put_args a = *s->bs;
	char **names, path[4096];
	size_t count, i;
	struct buf m;
	int waiting;

	if (list(s, &names, &count) == -1) {
		log_warn("spool: cannot read %s", s->dir);
		return -1;
	}
	for (i = 0; i < count; i++) {
		const char *body, *nl, *errstr;
		enum bs_reply reply;
		char tube[BS_TUBE_MAX + 1];
		uint64_t id;
		size_t tl;

		if (path_join(path, sizeof(path), s->dir, names[i]) == -1)
			continue;
		if (too_old(s, names[i])) {
			log_warnx("spool: message %s is older than %u s; "
			          "dropped",
			    names[i], s->max_age_s);
			unlink(path);
			continue;
		}
		if (file_slurp(path, &m, FILE_MAX, &errstr) == -1 ||
		    m.len < sizeof(SPOOL_MAGIC) - 1 + 6 ||
		    memcmp(m.data, SPOOL_MAGIC, sizeof(SPOOL_MAGIC) - 1) != 0 ||
		    memcmp(m.data + sizeof(SPOOL_MAGIC) - 1, "tube ", 5) != 0 ||
		    (nl = memchr(m.data + sizeof(SPOOL_MAGIC) + 4, '\n',
		         m.len - sizeof(SPOOL_MAGIC) - 4)) == NULL) {
			buf_free(&m);
			dead_letter(s, names[i], "unreadable");
			continue;
		}
		body = m.data + sizeof(SPOOL_MAGIC) + 4;
		tl = (size_t)(nl - body);
		if (tl <= BS_TUBE_MAX) {
			memcpy(tube, body, tl);
			tube[tl] = '\0';
		}
		/* No beanstalkd takes a tube it cannot name: never retry it. */
		if (tl > BS_TUBE_MAX || !bs_tube_valid(tube)) {
			buf_free(&m);
			dead_letter(s, names[i], "bad tube");
			continue;
		}
		a.tube = tube;
		body = nl + 1;
		if (bs_put(&a, body, m.len - (size_t)(body - m.data), &id,
		        &reply, &errstr) == -1) {
			buf_free(&m);
			if (reply == BS_R_JOB_TOO_BIG ||
			    reply == BS_R_BAD_FORMAT) {
				dead_letter(s, names[i], bs_reply_name(reply));
				continue;
			}
			break;
		}
		buf_free(&m);
		/* At least once: a crash before this line repeats it. */
		if (unlink(path) == -1)
			log_warn("spool: unlink %s", path);
		if (sent != NULL)
			(*sent)++;
		log_info("spool: delivered %s as job %llu", names[i],
		    (unsigned long long)id);
	}
	waiting = (int)(count - i);
	free_list(names, count);
	return waiting;
}

/* Writes msg for tube into a new spool file, durably. */
static int
store(struct spool *s, const char *msg, size_t n, const char **why)
{
	char tmp[4096], path[4096], name[NAME_MAX_LEN];
	struct timespec ts;
	char rid[17];
	struct buf m;
	int fd, dfd, rc = -1;
	char **names;
	size_t count;

	if (list(s, &names, &count) == -1) {
		*why = "the spool directory cannot be read";
		log_warn("spool: %s", s->dir);
		return -1;
	}
	free_list(names, count);
	if (s->max_messages > 0 && count >= s->max_messages) {
		*why = "the spool is full";
		log_warnx("spool: FULL (%zu messages in %s); a notification "
		          "is LOST",
		    count, s->dir);
		return -1;
	}
	/* Names sort by time; pid and random digits keep them unique. */
	clock_gettime(CLOCK_REALTIME, &ts);
	if (make_request_id(rid) == -1)
		memcpy(rid, "0000", 5);
	snprintf(name, sizeof(name), "%020llu-%010ld-%.4s.msg",
	    (unsigned long long)ts.tv_sec * 1000000000ull +
	        (unsigned long long)ts.tv_nsec,
	    (long)getpid(), rid);
	if (path_join(path, sizeof(path), s->dir, name) == -1 ||
	    path_join(tmp, sizeof(tmp), s->dir, ".tmp-") == -1 ||
	    strlen(tmp) + strlen(name) >= sizeof(tmp)) {
		*why = "the spool directory's path is too long";
		return -1;
	}
	memcpy(tmp + strlen(tmp), name, strlen(name) + 1);

	buf_init(&m, FILE_MAX);
	if (buf_addstr(&m, SPOOL_MAGIC) == -1 ||
	    buf_addf(&m, "tube %s\n", s->bs->tube) == -1 ||
	    buf_add(&m, msg, n) == -1) {
		*why = "the message is too large to spool";
		buf_free(&m);
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1) {
		*why = "cannot write to the spool";
		log_warn("spool: %s", tmp);
		buf_free(&m);
		return -1;
	}
	if (write(fd, m.data, m.len) != (ssize_t)m.len || fsync(fd) == -1) {
		*why = "cannot write to the spool";
		log_warn("spool: %s", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		*why = "cannot write to the spool";
		log_warn("spool: rename %s", path);
		unlink(tmp);
		goto out;
	}
	/* The rename itself must survive a crash. */
	if ((dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	buf_free(&m);
	return rc;
}

enum spool_result
spool_send(struct spool *s, const char *msg, size_t n, uint64_t *id,
    const char **why)
{
	enum bs_reply reply = BS_R_INVALID;
	const char *errstr;
	int waiting = 0;
	enum spool_result res;

	if (s->dir == NULL) {
		if (bs_put(s->bs, msg, n, id, &reply, why) == 0)
			return SPOOL_SENT;
		return SPOOL_LOST;
	}
	s->reason[0] = '\0';
	s->lock_fd = -1;
	if (lock(s, &errstr) == -1) {
		/* The spool is unusable: still try to deliver directly. */
		char spool_why[sizeof(s->reason)];

		if (bs_put(s->bs, msg, n, id, &reply, why) == 0)
			return SPOOL_SENT;
		snprintf(spool_why, sizeof(spool_why), "%s", errstr);
		snprintf(s->reason, sizeof(s->reason), "%.150s, and %.160s",
		    *why, spool_why);
		*why = s->reason;
		return SPOOL_LOST;
	}
	if ((waiting = drain(s, NULL)) == 0 &&
	    bs_put(s->bs, msg, n, id, &reply, why) == 0) {
		res = SPOOL_SENT;
		goto out;
	}
	if (waiting != 0)
		*why = waiting > 0 ? "older notifications are still waiting"
		                   : "the spool directory cannot be read";
	else if (reply == BS_R_JOB_TOO_BIG || reply == BS_R_BAD_FORMAT) {
		/* Retrying would never help. */
		res = SPOOL_LOST;
		goto out;
	}
	res = store(s, msg, n, &errstr) == 0 ? SPOOL_QUEUED : SPOOL_LOST;
	if (res == SPOOL_LOST)
		*why = errstr;
out:
	unlock(s);
	return res;
}

int
spool_flush(struct spool *s, unsigned *sent, const char **why)
{
	int waiting;

	*sent = 0;
	if (s->dir == NULL) {
		*why = "no spool directory is configured";
		return -1;
	}
	if (lock(s, why) == -1)
		return -1;
	waiting = drain(s, sent);
	unlock(s);
	if (waiting < 0)
		*why = "the spool directory cannot be read";
	return waiting;
}

int
spool_stat(const char *dir, unsigned *count, uint64_t *oldest_ns)
{
	const char *errstr;
	struct dirent *e;
	uint64_t ns;
	DIR *d;

	*count = 0;
	*oldest_ns = 0;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL) {
		if (!is_message(e->d_name))
			continue;
		(*count)++;
		if (parse_u64n(e->d_name, 20, 0, UINT64_MAX, &ns, &errstr) ==
		        0 &&
		    (*oldest_ns == 0 || ns < *oldest_ns))
			*oldest_ns = ns;
	}
	closedir(d);
	return 0;
}
