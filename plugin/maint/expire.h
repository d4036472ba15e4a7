/*
 * expire.h: reflog expiry with `git reflog expire` semantics, applied to a
 * whole stack at once: one added table of log deletion records (and
 * existence placeholders), or, when the whole stack is compacted anyway,
 * expired entries dropped during that compaction.
 */
#ifndef PLUGIN_EXPIRE_H
#define PLUGIN_EXPIRE_H

#include "lib/include/rt-compact.h"
#include "plugin/git/repo.h"
#include "policy/policy.h"

#include <stdio.h>

/* Command-line values that replace the policy's for this run. */
struct expire_overrides {
	bool has_expire, has_unreachable, has_max_entries;
	struct policy_duration expire, expire_unreachable;
	uint64_t max_entries;
	const char *ref_pattern; /* only reflogs matching it; NULL: all */
};

struct expire_stats {
	uint64_t reflogs; /* reflogs looked at */
	uint64_t entries; /* live entries looked at */
	uint64_t expired; /* entries expired, or that would be */
	uint64_t emptied; /* reflogs left with only the existence marker */
	uint64_t bytes_added; /* size of the added table; 0 when none */
	bool busy; /* failed only because someone held a lock: try later */
};

enum expire_flags {
	EXPIRE_DRY_RUN = 1 << 0, /* decide and report, change nothing */
	EXPIRE_VERBOSE = 1 << 1, /* report every expired entry */
	EXPIRE_REPORT = 1 << 2, /* per-ref counts on stdout */
	EXPIRE_QUIET = 1 << 3, /* no summary line: the caller reports */
};

/*
 * Expire the reflogs of one stack of `repo` as the policy (and `ov`) say,
 * by adding one table. `now` is the reference time for ages. Prints its
 * own errors; returns EXIT_OK or EXIT_ERROR.
 */
int expire_stack(const struct repo *repo, const struct repo_stack *where,
		 const struct policy *p, const struct expire_overrides *ov,
		 unsigned flags, uint64_t now, struct expire_stats *stats);

/*
 * Compact the whole stack into one table, dropping on the way what
 * expire_stack() would expire (no deletion records are written first).
 */
int expire_compact_all(const struct repo *repo, const struct repo_stack *where,
		       const struct policy *p,
		       const struct expire_overrides *ov, unsigned flags,
		       uint64_t now, struct expire_stats *stats,
		       struct rt_compact_result *res);

#endif
