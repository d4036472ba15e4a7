/*
 * Unit tests of scheduler/hook.c: what the reference-transaction hook
 * decides from a stat-only snapshot (compaction; starting a run for clean
 * and expire) and the policy digests those decisions compare.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "planner_fixture.h"
#include "testutil.h"

/* ---- the hook's decision ---------------------------------------------- */

/* A stat-only snapshot, as the hook takes it: sizes, no record counts. */
static void sizes_only(struct fixture *f, size_t s)
{
	for (size_t i = 0; i < f->stacks[s].n; i++) {
		struct sched_table *t = &f->tables[s][i];

		t->refs = t->logs = t->ref_tombstones = t->log_tombstones = 0;
	}
	f->stacks[s].sizes_only = true;
	f->stacks[s].expirable_known = false;
}

/*
 * sched_hook_due() decides by the rules `run` follows: the geometric
 * rule, max-tables, the budget (less what the hook spent already); only
 * compaction, whatever else the stack would need; deletion records are
 * not counted from sizes.
 */
static void test_hook_due(void **state)
{
	struct sched_plan plans[2];
	struct fixture f;
	(void)state;

	/* Geometric: nothing due, and the reason says why. */
	fixture_init(&f);
	TABLES(&f, 0, 800, 400, 200, 100);
	sizes_only(&f, 0);
	f.stacks[0].left.orphans = 3;
	assert_false(sched_hook_due(&f.policy, 0, f.stacks, 1, plans));
	assert_false(plans[0].items[0].due);
	assert_non_null(strstr(plans[0].items[0].reason, "hooks only compact"));
	assert_false(plans[0].items[1].due);
	assert_non_null(strstr(plans[0].items[2].reason,
			       "geometric sequence holds (4 tables); deletion "
			       "records not counted (file sizes only)"));

	/* The rule broken in the second stack only: due, that segment. */
	TABLES(&f, 1, 1000, 100, 100);
	sizes_only(&f, 1);
	f.stacks[1].name = "wt";
	assert_true(sched_hook_due(&f.policy, 0, f.stacks, 2, plans));
	assert_false(plans[0].any_due);
	assert_true(plans[1].items[2].due);
	assert_int_equal(plans[1].items[2].mode, SCHED_COMPACT_SEGMENT);
	assert_int_equal(plans[1].items[2].first, 1);
	assert_int_equal(plans[1].items[2].last, 2);

	/* max-tables: the whole stack, although geometric. */
	fixture_init(&f);
	TABLES(&f, 0, 800, 400, 200, 100);
	sizes_only(&f, 0);
	f.policy.max_tables = 3;
	assert_true(sched_hook_due(&f.policy, 0, f.stacks, 1, plans));
	assert_int_equal(plans[0].items[2].mode, SCHED_COMPACT_ALL);
	assert_false(plans[0].items[2].with_expiry);

	/* Deletion records are not judged from sizes: still geometric. */
	fixture_init(&f);
	fixture_tombstones(&f);
	f.stacks[0].sizes_only = true;
	assert_false(sched_hook_due(&f.policy, 0, f.stacks, 1, plans));

	/* The budget: what fits; nothing once the hook spent it. */
	fixture_init(&f);
	TABLES(&f, 0, 100000, 5000, 400, 300, 200, 100);
	sizes_only(&f, 0);
	f.policy.max_bytes_per_run = 600;
	assert_true(sched_hook_due(&f.policy, 0, f.stacks, 1, plans));
	assert_int_equal(plans[0].items[2].first, 3);
	assert_int_equal(plans[0].items[2].last, 4);
	assert_true(sched_hook_due(&f.policy, 100, f.stacks, 1, plans));
	assert_int_equal(plans[0].items[2].bytes, 500);
	assert_false(sched_hook_due(&f.policy, 300, f.stacks, 1, plans));
	assert_non_null(
		strstr(plans[0].items[2].reason, "no two of its tables"));
	assert_false(sched_hook_due(&f.policy, 600, f.stacks, 1, plans));
	assert_non_null(strstr(plans[0].items[2].reason, "budget exhausted"));

	/* Expiry never, however much is expirable. */
	fixture_init(&f);
	TABLES(&f, 0, 300);
	f.stacks[0].expirable = 100000;
	assert_false(sched_hook_due(&f.policy, 0, f.stacks, 1, plans));
	assert_non_null(strstr(plans[0].items[1].reason, "hooks only compact"));
}

/* A state for task `t`: looked at `ago` seconds ago with policy `p`. */
static void looked(struct fixture *f, enum sched_task t, uint64_t ago)
{
	f->state.task[t].last_check = T0 - ago;
	f->state.task[t].policy = sched_policy_digest(&f->policy, t);
}

static bool reason_has(const struct sched_item *it, const char *sub)
{
	if (strstr(it->reason, sub))
		return true;
	print_message("reason '%s' lacks '%s'\n", it->reason, sub);
	return false;
}

/*
 * sched_hook_run_due(): whether the hook starts a run for clean or
 * expire, from their schedules and the state file alone.
 */
static void test_hook_run_due(void **state)
{
	struct sched_item it[SCHED_NTASKS];
	struct fixture f;
	(void)state;

	/* Nothing ever looked at either: due, both. */
	fixture_init(&f);
	assert_true(sched_hook_run_due(&f.policy, &f.state, T0, it));
	assert_true(it[SCHED_CLEAN].due && it[SCHED_EXPIRE].due);
	assert_true(
		reason_has(&it[SCHED_EXPIRE], "never ran nor was looked at"));
	assert_false(it[SCHED_COMPACT].due);
	assert_int_equal(it[SCHED_COMPACT].task, SCHED_COMPACT);

	/* Looked at within their intervals: nothing, and why. */
	looked(&f, SCHED_CLEAN, 2 * 86400);
	looked(&f, SCHED_EXPIRE, HOUR);
	assert_false(sched_hook_run_due(&f.policy, &f.state, T0, it));
	assert_true(reason_has(&it[SCHED_EXPIRE],
			       "looked at 60 min ago, not yet due (daily every "
			       "24 h)"));
	assert_true(reason_has(&it[SCHED_CLEAN], "weekly every 7 d"));

	/* The interval passed, less a twelfth as slack (2 h of a day). */
	looked(&f, SCHED_EXPIRE, 22 * HOUR - 1);
	assert_false(sched_hook_run_due(&f.policy, &f.state, T0, it));
	looked(&f, SCHED_EXPIRE, 22 * HOUR);
	assert_true(sched_hook_run_due(&f.policy, &f.state, T0, it));
	assert_true(it[SCHED_EXPIRE].due && !it[SCHED_CLEAN].due);
	assert_true(reason_has(&it[SCHED_EXPIRE], "last looked at 22 h ago"));

	/* A run since counts as a look. */
	f.state.task[SCHED_EXPIRE].last_run = T0 - HOUR;
	f.state.task[SCHED_EXPIRE].outcome = SCHED_OUTCOME_DONE;
	assert_false(sched_hook_run_due(&f.policy, &f.state, T0, it));

	/* A busy run is retried once a twelfth of the interval passed. */
	f.state.task[SCHED_EXPIRE].outcome = SCHED_OUTCOME_BUSY;
	assert_false(sched_hook_run_due(&f.policy, &f.state, T0, it));
	f.state.task[SCHED_EXPIRE].last_run = T0 - 2 * HOUR;
	assert_true(sched_hook_run_due(&f.policy, &f.state, T0, it));
	assert_true(reason_has(&it[SCHED_EXPIRE], "was busy; retrying"));

	/* The policy changed since: due at once. */
	f.state.task[SCHED_EXPIRE].outcome = SCHED_OUTCOME_DONE;
	f.state.task[SCHED_EXPIRE].last_run = T0 - HOUR;
	f.policy.expire.seconds = 30 * 86400;
	assert_true(sched_hook_run_due(&f.policy, &f.state, T0, it));
	assert_true(reason_has(&it[SCHED_EXPIRE],
			       "the policy's settings for expire changed"));
	assert_false(it[SCHED_CLEAN].due);

	/* Times in the future (the clock went back) count as never. */
	fixture_init(&f);
	looked(&f, SCHED_CLEAN, 0);
	f.state.task[SCHED_CLEAN].last_check = T0 + HOUR;
	looked(&f, SCHED_EXPIRE, HOUR);
	assert_true(sched_hook_run_due(&f.policy, &f.state, T0, it));
	assert_true(reason_has(&it[SCHED_CLEAN], "in the future"));
	assert_false(it[SCHED_EXPIRE].due);

	/* Never scheduled, or nothing the policy could expire: no run. */
	fixture_init(&f);
	f.policy.sched_clean = POLICY_NEVER;
	f.policy.expire.never = f.policy.expire_unreachable.never = true;
	assert_false(sched_hook_run_due(&f.policy, &f.state, T0, it));
	assert_true(reason_has(&it[SCHED_CLEAN], "[schedule] clean is never"));
	assert_true(reason_has(&it[SCHED_EXPIRE],
			       "the policy keeps every reflog entry"));
	f.policy.sched_expire = POLICY_NEVER;
	f.policy.expire.never = false;
	assert_false(sched_hook_run_due(&f.policy, &f.state, T0, it));
	assert_true(
		reason_has(&it[SCHED_EXPIRE], "[schedule] expire is never"));
}

/* A task's digest moves with its own settings only, and is never 0. */
static void test_policy_digest(void **state)
{
	struct policy a, b;
	struct policy_errors errs = { 0 };
	static const char rule[] =
		"[reflog \"refs/heads/*\"]\nprotect = true\n";
	(void)state;

	policy_init(&a);
	policy_init(&b);
	for (int t = 0; t < SCHED_NTASKS; t++) {
		assert_int_not_equal(sched_policy_digest(&a, t), 0);
		assert_int_equal(sched_policy_digest(&a, t),
				 sched_policy_digest(&b, t));
	}
	assert_int_not_equal(sched_policy_digest(&a, SCHED_CLEAN),
			     sched_policy_digest(&a, SCHED_EXPIRE));

	/* [compaction] is not expiry's nor clean's business. */
	b.geometric_factor = 5;
	assert_int_equal(sched_policy_digest(&a, SCHED_EXPIRE),
			 sched_policy_digest(&b, SCHED_EXPIRE));
	assert_int_equal(sched_policy_digest(&a, SCHED_CLEAN),
			 sched_policy_digest(&b, SCHED_CLEAN));
	assert_int_not_equal(sched_policy_digest(&a, SCHED_COMPACT),
			     sched_policy_digest(&b, SCHED_COMPACT));

	/* An age, a rule, grace: each moves its task's digest. */
	b.expire_unreachable.seconds++;
	assert_int_not_equal(sched_policy_digest(&a, SCHED_EXPIRE),
			     sched_policy_digest(&b, SCHED_EXPIRE));
	b.expire_unreachable = a.expire_unreachable;
	assert_int_equal(policy_parse(&b, rule, strlen(rule), "p", &errs), 0);
	assert_int_not_equal(sched_policy_digest(&a, SCHED_EXPIRE),
			     sched_policy_digest(&b, SCHED_EXPIRE));
	b.grace.seconds++;
	assert_int_not_equal(sched_policy_digest(&a, SCHED_CLEAN),
			     sched_policy_digest(&b, SCHED_CLEAN));
	policy_errors_release(&errs);
	policy_release(&a);
	policy_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_due),
		cmocka_unit_test(test_hook_run_due),
		cmocka_unit_test(test_policy_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
