/* tap.h: a minimal TAP producer for the unit tests */
/* SPDX-License-Identifier: MIT */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                       \
	do {                                                                \
		int ok_c_ = (cond) ? 1 : 0;                                 \
		printf("%sok %d - ", ok_c_ ? "" : "not ", ++tap_n);         \
		printf(__VA_ARGS__);                                        \
		printf("\n");                                               \
		if (!ok_c_) {                                               \
			tap_failed++;                                       \
			printf("#   failed at %s:%d\n", __FILE__, __LINE__);    \
		}                                                           \
	} while (0)

#define is_str(got, want, ...)                                              \
	do {                                                                \
		const char *is_g_ = (got), *is_w_ = (want);                 \
		int is_c_ = is_g_ != NULL && is_w_ != NULL                  \
		    ? strcmp(is_g_, is_w_) == 0 : is_g_ == is_w_;           \
		ok(is_c_, __VA_ARGS__);                                     \
		if (!is_c_)                                                 \
			printf("#   got:  '%s'\n#   want: '%s'\n",              \
			    is_g_ ? is_g_ : "(null)", is_w_ ? is_w_ : "(null)"); \
	} while (0)

#define is_int(got, want, ...)                                              \
	do {                                                                \
		long long is_g_ = (long long)(got), is_w_ = (long long)(want); \
		ok(is_g_ == is_w_, __VA_ARGS__);                            \
		if (is_g_ != is_w_)                                         \
			printf("#   got:  %lld\n#   want: %lld\n", is_g_, is_w_); \
	} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
