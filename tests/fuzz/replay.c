/* replay.c: runs a fuzz target over its corpus, printing TAP */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

/*
 * The normal build has no libFuzzer; this main() stands in for it, so
 * that every corpus file (seeds and reproducers of fixed bugs alike) is a
 * regression test in `make check`, under ASan too with
 * --enable-sanitizers.
 *
 * Arguments are corpus files or directories (one level, dot files
 * skipped).  Without arguments the corpus is
 * $top_srcdir/tests/fuzz/corpus/FUZZ_TARGET, top_srcdir being what the
 * test harness exports (else "."), so that out-of-tree builds and
 * distcheck read the corpus from the source tree.
 *
 * TAP: the plan, then "ok N - file" after each file.  A crash stops the
 * program, and the driver reports the missing tests; the file after the
 * last "ok" is the one that crashed.  An empty corpus is an error, not a
 * skip: it means the corpus was not distributed.
 */

#ifndef FUZZ_TARGET
#error "compile with -DFUZZ_TARGET='\"name\"'"
#endif

/* Corpus files are small (libFuzzer's -max_len); a larger file is a
 * mistake in the tree, and reading it whole would only hide that. */
#define REPLAY_FILE_MAX (4 * 1024 * 1024)

struct list {
	char **v;
	size_t n, cap;
};

static int
list_add(struct list *l, const char *dir, const char *name)
{
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	char **v, *p;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return -1;
		l->v = v;
	}
	if ((p = malloc(len)) == NULL)
		return -1;
	if (dir[0] != '\0')
		snprintf(p, len, "%s/%s", dir, name);
	else
		snprintf(p, len, "%s", name);
	l->v[l->n++] = p;
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds path, or the files in it when it is a directory (sorted, so that
 * test numbers are stable). */
static int
collect(struct list *l, const char *path)
{
	struct dirent *de;
	struct stat st;
	size_t first = l->n;
	DIR *d;

	if (stat(path, &st) == -1) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return list_add(l, "", path);
	if ((d = opendir(path)) == NULL) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (list_add(l, path, de->d_name) == -1) {
			closedir(d);
			printf("Bail out! out of memory\n");
			return -1;
		}
	}
	closedir(d);
	qsort(l->v + first, l->n - first, sizeof(*l->v), cmp);
	return 0;
}

/* Reads the whole file into a buffer of exactly its size, so that ASan
 * sees a read past the end of the input. */
static unsigned char *
slurp(const char *path, size_t *sizep)
{
	unsigned char *p;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > REPLAY_FILE_MAX) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	if ((p = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, p + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*sizep = got;
	return p;
}

int
main(int argc, char *argv[])
{
	struct list l = { NULL, 0, 0 };
	const char *top = getenv("top_srcdir");
	char def[4096];
	unsigned char *data;
	size_t i, size;
	int a, rc = 0;

	if (argc < 2) {
		snprintf(def, sizeof(def), "%s/tests/fuzz/corpus/%s",
		    top != NULL && *top != '\0' ? top : ".", FUZZ_TARGET);
		if (collect(&l, def) == -1)
			return 1;
	}
	for (a = 1; a < argc; a++)
		if (collect(&l, argv[a]) == -1)
			return 1;
	if (l.n == 0) {
		printf("Bail out! no corpus files for %s\n", FUZZ_TARGET);
		return 1;
	}
	printf("1..%zu\n", l.n);
	fflush(stdout);
	for (i = 0; i < l.n; i++) {
		if ((data = slurp(l.v[i], &size)) == NULL) {
			printf("not ok %zu - %s: %s\n", i + 1, l.v[i],
			    strerror(errno));
			rc = 1;
		} else {
			LLVMFuzzerTestOneInput(data, size);
			free(data);
			printf("ok %zu - %s\n", i + 1, l.v[i]);
		}
		fflush(stdout);
		free(l.v[i]);
	}
	free(l.v);
	return rc;
}
