/* mstore.h: counters shared by every process, in one mapped file */
/* SPDX-License-Identifier: MIT */
#ifndef MSTORE_H
#define MSTORE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A fixed-size file that every process of the program maps (MAP_SHARED):
 * CGI processes, one FastCGI process or several behind one socket all add
 * to the same numbers, so none reports partial ones.  Counters are 64-bit
 * and changed with atomic operations, never under a lock.  The file has
 * MS_GLOBALS counters and a table of MS_SLOTS named slots (services) of
 * MS_SLOT_COUNTERS counters each, plus one overflow slot for every name
 * that finds the table full.  Only claiming a slot for a new name takes
 * the file's flock.  What the counters mean is the caller's (metrics.c);
 * the layout's sizes are part of the file's version.
 */
#define MS_GLOBALS 1024
#define MS_SLOTS 1024
#define MS_SLOT_COUNTERS 64
#define MS_NAME_MAX 63
/* The slot index that stands for "the table was full". */
#define MS_OVERFLOW MS_SLOTS

struct ms_file;

struct mstore {
	int fd;
	struct ms_file *f; /* the mapping, or NULL when closed */
	uint64_t dev, ino; /* which file is mapped */
};

/*
 * Maps the file at path, creating it (mode 0600, complete before it
 * appears under its name) when absent.  A file of another size, magic or
 * version is refused, never rewritten.  0, or -1 with *errstr.
 */
int mstore_open(struct mstore *m, const char *path, const char **errstr);

/* 1 when path still names the mapped file (it was not removed or
 * replaced since mstore_open). */
int mstore_current(const struct mstore *m, const char *path);

void mstore_close(struct mstore *m);

/* Global counters: add, store (a gauge or timestamp), read. */
void mstore_add(struct mstore *m, unsigned i, uint64_t n);
void mstore_set(struct mstore *m, unsigned i, uint64_t v);
uint64_t mstore_get(const struct mstore *m, unsigned i);

/*
 * The slot named name (1 to MS_NAME_MAX bytes), claimed when new: its
 * index, MS_OVERFLOW when the table is full, -1 when the lock fails.
 */
int mstore_slot(struct mstore *m, const char *name);

/* The name of slot s, or NULL while it is free (and for MS_OVERFLOW). */
const char *mstore_slot_name(const struct mstore *m, unsigned s);

void mstore_slot_add(struct mstore *m, unsigned s, unsigned i, uint64_t n);
void mstore_slot_set(struct mstore *m, unsigned s, unsigned i, uint64_t v);
uint64_t mstore_slot_get(const struct mstore *m, unsigned s, unsigned i);

#endif
