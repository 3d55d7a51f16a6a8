/* fuzz.h: what every fuzz target and the corpus replay share */
/* SPDX-License-Identifier: MIT */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Each tests/fuzz/fuzz-<name>.c defines only this function.  It is built
 * twice: with clang and libFuzzer by `make fuzz` (tests/fuzz/bin/), and
 * with the normal compiler and replay.c as tests/fuzz/replay-<name>, which
 * `make check` runs over the corpus in tests/fuzz/corpus/<name>/.
 *
 * A target must be deterministic (the same input takes the same path),
 * free what it allocates, and keep no state between calls other than
 * set-up done once.  It returns 0; a broken invariant aborts, which both
 * libFuzzer and the replay report as a crash.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A semantic invariant.  abort() is right here (and only here): the
 * fuzzer needs a crash to keep the input, and the message names the
 * check.  The program itself never aborts.
 */
#define FUZZ_ASSERT(cond)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",    \
			    __FILE__, __LINE__, #cond);                     \
			fflush(stderr);                                     \
			abort();                                            \
		}                                                           \
	} while (0)

#endif
