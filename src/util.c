/* util.c: strict number parsing, hashing, files, ids, clocks */
/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <sys/stat.h>

/* sha256() below uses the low-level digest on purpose; see there. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_RANDOM_H
#include <sys/random.h>
#endif

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "buf.h"
#include "chars.h"
#include "util.h"

int
parse_u64n(const char *s, size_t n, uint64_t min, uint64_t max, uint64_t *out,
    const char **errstr)
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

/*
 * OpenSSL 3's one-shot SHA256() goes through EVP: its first call builds the
 * provider and method store, about 1.5 ms of CPU, paid by every CGI process
 * before it can refuse a token.  The low-level SHA-256 functions (kept, if
 * deprecated, in libcrypto 3) compute the same digest without that.
 */
void
sha256(const void *p, size_t n, unsigned char out[32])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, p, n);
	SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

void
hex_encode(const void *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hex_digit(char ch, int any_case)
{
	unsigned char c = (unsigned char)ch;

	if (ch_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (any_case && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *s, size_t n, int any_case, unsigned char *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = hex_digit(s[2 * i], any_case)) < 0 ||
		    (lo = hex_digit(s[2 * i + 1], any_case)) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
make_request_id(char out[17])
{
	unsigned char r[8];

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
	hex_encode(r, sizeof(r), out);
	return 0;
}

void
sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
		(long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
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

/* Per the table in RFC 3629 section 4. */
size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, k;

	for (i = 0; i < n; i += k)
		if ((k = utf8_seq(p + i, n - i)) == 0)
			return 0;
	return 1;
}

int
secret_file_load(const char *path, unsigned char **key, size_t *len,
    const char **why)
{
	struct buf text;
	size_t n;

	if (file_slurp(path, &text, 4096, why) == -1)
		return -1;
	n = text.len;
	while (n > 0 && (text.data[n - 1] == '\n' || text.data[n - 1] == '\r'))
		n--;
	if (n < SECRET_KEY_MIN) {
		wipe(text.data, text.len);
		buf_free(&text);
		*why = "a key needs at least 16 bytes";
		return -1;
	}
	if ((*key = (unsigned char *)buf_take(&text, NULL)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	*len = n;
	return 0;
}

int
base64_encode(const void *p, size_t n, int url, struct buf *out)
{
	unsigned char *tmp;
	size_t i, len;
	int rc;

	if (n > (size_t)INT32_MAX / 2)
		return -1;
	if ((tmp = malloc(n / 3 * 4 + 8)) == NULL)
		return -1;
	len = (size_t)EVP_EncodeBlock(tmp, p, (int)n);
	if (url)
		for (i = 0; i < len; i++) {
			if (tmp[i] == '+')
				tmp[i] = '-';
			else if (tmp[i] == '/')
				tmp[i] = '_';
		}
	rc = buf_add(out, tmp, len);
	wipe(tmp, len);
	free(tmp);
	return rc;
}

int
base64_decode(const char *in, size_t n, struct buf *out)
{
	EVP_ENCODE_CTX *ctx;
	unsigned char *p;
	int len = 0, fin = 0, rc = -1;

	if (n > (size_t)INT32_MAX / 2 || (p = malloc(n / 4 * 3 + 4)) == NULL)
		return -1;
	if ((ctx = EVP_ENCODE_CTX_new()) == NULL) {
		free(p);
		return -1;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, p, &len, (const unsigned char *)in, (int)n) >=
	        0 &&
	    EVP_DecodeFinal(ctx, p + len, &fin) == 1 &&
	    buf_add(out, p, (size_t)(len + fin)) == 0)
		rc = 0;
	EVP_ENCODE_CTX_free(ctx);
	wipe(p, n / 4 * 3 + 4);
	free(p);
	return rc;
}

int
file_slurp(const char *path, struct buf *out, size_t max, const char **errstr)
{
	char chunk[8192];
	ssize_t n;
	int fd, saved;

	buf_init(out, max);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*errstr = strerror(errno);
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || buf_add(out, chunk, (size_t)n) == -1) {
			*errstr = n != -1 && errno == EMSGSIZE
			    ? "file too large"
			    : strerror(errno);
			saved = errno;
			close(fd);
			buf_free(out);
			errno = saved;
			return -1;
		}
	}
	close(fd);
	return 0;
}

/* The longest pattern of a list: a whole image reference. */
#define PATTERN_MAX 512

int
pattern_list_any(const char *list, int (*match)(const char *, const void *),
    const void *ctx)
{
	char pat[PATTERN_MAX + 1];
	const char *p, *comma;
	size_t n;

	for (p = list; *p != '\0'; p = *comma ? comma + 1 : comma) {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		while (p < comma && (*p == ' ' || *p == '\t'))
			p++;
		n = (size_t)(comma - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0 || n > PATTERN_MAX)
			continue;
		memcpy(pat, p, n);
		pat[n] = '\0';
		if (match(pat, ctx))
			return 1;
	}
	return 0;
}

int
path_join(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
dir_usable(const char *dir, int create, char *why, size_t whylen)
{
	struct stat st;

	if (create && mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(why, whylen, "directory %s cannot be created: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (stat(dir, &st) == -1) {
		snprintf(why, whylen, "directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a directory", dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK) == -1) {
		snprintf(why, whylen,
		    "directory %s is not writable by this "
		    "process (uid %ld): %s",
		    dir, (long)geteuid(), strerror(errno));
		return -1;
	}
	return 0;
}

int
file_appendable(const char *path, char *why, size_t whylen)
{
	char dir[4096], *slash;

	if (access(path, W_OK) == 0)
		return 0;
	if (errno != ENOENT) {
		snprintf(why, whylen,
		    "%s is not writable by this process "
		    "(uid %ld): %s",
		    path, (long)geteuid(), strerror(errno));
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return dir_usable(dir, 0, why, whylen);
}
