/* test-template-corpus.c: every template of the Go corpus, byte for byte */
/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "template.h"
#include "util.h"
#include "../tap.h"

/*
 * tests/gotmpl/corpus.txt holds templates with Go 1.19's verdict (see
 * tests/gotmpl/gen.go).  Each one is compiled and rendered here over
 * the corpus's own field list and values, and must match: the same
 * bytes where Go rendered, a refusal where Go refused.  The only
 * exceptions are the deliberate differences of tests/gotmpl/
 * differences.txt (Go renders, this program refuses when loading); an
 * entry there that no longer differs fails too, so the list stays true.
 * TPL_CORPUS_LIST=1 prints the differences found instead.
 */

#define MAX_FIELDS 64
#define MAX_SETS 16
#define LINE_MAX_ (1 << 20)
#define OUT_MAX 65535	/* as the generator, and NOTIFY_BODY_MAX */

struct corpus {
	char *fields[MAX_FIELDS + 1];
	size_t nfields;
	char *values[MAX_SETS][MAX_FIELDS];
	char *known;		/* differences.txt */
	int identical, deliberate, listing;
};

static char *
path(const char *rel)
{
	const char *top = getenv("top_srcdir");
	struct buf b;

	buf_init(&b, 4096);
	buf_addf(&b, "%s/%s", top != NULL ? top : ".", rel);
	return buf_take(&b, NULL);
}

/* Decodes one base64 word ("-" is empty) into a NUL-terminated copy. */
static char *
unb64(const char *w, size_t *lenp)
{
	struct buf b;

	buf_init(&b, LINE_MAX_);
	if (strcmp(w, "-") != 0 && base64_decode(w, strlen(w), &b) == -1) {
		buf_free(&b);
		return NULL;
	}
	if (b.data == NULL)
		buf_addstr(&b, "");
	return buf_take(&b, lenp);
}

static void
header(struct corpus *c, char *line)
{
	char *w, *save;
	long set;
	size_t i = 0;

	w = strtok_r(line, " \n", &save);
	if (strcmp(w, "fields") == 0) {
		while ((w = strtok_r(NULL, " \n", &save)) != NULL &&
		    c->nfields < MAX_FIELDS)
			c->fields[c->nfields++] = strdup(w);
		return;
	}
	set = strtol(strtok_r(NULL, " \n", &save), NULL, 10);
	while (set >= 0 && set < MAX_SETS && i < c->nfields &&
	    (w = strtok_r(NULL, " \n", &save)) != NULL)
		c->values[set][i++] = unb64(w, NULL);
}

/* Frees the field names and value sets the header lines made. */
static void
corpus_free(struct corpus *c)
{
	size_t i, set;

	for (i = 0; i < c->nfields; i++) {
		free(c->fields[i]);
		for (set = 0; set < MAX_SETS; set++)
			free(c->values[set][i]);
	}
}

/* What this engine does with src: 0 refused at load, 1 refused when
 * rendered, 2 rendered into out. */
static int
run(const struct corpus *c, int set, const char *src, size_t n,
    struct buf *out, char *err, size_t errlen)
{
	struct tpl *t;
	int rc;

	if ((t = tpl_compile(src, n, (const char *const *)c->fields, err,
	    errlen)) == NULL)
		return 0;
	buf_init(out, OUT_MAX);
	rc = tpl_render_err(t, (const char *const *)c->values[set], out, err,
	    errlen);
	tpl_free(t);
	return rc == 0 ? 2 : 1;
}

/* 1 when a line of differences.txt starts with the word w. */
static int
is_known(const struct corpus *c, const char *w)
{
	const char *p = c->known;
	size_t n = strlen(w);

	while (p != NULL && (p = strstr(p, w)) != NULL) {
		if ((p == c->known || p[-1] == '\n') && p[n] == ' ')
			return 1;
		p += n;
	}
	return 0;
}

static void
one(struct corpus *c, int set, const char *b64src, const char *verdict,
    const char *b64out)
{
	char err[512], *src, *want;
	size_t n, wn = 0;
	struct buf out;
	int r, same, known;

	src = unb64(b64src, &n);
	want = b64out != NULL ? unb64(b64out, &wn) : NULL;
	r = run(c, set, src, n, &out, err, sizeof(err));
	if (strcmp(verdict, "ok") == 0)
		same = r == 2 && out.len == wn &&
		    (wn == 0 || memcmp(out.data, want, wn) == 0);
	else
		same = r != 2;
	known = is_known(c, b64src);
	if (c->listing) {
		if (!same)
			printf("%s %s\n", b64src, r == 0 ? err : "MISMATCH");
	} else if (same) {
		ok(!known, "identical: %.60s", src);
		c->identical++;
	} else {
		ok(known && r == 0, "%s: %.60s", known ? "deliberate" :
		    "DIFFERS", src);
		if (!known || r != 0)
			printf("#   go: %s \"%.*s\"\n#   c: %s \"%.*s\"\n",
			    verdict, (int)wn, want ? want : "", r == 0 ?
			    "refused at load" : r == 1 ? "refused" : "ok",
			    (int)out.len, out.data ? out.data : "");
		if (r != 2)
			printf("#   %s\n", err);
		c->deliberate += known;
	}
	buf_free(&out);
	free(src);
	free(want);
}

int
main(void)
{
	struct corpus c;
	char *line, *file, *w[4], *save;
	struct buf known;
	const char *errstr;
	FILE *f;
	int i, total = 0;

	memset(&c, 0, sizeof(c));
	c.listing = getenv("TPL_CORPUS_LIST") != NULL;
	file = path("tests/gotmpl/differences.txt");
	if (file_slurp(file, &known, LINE_MAX_ * 4, &errstr) == 0)
		c.known = buf_take(&known, NULL);
	free(file);
	file = path("tests/gotmpl/corpus.txt");
	if ((f = fopen(file, "r")) == NULL || (line = malloc(LINE_MAX_)) ==
	    NULL) {
		ok(0, "open %s", file);
		return tap_done();
	}
	while (fgets(line, LINE_MAX_, f) != NULL) {
		if (line[0] == '#')
			continue;
		if (strncmp(line, "fields ", 7) == 0 ||
		    strncmp(line, "values ", 7) == 0) {
			header(&c, line);
			continue;
		}
		for (i = 0; i < 4; i++)
			w[i] = strtok_r(i == 0 ? line : NULL, " \n", &save);
		if (w[0] == NULL || w[1] == NULL || w[2] == NULL)
			continue;
		one(&c, (int)strtol(w[0], NULL, 10), w[1], w[2], w[3]);
		total++;
	}
	fclose(f);
	if (!c.listing) {
		ok(total >= 2000, "the corpus has %d templates", total);
		printf("# %d templates: %d identical, %d deliberate "
		    "differences\n", total, c.identical, c.deliberate);
		for (i = 0; i < NF_COUNT && (size_t)i < c.nfields; i++)
			if (strcmp(notify_fields[i], c.fields[i]) != 0)
				break;
		if (i != NF_COUNT || c.nfields != NF_COUNT)
			printf("# note: the corpus's fields are not "
			    "notify_fields; run make template-corpus\n");
	}
	free(line);
	free(file);
	free(c.known);
	corpus_free(&c);
	return c.listing ? 0 : tap_done();
}
