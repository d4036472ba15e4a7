/*
 * policy.c: the policy file (on inih), Git-config fallback, resolution.
 *
 * inih splits lines into section, key and value. Debian builds it without
 * line numbers and with indented lines continuing the previous value, so
 * the reader callback below counts lines, and classifies each raw line
 * first: what inih would misread (an indented key, a line that is not
 * "key = value", a key before any section, a bad section header) becomes
 * an error with its line, and reaches inih as a blank line.
 */
#define _GNU_SOURCE
#include "policy/policy.h"

#include <ctype.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum section {
	SEC_NONE,
	SEC_INVALID, /* reported once; its keys are ignored */
	SEC_COMPACTION,
	SEC_REFLOG,
	SEC_RULE,
	SEC_ORPHANS,
	SEC_SCHEDULE,
};

/* Keys set so far, with their section, to report repeats. */
struct seen {
	enum section sec;
	char key[32];
	unsigned line;
};

struct parse {
	struct policy *p;
	struct policy_errors *errs;
	const char *file;
	const char *text, *end, *pos;
	unsigned line;
	int nerr;
	enum section sec;
	struct policy_rule *rule; /* for SEC_RULE */
	struct seen seen[64];
	size_t nseen;
	/* Keys of [compaction]/[reflog]/... across repeated sections. */
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

static void add_error(struct policy_errors *errs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_error(struct policy_errors *errs, const char *fmt, ...)
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

static void src_default(struct policy_src *s)
{
	snprintf(s->text, sizeof(s->text), "default");
}

static void src_line(struct parse *ps, struct policy_src *s)
{
	snprintf(s->text, sizeof(s->text), "%s:%u", ps->file, ps->line);
}

void policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->geometric_factor = 2;
	p->max_tables = 64;
	p->tombstone_ratio = 0.3;
	p->background = true;
	p->expire.seconds = 90 * 86400;
	p->expire_unreachable.seconds = 30 * 86400;
	p->grace.seconds = 3600;
	p->stale_lock.seconds = 3600;
	p->sched_compact = POLICY_HOURLY;
	p->sched_expire = POLICY_DAILY;
	p->sched_clean = POLICY_WEEKLY;
	src_default(&p->src_geometric_factor);
	src_default(&p->src_max_tables);
	src_default(&p->src_tombstone_ratio);
	src_default(&p->src_background);
	src_default(&p->src_max_bytes_per_run);
	src_default(&p->src_expire);
	src_default(&p->src_expire_unreachable);
	src_default(&p->src_max_entries);
	src_default(&p->src_grace);
	src_default(&p->src_stale_lock);
	src_default(&p->src_remove_stale_locks);
	src_default(&p->src_sched_compact);
	src_default(&p->src_sched_expire);
	src_default(&p->src_sched_clean);
}

static void release_rules(struct policy_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rules[i].pattern);
	free(rules);
}

void policy_release(struct policy *p)
{
	for (size_t i = 0; i < p->nprotect; i++)
		free(p->protect[i]);
	free(p->protect);
	free(p->src_protect);
	release_rules(p->rules, p->nrules);
	release_rules(p->git_rules, p->ngit_rules);
	memset(p, 0, sizeof(*p));
}

static struct policy_rule *add_rule(struct policy_rule **rules, size_t *n,
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

/* Parse a section header line ("[name]" or [reflog "pattern"]). */
static void section_header(struct parse *ps, const char *s, size_t len)
{
	static const struct {
		const char *name;
		enum section sec;
	} plain[] = {
		{ "compaction", SEC_COMPACTION },
		{ "reflog", SEC_REFLOG },
		{ "orphans", SEC_ORPHANS },
		{ "schedule", SEC_SCHEDULE },
	};
	const char *close = memchr(s, ']', len), *q1, *q2, *rest;
	size_t n;

	ps->nseen = 0;
	ps->rule = NULL;
	ps->sec = SEC_INVALID;
	/* After ']' only an inline comment may follow (as inih allows). */
	rest = close ? close + 1 : s + len;
	while (rest < s + len && (*rest == ' ' || *rest == '\t'))
		rest++;
	if (!close || (rest < s + len && (*rest != ';' || rest == close + 1))) {
		ps->nerr++;
		add_error(ps->errs,
			  "%s:%u: cannot parse '%.*s'; expected [section], "
			  "key = value, or a comment",
			  ps->file, ps->line, (int)len, s);
		return;
	}
	q1 = memchr(s, '"', close - s);
	if (!q1) {
		n = close - s - 1;
		for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
			if (n == strlen(plain[i].name) &&
			    !strncasecmp(s + 1, plain[i].name, n)) {
				ps->sec = plain[i].sec;
				return;
			}
		goto unknown;
	}
	/* [reflog "<pattern>"] */
	q2 = memchr(q1 + 1, '"', close - q1 - 1);
	n = q1 - s - 1;
	while (n && s[n] == ' ')
		n--;
	if (!q2 || q2 != close - 1 || n != 6 || strncasecmp(s + 1, "reflog", 6))
		goto unknown;
	{
		char pat[256];
		const char *why;
		size_t plen = q2 - q1 - 1;

		snprintf(pat, sizeof(pat), "%.*s", (int)plen, q1 + 1);
		if (plen >= sizeof(pat) || policy_check_pattern(pat, &why)) {
			ps->nerr++;
			add_error(ps->errs,
				  "%s:%u: bad pattern '%s' in [reflog \"%s\"]; "
				  "expected %s",
				  ps->file, ps->line, pat, pat, why);
			return;
		}
		for (size_t i = 0; i < ps->p->nrules; i++)
			if (!strcmp(ps->p->rules[i].pattern, pat)) {
				ps->nerr++;
				add_error(
					ps->errs,
					"%s:%u: [reflog \"%s\"] appears again "
					"(first at line %u); merge the two",
					ps->file, ps->line, pat,
					ps->p->rules[i].line);
				return;
			}
		ps->rule = add_rule(&ps->p->rules, &ps->p->nrules, pat, plen);
		if (!ps->rule)
			return;
		ps->rule->line = ps->line;
		ps->sec = SEC_RULE;
	}
	return;
unknown:
	ps->nerr++;
	add_error(ps->errs,
		  "%s:%u: unknown section %.*s; sections are [compaction], "
		  "[reflog], [reflog \"<pattern>\"], [orphans], [schedule]",
		  ps->file, ps->line, (int)len, s);
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
		ps->nerr++;
		add_error(ps->errs,
			  "%s:%u: indented line continues the previous value; "
			  "remove the indentation",
			  ps->file, ps->line);
		return false;
	}
	if (s[0] == '[') {
		section_header(ps, s, len);
		return true;
	}
	if (!memchr(s, '=', len)) {
		ps->nerr++;
		add_error(ps->errs,
			  "%s:%u: cannot parse '%.*s'; expected [section], "
			  "key = value, or a comment",
			  ps->file, ps->line, (int)len, s);
		return false;
	}
	if (ps->sec == SEC_NONE) {
		ps->nerr++;
		add_error(ps->errs,
			  "%s:%u: '%.*s' outside any section; put it under a "
			  "[section]",
			  ps->file, ps->line,
			  (int)(strcspn(s, "= \t") < len ? strcspn(s, "= \t") :
							   len),
			  s);
		return false;
	}
	return ps->sec != SEC_INVALID;
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
		ps->nerr++;
		add_error(ps->errs,
			  "%s:%u: line longer than %d characters; shorten it",
			  ps->file, ps->line, num - 2);
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
			ps->nerr++;
			add_error(ps->errs,
				  "%s:%u: %s set again (first at line %u); set "
				  "each key once",
				  ps->file, ps->line, key, seen[i].line);
			return true;
		}
	if (*n < 64) {
		seen[*n].sec = ps->sec;
		snprintf(seen[*n].key, sizeof(seen[*n].key), "%s", key);
		seen[(*n)++].line = ps->line;
	}
	return false;
}

static void bad_value(struct parse *ps, const char *key, const char *value,
		      const char *why)
{
	ps->nerr++;
	add_error(ps->errs, "%s:%u: bad value '%s' for %s; expected %s",
		  ps->file, ps->line, value, key, why);
}

/* Parse a duration into `dst`; on success note it was set, and where. */
static void set_duration(struct parse *ps, const char *v,
			 struct policy_duration *dst, bool *set,
			 struct policy_src *src, const char **why)
{
	if (policy_parse_duration(v, dst, why))
		return;
	if (set)
		*set = true;
	src_line(ps, src);
}

static void set_max_entries(struct parse *ps, const char *v, uint64_t *dst,
			    bool *set, struct policy_src *src, const char **why)
{
	uint64_t n;

	if (policy_parse_uint(v, 0, UINT32_MAX, &n, why)) {
		*why = "a whole number from 0 (no cap) to 4294967295";
		return;
	}
	*dst = n;
	if (set)
		*set = true;
	src_line(ps, src);
}

/* The keys of each section and how to set them. */
static bool set_key(struct parse *ps, const char *key, const char *v)
{
	struct policy *p = ps->p;
	struct policy_rule *r = ps->rule;
	const char *why = NULL;
	uint64_t n;
	bool b;

	switch (ps->sec) {
	case SEC_COMPACTION:
		if (!strcmp(key, "geometric-factor")) {
			if (policy_parse_uint(v, 2, 256, &n, &why))
				why = "a whole number from 2 to 256";
			else {
				p->geometric_factor = (unsigned)n;
				p->file_set_geometric_factor = true;
				src_line(ps, &p->src_geometric_factor);
			}
		} else if (!strcmp(key, "max-tables")) {
			if (policy_parse_uint(v, 1, 1000000, &n, &why))
				why = "a whole number from 1 to 1000000";
			else {
				p->max_tables = n;
				src_line(ps, &p->src_max_tables);
			}
		} else if (!strcmp(key, "tombstone-ratio")) {
			if (!policy_parse_ratio(v, &p->tombstone_ratio, &why))
				src_line(ps, &p->src_tombstone_ratio);
		} else if (!strcmp(key, "background")) {
			if (!policy_parse_bool(v, &p->background, &why))
				src_line(ps, &p->src_background);
		} else if (!strcmp(key, "max-bytes-per-run")) {
			if (!policy_parse_size(v, &p->max_bytes_per_run, &why))
				src_line(ps, &p->src_max_bytes_per_run);
		} else {
			return false;
		}
		break;
	case SEC_REFLOG:
		if (!strcmp(key, "expire")) {
			set_duration(ps, v, &p->expire, &p->file_set_expire,
				     &p->src_expire, &why);
		} else if (!strcmp(key, "expire-unreachable")) {
			set_duration(ps, v, &p->expire_unreachable,
				     &p->file_set_expire_unreachable,
				     &p->src_expire_unreachable, &why);
		} else if (!strcmp(key, "max-entries")) {
			set_max_entries(ps, v, &p->max_entries, NULL,
					&p->src_max_entries, &why);
		} else if (!strcmp(key, "protect")) {
			char **pat;
			struct policy_src *src;

			if (policy_check_pattern(v, &why))
				break;
			pat = realloc(p->protect,
				      (p->nprotect + 1) * sizeof(*pat));
			if (pat)
				p->protect = pat;
			src = realloc(p->src_protect,
				      (p->nprotect + 1) * sizeof(*src));
			if (src)
				p->src_protect = src;
			if (pat && src && (pat[p->nprotect] = strdup(v))) {
				src_line(ps, &src[p->nprotect]);
				p->nprotect++;
			}
		} else {
			return false;
		}
		break;
	case SEC_RULE:
		if (!strcmp(key, "expire")) {
			set_duration(ps, v, &r->expire, &r->has_expire,
				     &r->src_expire, &why);
		} else if (!strcmp(key, "expire-unreachable")) {
			set_duration(ps, v, &r->expire_unreachable,
				     &r->has_unreachable, &r->src_unreachable,
				     &why);
		} else if (!strcmp(key, "max-entries")) {
			set_max_entries(ps, v, &r->max_entries,
					&r->has_max_entries,
					&r->src_max_entries, &why);
		} else if (!strcmp(key, "protect")) {
			if (!policy_parse_bool(v, &b, &why)) {
				r->protect = b;
				r->has_protect = true;
				src_line(ps, &r->src_protect);
			}
		} else {
			return false;
		}
		break;
	case SEC_ORPHANS:
		if (!strcmp(key, "grace")) {
			set_duration(ps, v, &p->grace, NULL, &p->src_grace,
				     &why);
		} else if (!strcmp(key, "stale-lock")) {
			set_duration(ps, v, &p->stale_lock, NULL,
				     &p->src_stale_lock, &why);
		} else if (!strcmp(key, "remove-stale-locks")) {
			if (!policy_parse_bool(v, &p->remove_stale_locks, &why))
				src_line(ps, &p->src_remove_stale_locks);
		} else {
			return false;
		}
		break;
	case SEC_SCHEDULE: {
		enum policy_freq f, *dst;
		struct policy_src *src;

		if (!strcmp(key, "compact")) {
			dst = &p->sched_compact;
			src = &p->src_sched_compact;
		} else if (!strcmp(key, "expire")) {
			dst = &p->sched_expire;
			src = &p->src_sched_expire;
		} else if (!strcmp(key, "clean")) {
			dst = &p->sched_clean;
			src = &p->src_sched_clean;
		} else {
			return false;
		}
		if (policy_freq_parse(v, &f))
			why = "hourly, daily, weekly or never";
		else {
			*dst = f;
			src_line(ps, src);
		}
		break;
	}
	default:
		return true;
	}
	if (why)
		bad_value(ps, key, v, why);
	return true;
}

static const char *section_keys(enum section sec)
{
	switch (sec) {
	case SEC_COMPACTION:
		return "geometric-factor, max-tables, tombstone-ratio, "
		       "background, max-bytes-per-run";
	case SEC_REFLOG:
		return "expire, expire-unreachable, max-entries, protect";
	case SEC_RULE:
		return "expire, expire-unreachable, max-entries, protect";
	case SEC_ORPHANS:
		return "grace, stale-lock, remove-stale-locks";
	case SEC_SCHEDULE:
		return "compact, expire, clean";
	default:
		return "";
	}
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *ps = user;
	char key[32];
	size_t i;

	if (ps->sec == SEC_NONE || ps->sec == SEC_INVALID)
		return 1;
	for (i = 0; name[i] && i < sizeof(key) - 1; i++)
		key[i] = (char)tolower((unsigned char)name[i]);
	key[i] = '\0';
	/* protect may repeat in [reflog]; every other key is set once. */
	/*
	 * A rule's keys are checked within its section; the others across
	 * repeated sections of the same name. protect may repeat in [reflog].
	 */
	if (!(ps->sec == SEC_REFLOG && !strcmp(key, "protect")) &&
	    (ps->sec == SEC_RULE ?
		     repeated(ps, ps->seen, &ps->nseen, key) :
		     repeated(ps, ps->global_seen, &ps->nglobal, key)))
		return 1;
	if (!set_key(ps, key, value)) {
		ps->nerr++;
		add_error(ps->errs,
			  "%s:%u: unknown key '%s' in [%s]; keys there: %s",
			  ps->file, ps->line, name, section,
			  section_keys(ps->sec));
	}
	return 1;
}

int policy_parse(struct policy *p, const char *text, size_t len,
		 const char *filename, struct policy_errors *errs)
{
	struct parse ps = {
		.p = p,
		.errs = errs,
		.file = filename,
		.text = text,
		.end = text + len,
		.pos = text,
	};

	/* Every error goes to errs; inih's own count is not needed. */
	ini_parse_stream(reader, &ps, handler, &ps);
	return ps.nerr;
}
