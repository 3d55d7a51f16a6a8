/* token.c: the credentials a request may present, as configured */
/* SPDX-License-Identifier: MIT */
#include "chars.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "token.h"
#include "util.h"

int
token_name_valid(const char *n)
{
	size_t i, len = strlen(n);

	if (len == 0 || len > CFG_TOKEN_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!ch_alnum((unsigned char)n[i]) && n[i] != '-' &&
		    n[i] != '_')
			return 0;
	return 1;
}

/* Appends a token to c->tokens; the caller fills it. */
static struct cfg_token *
new_token(struct config *c, struct cfg_err *e, const char *name,
    const char *where)
{
	struct cfg_token *t;
	size_t i;

	for (i = 0; i < c->ntokens; i++)
		if (strcmp(c->tokens[i].name, name) == 0) {
			cfg_fail(e, "%s: token '%s' is defined twice", where,
			    name);
			return NULL;
		}
	t = realloc(c->tokens, (c->ntokens + 1) * sizeof(*t));
	if (t == NULL) {
		cfg_fail(e, "out of memory");
		return NULL;
	}
	c->tokens = t;
	t = &c->tokens[c->ntokens++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->actions = CFG_ACT_ALL;
	return t;
}

int
token_add_legacy(struct config *c, const char *tok, size_t n, const char *where,
    struct cfg_err *e)
{
	struct cfg_token *t;

	if (n == 0)
		return cfg_fail(e, "%s: the token is empty", where);
	if (n > CFG_TOKEN_MAX)
		return cfg_fail(e, "%s: the token is longer than %d bytes",
		    where, CFG_TOKEN_MAX);
	if (memchr(tok, '\0', n) != NULL)
		return cfg_fail(e, "%s: the token contains a NUL byte", where);
	if ((t = new_token(c, e, "default", where)) == NULL)
		return -1;
	sha256(tok, n, t->sha256);
	/* The secret itself is its key for a GitHub webhook (/hook/github),
	 * which can only sign; no request of its own needs a signature. */
	if ((t->hmac_key = malloc(n)) == NULL)
		return cfg_fail(e, "out of memory");
	memcpy(t->hmac_key, tok, n);
	t->hmac_key_len = n;
	return 0;
}

int
token_add_file(struct config *c, const char *path, const char *where,
    struct cfg_err *e)
{
	struct buf text;
	const char *errstr;
	size_t n;
	int rc;

	if (file_slurp(path, &text, CFG_TOKEN_MAX + 2, &errstr) == -1)
		return cfg_fail(e, "%s: token file %s: %s", where, path,
		    errstr);
	n = text.len;
	if (n > 0 && text.data[n - 1] == '\n')
		n--;
	if (n > 0 && text.data[n - 1] == '\r')
		n--;
	rc = token_add_legacy(c, buf_str(&text), n, path, e);
	wipe(text.data, text.len);
	buf_free(&text);
	return rc;
}

static int
parse_actions(const char *v, unsigned *out)
{
	char word[16];
	size_t n;

	*out = 0;
	while (*v != '\0') {
		n = strcspn(v, ",");
		if (n == 0 || n >= sizeof(word))
			return -1;
		memcpy(word, v, n);
		word[n] = '\0';
		if (strcmp(word, "deploy") == 0)
			*out |= CFG_ACT_DEPLOY;
		else if (strcmp(word, "rollback") == 0)
			*out |= CFG_ACT_ROLLBACK;
		else if (strcmp(word, "status") == 0)
			*out |= CFG_ACT_STATUS;
		else if (strcmp(word, "metrics") == 0)
			*out |= CFG_ACT_METRICS;
		else if (strcmp(word, "hook") == 0)
			*out |= CFG_ACT_HOOK;
		else
			return -1;
		v += n;
		if (*v == ',')
			v++;
	}
	return *out ? 0 : -1;
}

int
token_add_named(struct config *c, char *line, const char *where,
    struct cfg_err *e)
{
	char *word, *eq, *save = NULL;
	struct cfg_token *t;
	const char *why;

	word = strtok_r(line, " \t", &save);
	if (word == NULL || (t = new_token(c, e, word, where)) == NULL)
		return -1;
	word = strtok_r(NULL, " \t", &save);
	if (word == NULL || strncmp(word, "sha256:", 7) != 0 ||
	    strlen(word) != 7 + 64)
		return cfg_fail(e,
		    "%s: token.%s must start with sha256:<64 hex "
		    "digits> (see deployer --hash-token)",
		    where, t->name);
	if (hex_decode(word + 7, sizeof(t->sha256), 0, t->sha256) == -1)
		return cfg_fail(e,
		    "%s: token.%s: the hash must be 64 lowercase "
		    "hex digits",
		    where, t->name);
	while ((word = strtok_r(NULL, " \t", &save)) != NULL) {
		if ((eq = strchr(word, '=')) == NULL || eq[1] == '\0')
			return cfg_fail(e,
			    "%s: token.%s: expected option=value, "
			    "got '%.40s'",
			    where, t->name, word);
		*eq++ = '\0';
		if (strcmp(word, "services") == 0 ||
		    strcmp(word, "stacks") == 0) {
			char **list = strcmp(word, "services") == 0
			    ? &t->services
			    : &t->stacks;

			free(*list);
			if ((*list = strdup(eq)) == NULL)
				return cfg_fail(e, "out of memory");
		} else if (strcmp(word, "actions") == 0) {
			if (parse_actions(eq, &t->actions) == -1)
				return cfg_fail(e,
				    "%s: token.%s: actions are "
				    "deploy, rollback, status, metrics, hook",
				    where, t->name);
		} else if (strcmp(word, "hmac_key_file") == 0) {
			/* A second key would leak the first, unwiped. */
			if (t->hmac_key != NULL)
				return cfg_fail(e,
				    "%s: token.%s: hmac_key_file is "
				    "given twice",
				    where, t->name);
			if (secret_file_load(eq, &t->hmac_key, &t->hmac_key_len,
			        &why) == -1)
				return cfg_fail(e, "%s: hmac_key_file %s: %s",
				    where, eq, why);
			if (t->signature == CFG_SIG_NONE)
				t->signature = CFG_SIG_DEPLOYER;
		} else if (strcmp(word, "signature") == 0) {
			if (strcmp(eq, "deployer") == 0)
				t->signature = CFG_SIG_DEPLOYER;
			else if (strcmp(eq, "github") == 0)
				t->signature = CFG_SIG_GITHUB;
			else
				return cfg_fail(e,
				    "%s: token.%s: signature is "
				    "deployer or github",
				    where, t->name);
		} else
			return cfg_fail(e,
			    "%s: token.%s: unknown option '%.40s'", where,
			    t->name, word);
	}
	if (t->signature != CFG_SIG_NONE && t->hmac_key == NULL)
		return cfg_fail(e,
		    "%s: token.%s: a signature needs hmac_key_file", where,
		    t->name);
	return 0;
}

void
token_free_all(struct config *c)
{
	size_t i;

	for (i = 0; i < c->ntokens; i++) {
		free(c->tokens[i].services);
		free(c->tokens[i].stacks);
		if (c->tokens[i].hmac_key != NULL) {
			wipe(c->tokens[i].hmac_key, c->tokens[i].hmac_key_len);
			free(c->tokens[i].hmac_key);
		}
	}
	free(c->tokens);
	c->tokens = NULL;
	c->ntokens = 0;
}
