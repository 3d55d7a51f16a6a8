/* util.c: strict number parsing, constant-time compare, ids, clocks */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_RANDOM_H
#include <sys/random.h>
#endif

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "util.h"

int
parse_u64n(const char *s, size_t n, uint64_t min, uint64_t max,
    uint64_t *out, const char **errstr)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0) {
		*errstr = "empty";
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9') {
			*errstr = "not a decimal number";
			return -1;
		}
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			*errstr = "too large";
			return -1;
		}
		v = v * 10 + d;
	}
	if (v < min) {
		*errstr = "too small";
		return -1;
	}
	if (v > max) {
		*errstr = "too large";
		return -1;
	}
	*out = v;
	return 0;
}

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char **errstr)
{
	return parse_u64n(s, strlen(s), min, max, out, errstr);
}

int
secret_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
	int eq;

	SHA256((const unsigned char *)a, alen, da);
	SHA256((const unsigned char *)b, blen, db);
	eq = CRYPTO_memcmp(da, db, sizeof(da)) == 0;
	wipe(da, sizeof(da));
	wipe(db, sizeof(db));
	return eq;
}

int
make_request_id(char out[17])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[8];
	size_t i;

#ifdef HAVE_GETRANDOM
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
#else
	{
		FILE *f = fopen("/dev/urandom", "re");

		if (f == NULL)
			return -1;
		if (fread(r, 1, sizeof(r), f) != sizeof(r)) {
			fclose(f);
			return -1;
		}
		fclose(f);
	}
#endif
	for (i = 0; i < sizeof(r); i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[16] = '\0';
	return 0;
}

uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t len, k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}
