/*
 * Unit tests of scheduler/: the planner on a table of scenarios (each with
 * the plan and the key content of every reason) and the budget fitting
 * (the hook's decisions: test_sched_hook.c; the state file: test_state.c;
 * the run lock: test_pidlock.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scheduler/plan.h"
#include "testutil.h"

#include "planner_fixture.h"

/* ---- the scenarios ---------------------------------------------------- */

static void s_fresh(struct fixture *f)
{
	TABLES(f, 0, 300);
}

static void s_empty(struct fixture *f)
{
	(void)f;
}

static void s_geometric(struct fixture *f)
{
	TABLES(f, 0, 800, 400, 200, 100);
}

static void s_long_flat(struct fixture *f)
{
	TABLES(f, 0, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100);
}

static void s_tail(struct fixture *f)
{
	TABLES(f, 0, 100000, 5000, 100, 100, 100);
}

static void s_factor3(struct fixture *f)
{
	TABLES(f, 0, 1000, 200, 100);
	f->policy.geometric_factor = 3;
}

static void s_tombstones(struct fixture *f)
{
	fixture_tombstones(f);
}

static void s_tombstones_below(struct fixture *f)
{
	TABLES(f, 0, 4000, 1000, 200);
	f->tables[0][0].refs = 70;
	f->tables[0][0].logs = 70;
	f->tables[0][2].ref_tombstones = 77; /* 77 of 257: 29.96% */
}

static void s_too_many(struct fixture *f)
{
	TABLES(f, 0, 16000, 8000, 4000, 2000, 1000);
	f->policy.max_tables = 4;
}

static void s_too_many_budget(struct fixture *f)
{
	s_too_many(f);
	f->policy.max_bytes_per_run = 3500;
}

static void s_budget_exhausted(struct fixture *f)
{
	TABLES(f, 0, 400, 300, 300);
	TABLES(f, 1, 100000, 300, 300);
	f->nstacks = 2;
	f->policy.max_bytes_per_run = 1000;
}

static void s_budget_partial(struct fixture *f)
{
	TABLES(f, 0, 100000, 5000, 400, 300, 200, 100);
	f->policy.max_bytes_per_run = 600;
}

static void s_budget_too_small(struct fixture *f)
{
	TABLES(f, 0, 100000, 5000, 400, 300, 200, 100);
	f->policy.max_bytes_per_run = 250;
}

static void s_whole_over_budget(struct fixture *f)
{
	TABLES(f, 0, 1000, 100, 100, 100);
	f->policy.max_tables = 3;
	f->policy.max_bytes_per_run = 500;
}

static void s_tombstones_over_budget(struct fixture *f)
{
	TABLES(f, 0, 4000, 1000, 200);
	f->tables[0][1].ref_tombstones = 500;
	f->policy.max_bytes_per_run = 1000;
}

static void s_orphans(struct fixture *f)
{
	TABLES(f, 0, 300);
	f->stacks[0].left.orphans = 2;
	f->stacks[0].left.temp_files = 1;
}

static void s_orphans_young(struct fixture *f)
{
	TABLES(f, 0, 300);
	f->stacks[0].left.orphans_young = 1;
}

static void s_stale_locks_reported(struct fixture *f)
{
	TABLES(f, 0, 300);
	f->stacks[0].left.stale_locks = 2;
}

static void s_stale_locks_removed(struct fixture *f)
{
	TABLES(f, 0, 300);
	f->stacks[0].left.stale_locks = 1;
	f->policy.remove_stale_locks = true;
}

static void s_schedule_not_due(struct fixture *f)
{
	TABLES(f, 0, 100, 100, 100);
	schedule(f, POLICY_DAILY);
	ran(f, SCHED_COMPACT, 10 * MIN, SCHED_OUTCOME_DONE);
	ran(f, SCHED_EXPIRE, 3 * HOUR, SCHED_OUTCOME_DONE);
}

static void s_schedule_due(struct fixture *f)
{
	TABLES(f, 0, 100, 100, 100);
	schedule(f, POLICY_DAILY);
	ran(f, SCHED_EXPIRE, 25 * HOUR, SCHED_OUTCOME_DONE);
}

static void s_schedule_slack(struct fixture *f)
{
	TABLES(f, 0, 100, 100);
	schedule(f, POLICY_HOURLY);
	ran(f, SCHED_COMPACT, 58 * MIN, SCHED_OUTCOME_DONE);
}

static void s_schedule_early(struct fixture *f)
{
	TABLES(f, 0, 100, 100);
	schedule(f, POLICY_HOURLY);
	ran(f, SCHED_COMPACT, 50 * MIN, SCHED_OUTCOME_FAILED);
}

static void s_schedule_busy_retry(struct fixture *f)
{
	TABLES(f, 0, 100, 100);
	schedule(f, POLICY_HOURLY);
	ran(f, SCHED_COMPACT, 5 * MIN, SCHED_OUTCOME_BUSY);
}

static void s_schedule_weekly(struct fixture *f)
{
	TABLES(f, 0, 300);
	schedule(f, POLICY_WEEKLY);
	f->policy.sched_expire = POLICY_NEVER;
	f->stacks[0].left.orphans_young = 1;
	ran(f, SCHED_CLEAN, 8 * 24 * HOUR, SCHED_OUTCOME_DONE);
	ran(f, SCHED_COMPACT, 10 * MIN, SCHED_OUTCOME_DONE);
}

static void s_clock_back(struct fixture *f)
{
	TABLES(f, 0, 300);
	schedule(f, POLICY_DAILY);
	f->state.task[SCHED_EXPIRE].last_run = T0 + HOUR;
}

static void s_hook(struct fixture *f)
{
	TABLES(f, 0, 100, 100, 100);
	f->in.trigger.kind = SCHED_TRIGGER_HOOK;
	f->stacks[0].left.orphans = 3;
	f->stacks[0].expirable = 5000;
}

static void s_manual_expire(struct fixture *f)
{
	TABLES(f, 0, 100, 100, 100);
	f->in.trigger.kind = SCHED_TRIGGER_MANUAL;
	f->in.trigger.tasks = 1u << SCHED_EXPIRE;
}

static void s_manual_all(struct fixture *f)
{
	TABLES(f, 0, 800, 400);
	f->in.trigger.kind = SCHED_TRIGGER_MANUAL;
}

static void s_auto_one_task(struct fixture *f)
{
	TABLES(f, 0, 100, 100);
	f->stacks[0].left.orphans = 4;
	f->stacks[0].expirable = 1000;
	f->in.trigger.tasks = 1u << SCHED_COMPACT;
}

static void s_expiry_below(struct fixture *f)
{
	TABLES(f, 0, 300);
	f->stacks[0].expirable = 50;
}

static void s_expiry_above(struct fixture *f)
{
	TABLES(f, 0, 300);
	f->stacks[0].expirable = 150;
}

static void s_expiry_relative(struct fixture *f)
{
	TABLES(f, 0, 300);
	f->tables[0][0].logs = 5000;
	f->stacks[0].expirable = 300;
}

static void s_expiry_unknown(struct fixture *f)
{
	TABLES(f, 0, 300);
	f->stacks[0].expirable_known = false;
}

static void s_expiry_folded(struct fixture *f)
{
	s_tombstones(f);
	f->stacks[0].expirable = 5;
}

/* The geometric segment happens to be the whole stack: one rewrite too. */
static void s_expiry_folded_segment(struct fixture *f)
{
	s_long_flat(f);
	f->stacks[0].expirable = 150;
}

static void s_expiry_below_in_segment(struct fixture *f)
{
	s_long_flat(f);
	f->stacks[0].expirable = 5;
}

/* A segment short of the whole stack: expiry adds its own table. */
static void s_expiry_beside_segment(struct fixture *f)
{
	s_tail(f);
	f->stacks[0].expirable = 150;
}

static void s_keeps_all(struct fixture *f)
{
	TABLES(f, 0, 300);
	f->in.trigger.kind = SCHED_TRIGGER_MANUAL;
	f->policy.expire.never = true;
	f->policy.expire_unreachable.never = true;
}

struct expect {
	bool due;
	const char *sub[3]; /* each must appear in the reason */
};

struct scenario {
	const char *name;
	void (*setup)(struct fixture *f);
	size_t stack; /* which stack's plan is checked */
	struct expect clean, expire, compact;
	enum sched_compact_mode mode;
	size_t first, last;
	bool with_expiry;
};

/* Scenarios leave out what they do not check (zero: skipped, no mode). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct scenario scenarios[] = {
	{ "fresh stack",
	  s_fresh,
	  0,
	  { false, { "nothing to clean" } },
	  { false,
	    { "about 0 reflog entries are past expiry",
	      "below the threshold 100" } },
	  { false, { "nothing to compact: 1 table" } } },
	{ "empty stack",
	  s_empty,
	  0,
	  { false, { "nothing to clean" } },
	  { false, { "about 0 reflog" } },
	  { false, { "nothing to compact: 0 tables" } } },
	{ "geometric stack",
	  s_geometric,
	  0,
	  { false, { "nothing to clean" } },
	  { false, { "below the threshold" } },
	  { false, { "geometric sequence holds (4 tables)" } } },
	{ "long non-geometric stack",
	  s_long_flat,
	  0,
	  { false, { "nothing to clean" } },
	  { false, { "below the threshold" } },
	  { true,
	    { "geometric rule violated: table 9 (100 bytes) < 2 x table 10 "
	      "(100 bytes)",
	      "compacting tables 1-10 (10 tables, 1000 bytes)" } },
	  SCHED_COMPACT_SEGMENT,
	  0,
	  9 },
	{ "only the newest tables break the rule",
	  s_tail,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { true,
	    { "table 4 (100 bytes) < 2 x table 5 (100 bytes)",
	      "compacting tables 3-5 (3 tables, 300 bytes)" } },
	  SCHED_COMPACT_SEGMENT,
	  2,
	  4 },
	{ "geometric-factor from the policy",
	  s_factor3,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { true, { "table 2 (200 bytes) < 3 x table 3 (100 bytes)" } },
	  SCHED_COMPACT_SEGMENT,
	  1,
	  2 },
	{ "tombstone-heavy stack",
	  s_tombstones,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { true,
	    { "deletion records are 50% of all records (100 of 200)",
	      "above tombstone-ratio 0.3", "whole stack (3 tables, 5200 bytes)" } },
	  SCHED_COMPACT_ALL,
	  0,
	  2 },
	{ "tombstones below the ratio",
	  s_tombstones_below,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { false, { "geometric sequence holds (3 tables)" } } },
	{ "too many tables",
	  s_too_many,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { true,
	    { "5 tables exceed max-tables 4",
	      "whole stack (5 tables, 31000 bytes)" } },
	  SCHED_COMPACT_ALL,
	  0,
	  4 },
	{ "too many tables, budget: the newest that fit",
	  s_too_many_budget,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { true,
	    { "5 tables exceed max-tables 4, but the whole stack (31000 bytes) "
	      "exceeds the budget left (3500 bytes)",
	      "compacting tables 4-5 (2 tables, 3000 bytes) now" } },
	  SCHED_COMPACT_SEGMENT,
	  3,
	  4 },
	{ "budget spent on the first stack",
	  s_budget_exhausted,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { true, { "compacting tables 1-3 (3 tables, 1000 bytes)" } },
	  SCHED_COMPACT_SEGMENT,
	  0,
	  2 },
	{ "budget exhausted for the second stack",
	  s_budget_exhausted,
	  1,
	  { false, { 0 } },
	  { false, { 0 } },
	  { false,
	    { "table 2 (300 bytes) < 2 x table 3 (300 bytes)",
	      "budget exhausted: earlier stacks used all of "
	      "max-bytes-per-run (1000 bytes)" } } },
	{ "budget fits part of the segment",
	  s_budget_partial,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { true,
	    { "tables 3-5 (900 bytes) exceed the budget left (600 bytes)",
	      "compacting tables 4-5 (2 tables, 500 bytes) now, the rest in "
	      "later runs" } },
	  SCHED_COMPACT_SEGMENT,
	  3,
	  4 },
	{ "budget smaller than any two tables",
	  s_budget_too_small,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { false,
	    { "geometric rule violated", "exceed the budget left (250 bytes)",
	      "no two of its tables fit" } } },
	{ "whole stack over budget: geometric part",
	  s_whole_over_budget,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { true,
	    { "4 tables exceed max-tables 3",
	      "the whole stack (1300 bytes) exceeds the budget left (500 bytes)",
	      "compacting tables 2-4 (3 tables, 300 bytes) now" } },
	  SCHED_COMPACT_SEGMENT,
	  1,
	  3 },
	{ "tombstones over budget",
	  s_tombstones_over_budget,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { false,
	    { "above tombstone-ratio", "exceeds the budget left (1000 bytes)",
	      "nothing that helps fits" } } },
	{ "orphans present",
	  s_orphans,
	  0,
	  { true, { "2 orphan tables, 1 temp file" } },
	  { false, { 0 } },
	  { false, { 0 } } },
	{ "only young orphans",
	  s_orphans_young,
	  0,
	  { false,
	    { "1 file within the grace period or locked",
	      "nothing to remove yet" } },
	  { false, { 0 } },
	  { false, { 0 } } },
	{ "stale locks, reported only",
	  s_stale_locks_reported,
	  0,
	  { false,
	    { "2 stale locks (only reported: [orphans] remove-stale-locks "
	      "is false)",
	      "nothing to remove yet" } },
	  { false, { 0 } },
	  { false, { 0 } } },
	{ "stale locks, removed",
	  s_stale_locks_removed,
	  0,
	  { true, { "1 stale lock" } },
	  { false, { 0 } },
	  { false, { 0 } } },
	{ "schedule not yet due",
	  s_schedule_not_due,
	  0,
	  { false, { "schedule daily: [schedule] clean is weekly" } },
	  { false,
	    { "schedule daily: last ran 3 h ago", "not yet due (every 24 h)" } },
	  { false,
	    { "schedule hourly: last ran 10 min ago",
	      "not yet due (every 60 min)" } } },
	{ "schedule due",
	  s_schedule_due,
	  0,
	  { false, { "[schedule] clean is weekly" } },
	  { true, { "schedule daily: last ran 25 h ago" } },
	  { true,
	    { "schedule hourly: never ran; geometric rule violated",
	      "compacting tables 1-3",
	      "dropping expired reflog entries on the way" } },
	  SCHED_COMPACT_SEGMENT,
	  0,
	  2,
	  /* The segment is the whole stack: expiry is folded in. */
	  true },
	{ "schedule due within the slack",
	  s_schedule_slack,
	  0,
	  { false, { "clean is weekly" } },
	  { false, { "[schedule] expire is daily" } },
	  { true, { "schedule hourly: last ran 58 min ago" } },
	  SCHED_COMPACT_SEGMENT,
	  0,
	  1 },
	{ "schedule early, after a failure",
	  s_schedule_early,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { false, { "last ran 50 min ago, not yet due" } } },
	{ "schedule retries a busy run",
	  s_schedule_busy_retry,
	  0,
	  { false, { 0 } },
	  { false, { 0 } },
	  { true, { "last run 5 min ago was busy; retrying" } },
	  SCHED_COMPACT_SEGMENT,
	  0,
	  1 },
	{ "weekly run: clean due, expire never",
	  s_schedule_weekly,
	  0,
	  { true,
	    { "schedule weekly: last ran 8 d ago",
	      "1 file within the grace period" } },
	  { false, { "schedule weekly: [schedule] expire is never" } },
	  { false, { "schedule hourly: last ran 10 min ago" } } },
	{ "last run in the future",
	  s_clock_back,
	  0,
	  { false, { 0 } },
	  { true, { "last run is in the future" } },
	  { false, { "schedule hourly: never ran; nothing to compact" } } },
	{ "hook trigger",
	  s_hook,
	  0,
	  { false, { "hooks only compact" } },
	  { false, { "hooks only compact" } },
	  { true, { "geometric rule violated" } },
	  SCHED_COMPACT_SEGMENT,
	  0,
	  2 },
	{ "manual --task=expire",
	  s_manual_expire,
	  0,
	  { false, { "not requested (--task)" } },
	  { true, { "requested" } },
	  { false, { "not requested (--task)" } } },
	{ "manual run of every task",
	  s_manual_all,
	  0,
	  { true, { "requested: nothing seen" } },
	  { true, { "requested" } },
	  { false,
	    { "requested; nothing to compact: geometric sequence "
	      "holds (2 tables)" } } },
	{ "--auto --task=compact",
	  s_auto_one_task,
	  0,
	  { false, { "not requested (--task)" } },
	  { false, { "not requested (--task)" } },
	  { true, { "geometric rule violated" } },
	  SCHED_COMPACT_SEGMENT,
	  0,
	  1 },
	{ "expiry estimate below the threshold",
	  s_expiry_below,
	  0,
	  { false, { 0 } },
	  { false,
	    { "about 50 reflog entries are past expiry",
	      "below the threshold 100" } },
	  { false, { 0 } } },
	{ "expiry estimate above the threshold",
	  s_expiry_above,
	  0,
	  { false, { 0 } },
	  { true, { "about 150 reflog entries", "(threshold 100)" } },
	  { false, { 0 } } },
	{ "expiry threshold grows with the reflogs",
	  s_expiry_relative,
	  0,
	  { false, { 0 } },
	  { false, { "about 300 reflog entries", "below the threshold 500" } },
	  { false, { 0 } } },
	{ "no expiry estimate",
	  s_expiry_unknown,
	  0,
	  { false, { 0 } },
	  { false, { "no estimate" } },
	  { false, { 0 } } },
	{ "expiry folded into the whole-stack compaction",
	  s_expiry_folded,
	  0,
	  { false, { 0 } },
	  { true,
	    { "about 5 reflog entries", "below the threshold 100 but free",
	      "the whole-stack compaction drops the expired entries" } },
	  { true,
	    { "above tombstone-ratio", "whole stack",
	      "dropping expired reflog entries on the way" } },
	  SCHED_COMPACT_ALL,
	  0,
	  2,
	  true },
	{ "expiry folded into a geometric segment of the whole stack",
	  s_expiry_folded_segment,
	  0,
	  { false, { 0 } },
	  { true, { "about 150 reflog entries", "(threshold 100)" } },
	  { true,
	    { "geometric rule violated",
	      "compacting tables 1-10 (10 tables, 1000 bytes)",
	      "dropping expired reflog entries on the way" } },
	  SCHED_COMPACT_SEGMENT,
	  0,
	  9,
	  true },
	{ "expiry below the threshold is not forced into a segment",
	  s_expiry_below_in_segment,
	  0,
	  { false, { 0 } },
	  { false,
	    { "about 5 reflog entries", "below the threshold 100" } },
	  { true, { "compacting tables 1-10 (10 tables, 1000 bytes)" } },
	  SCHED_COMPACT_SEGMENT,
	  0,
	  9,
	  false },
	{ "expiry beside a segment of part of the stack",
	  s_expiry_beside_segment,
	  0,
	  { false, { 0 } },
	  { true, { "about 150 reflog entries", "(threshold 100)" } },
	  { true, { "compacting tables 3-5 (3 tables, 300 bytes)" } },
	  SCHED_COMPACT_SEGMENT,
	  2,
	  4,
	  false },
	{ "the policy keeps every entry",
	  s_keeps_all,
	  0,
	  { true, { "requested" } },
	  { false, { "the policy keeps every reflog entry" } },
	  { false, { "requested; nothing to compact: 1 table" } } },
};

static void check_item(const struct scenario *sc, const struct sched_item *it,
		       const struct expect *want)
{
	const char *task = sched_task_name(it->task);

	if (it->due != want->due)
		fail_msg("%s: %s: %s, expected %s; reason: %s", sc->name, task,
			 it->due ? "due" : "skipped",
			 want->due ? "due" : "skipped", it->reason);
	if (!it->reason[0])
		fail_msg("%s: %s: no reason given", sc->name, task);
	for (size_t k = 0; k < ARRAY_SIZE(want->sub) && want->sub[k]; k++)
		if (!strstr(it->reason, want->sub[k]))
			fail_msg("%s: %s: reason '%s' lacks '%s'", sc->name,
				 task, it->reason, want->sub[k]);
}

static void test_scenarios(void **state)
{
	(void)state;
	assert_true(ARRAY_SIZE(scenarios) >= 20);
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++) {
		const struct scenario *sc = &scenarios[i];
		struct sched_plan plans[2];
		const struct sched_plan *p;
		struct fixture f;

		fixture_init(&f);
		sc->setup(&f);
		sched_plan(&f.in, f.stacks, f.nstacks, plans);
		p = &plans[sc->stack];
		if (getenv("RT_VERBOSE"))
			for (size_t k = 0; k < SCHED_NTASKS; k++)
				print_message("# %s: %s: %s: %s\n", sc->name,
					      sched_task_name(p->items[k].task),
					      p->items[k].due ? "due" : "skip",
					      p->items[k].reason);
		/* The order is fixed: clean, expire, compact. */
		assert_int_equal(p->items[0].task, SCHED_CLEAN);
		assert_int_equal(p->items[1].task, SCHED_EXPIRE);
		assert_int_equal(p->items[2].task, SCHED_COMPACT);
		check_item(sc, &p->items[0], &sc->clean);
		check_item(sc, &p->items[1], &sc->expire);
		check_item(sc, &p->items[2], &sc->compact);
		if (p->any_due !=
		    (sc->clean.due || sc->expire.due || sc->compact.due))
			fail_msg("%s: any_due is wrong", sc->name);
		policy_release(&f.policy);
		if (!sc->compact.due) {
			if (p->items[2].mode != SCHED_COMPACT_NONE)
				fail_msg("%s: skipped but has a mode",
					 sc->name);
			continue;
		}
		if (p->items[2].mode != sc->mode ||
		    p->items[2].first != sc->first ||
		    p->items[2].last != sc->last)
			fail_msg("%s: compaction mode %d tables %zu-%zu, "
				 "expected mode %d tables %zu-%zu",
				 sc->name, p->items[2].mode, p->items[2].first,
				 p->items[2].last, sc->mode, sc->first,
				 sc->last);
		if (p->items[1].with_expiry != sc->with_expiry ||
		    p->items[2].with_expiry != sc->with_expiry)
			fail_msg("%s: with_expiry is wrong", sc->name);
	}
}

/* The budget is spent across stacks in order and never overspent. */
static void test_budget_spent_in_order(void **state)
{
	struct sched_plan plans[2];
	struct fixture f;
	(void)state;

	fixture_init(&f);
	TABLES(&f, 0, 100000, 300, 300);
	TABLES(&f, 1, 400, 200, 150);
	f.nstacks = 2;
	f.policy.max_bytes_per_run = 1000;
	sched_plan(&f.in, f.stacks, 2, plans);
	assert_true(plans[0].items[2].due);
	assert_int_equal(plans[0].items[2].bytes, 600);
	/* 400 left: of the second stack's segment (750 bytes), the newest two. */
	assert_true(plans[1].items[2].due);
	assert_int_equal(plans[1].items[2].first, 1);
	assert_int_equal(plans[1].items[2].last, 2);
	assert_int_equal(plans[1].items[2].bytes, 350);
	assert_non_null(strstr(plans[1].items[2].reason,
			       "exceed the budget left (400 bytes)"));
}

/*
 * sched_fit_segment(): the whole segment when it fits; else the run of
 * its tables with the most tables that fits, the newest on a tie (so the
 * newest table eating the budget alone does not stop older small ones).
 */
static void test_fit_segment(void **state)
{
	static const uint64_t w[] = { 100000, 5000, 400, 300, 200, 100 };
	/* The rule weighs; the budget counts file sizes (23 more each). */
	static const uint64_t sz[] = { 100023, 5023, 423, 323, 223, 123 };
	static const uint64_t big_new[] = { 10000, 100, 100, 100, 900 };
	static const uint64_t ties[] = { 10000, 300, 300, 300, 300, 290 };
	static const struct {
		const char *what;
		const uint64_t *w, *sizes;
		size_t n;
		uint64_t budget;
		size_t k, first, last;
		uint64_t bytes;
	} cases[] = {
		{ "no cap", w, w, 6, 0, 3, 2, 4, 900 },
		{ "fits exactly", w, w, 6, 900, 3, 2, 4, 900 },
		{ "one byte short", w, w, 6, 899, 2, 3, 4, 500 },
		{ "no two fit", w, w, 6, 499, 0, 0, 0, 0 },
		{ "one table", w, w, 1, 0, 0, 0, 0, 0 },
		{ "file sizes count", w, sz, 6, 900, 2, 3, 4, 546 },
		{ "newest too big", big_new, big_new, 5, 500, 3, 1, 3, 300 },
		{ "newest too big, less", big_new, big_new, 5, 250, 2, 2, 3,
		  200 },
		{ "tie: the newest", ties, ties, 6, 600, 2, 4, 5, 590 },
		{ "tie: none fit", ties, ties, 6, 580, 0, 0, 0, 0 },
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t first = 99, last = 99, k;
		uint64_t bytes = 99;

		k = sched_fit_segment(cases[i].w, cases[i].sizes, cases[i].n, 2,
				      cases[i].budget, &first, &last, &bytes);
		if (k != cases[i].k || first != cases[i].first ||
		    last != cases[i].last || bytes != cases[i].bytes)
			fail_msg("%s: %zu tables %zu-%zu, %llu bytes; expected "
				 "%zu tables %zu-%zu, %llu bytes",
				 cases[i].what, k, first, last,
				 (unsigned long long)bytes, cases[i].k,
				 cases[i].first, cases[i].last,
				 (unsigned long long)cases[i].bytes);
	}
}

static void test_formats(void **state)
{
	char buf[32];
	(void)state;

	sched_format_bytes(1023, buf, sizeof(buf));
	assert_string_equal(buf, "1023 bytes");
	sched_format_bytes(12 * 1024 + 100, buf, sizeof(buf));
	assert_string_equal(buf, "12388 bytes");
	sched_format_bytes(1, buf, sizeof(buf));
	assert_string_equal(buf, "1 byte");
	sched_format_bytes(3ull << 30, buf, sizeof(buf));
	assert_string_equal(buf, "3221225472 bytes");
	sched_format_age(45, buf, sizeof(buf));
	assert_string_equal(buf, "45 s");
	sched_format_age(3 * HOUR, buf, sizeof(buf));
	assert_string_equal(buf, "3 h");
	sched_format_age(9 * 86400, buf, sizeof(buf));
	assert_string_equal(buf, "9 d");
}

static void test_task_names(void **state)
{
	enum sched_task t;
	(void)state;

	for (int i = 0; i < SCHED_NTASKS; i++) {
		assert_int_equal(
			sched_task_parse(sched_task_name((enum sched_task)i),
					 &t),
			0);
		assert_int_equal(t, i);
	}
	assert_int_equal(sched_task_parse("gc", &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_budget_spent_in_order),
		cmocka_unit_test(test_fit_segment),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_task_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
