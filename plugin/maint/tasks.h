/*
 * tasks.h: carrying out one maintenance task on one stack, for `run`, the
 * hooks and the `clean` and `compact` commands: cleaning with a report per
 * file, the tasks of a plan (clean, expire, compact: the compaction's
 * segment chosen again on the stack as it is now, within the budget), and
 * compacting with retries when concurrent writers moved the stack.
 *
 * Nothing here prints: results come back in structures, and what happens
 * along the way goes to the caller's struct maint_sink.
 */
#ifndef PLUGIN_MAINT_TASKS_H
#define PLUGIN_MAINT_TASKS_H

#include "lib/include/rt-clean.h"
#include "lib/include/rt-compact.h"
#include "plugin/git/repo.h"
#include "policy/policy.h"
#include "scheduler/plan.h"

enum maint_status {
	MAINT_SKIPPED, /* not due, or nothing left to do when it came to it */
	MAINT_DUE, /* a dry run's: it would run */
	MAINT_DONE,
	MAINT_FAILED,
	MAINT_BUSY, /* someone held a lock: nothing changed, try later */
};

/* "skipped", "due", "done", "failed", "busy". */
const char *maint_status_name(enum maint_status s);
/* What the state file records for it: none unless it ran. */
enum sched_outcome maint_outcome(enum maint_status s);

struct maint_task_result {
	enum maint_status status;
	char result[1200]; /* what happened, or why it failed; may be empty */
	uint64_t ms; /* how long it ran */
	uint64_t bytes; /* table bytes rewritten (compact) or added (expire) */
	size_t before, after; /* tables in the stack */
};

/*
 * What a task tells while it runs, besides its result: the caller prints
 * or logs it. Members may be NULL. Strings live only during the call.
 */
struct maint_sink {
	/* A file clean removed or kept, in the stack named `label`. */
	void (*cleaned)(void *arg, const char *label,
			const struct rt_clean_item *it);
	/* A task or the run failed: "<stack>: <why>" and the like. */
	void (*error)(void *arg, const char *msg);
	void (*warning)(void *arg, const char *msg);
	void *arg;
	/*
	 * Long work tells how far it got: `done` of `total` (0: unknown) of
	 * `title`, a static string ("Compacting records"), per record.
	 */
	void (*progress)(void *arg, const char *title, uint64_t done,
			 uint64_t total);
	void *progress_arg;
};

/* The title compaction's progress is told under (expire.h has expiry's). */
#define MAINT_PROGRESS_COMPACT "Compacting records"

/* Reports `msg` (printf-style) to sink->error, when there is one. */
void maint_sink_error(const struct maint_sink *sink, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What the tasks of a plan share besides the stack. Not owned. */
struct maint_exec {
	const struct repo *repo;
	const struct policy *policy;
	const struct rt_clean_options *copts;
	const struct maint_sink *sink;
	uint64_t now; /* seconds since the epoch: reflog ages count from it */
	uint64_t budget_left; /* of max-bytes-per-run, when the policy caps */
};

/*
 * Clean options from the policy: grace, stale-lock age and stale-lock
 * removal; every other field zero (now: the clock).
 */
void clean_options_from_policy(const struct policy *p,
			       struct rt_clean_options *o);

/*
 * "<label>: removed orphan table <name> (age 7200 s)", or "kept ...: why":
 * the line a clean reports for one file, without a newline.
 */
void maint_clean_line(char *buf, size_t len, const char *label,
		      const struct rt_clean_item *it);

struct clean_summary {
	unsigned removed, kept;
};

/*
 * Clean one stack: `sink->cleaned` (when set) hears of every file removed
 * or kept, `label` naming the stack; *sum counts them.
 */
int clean_stack(struct rt_stack *st, const char *label,
		const struct rt_clean_options *o, const struct maint_sink *sink,
		struct clean_summary *sum, struct rt_err *err);

/*
 * The tasks of a plan on stack `where` (open as `st`, just reloaded):
 * each fills `t`. A compaction item with `with_expiry` does the expiry
 * too and fills `expire` as well; one within the budget takes its bytes
 * off x->budget_left.
 */
void maint_clean_task(struct maint_exec *x, const struct repo_stack *where,
		      struct rt_stack *st, struct maint_task_result *t);
void maint_expire_task(struct maint_exec *x, const struct repo_stack *where,
		       struct maint_task_result *t);
void maint_compact_task(struct maint_exec *x, const struct repo_stack *where,
			struct rt_stack *st, const struct sched_item *it,
			struct maint_task_result *t,
			struct maint_task_result *expire);

/*
 * "compacted tables 3-5 (3 tables, 900 bytes) into 700 bytes; 3 tables
 * now", and "; tables.list.lock held 1.2 ms at most" when lock_ms >= 0.
 */
void maint_describe_compaction(char *buf, size_t len,
			       const struct rt_compact_result *res,
			       double lock_ms);

/*
 * The `compact` command's choice on the stack as it is now: the segment
 * Git's geometric rule asks for (the stack's geometric_factor), or with
 * `all` the whole stack. False when there is nothing to compact.
 */
bool maint_compact_choose(const struct rt_stack *st, bool all, size_t *first,
			  size_t *last);
/*
 * Compact what maint_compact_choose() picks, as `compact` does: the
 * geometric segment best effort (the newer tables it could lock, as Git
 * does), the whole stack all or nothing. 0 when compacted, 1 when there
 * was nothing to compact, or a negative rt_error (RT_ERR_LOCK: busy).
 * `sink` (may be NULL) hears of the progress. With `reuse` false every
 * block is encoded again (see rt_compact_options.no_reuse).
 */
int maint_compact_stack(struct rt_stack *st, bool all, bool reuse,
			const struct maint_sink *sink,
			struct rt_compact_result *res, struct rt_err *err);

/*
 * Picks the tables [*first, *last] to compact on the stack as it is now;
 * false when there is nothing to compact.
 */
typedef bool (*compact_choose_fn)(const struct rt_stack *st, void *arg,
				  size_t *first, size_t *last);

/*
 * Compact what `choose` picks. When a concurrent writer changed the stack
 * (RT_ERR_OUTDATED), reload, choose again and retry, a few times. Returns
 * 0 when compacted, 1 when `choose` found nothing, or a negative
 * rt_error (RT_ERR_LOCK: busy, nothing changed).
 */
int compact_retrying(struct rt_stack *st, compact_choose_fn choose, void *arg,
		     const struct rt_compact_options *opts,
		     struct rt_compact_result *res, struct rt_err *err);

#endif
