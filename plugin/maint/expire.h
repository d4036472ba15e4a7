/*
 * expire.h: reflog expiry with `git reflog expire` semantics, applied to a
 * whole stack at once: one added table of log deletion records (and
 * existence placeholders), or, when the whole stack is compacted anyway,
 * expired entries dropped during that compaction. Nothing here prints:
 * the caller hears of each reflog and entry through struct expire_report.
 */
#ifndef PLUGIN_MAINT_EXPIRE_H
#define PLUGIN_MAINT_EXPIRE_H

#include "lib/include/rt-compact.h"
#include "plugin/git/repo.h"
#include "policy/policy.h"

#include <stdbool.h>

/* The title expiry's progress is told under. */
#define MAINT_PROGRESS_EXPIRE "Expiring reflog entries"

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
	double lock_ms; /* tables.list.lock held at most, adding it */
};

/* What expiry tells as it walks the reflogs; members may be NULL. */
struct expire_report {
	/* Each entry expired (or, dry, that would be); `ref` as Git names it. */
	void (*entry)(void *arg, const char *ref,
		      const struct rt_log_record *log, int hash_size);
	/* Each reflog that lost entries: `expired` of its `entries`. */
	void (*reflog)(void *arg, const char *ref, uint64_t expired,
		       uint64_t entries);
	void *arg;
};

/* One expiry: where the rules come from, and what to tell. Not owned. */
struct expire_request {
	const struct repo *repo;
	const struct policy *policy;
	const struct expire_overrides *ov; /* NULL: the policy's values */
	bool dry_run; /* decide and report, change nothing */
	uint64_t now; /* seconds since the epoch: ages count from it */
	const struct expire_report *report; /* NULL: nothing to tell */
	/* Told of each entry looked at (struct maint_sink's); may be NULL. */
	void (*progress)(void *arg, const char *title, uint64_t done,
			 uint64_t total);
	void *progress_arg;
};

/*
 * Whether an expiry's error means someone else held a lock or changed the
 * stack meanwhile: nothing changed, try later.
 */
bool expire_busy(int ret);

/*
 * Expire the reflogs of one stack of rq->repo by adding one table. 0, or
 * a negative rt_error with `err` (nothing changed then).
 */
int expire_stack(const struct expire_request *rq,
		 const struct repo_stack *where, struct expire_stats *stats,
		 struct rt_err *err);

/*
 * Compact the whole stack into one table, dropping on the way what
 * expire_stack() would expire (no deletion records are written first).
 * A dry run is expire_stack()'s, and leaves `res` alone.
 */
int expire_compact_all(const struct expire_request *rq,
		       const struct repo_stack *where,
		       struct expire_stats *stats,
		       struct rt_compact_result *res, struct rt_err *err);

#endif
