/* mstore.c: counters shared by every process, in one mapped file */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mstore.h"

#define MS_MAGIC "deployer-metrics" /* 16 bytes, no NUL */
#define MS_VERSION 1

/* Counters must be lock-free across processes, not just threads. */
_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0),
    "64-bit atomics are needed");

struct ms_slot {
	uint32_t used; /* 1 once name is complete (release store) */
	/* cppcheck-suppress unusedStructMember ; keeps c[] 8-byte aligned */
	uint32_t pad;
	char name[MS_NAME_MAX + 1];
	uint64_t c[MS_SLOT_COUNTERS];
};

struct ms_head {
	char magic[16];
	uint32_t version;
	uint32_t size;    /* sizeof(struct ms_file): the layout */
	uint64_t created; /* unix seconds */
};

struct ms_file {
	struct ms_head h;
	uint64_t globals[MS_GLOBALS];
	struct ms_slot slots[MS_SLOTS + 1]; /* the last: MS_OVERFLOW */
};

/* Writes a complete, empty file under a temporary name and links it into
 * place, so that no process ever maps half a header.  Losing the race to
 * another process is success: its file is as good. */
static int
create(const char *path, const char **errstr)
{
	struct ms_head head;
	char tmp[4096];
	int fd, rc = -1, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path,
	        (long)getpid()) >= sizeof(tmp)) {
		*errstr = "the path is too long";
		return -1;
	}
	unlink(tmp); /* left by a crashed process of this pid */
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1) {
		*errstr = "cannot create the file";
		return -1;
	}
	memset(&head, 0, sizeof(head));
	memcpy(head.magic, MS_MAGIC, sizeof(head.magic));
	head.version = MS_VERSION;
	head.size = (uint32_t)sizeof(struct ms_file);
	head.created = (uint64_t)time(NULL);
	if (ftruncate(fd, (off_t)sizeof(struct ms_file)) == -1 ||
	    pwrite(fd, &head, sizeof(head), 0) != (ssize_t)sizeof(head))
		*errstr = "cannot write the file";
	else if (link(tmp, path) == -1 && errno != EEXIST)
		*errstr = "cannot link the new file into place";
	else
		rc = 0;
	saved = errno;
	close(fd);
	unlink(tmp);
	errno = saved;
	return rc;
}

static int
usable(const struct ms_head *h)
{
	return memcmp(h->magic, MS_MAGIC, sizeof(h->magic)) == 0 &&
	    h->version == MS_VERSION && h->size == sizeof(struct ms_file);
}

/* Closes fd keeping errno, for the caller's log line. */
static int
close_fail(int fd, const char **errstr, const char *why)
{
	int saved = errno;

	close(fd);
	errno = saved;
	*errstr = why;
	return -1;
}

int
mstore_open(struct mstore *m, const char *path, const char **errstr)
{
	struct ms_head head;
	struct stat st;
	void *p;
	int fd;

	m->fd = -1;
	m->f = NULL;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT) {
		if (create(path, errstr) == -1)
			return -1;
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd == -1) {
		*errstr = "cannot open the file";
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size != (off_t)sizeof(struct ms_file)) {
		errno = EINVAL;
		return close_fail(fd, errstr,
		    "not a metrics file of this "
		    "version (size)");
	}
	/* The header is checked before anything is mapped. */
	if (pread(fd, &head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    !usable(&head)) {
		errno = EINVAL;
		return close_fail(fd, errstr,
		    "not a metrics file of this "
		    "version (header)");
	}
	p = mmap(NULL, sizeof(struct ms_file), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return close_fail(fd, errstr, "cannot map the file");
	m->fd = fd;
	m->f = p;
	m->dev = (uint64_t)st.st_dev;
	m->ino = (uint64_t)st.st_ino;
	return 0;
}

int
mstore_current(const struct mstore *m, const char *path)
{
	struct stat st;

	return m->f != NULL && stat(path, &st) == 0 &&
	    (uint64_t)st.st_dev == m->dev && (uint64_t)st.st_ino == m->ino;
}

void
mstore_close(struct mstore *m)
{
	if (m->f != NULL)
		munmap(m->f, sizeof(struct ms_file));
	if (m->fd >= 0)
		close(m->fd);
	m->f = NULL;
	m->fd = -1;
}

void
mstore_add(struct mstore *m, unsigned i, uint64_t n)
{
	if (m->f != NULL && i < MS_GLOBALS)
		__atomic_fetch_add(&m->f->globals[i], n, __ATOMIC_RELAXED);
}

void
mstore_set(struct mstore *m, unsigned i, uint64_t v)
{
	if (m->f != NULL && i < MS_GLOBALS)
		__atomic_store_n(&m->f->globals[i], v, __ATOMIC_RELAXED);
}

uint64_t
mstore_get(const struct mstore *m, unsigned i)
{
	if (m->f == NULL || i >= MS_GLOBALS)
		return 0;
	return __atomic_load_n(&m->f->globals[i], __ATOMIC_RELAXED);
}

/* FNV-1a: where a name's probe sequence starts. */
static unsigned
hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % MS_SLOTS;
}

/* The slot holding name, or -1 with *free_at the first free slot on its
 * probe sequence (-1: none, the table is full). */
static int
find(const struct ms_file *f, const char *name, int *free_at)
{
	unsigned h = hash(name), i, s;

	for (i = 0; i < MS_SLOTS; i++) {
		s = (h + i) % MS_SLOTS;
		if (!__atomic_load_n(&f->slots[s].used, __ATOMIC_ACQUIRE)) {
			*free_at = (int)s;
			return -1;
		}
		if (strncmp(f->slots[s].name, name, sizeof(f->slots[s].name)) ==
		    0)
			return (int)s;
	}
	*free_at = -1;
	return -1;
}

int
mstore_slot(struct mstore *m, const char *name)
{
	struct ms_slot *sl;
	size_t n = strlen(name);
	int s, free_at;

	if (m->f == NULL || n == 0 || n > MS_NAME_MAX)
		return -1;
	if ((s = find(m->f, name, &free_at)) >= 0)
		return s;
	/* A new name: claim under the lock, so that two processes never
	 * take the same free slot or the same name twice. */
	while (flock(m->fd, LOCK_EX) == -1)
		if (errno != EINTR)
			return -1;
	if ((s = find(m->f, name, &free_at)) < 0) {
		if (free_at < 0)
			s = MS_OVERFLOW;
		else {
			sl = &m->f->slots[free_at];
			memcpy(sl->name, name, n + 1);
			__atomic_store_n(&sl->used, 1, __ATOMIC_RELEASE);
			s = free_at;
		}
	}
	flock(m->fd, LOCK_UN);
	return s;
}

const char *
mstore_slot_name(const struct mstore *m, unsigned s)
{
	const struct ms_slot *sl;

	if (m->f == NULL || s >= MS_SLOTS)
		return NULL;
	sl = &m->f->slots[s];
	if (!__atomic_load_n(&sl->used, __ATOMIC_ACQUIRE) ||
	    memchr(sl->name, '\0', sizeof(sl->name)) == NULL)
		return NULL;
	return sl->name;
}

void
mstore_slot_add(struct mstore *m, unsigned s, unsigned i, uint64_t n)
{
	if (m->f != NULL && s <= MS_OVERFLOW && i < MS_SLOT_COUNTERS)
		__atomic_fetch_add(&m->f->slots[s].c[i], n, __ATOMIC_RELAXED);
}

void
mstore_slot_set(struct mstore *m, unsigned s, unsigned i, uint64_t v)
{
	if (m->f != NULL && s <= MS_OVERFLOW && i < MS_SLOT_COUNTERS)
		__atomic_store_n(&m->f->slots[s].c[i], v, __ATOMIC_RELAXED);
}

uint64_t
mstore_slot_get(const struct mstore *m, unsigned s, unsigned i)
{
	if (m->f == NULL || s > MS_OVERFLOW || i >= MS_SLOT_COUNTERS)
		return 0;
	return __atomic_load_n(&m->f->slots[s].c[i], __ATOMIC_RELAXED);
}
