/*
 * Unit tests of per-ref resolution (overlapping patterns, Git's rule for
 * refs/stash, [reflog] protect patterns) and of the Git-config fallback
 * (gc.reflogExpire..., gc.<pattern>.reflogExpire... with Git's first-match
 * semantics, reftable.geometricFactor), each value with its source.
 */
#include "policy_testutil.h"

/* ---- 1. defaults ------------------------------------------------------ */

static void test_default_resolution(void **state)
{
	struct policy p;
	struct policy_resolved r;
	(void)state;

	policy_init(&p);
	policy_resolve(&p, "refs/heads/main", &r);
	check_dur(&r.expire, false, 90 * DAY, "expire");
	check_dur(&r.expire_unreachable, false, 30 * DAY, "unreachable");
	assert_int_equal(r.max_entries, 0);
	assert_false(r.protect);
	check_src(src_str(&r.src_expire), "default", "expire");
	check_src(src_str(&r.src_expire_unreachable), "default", "unreachable");
	check_src(src_str(&r.src_max_entries), "default", "max-entries");
	check_src(src_str(&r.src_protect), "default", "protect");

	/* Git: an unconfigured refs/stash never expires. */
	policy_resolve(&p, "refs/stash", &r);
	check_dur(&r.expire, true, 0, "stash expire");
	check_dur(&r.expire_unreachable, true, 0, "stash unreachable");
	check_src(src_str(&r.src_expire), "default", "stash expire");
	check_src(src_str(&r.src_expire_unreachable), "default",
		  "stash expire_unreachable");
	policy_release(&p);
}
/* ---- 2. per-ref resolution -------------------------------------------- */

static const char resolve_policy[] =
	"[reflog]\n" /* 1 */
	"expire = 60 days\n" /* 2 */
	"expire-unreachable = 20 days\n" /* 3 */
	"max-entries = 1000\n" /* 4 */
	"protect = refs/tags/*\n" /* 5 */
	"protect = refs/heads/wip/keep\n" /* 6 */
	"[reflog \"refs/remotes/*\"]\n" /* 7 */
	"expire = 14 days\n" /* 8 */
	"expire-unreachable = 7 days\n" /* 9 */
	"max-entries = 50\n" /* 10 */
	"[reflog \"refs/remotes/origin/*\"]\n" /* 11 */
	"expire = 3 days\n" /* 12 */
	"[reflog \"refs/heads/*\"]\n" /* 13 */
	"protect = true\n" /* 14 */
	"[reflog \"refs/heads/wip/*\"]\n" /* 15 */
	"protect = false\n" /* 16 */
	"expire-unreachable = 1 day\n" /* 17 */
	"[reflog \"refs/heads/wip/tmp*\"]\n" /* 18 */
	"max-entries = 5\n"; /* 19 */

struct want_res {
	const char *ref;
	bool e_never;
	uint64_t e;
	const char *e_src;
	bool u_never;
	uint64_t u;
	const char *u_src;
	uint64_t max;
	const char *max_src;
	bool protect;
	const char *protect_src;
};

static void check_resolved(const struct policy *p, const struct want_res *w)
{
	struct policy_resolved r;
	char what[200];

	memset(&r, 0xa5, sizeof(r));
	policy_resolve(p, w->ref, &r);
	snprintf(what, sizeof(what), "%s expire", w->ref);
	check_dur(&r.expire, w->e_never, w->e, what);
	if (w->e_src)
		check_src(src_str(&r.src_expire), w->e_src, what);
	snprintf(what, sizeof(what), "%s expire-unreachable", w->ref);
	check_dur(&r.expire_unreachable, w->u_never, w->u, what);
	if (w->u_src)
		check_src(src_str(&r.src_expire_unreachable), w->u_src, what);
	snprintf(what, sizeof(what), "%s max-entries", w->ref);
	if (r.max_entries != w->max)
		fail_msg("%s: %llu, expected %llu", what,
			 (unsigned long long)r.max_entries,
			 (unsigned long long)w->max);
	if (w->max_src)
		check_src(src_str(&r.src_max_entries), w->max_src, what);
	snprintf(what, sizeof(what), "%s protect", w->ref);
	if (r.protect != w->protect)
		fail_msg("%s: %d, expected %d", what, r.protect, w->protect);
	if (w->protect_src)
		check_src(src_str(&r.src_protect), w->protect_src, what);
}

static void test_resolve_overlapping(void **state)
{
	struct policy p;
	(void)state;

	parse_ok(&p, resolve_policy);
	{
		const struct want_res want[] = {
			/* Only the [reflog] defaults apply. */
			{ "HEAD", false, 60 * DAY, at(2), false, 20 * DAY,
			  at(3), 1000, at(4), false, "default" },
			/* One rule sets everything but protect. */
			{ "refs/remotes/upstream/main", false, 14 * DAY, at(8),
			  false, 7 * DAY, at(9), 50, at(10), false, "default" },
			/*
			 * A later rule sets only expire: unreachable and
			 * max-entries stay with the earlier matching rule.
			 */
			{ "refs/remotes/origin/main", false, 3 * DAY, at(12),
			  false, 7 * DAY, at(9), 50, at(10), false, "default" },
			/* protect via a rule. */
			{ "refs/heads/main", false, 60 * DAY, at(2), false,
			  20 * DAY, at(3), 1000, at(4), true, at(14) },
			/* A later rule turns protect off again. */
			{ "refs/heads/wip/x", false, 60 * DAY, at(2), false,
			  DAY, at(17), 1000, at(4), false, at(16) },
			/*
			 * A yet later rule that says nothing of protect or
			 * unreachable leaves them to the earlier ones.
			 */
			{ "refs/heads/wip/tmp1", false, 60 * DAY, at(2), false,
			  DAY, at(17), 5, at(19), false, at(16) },
			/* [reflog] protect patterns protect, whatever rules say. */
			{ "refs/heads/wip/keep", false, 60 * DAY, at(2), false,
			  DAY, at(17), 1000, at(4), true, at(6) },
			{ "refs/tags/v1.0", false, 60 * DAY, at(2), false,
			  20 * DAY, at(3), 1000, at(4), true, at(5) },
			/* refs/stash, nothing configured: never (Git). */
			{ "refs/stash", true, 0, NULL, true, 0, NULL, 1000,
			  at(4), false, "default" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(want); i++)
			check_resolved(&p, &want[i]);
	}
	policy_release(&p);
}

/* The last match wins even when a broader pattern comes last. */
static void test_resolve_last_match_wins(void **state)
{
	static const char text[] =
		"[reflog \"refs/remotes/origin/*\"]\n" /* 1 */
		"expire = 3 days\n" /* 2 */
		"expire-unreachable = 2 days\n" /* 3 */
		"protect = true\n" /* 4 */
		"[reflog \"refs/remotes/*\"]\n" /* 5 */
		"expire = 14 days\n" /* 6 */
		"protect = false\n" /* 7 */
		"[reflog \"*\"]\n" /* 8 */
		"max-entries = 7\n"; /* 9 */
	struct policy p;
	(void)state;

	parse_ok(&p, text);
	{
		const struct want_res want[] = {
			{ "refs/remotes/origin/main", false, 14 * DAY, at(6),
			  false, 2 * DAY, at(3), 7, at(9), false, at(7) },
			{ "refs/remotes/other/main", false, 14 * DAY, at(6),
			  false, 30 * DAY, "default", 7, at(9), false, at(7) },
			{ "refs/heads/main", false, 90 * DAY, "default", false,
			  30 * DAY, "default", 7, at(9), false, "default" },
			/* `*` matches refs/stash, but sets no expiry. */
			{ "refs/stash", true, 0, NULL, true, 0, NULL, 7, at(9),
			  false, "default" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(want); i++)
			check_resolved(&p, &want[i]);
	}
	policy_release(&p);
}

static void test_resolve_stash(void **state)
{
	static const char text[] = "[reflog]\n" /* 1 */
				   "expire = 10 days\n" /* 2 */
				   "expire-unreachable = 5 days\n" /* 3 */
				   "[reflog \"refs/stash\"]\n" /* 4 */
				   "expire = 2 days\n"; /* 5 */
	static const char text2[] = "[reflog \"refs/*\"]\n" /* 1 */
				    "expire = 4 days\n" /* 2 */
				    "expire-unreachable = 3 days\n"; /* 3 */
	struct policy p;
	(void)state;

	/* [reflog] does not reach refs/stash; a rule does. */
	parse_ok(&p, text);
	{
		const struct want_res want[] = {
			{ "refs/stash", false, 2 * DAY, at(5), true, 0, NULL, 0,
			  "default", false, "default" },
			{ "refs/heads/main", false, 10 * DAY, at(2), false,
			  5 * DAY, at(3), 0, "default", false, "default" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(want); i++)
			check_resolved(&p, &want[i]);
	}
	policy_release(&p);

	parse_ok(&p, text2);
	{
		const struct want_res want = {
			"refs/stash", false,   4 * DAY,	 at(2),
			false,	      3 * DAY, at(3),	 0,
			"default",    false,   "default"
		};

		check_resolved(&p, &want);
	}
	policy_release(&p);
}

/* ---- 3. Git-config fallback ------------------------------------------- */

static void apply_ok(struct policy *p, const struct policy_kv *kv, size_t n)
{
	struct policy_errors errs = { 0 };
	int ret = policy_apply_git_config(p, kv, n, &errs);

	expect_no_errors(p, "policy_apply_git_config", ret, &errs);
}

static void test_git_fills_silent_file(void **state)
{
	static const struct policy_kv kv[] = {
		{ "core.bare", "false" },
		{ "gc.auto", "0" },
		{ "gc.pruneexpire", "2.weeks.ago" },
		{ "user.name", "A U Thor" },
		{ "gc.reflogexpire", "120.days" },
		{ "gc.reflogexpireunreachable", "never" },
		{ "reftable.geometricfactor", "4" },
	};
	struct policy p;
	struct policy_resolved r;
	(void)state;

	parse_ok(&p, "[compaction]\nmax-tables = 10\n");
	apply_ok(&p, kv, ARRAY_SIZE(kv));
	assert_int_equal(p.geometric_factor, 4);
	check_src(SRC(&p, geometric_factor),
		  "git config reftable.geometricfactor", "geometric-factor");
	check_dur(&p.expire, false, 120 * DAY, "expire");
	check_src(SRC(&p, expire), "git config gc.reflogexpire", "expire");
	check_dur(&p.expire_unreachable, true, 0, "unreachable");
	check_src(SRC(&p, expire_unreachable),
		  "git config gc.reflogexpireunreachable", "unreachable");
	/* The rest keep what the file or the defaults said. */
	assert_int_equal(p.max_tables, 10);
	check_src(SRC(&p, max_tables), at(2), "max-tables");
	check_src(SRC(&p, max_entries), "default", "max-entries");
	assert_int_equal(p.ngit_rules, 0);

	policy_resolve(&p, "refs/heads/main", &r);
	check_dur(&r.expire, false, 120 * DAY, "resolved expire");
	check_src(src_str(&r.src_expire), "git config gc.reflogexpire",
		  "resolved");
	check_dur(&r.expire_unreachable, true, 0, "resolved unreachable");
	check_src(src_str(&r.src_expire_unreachable),
		  "git config gc.reflogexpireunreachable", "resolved");
	policy_release(&p);
}

static void test_git_file_wins(void **state)
{
	static const char text[] = "[compaction]\n" /* 1 */
				   "geometric-factor = 3\n" /* 2 */
				   "[reflog]\n" /* 3 */
				   "expire = 10 days\n"; /* 4 */
	static const struct policy_kv kv[] = {
		{ "reftable.geometricfactor", "8" },
		{ "gc.reflogexpire", "1.day" },
		{ "gc.reflogexpireunreachable", "2.days" },
	};
	struct policy p;
	(void)state;

	parse_ok(&p, text);
	assert_true(FROM_FILE(&p, geometric_factor));
	assert_true(FROM_FILE(&p, expire));
	assert_false(FROM_FILE(&p, expire_unreachable));
	apply_ok(&p, kv, ARRAY_SIZE(kv));
	assert_int_equal(p.geometric_factor, 3);
	check_src(SRC(&p, geometric_factor), at(2), "geometric-factor");
	check_dur(&p.expire, false, 10 * DAY, "expire");
	check_src(SRC(&p, expire), at(4), "expire");
	check_dur(&p.expire_unreachable, false, 2 * DAY, "unreachable");
	check_src(SRC(&p, expire_unreachable),
		  "git config gc.reflogexpireunreachable", "unreachable");
	policy_release(&p);

	/* A file value equal to the default still wins. */
	parse_ok(&p, "[reflog]\nexpire-unreachable = 30 days\n"
		     "[compaction]\ngeometric-factor = 2\n");
	apply_ok(&p, kv, ARRAY_SIZE(kv));
	assert_int_equal(p.geometric_factor, 2);
	check_src(SRC(&p, geometric_factor), at(4), "geometric-factor");
	check_dur(&p.expire_unreachable, false, 30 * DAY, "unreachable");
	check_src(SRC(&p, expire_unreachable), at(2), "unreachable");
	check_dur(&p.expire, false, DAY, "expire");
	check_src(SRC(&p, expire), "git config gc.reflogexpire", "expire");
	policy_release(&p);
}

/* As in Git, a later value of the same single-valued key wins. */
static void test_git_last_value_wins(void **state)
{
	static const struct policy_kv kv[] = {
		{ "gc.reflogexpire", "10.days" },
		{ "reftable.geometricfactor", "5" },
		{ "gc.reflogexpire", "20.days" },
		{ "reftable.geometricfactor", "6" },
	};
	struct policy p;
	(void)state;

	policy_init(&p);
	apply_ok(&p, kv, ARRAY_SIZE(kv));
	check_dur(&p.expire, false, 20 * DAY, "expire");
	check_src(SRC(&p, expire), "git config gc.reflogexpire", "expire");
	assert_int_equal(p.geometric_factor, 6);
	policy_release(&p);
}

static void test_git_pattern_entries(void **state)
{
	static const struct policy_kv kv[] = {
		{ "gc.refs/remotes/*.reflogexpire", "7.days" },
		{ "gc.refs/remotes/origin/*.reflogexpire", "1.day" },
		{ "gc.refs/remotes/origin/*.reflogexpireunreachable",
		  "2.days" },
		{ "gc.refs/heads/topic/*.reflogexpireunreachable", "3.days" },
		{ "gc.refs/stash.reflogexpire", "10.days" },
		{ "gc.Refs/Tags/*.reflogexpire", "5.days" },
		/* The pattern runs to the last dot. */
		{ "gc.refs/heads/v1.0/*.reflogexpire", "6.days" },
		/* Not ours: other names, subsections where none belong. */
		{ "gc.refs/heads/*.pruneexpire", "now" },
		{ "gc.reflogexpire.extra", "zz" },
		{ "reftable.x.geometricfactor", "9" },
		{ "core.reflogexpire", "zz" },
	};
	struct policy p;
	(void)state;

	parse_ok(&p, "[reflog]\nexpire = 50 days\nexpire-unreachable = "
		     "40 days\nmax-entries = 3\n");
	apply_ok(&p, kv, ARRAY_SIZE(kv));
	assert_int_equal(p.ngit_rules, 6);
	assert_string_equal(p.git_rules[0].pattern, "refs/remotes/*");
	assert_string_equal(p.git_rules[1].pattern, "refs/remotes/origin/*");
	assert_string_equal(p.git_rules[2].pattern, "refs/heads/topic/*");
	assert_string_equal(p.git_rules[3].pattern, "refs/stash");
	assert_string_equal(p.git_rules[4].pattern, "Refs/Tags/*");
	assert_string_equal(p.git_rules[5].pattern, "refs/heads/v1.0/*");
	assert_int_equal(p.geometric_factor, 2);
	check_dur(&p.expire, false, 50 * DAY, "expire");
	assert_true(HAS(&p.git_rules[1], expire) &&
		    HAS(&p.git_rules[1], expire_unreachable));
	{
		const struct want_res want[] = {
			/*
			 * First match in config order wins, both values from
			 * it: the entry sets only reflogexpire, so
			 * unreachable is never (Git).
			 */
			{ "refs/remotes/origin/main", false, 7 * DAY,
			  "git config gc.refs/remotes/*.reflogexpire", true, 0,
			  NULL, 3, at(4), false, "default" },
			{ "refs/remotes/x/y", false, 7 * DAY,
			  "git config gc.refs/remotes/*.reflogexpire", true, 0,
			  NULL, 3, at(4), false, "default" },
			/* Only unreachable set: expire is never. */
			{ "refs/heads/topic/a", true, 0, NULL, false, 3 * DAY,
			  "git config gc.refs/heads/topic/*."
			  "reflogexpireunreachable",
			  3, at(4), false, "default" },
			{ "refs/stash", false, 10 * DAY,
			  "git config gc.refs/stash.reflogexpire", true, 0,
			  NULL, 3, at(4), false, "default" },
			/* Unmatched: the file's [reflog]. */
			{ "refs/heads/main", false, 50 * DAY, at(2), false,
			  40 * DAY, at(3), 3, at(4), false, "default" },
			/* The pattern is case-sensitive. */
			{ "refs/tags/v1", false, 50 * DAY, at(2), false,
			  40 * DAY, at(3), 3, at(4), false, "default" },
			{ "Refs/Tags/v1", false, 5 * DAY,
			  "git config gc.Refs/Tags/*.reflogexpire", true, 0,
			  NULL, 3, at(4), false, "default" },
			{ "refs/heads/v1.0/fix", false, 6 * DAY,
			  "git config gc.refs/heads/v1.0/*.reflogexpire", true,
			  0, NULL, 3, at(4), false, "default" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(want); i++)
			check_resolved(&p, &want[i]);
	}
	policy_release(&p);
}

static void test_git_pattern_order(void **state)
{
	static const struct policy_kv kv[] = {
		{ "gc.refs/remotes/origin/*.reflogexpire", "1.day" },
		{ "gc.refs/remotes/*.reflogexpire", "7.days" },
		{ "gc.refs/remotes/origin/*.reflogexpireunreachable",
		  "2.days" },
		{ "gc.refs/remotes/*.reflogexpireunreachable", "8.days" },
	};
	struct policy p;
	(void)state;

	policy_init(&p);
	apply_ok(&p, kv, ARRAY_SIZE(kv));
	assert_int_equal(p.ngit_rules, 2);
	{
		const struct want_res want[] = {
			{ "refs/remotes/origin/main", false, DAY,
			  "git config gc.refs/remotes/origin/*.reflogexpire",
			  false, 2 * DAY,
			  "git config gc.refs/remotes/origin/*."
			  "reflogexpireunreachable",
			  0, "default", false, "default" },
			{ "refs/remotes/up/main", false, 7 * DAY,
			  "git config gc.refs/remotes/*.reflogexpire", false,
			  8 * DAY,
			  "git config gc.refs/remotes/*."
			  "reflogexpireunreachable",
			  0, "default", false, "default" },
			{ "refs/heads/main", false, 90 * DAY, "default", false,
			  30 * DAY, "default", 0, "default", false, "default" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(want); i++)
			check_resolved(&p, &want[i]);
	}
	policy_release(&p);
}

/* A policy rule overrides a Git entry for the values it sets. */
static void test_git_pattern_vs_policy_rule(void **state)
{
	static const char text[] = "[reflog]\n" /* 1 */
				   "expire = 100 days\n" /* 2 */
				   "[reflog \"refs/remotes/*\"]\n" /* 3 */
				   "expire = 30 days\n" /* 4 */
				   "[reflog \"refs/heads/*\"]\n" /* 5 */
				   "expire-unreachable = 6 days\n"; /* 6 */
	static const struct policy_kv kv[] = {
		{ "gc.refs/remotes/*.reflogexpire", "7.days" },
		{ "gc.refs/remotes/*.reflogexpireunreachable", "3.days" },
		{ "gc.refs/heads/*.reflogexpire", "2.days" },
		{ "gc.refs/tags/*.reflogexpire", "9.days" },
	};
	struct policy p;
	(void)state;

	parse_ok(&p, text);
	apply_ok(&p, kv, ARRAY_SIZE(kv));
	{
		const struct want_res want[] = {
			{ "refs/remotes/a/b", false, 30 * DAY, at(4), false,
			  3 * DAY,
			  "git config gc.refs/remotes/*."
			  "reflogexpireunreachable",
			  0, "default", false, "default" },
			{ "refs/heads/main", false, 2 * DAY,
			  "git config gc.refs/heads/*.reflogexpire", false,
			  6 * DAY, at(6), 0, "default", false, "default" },
			/* A Git entry beats [reflog] for the refs it names. */
			{ "refs/tags/v1", false, 9 * DAY,
			  "git config gc.refs/tags/*.reflogexpire", true, 0,
			  NULL, 0, "default", false, "default" },
			{ "HEAD", false, 100 * DAY, at(2), false, 30 * DAY,
			  "default", 0, "default", false, "default" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(want); i++)
			check_resolved(&p, &want[i]);
	}
	policy_release(&p);
}

static void test_git_bad_values(void **state)
{
	static const struct policy_kv kv[] = {
		{ "gc.reflogexpire", "soon" },
		{ "core.bare", "false" },
		{ "reftable.geometricfactor", "1" },
		{ "gc.refs/remotes/*.reflogexpireunreachable", "bogus" },
		{ "gc.reflogexpireunreachable", "" },
	};
	static const struct {
		const char *prefix, *sub;
	} want[] = {
		{ "git config gc.reflogexpire: bad value 'soon';",
		  "'90 days'" },
		{ "git config reftable.geometricfactor: bad value '1';",
		  "from 2 to 255" },
		{ "git config gc.refs/remotes/*.reflogexpireunreachable: "
		  "bad value 'bogus';",
		  "'90 days'" },
		{ "git config gc.reflogexpireunreachable: bad value '';",
		  NULL },
	};
	struct policy_errors errs = { 0 };
	struct policy p;
	int ret;
	(void)state;

	policy_init(&p);
	ret = policy_apply_git_config(&p, kv, ARRAY_SIZE(kv), &errs);
	for (size_t i = 0; i < errs.n; i++)
		print_message("# %s\n", errs.msg[i]);
	assert_int_equal(ret, ARRAY_SIZE(want));
	assert_int_equal(errs.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		if (strncmp(errs.msg[i], want[i].prefix,
			    strlen(want[i].prefix)))
			fail_msg("error %zu: '%s', expected to start '%s'", i,
				 errs.msg[i], want[i].prefix);
		if (want[i].sub && !strstr(errs.msg[i], want[i].sub))
			fail_msg("error %zu: '%s', expected '%s' in it", i,
				 errs.msg[i], want[i].sub);
	}
	policy_errors_release(&errs);
	policy_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_resolution),
		cmocka_unit_test(test_resolve_overlapping),
		cmocka_unit_test(test_resolve_last_match_wins),
		cmocka_unit_test(test_resolve_stash),
		cmocka_unit_test(test_git_fills_silent_file),
		cmocka_unit_test(test_git_file_wins),
		cmocka_unit_test(test_git_last_value_wins),
		cmocka_unit_test(test_git_pattern_entries),
		cmocka_unit_test(test_git_pattern_order),
		cmocka_unit_test(test_git_pattern_vs_policy_rule),
		cmocka_unit_test(test_git_bad_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
