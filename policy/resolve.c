/*
 * resolve.c: filling the policy from Git's configuration, and the
 * effective rule for one ref.
 */
#include "policy/internal.h"
#include "policy/schema.h"

#include <string.h>
#include <strings.h>

/*
 * Whether config key `key` is the schema's Git key `git`, compared as Git
 * compares names (any case). A `git` with "<pattern>" in it matches any
 * non-empty pattern up to the key's last dot (so the pattern may have
 * dots), kept in `pat`/`len` as written.
 */
static bool git_key_is(const char *git, const char *key, const char **pat,
		       size_t *len)
{
	const char *hole = strstr(git, "<pattern>"), *last;
	size_t pre;

	if (!hole)
		return !strcasecmp(git, key);
	pre = hole - git;
	last = strrchr(key, '.');
	if (strncasecmp(key, git, pre) || !last || last <= key + pre ||
	    strcasecmp(last, hole + strlen("<pattern>")))
		return false;
	*pat = key + pre;
	*len = last - key - pre;
	return true;
}

static struct policy_rule *git_rule(struct policy *p, const char *pat,
				    size_t len)
{
	for (size_t i = 0; i < p->ngit_rules; i++)
		if (strlen(p->git_rules[i].pattern) == len &&
		    !strncmp(p->git_rules[i].pattern, pat, len))
			return &p->git_rules[i];
	return policy_rule_add(&p->git_rules, &p->ngit_rules, pat, len);
}

/*
 * Apply one config entry to the row `k` whose Git key it is. Returns 0,
 * or -1 after adding the error to `errs`.
 */
static int apply_one(struct policy *p, const struct policy_key *k,
		     const char *key, const char *value, const char *pat,
		     size_t len, struct policy_errors *errs)
{
	union {
		struct policy p;
		struct policy_rule r;
	} scratch;
	struct policy_src *src = &p->src[policy_key_index(k)];
	struct policy_rule *r = NULL;
	const char *where;
	char why[128];

	/* Checked first: a bad value is an error even where it is unused. */
	memset(&scratch, 0, sizeof(scratch));
	if (policy_key_set(k, &scratch, value, why, sizeof(why))) {
		policy_errors_add(errs,
				  "git config %s: bad value '%s'; expected %s",
				  key, value, why);
		return -1;
	}
	if (!k->rule && policy_src_is_file(src))
		return 0; /* the file's value stays */
	if (!(where = policy_intern(p, key, strlen(key))) ||
	    (k->rule && !(r = git_rule(p, pat, len)))) {
		/* A Git rule dropped could expire what it keeps. */
		policy_errors_add(errs, "git config %s: out of memory", key);
		return -1;
	}
	if (r)
		src = &r->src[policy_key_index(k)];
	policy_key_set(k, r ? (void *)r : (void *)p, value, why, sizeof(why));
	src->where = where;
	src->line = 0;
	return 0;
}

int policy_apply_git_config(struct policy *p, const struct policy_kv *kv,
			    size_t n, struct policy_errors *errs)
{
	int nerr = 0;

	for (size_t i = 0; i < n; i++) {
		const char *v = kv[i].value ? kv[i].value : "", *pat = NULL;
		size_t len = 0;

		for (size_t j = 0; j < policy_nkeys; j++) {
			const struct policy_key *k = &policy_keys[j];

			if (k->git &&
			    git_key_is(k->git, kv[i].key, &pat, &len)) {
				nerr += !!apply_one(p, k, kv[i].key, v, pat,
						    len, errs);
				break;
			}
		}
	}
	return nerr;
}

void policy_resolve(const struct policy *p, const char *refname,
		    struct policy_resolved *out)
{
	static const struct policy_duration never = { .never = true };
	static const struct policy_src dflt;
	const struct policy_rule *git = NULL;
	bool global_protect = false;

	out->expire = p->expire;
	out->src_expire = *policy_src_of(p, &p->expire);
	out->expire_unreachable = p->expire_unreachable;
	out->src_expire_unreachable = *policy_src_of(p, &p->expire_unreachable);
	out->max_entries = p->max_entries;
	out->src_max_entries = *policy_src_of(p, &p->max_entries);
	out->protect = false;
	out->src_protect = dflt;

	/* Git's gc.<pattern> entries: the first match gives both values. */
	for (size_t i = 0; !git && i < p->ngit_rules; i++)
		if (policy_pattern_match(p->git_rules[i].pattern, refname))
			git = &p->git_rules[i];
	if (git) {
		/*
		 * The entry decides both values even when it sets one: the
		 * other is "never", as in Git, and its source is that entry.
		 */
		bool has_e = policy_rule_sets(git, &git->expire);
		bool has_u = policy_rule_sets(git, &git->expire_unreachable);
		const struct policy_src *src_e =
			policy_rule_src(git, &git->expire);
		const struct policy_src *src_u =
			policy_rule_src(git, &git->expire_unreachable);

		out->expire = has_e ? git->expire : never;
		out->expire_unreachable = has_u ? git->expire_unreachable :
						  never;
		out->src_expire = has_e ? *src_e : *src_u;
		out->src_expire_unreachable = has_u ? *src_u : *src_e;
	} else if (!strcmp(refname, "refs/stash")) {
		/* Git's built-in rule: an unconfigured stash never expires. */
		out->expire = never;
		out->expire_unreachable = never;
		out->src_expire = out->src_expire_unreachable = dflt;
	}

	for (size_t i = 0; !global_protect && i < p->protect.n; i++)
		if (policy_pattern_match(p->protect.v[i].pattern, refname)) {
			out->protect = global_protect = true;
			out->src_protect = p->protect.v[i].src;
		}
	/* The policy's own rules: the last match wins, value by value. */
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (!policy_pattern_match(r->pattern, refname))
			continue;
		if (policy_rule_sets(r, &r->expire)) {
			out->expire = r->expire;
			out->src_expire = *policy_rule_src(r, &r->expire);
		}
		if (policy_rule_sets(r, &r->expire_unreachable)) {
			out->expire_unreachable = r->expire_unreachable;
			out->src_expire_unreachable =
				*policy_rule_src(r, &r->expire_unreachable);
		}
		if (policy_rule_sets(r, &r->max_entries)) {
			out->max_entries = r->max_entries;
			out->src_max_entries =
				*policy_rule_src(r, &r->max_entries);
		}
		/* A [reflog] protect pattern is absolute: rules add only. */
		if (policy_rule_sets(r, &r->protect) && !global_protect) {
			out->protect = r->protect;
			out->src_protect = *policy_rule_src(r, &r->protect);
		}
	}
}
