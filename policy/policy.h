/*
 * policy.h: the maintenance policy: its settings, where each came from,
 * parsing a policy file, Git-config fallback, and per-ref resolution.
 *
 * Pure: text and key/value pairs in, `struct policy` or errors out. The
 * plugin finds the file, reads it and asks Git for its config. Which keys
 * exist, their types, defaults and Git fallbacks: policy/schema.h.
 */
#ifndef POLICY_POLICY_H
#define POLICY_POLICY_H

#include "policy/value.h"

#include <stddef.h>

/*
 * Room for the rows of the schema (policy/schema.c checks at compile time
 * that they fit): sources are kept by row.
 */
#define POLICY_KEYS_MAX 24

/*
 * Where a value came from. `where` NULL: the default (or, in a rule, not
 * set). Otherwise `where` is a file name and `line` its line (>= 1), or,
 * with `line` 0, the Git config key as `git config --list` prints it.
 * `where` belongs to the policy the source is part of.
 */
struct policy_src {
	const char *where;
	unsigned line;
};

/* One value of a key that may repeat, with its own source. */
struct policy_pattern {
	char *pattern;
	struct policy_src src;
};

struct policy_patterns {
	struct policy_pattern *v;
	size_t n;
};

/*
 * A [reflog "<pattern>"] section, or one of Git's gc.<pattern> entries.
 * A value counts only where its source is set: policy_rule_sets().
 */
struct policy_rule {
	char *pattern;
	unsigned line; /* of the section header; 0 for Git's entries */
	struct policy_duration expire, expire_unreachable;
	uint64_t max_entries;
	bool protect;
	struct policy_src src[POLICY_KEYS_MAX]; /* by schema row */
};

struct policy {
	/* [compaction] */
	uint64_t geometric_factor;
	uint64_t max_tables;
	double tombstone_ratio;
	bool background;
	/* Bytes one run may rewrite by compaction; 0: no cap. */
	uint64_t max_bytes_per_run;
	/* [reflog] */
	struct policy_duration expire, expire_unreachable;
	uint64_t max_entries;
	struct policy_patterns protect; /* may repeat */
	/* [reflog "<pattern>"], in file order; the last match wins. */
	struct policy_rule *rules;
	size_t nrules;
	/*
	 * gc.<pattern>.reflogExpire[Unreachable] from Git's config, in
	 * config order; as in Git, the first match wins, and an entry that
	 * sets only one of the two leaves the other at "never".
	 */
	struct policy_rule *git_rules;
	size_t ngit_rules;
	/* [orphans] */
	struct policy_duration grace, stale_lock;
	bool remove_stale_locks;
	/* [schedule] */
	enum policy_freq sched_compact, sched_expire, sched_clean;
	/* Where each value above came from, by schema row. */
	struct policy_src src[POLICY_KEYS_MAX];
	/* The file names and Git config keys that sources point to. */
	char **names;
	size_t nnames;
};

/* Every error found, each "<file>:<line>: <what is wrong>; <accepted>". */
struct policy_errors {
	char **msg;
	size_t n;
};

void policy_errors_release(struct policy_errors *errs);

/* The schema's defaults, each with source "default". */
void policy_init(struct policy *p);
/* Frees what the policy owns (sources pointing into it go with it). */
void policy_release(struct policy *p);

/*
 * Parse policy text (as read from `filename`, which names it in messages
 * and sources) over the values already in `p`. Returns the number of
 * errors (0: valid); every error is appended to `errs`. Out of memory is
 * an error too: a value that cannot be stored is never dropped silently.
 */
int policy_parse(struct policy *p, const char *text, size_t len,
		 const char *filename, struct policy_errors *errs);

/*
 * policy_parse(), but no error copies any of the text: each names the
 * file and line and says what is wrong, with "..." for what it would
 * quote, and why the text is not shown. For a file the caller may read
 * but whoever reads the errors may not (root reading a file that a
 * repository of another user names).
 */
int policy_parse_unquoted(struct policy *p, const char *text, size_t len,
			  const char *filename, struct policy_errors *errs);

struct policy_kv {
	const char *key; /* as `git config --list` prints it */
	const char *value;
};

/*
 * Fill what the policy file left unset from Git's configuration: the
 * keys the schema names as fallbacks (reftable.geometricFactor,
 * gc.reflogExpire, gc.reflogExpireUnreachable, and
 * gc.<pattern>.reflogExpire[Unreachable] as Git's rules). Bad values and
 * out of memory are errors, named by their config key; returns their
 * number.
 */
int policy_apply_git_config(struct policy *p, const struct policy_kv *kv,
			    size_t n, struct policy_errors *errs);

/*
 * The source of the field at `field`, which is a member of `p` (or of
 * rule `r`) that the schema lists; a default source for any other.
 */
const struct policy_src *policy_src_of(const struct policy *p,
				       const void *field);
const struct policy_src *policy_rule_src(const struct policy_rule *r,
					 const void *field);
/* Whether rule `r` sets the field at `field` (a member of `r`). */
bool policy_rule_sets(const struct policy_rule *r, const void *field);
/* Whether the value came from a policy file. */
bool policy_src_is_file(const struct policy_src *s);
/* "default", "<file>:<line>" or "git config <key>", cut to fit `size`. */
void policy_src_format(const struct policy_src *s, char *buf, size_t size);

/* The effective rule for one ref, each part with its source. */
struct policy_resolved {
	struct policy_duration expire, expire_unreachable;
	uint64_t max_entries; /* 0: no cap */
	bool protect;
	struct policy_src src_expire, src_expire_unreachable, src_max_entries,
		src_protect;
};

/*
 * Precedence for expire and expire-unreachable: the last matching
 * [reflog "<pattern>"] that sets the value; else the first matching
 * gc.<pattern> entry (both values from it, as Git does); else, for
 * refs/stash, never (Git's rule for an unconfigured stash); else
 * [reflog]. protect: a matching [reflog] protect pattern protects
 * whatever any rule says (the first matching pattern is the source);
 * otherwise the last matching rule that sets protect decides. Sources
 * point into `p`.
 */
void policy_resolve(const struct policy *p, const char *refname,
		    struct policy_resolved *out);

#endif
