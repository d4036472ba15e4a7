/*
 * snapshot.h: looking at a stack without changing it: record counts per
 * table (for `stats` and the planner), table sizes alone (for the hooks),
 * the leftovers a clean would find, and an estimate of the reflog entries
 * an expiry would drop.
 */
#ifndef PLUGIN_MAINT_SNAPSHOT_H
#define PLUGIN_MAINT_SNAPSHOT_H

#include "lib/include/rt-clean.h"
#include "lib/include/rt-stack.h"
#include "policy/policy.h"
#include "scheduler/plan.h"

/*
 * Weight, live and deletion records of each table of `st`, oldest first;
 * *out (rt_stack_table_count(st) entries) is the caller's to free. Reads
 * every ref and log block once.
 */
int snapshot_tables(struct rt_stack *st, struct sched_table **out,
		    struct rt_err *err);

/*
 * Weight and size of each table tables.list in `dir` names, oldest first,
 * from stat(2) alone: no table is opened, so cheap enough for a hook on
 * every ref update. `version` is the tables' format version (1: SHA-1,
 * 2: SHA-256). Record counts stay zero (sched_stack.sizes_only). *out (*n
 * entries) is the caller's to free. RT_ERR_OUTDATED when a listed table
 * vanished: someone else is compacting.
 */
int snapshot_sizes(const char *dir, int version, struct sched_table **out,
		   size_t *n, struct rt_err *err);

/*
 * What a clean with `opts` would find, without taking tables.list.lock and
 * without changing anything (rt_stack_clean's survey).
 */
int snapshot_leftovers(struct rt_stack *st, const struct rt_clean_options *opts,
		       struct sched_leftovers *out, struct rt_err *err);

/*
 * A lower bound of the reflog entries expiry would drop at `now`: live
 * entries older than their ref's `expire` age, and those beyond its
 * max-entries, skipping protected reflogs and existence placeholders.
 * Entries that only expire-unreachable would drop are not counted: that
 * takes object access. Cost: one merged pass over the log blocks
 * (inflating them) and one policy lookup per reflog; no object access.
 */
int snapshot_expirable(struct rt_stack *st, const struct policy *p,
		       uint64_t now, uint64_t *out, struct rt_err *err);

#endif
