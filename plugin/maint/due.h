/*
 * due.h: the cheap questions asked before any maintenance starts, by the
 * reference-transaction hook on every ref update and by `fleet run
 * --auto` for every repository: is a compaction due by the policy's rules
 * over file sizes alone (no table opened), and are clean or expire due
 * for a look by their schedule and the state file.
 */
#ifndef PLUGIN_MAINT_DUE_H
#define PLUGIN_MAINT_DUE_H

#include "plugin/git/repo.h"
#include "plugin/maint/tasks.h"
#include "policy/policy.h"
#include "scheduler/plan.h"

/*
 * A stat-only snapshot of every stack of a repository and the
 * scheduler's plan for it (sched_hook_due(): the rules `run` follows for
 * compaction; deletion records are not counted).
 */
struct maint_size_plan {
	size_t n; /* the repository's stacks */
	struct sched_stack *stacks;
	struct sched_table **tables;
	struct sched_plan *plans;
	bool due; /* a compaction is due in some stack */
	/* Stacks that could not be looked at (left out of the plan). */
	size_t unreadable;
};

/*
 * Plan `repo`'s stacks by `p`; `spent`: table bytes compacted already by
 * this process (max-bytes-per-run). A stack that cannot be looked at is
 * left out and counted in `unreadable`; its error goes to `sink` (may be
 * NULL) as "<stack>: <why>", unless a listed table vanished (someone is
 * compacting right now). 0, or RT_ERR_NOMEM (`hp` then released).
 */
int maint_size_plan(const struct repo *repo, const struct policy *p,
		    uint64_t spent, const struct maint_sink *sink,
		    struct maint_size_plan *hp);
void maint_size_plan_release(struct maint_size_plan *hp);

/*
 * Whether clean or expire is due for a look (sched_hook_run_due(), from
 * the state file in the common dir; an unreadable one counts as never
 * run), with why in `items`.
 */
bool maint_look_due(const struct repo *repo, const struct policy *p,
		    struct sched_item items[SCHED_NTASKS]);

/* Whether a task's last run failed, by the state file (unreadable: no). */
bool maint_last_run_failed(const struct repo *repo);

#endif
