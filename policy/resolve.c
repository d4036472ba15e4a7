/*
 * resolve.c: filling the policy from Git's configuration, and the
 * effective rule for one ref.
 */
#define _GNU_SOURCE
#include "policy/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void git_error(struct policy_errors *errs, const char *key,
		      const char *value, const char *why)
{
	char **grown = realloc(errs->msg, (errs->n + 1) * sizeof(*grown));
	char *msg;

	if (!grown)
		return;
	errs->msg = grown;
	if (asprintf(&msg, "git config %s: bad value '%s'; expected %s", key,
		     value ? value : "", why) >= 0)
		errs->msg[errs->n++] = msg;
}

static void src_git(struct policy_src *s, const char *key)
{
	snprintf(s->text, sizeof(s->text), "git config %s", key);
}

/* "gc.<pattern>.<name>" with <name> compared case-insensitively. */
static bool gc_pattern_key(const char *key, const char *name, const char **pat,
			   size_t *len)
{
	const char *last = strrchr(key, '.');

	if (strncasecmp(key, "gc.", 3) || !last || last <= key + 3 ||
	    strcasecmp(last + 1, name))
		return false;
	*pat = key + 3;
	*len = last - key - 3;
	return true;
}

static struct policy_rule *git_rule(struct policy *p, const char *pat,
				    size_t len)
{
	struct policy_rule *grown, *r;

	for (size_t i = 0; i < p->ngit_rules; i++)
		if (strlen(p->git_rules[i].pattern) == len &&
		    !strncmp(p->git_rules[i].pattern, pat, len))
			return &p->git_rules[i];
	grown = realloc(p->git_rules, (p->ngit_rules + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	p->git_rules = grown;
	r = &grown[p->ngit_rules];
	memset(r, 0, sizeof(*r));
	if (!(r->pattern = strndup(pat, len)))
		return NULL;
	p->ngit_rules++;
	return r;
}

int policy_apply_git_config(struct policy *p, const struct policy_kv *kv,
			    size_t n, struct policy_errors *errs)
{
	int nerr = 0;

	for (size_t i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value ? kv[i].value : "";
		const char *why = NULL, *pat;
		struct policy_duration d;
		struct policy_rule *r;
		size_t len;
		uint64_t f;

		if (!strcasecmp(k, "reftable.geometricfactor")) {
			if (policy_parse_uint(v, 2, 256, &f, &why))
				why = "a whole number from 2 to 256";
			else if (!p->file_set_geometric_factor) {
				p->geometric_factor = (unsigned)f;
				src_git(&p->src_geometric_factor, k);
			}
		} else if (!strcasecmp(k, "gc.reflogexpire")) {
			if (!policy_parse_duration(v, &d, &why) &&
			    !p->file_set_expire) {
				p->expire = d;
				src_git(&p->src_expire, k);
			}
		} else if (!strcasecmp(k, "gc.reflogexpireunreachable")) {
			if (!policy_parse_duration(v, &d, &why) &&
			    !p->file_set_expire_unreachable) {
				p->expire_unreachable = d;
				src_git(&p->src_expire_unreachable, k);
			}
		} else if (gc_pattern_key(k, "reflogexpire", &pat, &len)) {
			if (!policy_parse_duration(v, &d, &why) &&
			    (r = git_rule(p, pat, len))) {
				r->expire = d;
				r->has_expire = true;
				src_git(&r->src_expire, k);
			}
		} else if (gc_pattern_key(k, "reflogexpireunreachable", &pat,
					  &len)) {
			if (!policy_parse_duration(v, &d, &why) &&
			    (r = git_rule(p, pat, len))) {
				r->expire_unreachable = d;
				r->has_unreachable = true;
				src_git(&r->src_unreachable, k);
			}
		}
		if (why) {
			git_error(errs, k, v, why);
			nerr++;
		}
	}
	return nerr;
}

void policy_resolve(const struct policy *p, const char *refname,
		    struct policy_resolved *out)
{
	static const struct policy_duration never = { .never = true };
	const struct policy_rule *git = NULL;
	bool global_protect = false;

	out->expire = p->expire;
	out->src_expire = p->src_expire.text;
	out->expire_unreachable = p->expire_unreachable;
	out->src_expire_unreachable = p->src_expire_unreachable.text;
	out->max_entries = p->max_entries;
	out->src_max_entries = p->src_max_entries.text;
	out->protect = false;
	out->src_protect = "default";

	/* Git's gc.<pattern> entries: the first match gives both values. */
	for (size_t i = 0; !git && i < p->ngit_rules; i++)
		if (policy_pattern_match(p->git_rules[i].pattern, refname))
			git = &p->git_rules[i];
	if (git) {
		/*
		 * The entry decides both values even when it sets one: the
		 * other is "never", as in Git, and its source is that entry.
		 */
		const char *src = git->has_expire ? git->src_expire.text :
						    git->src_unreachable.text;

		out->expire = git->has_expire ? git->expire : never;
		out->expire_unreachable =
			git->has_unreachable ? git->expire_unreachable : never;
		out->src_expire = src;
		out->src_expire_unreachable =
			git->has_unreachable ? git->src_unreachable.text : src;
	} else if (!strcmp(refname, "refs/stash")) {
		/* Git's built-in rule: an unconfigured stash never expires. */
		out->expire = never;
		out->expire_unreachable = never;
		out->src_expire = out->src_expire_unreachable = "default";
	}

	for (size_t i = 0; !global_protect && i < p->nprotect; i++)
		if (policy_pattern_match(p->protect[i], refname)) {
			out->protect = global_protect = true;
			out->src_protect = p->src_protect[i].text;
		}
	/* The policy's own rules: the last match wins, value by value. */
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (!policy_pattern_match(r->pattern, refname))
			continue;
		if (r->has_expire) {
			out->expire = r->expire;
			out->src_expire = r->src_expire.text;
		}
		if (r->has_unreachable) {
			out->expire_unreachable = r->expire_unreachable;
			out->src_expire_unreachable = r->src_unreachable.text;
		}
		if (r->has_max_entries) {
			out->max_entries = r->max_entries;
			out->src_max_entries = r->src_max_entries.text;
		}
		/* A [reflog] protect pattern is absolute: rules add only. */
		if (r->has_protect && !global_protect) {
			out->protect = r->protect;
			out->src_protect = r->src_protect.text;
		}
	}
}
