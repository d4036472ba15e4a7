/*
 * policy.h: the maintenance policy: its settings, where each came from,
 * parsing a policy file, Git-config fallback, and per-ref resolution.
 *
 * Pure: text and key/value pairs in, `struct policy` or errors out. The
 * plugin finds the file, reads it and asks Git for its config.
 */
#ifndef POLICY_POLICY_H
#define POLICY_POLICY_H

#include "policy/value.h"

#include <stddef.h>

/* Where a value came from: "default", "<file>:<line>", "git config <key>". */
struct policy_src {
	char text[320];
};

struct policy_rule {
	char *pattern; /* [reflog "<pattern>"] */
	unsigned line;
	bool has_expire, has_unreachable, has_max_entries, has_protect;
	struct policy_duration expire, expire_unreachable;
	uint64_t max_entries;
	bool protect;
	struct policy_src src_expire, src_unreachable, src_max_entries,
		src_protect;
};

struct policy {
	/* [compaction] */
	unsigned geometric_factor;
	uint64_t max_tables;
	double tombstone_ratio;
	bool background;
	/* Bytes one run may rewrite by compaction; 0: no cap. */
	uint64_t max_bytes_per_run;
	struct policy_src src_geometric_factor, src_max_tables,
		src_tombstone_ratio, src_background, src_max_bytes_per_run;
	/* [reflog] */
	struct policy_duration expire, expire_unreachable;
	uint64_t max_entries;
	struct policy_src src_expire, src_expire_unreachable, src_max_entries;
	char **protect; /* patterns; may repeat */
	struct policy_src *src_protect;
	size_t nprotect;
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
	struct policy_src src_grace, src_stale_lock, src_remove_stale_locks;
	/* [schedule] */
	enum policy_freq sched_compact, sched_expire, sched_clean;
	struct policy_src src_sched_compact, src_sched_expire, src_sched_clean;
	/* Which settings the file set (Git config only fills the others). */
	bool file_set_geometric_factor, file_set_expire,
		file_set_expire_unreachable;
};

/* Every error found, each "<file>:<line>: <what is wrong>; <accepted>". */
struct policy_errors {
	char **msg;
	size_t n;
};

void policy_errors_release(struct policy_errors *errs);

/* DESIGN.md's defaults, each with source "default". */
void policy_init(struct policy *p);
void policy_release(struct policy *p);

/*
 * Parse policy text (as read from `filename`, which only names it in
 * messages and sources) over the values already in `p`. Returns the
 * number of errors (0: valid); every error is appended to `errs`.
 */
int policy_parse(struct policy *p, const char *text, size_t len,
		 const char *filename, struct policy_errors *errs);

struct policy_kv {
	const char *key; /* as `git config --list` prints it */
	const char *value;
};

/*
 * Fill what the policy file left unset from Git's configuration:
 * reftable.geometricFactor, gc.reflogExpire, gc.reflogExpireUnreachable,
 * gc.<pattern>.reflogExpire[Unreachable]. Bad values are errors named by
 * their config key.
 */
int policy_apply_git_config(struct policy *p, const struct policy_kv *kv,
			    size_t n, struct policy_errors *errs);

/* The effective rule for one ref, each part with its source. */
struct policy_resolved {
	struct policy_duration expire, expire_unreachable;
	uint64_t max_entries; /* 0: no cap */
	bool protect;
	const char *src_expire, *src_expire_unreachable, *src_max_entries,
		*src_protect;
};

/*
 * Precedence for expire and expire-unreachable: the last matching
 * [reflog "<pattern>"] that sets the value; else the first matching
 * gc.<pattern> entry (both values from it, as Git does); else, for
 * refs/stash, never (Git's rule for an unconfigured stash); else
 * [reflog]. protect: a matching [reflog] protect pattern protects
 * whatever any rule says (the first matching pattern is the source);
 * otherwise the last matching rule that sets protect decides.
 */
void policy_resolve(const struct policy *p, const char *refname,
		    struct policy_resolved *out);

#endif
