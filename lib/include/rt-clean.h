/*
 * rt-clean.h: removing what crashed or interrupted writers leave in a
 * stack directory: orphan tables, temp files, stale locks.
 */
#ifndef RT_CLEAN_H
#define RT_CLEAN_H

#include "rt-error.h"
#include "rt-liveness.h"
#include "rt-stack.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct rt_clean_options {
	/*
	 * Orphans and temp files younger than this are left alone; at least
	 * RT_MIN_GRACE_SECONDS (else RT_ERR_API).
	 */
	uint64_t grace_seconds;
	/*
	 * A lock no live process holds, older than this, is stale; at least
	 * RT_MIN_STALE_LOCK_SECONDS (else RT_ERR_API). A held lock is never
	 * stale; past this age it is "stuck" (reported, never removed).
	 */
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
	/*
	 * A live process holds it open (holder_pid one of them), or may
	 * (liveness unknown, and not old enough to be stale regardless):
	 * not a leftover, whatever its age.
	 */
	bool live;
	long holder_pid;
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
 * Liveness by evidence (rt-liveness.h): a lock or temp file a live process
 * holds open is never removed nor called stale, whatever its age; a
 * <table>.lock (which Git closes while it compacts) is not stale while a
 * temp table is held or younger than the stale-lock age; when liveness
 * cannot be told, a file is stale only past RT_UNVERIFIED_STALE_SECONDS
 * too. Only regular files are ever removed (symlinks are not followed).
 * tables.list.lock, when it cannot be taken, is judged by
 * rt_stack_check_list_lock() (cleared unless dry_run or survey), and then
 * taken normally. `report` may be NULL. The stack is not reloaded.
 */
int rt_stack_clean(struct rt_stack *st, const struct rt_clean_options *opts,
		   rt_clean_report_fn report, void *arg, struct rt_err *err);

enum rt_list_lock_state {
	RT_LIST_LOCK_NONE, /* no tables.list.lock */
	/* In use, or too young to judge: the normal case of a busy stack. */
	RT_LIST_LOCK_BUSY,
	RT_LIST_LOCK_CLEARED, /* left by a dead process: removed now */
	RT_LIST_LOCK_DEAD, /* left by a dead process; not removed (!clear) */
	/* Held open by a live process past the stale-lock age. */
	RT_LIST_LOCK_STUCK,
	/* Past the stale-lock age, and liveness cannot be told. */
	RT_LIST_LOCK_UNVERIFIED,
};

struct rt_list_lock_check {
	enum rt_list_lock_state state;
	uint64_t age_seconds; /* when there is one */
	long holder_pid; /* a live holder, when seen (BUSY, STUCK) */
	char why[160]; /* UNVERIFIED: why liveness cannot be told */
};

/*
 * Judge the stack's tables.list.lock by evidence. One no live process
 * holds, RT_DEAD_LOCK_SECONDS old, was left by a dead process: with
 * `clear` it is removed (only if it is still that file), whatever
 * opts->remove_stale_locks says, since evidence, not age, decides. When
 * liveness cannot be told, it is removed only with `clear`,
 * remove_stale_locks, and past both the stale-lock age and
 * RT_UNVERIFIED_STALE_SECONDS. STUCK and UNVERIFIED mean Git cannot
 * update refs and nothing here will change that: callers report a
 * failure. Uses opts->now and opts->stale_lock_seconds.
 */
int rt_stack_check_list_lock(struct rt_stack *st,
			     const struct rt_clean_options *opts, bool clear,
			     struct rt_list_lock_check *out,
			     struct rt_err *err);

/* "none", "busy", "cleared", "dead", "stuck", "unverified". */
const char *rt_list_lock_state_name(enum rt_list_lock_state s);

#endif
