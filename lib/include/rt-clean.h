/*
 * rt-clean.h: removing what crashed or interrupted writers leave in a
 * stack directory: orphan tables, temp files, stale locks.
 */
#ifndef RT_CLEAN_H
#define RT_CLEAN_H

#include "rt-error.h"
#include "rt-stack.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct rt_clean_options {
	/* Orphans and temp files younger than this are left alone. */
	uint64_t grace_seconds;
	/* A lock older than this is stale (its holder presumably died). */
	uint64_t stale_lock_seconds;
	/* Stale locks are only reported unless this is set. */
	bool remove_stale_locks;
	bool dry_run;
	/*
	 * Look without taking tables.list.lock, and change nothing (implies
	 * dry_run): for planning, where Git's writers must not wait. A table
	 * a writer is adding at that moment may then show up as an orphan,
	 * but a young one, which no one would remove.
	 */
	bool survey;
	/* The current time; 0 means time(NULL). */
	time_t now;
};

enum rt_clean_kind {
	RT_CLEAN_ORPHAN_TABLE,
	RT_CLEAN_TEMP_FILE,
	RT_CLEAN_STALE_LOCK,
};

/* One file looked at; valid only during the report call. */
struct rt_clean_item {
	enum rt_clean_kind kind;
	const char *name; /* file name inside the stack directory */
	uint64_t age_seconds;
	bool removed; /* false: kept (dry run, too young, ...) */
	/* Kept only because of dry_run or survey: it would go otherwise. */
	bool would_remove;
	const char *why_kept; /* NULL when removed */
};

/* Told about every leftover, removed or kept, in no particular order. */
typedef void (*rt_clean_report_fn)(void *arg, const struct rt_clean_item *it);

/*
 * Under tables.list.lock (so no writer is between writing a table and
 * listing it), look at every file of the stack directory:
 *  - a table file not in tables.list is an orphan; it is removed when its
 *    max update index is <= the stack's, no live <name>.lock is beside
 *    it, and it is older than the grace period;
 *  - <table>.temp.XXXXXX files older than the grace period are removed;
 *  - *.lock files older than the stale-lock age are reported, and removed
 *    only with remove_stale_locks.
 * Only regular files are ever removed (symlinks are not followed). When
 * tables.list.lock itself is stale and may be removed, it is, and the
 * lock is then taken normally. `report` may be NULL. The stack is not
 * reloaded.
 */
int rt_stack_clean(struct rt_stack *st, const struct rt_clean_options *opts,
		   rt_clean_report_fn report, void *arg, struct rt_err *err);

#endif
