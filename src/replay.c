/* replay.c: signatures seen recently, shared by every process */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "replay.h"

/* One line per entry: "<expiry, 20 digits> <64 hex>\n". */
#define LINE_LEN (20 + 1 + 64 + 1)

int
replay_record(const char *dir, const char *sig, time_t expires)
{
	char path[4096], line[LINE_LEN + 1];
	time_t now = time(NULL);
	struct buf keep, text;
	struct stat st;
	size_t off, kept = 0;
	int fd, rc = -1, found = 0;

	if (dir == NULL || strlen(sig) != 64)
		return -1;
	snprintf(path, sizeof(path), "%s/seen-signatures", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("replay store %s", path);
		return -1;
	}
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			log_warn("replay store %s: flock", path);
			close(fd);
			return -1;
		}
	buf_init(&text, (size_t)REPLAY_MAX * LINE_LEN);
	buf_init(&keep, (size_t)REPLAY_MAX * LINE_LEN);
	if (fstat(fd, &st) == -1 || st.st_size < 0 ||
	    (size_t)st.st_size > text.max) {
		log_warnx("replay store %s: unusable size", path);
		goto out;
	}
	if (st.st_size > 0) {
		ssize_t n;

		if (buf_add(&text, "", 0) == -1)
			goto out;
		while ((n = read(fd, line, sizeof(line))) > 0)
			if (buf_add(&text, line, (size_t)n) == -1)
				goto out;
		if (n == -1) {
			log_warn("replay store %s", path);
			goto out;
		}
	}
	/* Keep the entries still inside their window; look for sig. */
	for (off = 0; off + LINE_LEN <= text.len; off += LINE_LEN) {
		const char *e = text.data + off;
		long long exp = strtoll(e, NULL, 10);

		if (e[LINE_LEN - 1] != '\n' || e[20] != ' ')
			break;		/* damaged tail: drop it */
		if (exp < (long long)now)
			continue;
		if (memcmp(e + 21, sig, 64) == 0)
			found = 1;
		if (buf_add(&keep, e, LINE_LEN) == -1)
			goto out;
		kept++;
	}
	if (found) {
		rc = 1;
		goto out;
	}
	if (kept >= REPLAY_MAX) {
		log_warnx("replay store %s is full (%zu live signatures)",
		    path, kept);
		goto out;
	}
	snprintf(line, sizeof(line), "%020lld %s\n", (long long)expires, sig);
	if (buf_add(&keep, line, LINE_LEN) == -1)
		goto out;
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf_str(&keep), keep.len, 0)
	    != (ssize_t)keep.len) {
		log_warn("replay store %s: write", path);
		goto out;
	}
	rc = 0;
out:
	buf_free(&text);
	buf_free(&keep);
	close(fd);
	return rc;
}
