/* replay.h: signatures seen recently, shared by every process */
/* SPDX-License-Identifier: MIT */
#ifndef REPLAY_H
#define REPLAY_H

#include <time.h>

/* Entries kept at most; a full store refuses new requests (fail closed)
 * rather than forget one inside its window. */
#define REPLAY_MAX 100000

/*
 * Records sig (hex) as seen until expires, in dir/seen-signatures under an
 * exclusive lock, dropping expired entries.  Returns 0 when sig was new,
 * 1 when it was already there (a replay), -1 when the store cannot be
 * used (logged).
 */
int replay_record(const char *dir, const char *sig, time_t expires);

#endif
