/*
 * config_env.c: the `git -c` configuration Git hands to the programs it
 * starts, hooks included, read from the environment as Git reads it
 * (config.c: git_config_from_parameters()).
 */
#define _GNU_SOURCE
#include "plugin/git/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Add `key` = `value` with the key spelled as Git's config parser
 * canonicalizes it: section and name lowercased, the subsection kept.
 * A key without a section or a name is skipped, as Git refuses it.
 */
static int add_canonical(struct config *cfg, const char *key, const char *value,
			 struct rt_err *err)
{
	const char *first = strchr(key, '.'), *last = strrchr(key, '.');
	char *k;
	int ret;

	if (!first || first == key || !last[1])
		return 0;
	if (!(k = strdup(key)))
		return rt_err_oom(err);
	for (char *p = k; p < k + (first - key); p++)
		*p = tolower((unsigned char)*p);
	for (char *p = k + (last - key); *p; p++)
		*p = tolower((unsigned char)*p);
	ret = config_add(cfg, k, strlen(k), value, err);
	free(k);
	return ret;
}

/*
 * Git's sq_dequote_step(): the single-quoted word at `*p`, unquoted in
 * place ('\'' and '\!' between quoted parts stand for ' and !). `*p`
 * moves past it (NULL at the end of the text). NULL when `*p` holds no
 * such word.
 */
static char *sq_word(char **p)
{
	char *dst = *p, *src = *p, *word = *p;

	if (*src != '\'')
		return NULL;
	for (;;) {
		char c = *++src;

		if (!c)
			return NULL;
		if (c != '\'') {
			*dst++ = c;
			continue;
		}
		c = *++src;
		if (c == '\\' && (src[1] == '\'' || src[1] == '!') &&
		    src[2] == '\'') {
			*dst++ = src[1];
			src += 2;
			continue;
		}
		*dst = '\0';
		*p = c ? src : NULL;
		return word;
	}
}

/*
 * GIT_CONFIG_PARAMETERS: words separated by spaces, each 'key'='value',
 * 'key'= (a bare key), or the older 'key=value' and 'key'. Git refuses
 * to start with a malformed list, so a hook never sees one: reading
 * stops at the first fault.
 */
static int parse_parameters(struct config *cfg, char *text, struct rt_err *err)
{
	char *cur = text;
	int ret = 0;

	while (!ret && cur && *cur) {
		char *key = sq_word(&cur), *value = NULL, *eq;

		if (!key)
			break;
		if (!cur || isspace((unsigned char)*cur)) {
			if ((eq = strchr(key, '=')))
				*eq = '\0';
			value = eq ? eq + 1 : NULL;
		} else if (*cur == '=') {
			cur++;
			if (*cur == '\'') {
				value = sq_word(&cur);
				if (!value ||
				    (cur && !isspace((unsigned char)*cur)))
					break;
			} else if (*cur && !isspace((unsigned char)*cur)) {
				break;
			}
		} else {
			break;
		}
		ret = add_canonical(cfg, key, value, err);
		while (cur && isspace((unsigned char)*cur))
			cur++;
	}
	return ret;
}

/* GIT_CONFIG_COUNT pairs of GIT_CONFIG_KEY_<n> and GIT_CONFIG_VALUE_<n>. */
static int parse_count(struct config *cfg, const char *count,
		       struct rt_err *err)
{
	char *end, name[64];
	unsigned long n = strtoul(count, &end, 10);
	int ret = 0;

	if (*end || !*count)
		return 0;
	for (unsigned long i = 0; !ret && i < n; i++) {
		const char *key, *value;

		snprintf(name, sizeof(name), "GIT_CONFIG_KEY_%lu", i);
		key = getenv(name);
		snprintf(name, sizeof(name), "GIT_CONFIG_VALUE_%lu", i);
		value = getenv(name);
		if (!key || !value)
			break;
		ret = add_canonical(cfg, key, value, err);
	}
	return ret;
}

int config_parse_env(struct config *cfg, struct rt_err *err)
{
	const char *count = getenv("GIT_CONFIG_COUNT");
	const char *params = getenv("GIT_CONFIG_PARAMETERS");
	char *text;
	int ret = 0;

	/* In Git's order: the counted pairs, then the parameters. */
	if (count)
		ret = parse_count(cfg, count, err);
	if (ret || !params)
		return ret;
	/* Unquoted in place, as Git does with its own copy. */
	if (!(text = strdup(params)))
		return rt_err_oom(err);
	ret = parse_parameters(cfg, text, err);
	free(text);
	return ret;
}
