/*
 * policy.c: a policy file (on inih) into struct policy, key by key as the
 * schema (schema.c) says; defaults, and what the policy owns.
 *
 * inih splits lines into section, key and value. Debian builds it without
 * line numbers and with indented lines continuing the previous value, so
 * the reader callback below counts lines, and classifies each raw line
 * first: what inih would misread (an indented key, a line that is not
 * "key = value", a key before any section, a bad section header) becomes
 * an error with its line, and reaches inih as a blank line.
 */
#define _GNU_SOURCE
#include "policy/internal.h"
#include "policy/schema.h"

#include <ctype.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Keys set so far, with their section, to report repeats. */
struct seen {
	const char *sec;
	char key[32];
	unsigned line;
};

struct parse {
	struct policy *p;
	struct policy_errors *errs;
	const char *file; /* as given, for messages */
	const char *name; /* the policy's copy, for sources */
	const char *text, *end, *pos;
	unsigned line;
	int nerr;
	/* Errors copy none of the file's text (policy_parse_unquoted()). */
	bool hide;
	/*
	 * The current section as the schema names it; NULL before the first
	 * header, and after a bad one (reported once; its keys are ignored).
	 */
	const char *sec;
	bool bad_sec;
	struct policy_rule *rule; /* in [<sec> "<pattern>"] */
	struct seen seen[64];
	size_t nseen;
	/* Keys of the plain sections, across repeated sections. */
	struct seen global_seen[64];
	size_t nglobal;
};

void policy_errors_release(struct policy_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

void policy_errors_add(struct policy_errors *errs, const char *fmt, ...)
{
	char **grown = realloc(errs->msg, (errs->n + 1) * sizeof(*grown));
	va_list ap;
	char *msg;

	if (!grown)
		return;
	errs->msg = grown;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg)
		errs->msg[errs->n++] = msg;
}

/* One error at the current line: "<file>:<line>: <what>". */
static void fail(struct parse *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;
	char *what;

	ps->nerr++;
	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	policy_errors_add(ps->errs, "%s:%u: %s%s", ps->file, ps->line,
			  what ? what : "out of memory",
			  ps->hide ? " (its text is not shown: the repository "
				     "that names it, or the file, is another "
				     "user's)" :
				     "");
	free(what);
}

/* What an error quotes of the file: its text, or HIDDEN. */
#define HIDDEN "..."

static const char *shown(const struct parse *ps, const char *s)
{
	return ps->hide ? HIDDEN : s;
}

/* The length to print of `len` bytes shown(): for "%.*s". */
static int shown_len(const struct parse *ps, size_t len)
{
	return ps->hide ? (int)strlen(HIDDEN) : (int)len;
}

const char *policy_intern(struct policy *p, const char *s, size_t len)
{
	char **grown, *copy;

	for (size_t i = 0; i < p->nnames; i++)
		if (strlen(p->names[i]) == len && !memcmp(p->names[i], s, len))
			return p->names[i];
	grown = realloc(p->names, (p->nnames + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	p->names = grown;
	if (!(copy = strndup(s, len)))
		return NULL;
	return p->names[p->nnames++] = copy;
}

void policy_init(struct policy *p)
{
	char why[128];

	memset(p, 0, sizeof(*p));
	/* Every default parses: test_policy_schema checks each one. */
	for (size_t i = 0; i < policy_nkeys; i++)
		if (!policy_keys[i].rule && policy_keys[i].def)
			policy_key_set(&policy_keys[i], p, policy_keys[i].def,
				       why, sizeof(why));
}

/* Free the values of `base` (a policy, or a rule) that own memory. */
static void release_values(void *base, bool rule)
{
	for (size_t i = 0; i < policy_nkeys; i++) {
		const struct policy_key *k = &policy_keys[i];
		struct policy_patterns *l;

		if (k->rule != rule || k->type != POLICY_T_PATTERNS)
			continue;
		l = (struct policy_patterns *)((char *)base + k->offset);
		for (size_t j = 0; j < l->n; j++)
			free(l->v[j].pattern);
		free(l->v);
	}
}

static void release_rules(struct policy_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		release_values(&rules[i], true);
		free(rules[i].pattern);
	}
	free(rules);
}

void policy_release(struct policy *p)
{
	release_values(p, false);
	release_rules(p->rules, p->nrules);
	release_rules(p->git_rules, p->ngit_rules);
	for (size_t i = 0; i < p->nnames; i++)
		free(p->names[i]);
	free(p->names);
	memset(p, 0, sizeof(*p));
}

struct policy_rule *policy_rule_add(struct policy_rule **rules, size_t *n,
				    const char *pattern, size_t len)
{
	struct policy_rule *grown = realloc(*rules, (*n + 1) * sizeof(*grown));
	struct policy_rule *r;

	if (!grown)
		return NULL;
	*rules = grown;
	r = &grown[*n];
	memset(r, 0, sizeof(*r));
	r->pattern = strndup(pattern, len);
	if (!r->pattern)
		return NULL;
	(*n)++;
	return r;
}

/* The schema's name of section `s` (`len` bytes), or NULL. */
static const char *find_section(const char *s, size_t len, bool rule)
{
	for (size_t i = 0; i < policy_nkeys; i++)
		if (policy_keys[i].rule == rule &&
		    strlen(policy_keys[i].section) == len &&
		    !strncasecmp(s, policy_keys[i].section, len))
			return policy_keys[i].section;
	return NULL;
}

/* "[compaction], [reflog], [reflog \"<pattern>\"], ...", from the schema. */
static void list_sections(char *buf, size_t size)
{
	const struct policy_key *prev = NULL;
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < policy_nkeys && len < size; i++) {
		const struct policy_key *k = &policy_keys[i];

		if (prev && prev->rule == k->rule &&
		    !strcmp(prev->section, k->section))
			continue;
		len += snprintf(buf + len, size - len, "%s[%s%s]",
				prev ? ", " : "", k->section,
				k->rule ? " \"<pattern>\"" : "");
		prev = k;
	}
}

/* "geometric-factor, max-tables, ...": the keys of the current section. */
static void list_keys(const struct parse *ps, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < policy_nkeys && len < size; i++) {
		const struct policy_key *k = &policy_keys[i];

		if (k->rule == (ps->rule != NULL) &&
		    !strcmp(k->section, ps->sec))
			len += snprintf(buf + len, size - len, "%s%s",
					len ? ", " : "", k->name);
	}
}

/* Parse a section header line ("[name]" or [name "pattern"]). */
static void section_header(struct parse *ps, const char *s, size_t len)
{
	const char *close = memchr(s, ']', len), *q1, *q2, *rest;
	char names[256];
	size_t n;

	ps->nseen = 0;
	ps->rule = NULL;
	ps->sec = NULL;
	ps->bad_sec = true;
	/* After ']' only an inline comment may follow (as inih allows). */
	rest = close ? close + 1 : s + len;
	while (rest < s + len && (*rest == ' ' || *rest == '\t'))
		rest++;
	if (!close || (rest < s + len && (*rest != ';' || rest == close + 1))) {
		fail(ps,
		     "cannot parse '%.*s'; expected [section], key = value, "
		     "or a comment",
		     shown_len(ps, len), shown(ps, s));
		return;
	}
	q1 = memchr(s, '"', close - s);
	if (!q1) {
		if (!(ps->sec = find_section(s + 1, close - s - 1, false)))
			goto unknown;
		ps->bad_sec = false;
		return;
	}
	/* [<name> "<pattern>"] */
	q2 = memchr(q1 + 1, '"', close - q1 - 1);
	n = q1 - s - 1;
	while (n && s[n] == ' ')
		n--;
	if (!q2 || q2 != close - 1 || !(ps->sec = find_section(s + 1, n, true)))
		goto unknown;
	{
		char pat[256];
		const char *why;
		size_t plen = q2 - q1 - 1;

		snprintf(pat, sizeof(pat), "%.*s", (int)plen, q1 + 1);
		if (plen >= sizeof(pat) || policy_check_pattern(pat, &why)) {
			fail(ps, "bad pattern '%s' in [%s \"%s\"]; expected %s",
			     shown(ps, pat), ps->sec, shown(ps, pat), why);
			return;
		}
		for (size_t i = 0; i < ps->p->nrules; i++)
			if (!strcmp(ps->p->rules[i].pattern, pat)) {
				fail(ps,
				     "[%s \"%s\"] appears again (first at line "
				     "%u); merge the two",
				     ps->sec, shown(ps, pat),
				     ps->p->rules[i].line);
				return;
			}
		ps->rule = policy_rule_add(&ps->p->rules, &ps->p->nrules, pat,
					   plen);
		if (!ps->rule) {
			/* Its keys are ignored: the error stops the policy. */
			fail(ps, "out of memory");
			return;
		}
		ps->rule->line = ps->line;
		ps->bad_sec = false;
	}
	return;
unknown:
	ps->sec = NULL;
	list_sections(names, sizeof(names));
	fail(ps, "unknown section %.*s; sections are %s", shown_len(ps, len),
	     shown(ps, s), names);
}

/*
 * Classify one raw line; return true to pass it to inih, false to give
 * inih a blank line instead (it was reported, or needs no parsing).
 */
static bool classify(struct parse *ps, const char *s, size_t len)
{
	size_t lead = 0;

	if (ps->line == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
		s += 3;
		len -= 3;
	}
	while (len &&
	       (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (lead < len && (s[lead] == ' ' || s[lead] == '\t'))
		lead++;
	if (lead == len || s[lead] == ';' || s[lead] == '#')
		return false;
	if (lead) {
		fail(ps, "indented line continues the previous value; remove "
			 "the indentation");
		return false;
	}
	if (s[0] == '[') {
		section_header(ps, s, len);
		return true;
	}
	if (!memchr(s, '=', len)) {
		fail(ps,
		     "cannot parse '%.*s'; expected [section], key = value, "
		     "or a comment",
		     shown_len(ps, len), shown(ps, s));
		return false;
	}
	if (!ps->sec && !ps->bad_sec) {
		fail(ps, "'%.*s' outside any section; put it under a [section]",
		     shown_len(ps, strcspn(s, "= \t") < len ?
					   strcspn(s, "= \t") :
					   len),
		     shown(ps, s));
		return false;
	}
	return !ps->bad_sec;
}

static bool is_comment(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i < len && (s[i] == ';' || s[i] == '#');
}

/*
 * inih's reader: one line per call, counting lines as it goes. Debian's
 * inih reads lines of at most `num` - 1 bytes; longer settings would be
 * cut, so they are errors.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	const char *nl;
	size_t len;

	if (ps->pos >= ps->end)
		return NULL;
	nl = memchr(ps->pos, '\n', ps->end - ps->pos);
	len = (nl ? nl : ps->end) - ps->pos;
	ps->line++;
	if (len + 2 > (size_t)num && is_comment(ps->pos, len)) {
		/* Comments never reach inih: any length is fine. */
		str[0] = '\n';
		str[1] = '\0';
	} else if (len + 2 > (size_t)num) {
		fail(ps, "line longer than %d characters; shorten it", num - 2);
		str[0] = '\n';
		str[1] = '\0';
	} else if (!classify(ps, ps->pos, len)) {
		str[0] = '\n';
		str[1] = '\0';
	} else {
		memcpy(str, ps->pos, len);
		str[len] = '\n';
		str[len + 1] = '\0';
	}
	ps->pos = nl ? nl + 1 : ps->end;
	return str;
}

/* Report a repeated key; true when it was set before in this scope. */
static bool repeated(struct parse *ps, struct seen *seen, size_t *n,
		     const char *key)
{
	for (size_t i = 0; i < *n; i++)
		if (seen[i].sec == ps->sec && !strcmp(seen[i].key, key)) {
			fail(ps,
			     "%s set again (first at line %u); set each "
			     "key once",
			     shown(ps, key), seen[i].line);
			return true;
		}
	if (*n < 64) {
		seen[*n].sec = ps->sec;
		snprintf(seen[*n].key, sizeof(seen[*n].key), "%s", key);
		seen[(*n)++].line = ps->line;
	}
	return false;
}

static int add_pattern(struct policy_patterns *l, const char *value,
		       struct policy_src src)
{
	struct policy_pattern *grown =
		realloc(l->v, (l->n + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	l->v = grown;
	if (!(grown[l->n].pattern = strdup(value)))
		return -1;
	grown[l->n++].src = src;
	return 0;
}

/* Set key `k` of the current section to `value`, with its source. */
static void set_key(struct parse *ps, const struct policy_key *k,
		    const char *value)
{
	size_t i = policy_key_index(k);
	void *base = ps->rule ? (void *)ps->rule : (void *)ps->p;
	struct policy_src *src = ps->rule ? &ps->rule->src[i] : &ps->p->src[i];
	const struct policy_src here = { ps->name, ps->line };
	char why[128];

	if (policy_key_set(k, base, value, why, sizeof(why))) {
		fail(ps, "bad value '%s' for %s; expected %s", shown(ps, value),
		     k->name, why);
		return;
	}
	if (k->type != POLICY_T_PATTERNS)
		*src = here;
	else if (add_pattern(
			 (struct policy_patterns *)((char *)base + k->offset),
			 value, here))
		/* A pattern not stored would not protect: never quietly. */
		fail(ps, "out of memory");
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *ps = user;
	const struct policy_key *k;
	char key[32], keys[256];
	size_t i;

	if (!ps->sec || ps->bad_sec)
		return 1;
	for (i = 0; name[i] && i < sizeof(key) - 1; i++)
		key[i] = (char)tolower((unsigned char)name[i]);
	key[i] = '\0';
	k = policy_key_find(ps->sec, ps->rule != NULL, key);
	/*
	 * Keys taking a list may repeat; every other key is set once: a
	 * rule's within its section, the others across repeated sections
	 * of the same name.
	 */
	if (!(k && k->type == POLICY_T_PATTERNS) &&
	    (ps->rule ? repeated(ps, ps->seen, &ps->nseen, key) :
			repeated(ps, ps->global_seen, &ps->nglobal, key)))
		return 1;
	if (!k) {
		list_keys(ps, keys, sizeof(keys));
		fail(ps, "unknown key '%s' in [%s]; keys there: %s",
		     shown(ps, name), ps->hide ? ps->sec : section, keys);
		return 1;
	}
	set_key(ps, k, value);
	return 1;
}

/* policy_parse(), its errors quoting the file's text unless `hide`. */
static int parse(struct policy *p, const char *text, size_t len,
		 const char *filename, bool hide, struct policy_errors *errs)
{
	struct parse ps = {
		.hide = hide,
		.p = p,
		.errs = errs,
		.file = filename,
		.text = text,
		.end = text + len,
		.pos = text,
	};

	if (!(ps.name = policy_intern(p, filename, strlen(filename)))) {
		policy_errors_add(errs, "%s: out of memory", filename);
		return 1;
	}
	/* Every error goes to errs; inih's own count is not needed. */
	if (ini_parse_stream(reader, &ps, handler, &ps) == -2)
		fail(&ps, "out of memory");
	return ps.nerr;
}

int policy_parse(struct policy *p, const char *text, size_t len,
		 const char *filename, struct policy_errors *errs)
{
	return parse(p, text, len, filename, false, errs);
}

int policy_parse_unquoted(struct policy *p, const char *text, size_t len,
			  const char *filename, struct policy_errors *errs)
{
	return parse(p, text, len, filename, true, errs);
}
