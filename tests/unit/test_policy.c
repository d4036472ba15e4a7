/*
 * Unit tests of policy parsing: defaults, valid and malformed policy
 * files (every error with its file:line), each value with its source.
 * Resolution and the Git-config fallback: test_policy_resolve.c.
 */
#include "policy_testutil.h"

/* 0 if `msg` starts "<file>:<line>: " and contains every substring. */
static int msg_matches(const char *msg, const char *file, unsigned line,
		       const char *sub1, const char *sub2)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "%s:%u: ", file, line);
	if (!msg || strncmp(msg, prefix, strlen(prefix)))
		return -1;
	if (sub1 && !strstr(msg, sub1))
		return -1;
	if (sub2 && !strstr(msg, sub2))
		return -1;
	return 0;
}

static void check_all_defaults_except_nothing(const struct policy *p)
{
	assert_int_equal(p->geometric_factor, 2);
	assert_int_equal(p->max_tables, 64);
	assert_true(p->tombstone_ratio > 0.2999 && p->tombstone_ratio < 0.3001);
	assert_true(p->background);
	assert_int_equal(p->max_bytes_per_run, 0);
	check_dur(&p->expire, false, 90 * DAY, "expire");
	check_dur(&p->expire_unreachable, false, 30 * DAY,
		  "expire-unreachable");
	assert_int_equal(p->max_entries, 0);
	assert_int_equal(p->protect.n, 0);
	assert_int_equal(p->nrules, 0);
	assert_int_equal(p->ngit_rules, 0);
	check_dur(&p->grace, false, HOUR, "grace");
	check_dur(&p->stale_lock, false, HOUR, "stale-lock");
	assert_false(p->remove_stale_locks);
	assert_int_equal(p->sched_compact, POLICY_HOURLY);
	assert_int_equal(p->sched_expire, POLICY_DAILY);
	assert_int_equal(p->sched_clean, POLICY_WEEKLY);
	assert_false(FROM_FILE(p, geometric_factor));
	assert_false(FROM_FILE(p, expire));
	assert_false(FROM_FILE(p, expire_unreachable));

	check_src(SRC(p, geometric_factor), "default", "geometric-factor");
	check_src(SRC(p, max_tables), "default", "max-tables");
	check_src(SRC(p, tombstone_ratio), "default", "tombstone-ratio");
	check_src(SRC(p, background), "default", "background");
	check_src(SRC(p, max_bytes_per_run), "default", "max-bytes-per-run");
	check_src(SRC(p, expire), "default", "expire");
	check_src(SRC(p, expire_unreachable), "default", "expire-unreachable");
	check_src(SRC(p, max_entries), "default", "max-entries");
	check_src(SRC(p, grace), "default", "grace");
	check_src(SRC(p, stale_lock), "default", "stale-lock");
	check_src(SRC(p, remove_stale_locks), "default", "remove-stale-locks");
	check_src(SRC(p, sched_compact), "default", "schedule.compact");
	check_src(SRC(p, sched_expire), "default", "schedule.expire");
	check_src(SRC(p, sched_clean), "default", "schedule.clean");
}

/* ---- 1. defaults ------------------------------------------------------ */

static void test_defaults(void **state)
{
	struct policy p;
	(void)state;

	policy_init(&p);
	check_all_defaults_except_nothing(&p);
	policy_release(&p);
}

static void test_freq_names(void **state)
{
	(void)state;

	assert_string_equal(policy_freq_name(POLICY_NEVER), "never");
	assert_string_equal(policy_freq_name(POLICY_HOURLY), "hourly");
	assert_string_equal(policy_freq_name(POLICY_DAILY), "daily");
	assert_string_equal(policy_freq_name(POLICY_WEEKLY), "weekly");
}

/* ---- 2. valid policies ------------------------------------------------ */

static const char full_policy[] = "; git-reftable maintenance policy\n" /* 1 */
				  "# another comment style\n" /* 2 */
				  "\n" /* 3 */
				  "[compaction]\n" /* 4 */
				  "geometric-factor = 3\n" /* 5 */
				  "max-tables = 128\n" /* 6 */
				  "tombstone-ratio = 0.5\n" /* 7 */
				  "background = false\n" /* 8 */
				  "\n" /* 9 */
				  "[reflog]\n" /* 10 */
				  "expire = 60 days\n" /* 11 */
				  "expire-unreachable = 2.weeks\n" /* 12 */
				  "max-entries = 4294967295\n" /* 13 */
				  "protect = refs/tags/*\n" /* 14 */
				  "protect = refs/heads/main\n" /* 15 */
				  "\n" /* 16 */
				  "[reflog \"refs/remotes/*\"]\n" /* 17 */
				  "expire = 14 days\n" /* 18 */
				  "expire-unreachable = 7 days\n" /* 19 */
				  "max-entries = 100\n" /* 20 */
				  "protect = false\n" /* 21 */
				  "\n" /* 22 */
				  "[reflog \"refs/heads/wip/*\"]\n" /* 23 */
				  "expire = 12h\n" /* 24 */
				  "\n" /* 25 */
				  "[reflog \"refs/stash\"]\n" /* 26 */
				  "protect = yes\n" /* 27 */
				  "\n" /* 28 */
				  "[orphans]\n" /* 29 */
				  "grace = 2 hours\n" /* 30 */
				  "stale-lock = 30m\n" /* 31 */
				  "remove-stale-locks = true\n" /* 32 */
				  "\n" /* 33 */
				  "[schedule]\n" /* 34 */
				  "compact = daily\n" /* 35 */
				  "expire = weekly\n" /* 36 */
				  "clean = never\n"; /* 37 */

static void test_full_policy(void **state)
{
	struct policy p;
	const struct policy_rule *r;
	(void)state;

	parse_ok(&p, full_policy);

	assert_int_equal(p.geometric_factor, 3);
	check_src(SRC(&p, geometric_factor), at(5), "geometric-factor");
	assert_int_equal(p.max_tables, 128);
	check_src(SRC(&p, max_tables), at(6), "max-tables");
	assert_true(p.tombstone_ratio > 0.4999 && p.tombstone_ratio < 0.5001);
	check_src(SRC(&p, tombstone_ratio), at(7), "tombstone-ratio");
	assert_false(p.background);
	check_src(SRC(&p, background), at(8), "background");

	check_dur(&p.expire, false, 60 * DAY, "expire");
	check_src(SRC(&p, expire), at(11), "expire");
	check_dur(&p.expire_unreachable, false, 14 * DAY, "unreachable");
	check_src(SRC(&p, expire_unreachable), at(12), "unreachable");
	assert_true(p.max_entries == 4294967295ull);
	check_src(SRC(&p, max_entries), at(13), "max-entries");
	assert_true(FROM_FILE(&p, geometric_factor));
	assert_true(FROM_FILE(&p, expire));
	assert_true(FROM_FILE(&p, expire_unreachable));

	assert_int_equal(p.protect.n, 2);
	assert_string_equal(p.protect.v[0].pattern, "refs/tags/*");
	check_src(src_str(&p.protect.v[0].src), at(14), "protect[0]");
	assert_string_equal(p.protect.v[1].pattern, "refs/heads/main");
	check_src(src_str(&p.protect.v[1].src), at(15), "protect[1]");

	assert_int_equal(p.nrules, 3);
	r = &p.rules[0];
	assert_string_equal(r->pattern, "refs/remotes/*");
	assert_int_equal(r->line, 17);
	assert_true(HAS(r, expire) && HAS(r, expire_unreachable) &&
		    HAS(r, max_entries) && HAS(r, protect));
	check_dur(&r->expire, false, 14 * DAY, "rule0 expire");
	check_src(RSRC(r, expire), at(18), "rule0 expire");
	check_dur(&r->expire_unreachable, false, 7 * DAY, "rule0 unreach");
	check_src(RSRC(r, expire_unreachable), at(19), "rule0 unreach");
	assert_int_equal(r->max_entries, 100);
	check_src(RSRC(r, max_entries), at(20), "rule0 max-entries");
	assert_false(r->protect);
	check_src(RSRC(r, protect), at(21), "rule0 protect");

	r = &p.rules[1];
	assert_string_equal(r->pattern, "refs/heads/wip/*");
	assert_int_equal(r->line, 23);
	assert_true(HAS(r, expire));
	assert_false(HAS(r, expire_unreachable) || HAS(r, max_entries) ||
		     HAS(r, protect));
	check_dur(&r->expire, false, 12 * HOUR, "rule1 expire");
	check_src(RSRC(r, expire), at(24), "rule1 expire");

	r = &p.rules[2];
	assert_string_equal(r->pattern, "refs/stash");
	assert_int_equal(r->line, 26);
	assert_true(HAS(r, protect));
	assert_false(HAS(r, expire) || HAS(r, expire_unreachable) ||
		     HAS(r, max_entries));
	assert_true(r->protect);
	check_src(RSRC(r, protect), at(27), "rule2 protect");

	assert_int_equal(p.ngit_rules, 0);

	check_dur(&p.grace, false, 2 * HOUR, "grace");
	check_src(SRC(&p, grace), at(30), "grace");
	check_dur(&p.stale_lock, false, 30 * 60, "stale-lock");
	check_src(SRC(&p, stale_lock), at(31), "stale-lock");
	assert_true(p.remove_stale_locks);
	check_src(SRC(&p, remove_stale_locks), at(32), "remove-stale-locks");

	assert_int_equal(p.sched_compact, POLICY_DAILY);
	check_src(SRC(&p, sched_compact), at(35), "compact");
	assert_int_equal(p.sched_expire, POLICY_WEEKLY);
	check_src(SRC(&p, sched_expire), at(36), "schedule expire");
	assert_int_equal(p.sched_clean, POLICY_NEVER);
	check_src(SRC(&p, sched_clean), at(37), "clean");

	policy_release(&p);
}

/* The filename appears verbatim in sources and messages. */
static void test_filename_in_sources(void **state)
{
	static const char text[] = "[reflog]\nexpire = never\nbogus = 1\n";
	const char *file = "/srv/repo.git/reftable/policy";
	struct policy_errors errs = { 0 };
	struct policy p;
	(void)state;

	policy_init(&p);
	assert_int_equal(policy_parse(&p, text, strlen(text), file, &errs), 1);
	assert_int_equal(errs.n, 1);
	assert_int_equal(msg_matches(errs.msg[0], file, 3,
				     "unknown key 'bogus'", NULL),
			 0);
	check_dur(&p.expire, true, 0, "expire");
	check_src(SRC(&p, expire), "/srv/repo.git/reftable/policy:2", "expire");
	policy_errors_release(&errs);
	policy_release(&p);
}

static void test_case_insensitive_names(void **state)
{
	static const char text[] = "[COMPACTION]\n" /* 1 */
				   "Geometric-Factor = 5\n" /* 2 */
				   "[Reflog]\n" /* 3 */
				   "EXPIRE = 1 day\n" /* 4 */
				   "Protect = refs/Tags/*\n" /* 5 */
				   "[ReFlOg \"refs/Remotes/*\"]\n" /* 6 */
				   "Max-Entries = 9\n" /* 7 */
				   "PROTECT = TRUE\n" /* 8 */
				   "[Orphans]\n" /* 9 */
				   "Remove-Stale-Locks = Yes\n" /* 10 */
				   "[SCHEDULE]\n" /* 11 */
				   "Compact = weekly\n"; /* 12 */
	struct policy p;
	struct policy_resolved res;
	(void)state;

	parse_ok(&p, text);
	assert_int_equal(p.geometric_factor, 5);
	check_src(SRC(&p, geometric_factor), at(2), "geometric-factor");
	check_dur(&p.expire, false, DAY, "expire");
	check_src(SRC(&p, expire), at(4), "expire");
	assert_int_equal(p.protect.n, 1);
	assert_string_equal(p.protect.v[0].pattern, "refs/Tags/*");
	assert_int_equal(p.nrules, 1);
	/* The pattern keeps its case. */
	assert_string_equal(p.rules[0].pattern, "refs/Remotes/*");
	assert_int_equal(p.rules[0].line, 6);
	assert_true(HAS(&p.rules[0], max_entries));
	assert_int_equal(p.rules[0].max_entries, 9);
	check_src(RSRC(&p.rules[0], max_entries), at(7), "rule max-entries");
	assert_true(HAS(&p.rules[0], protect) && p.rules[0].protect);
	assert_true(p.remove_stale_locks);
	assert_int_equal(p.sched_compact, POLICY_WEEKLY);

	/* ...and is matched case-sensitively. */
	policy_resolve(&p, "refs/remotes/origin/main", &res);
	assert_int_equal(res.max_entries, 0);
	assert_false(res.protect);
	policy_resolve(&p, "refs/Remotes/origin/main", &res);
	assert_int_equal(res.max_entries, 9);
	assert_true(res.protect);
	policy_resolve(&p, "refs/tags/v1", &res);
	assert_false(res.protect);
	policy_release(&p);
}

static void test_inline_comments(void **state)
{
	static const char text[] =
		"[compaction]   ; section comment\n" /* 1 */
		"max-tables = 7 ; seven\n" /* 2 */
		"background = on\t; tab before\n" /* 3 */
		"[reflog]\n" /* 4 */
		"expire = 3 days ; three days\n" /* 5 */
		"protect = refs/tags/* ; tags\n" /* 6 */
		"; expire = 1 day\n" /* 7 */
		"# expire = 1 day\n" /* 8 */
		"expire-unreachable = never   ; keep\n" /* 9 */
		"[reflog \"refs/x/*\"] ; a rule\n" /* 10 */
		"expire = now ; all of them\n"; /* 11 */
	struct policy p;
	(void)state;

	parse_ok(&p, text);
	assert_int_equal(p.max_tables, 7);
	check_src(SRC(&p, max_tables), at(2), "max-tables");
	assert_true(p.background);
	check_src(SRC(&p, background), at(3), "background");
	check_dur(&p.expire, false, 3 * DAY, "expire");
	check_src(SRC(&p, expire), at(5), "expire");
	assert_int_equal(p.protect.n, 1);
	assert_string_equal(p.protect.v[0].pattern, "refs/tags/*");
	check_dur(&p.expire_unreachable, true, 0, "unreachable");
	check_src(SRC(&p, expire_unreachable), at(9), "unreachable");
	assert_int_equal(p.nrules, 1);
	assert_string_equal(p.rules[0].pattern, "refs/x/*");
	assert_int_equal(p.rules[0].line, 10);
	check_dur(&p.rules[0].expire, false, 0, "rule expire");
	check_src(RSRC(&p.rules[0], expire), at(11), "rule expire");
	policy_release(&p);
}

static void test_crlf(void **state)
{
	static const char text[] = "; policy\r\n" /* 1 */
				   "[compaction]\r\n" /* 2 */
				   "max-tables = 9\r\n" /* 3 */
				   "background = false\r\n" /* 4 */
				   "\r\n" /* 5 */
				   "[reflog]\r\n" /* 6 */
				   "expire = 5 days\r\n" /* 7 */
				   "protect = refs/tags/*\r\n" /* 8 */
				   "[reflog \"refs/x/*\"]\r\n" /* 9 */
				   "expire = 1 day ; c\r\n" /* 10 */
				   "[schedule]\r\n" /* 11 */
				   "clean = daily\r\n"; /* 12 */
	struct policy p;
	(void)state;

	parse_ok(&p, text);
	assert_int_equal(p.max_tables, 9);
	check_src(SRC(&p, max_tables), at(3), "max-tables");
	assert_false(p.background);
	check_dur(&p.expire, false, 5 * DAY, "expire");
	check_src(SRC(&p, expire), at(7), "expire");
	assert_int_equal(p.protect.n, 1);
	assert_string_equal(p.protect.v[0].pattern, "refs/tags/*");
	check_src(src_str(&p.protect.v[0].src), at(8), "protect");
	assert_int_equal(p.nrules, 1);
	assert_string_equal(p.rules[0].pattern, "refs/x/*");
	assert_int_equal(p.rules[0].line, 9);
	check_dur(&p.rules[0].expire, false, DAY, "rule expire");
	check_src(RSRC(&p.rules[0], expire), at(10), "rule expire");
	assert_int_equal(p.sched_clean, POLICY_DAILY);
	check_src(SRC(&p, sched_clean), at(12), "clean");
	policy_release(&p);
}

static void test_only_comments_and_empty(void **state)
{
	static const char *const texts[] = {
		"",
		"\n",
		"; nothing but comments\n# here\n\n   \n;[compaction]\n"
		"#geometric-factor = 7\n",
		"; no trailing newline",
		"\r\n; crlf comment\r\n",
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct policy p;

		parse_ok(&p, texts[i]);
		check_all_defaults_except_nothing(&p);
		policy_release(&p);
	}
}

/* Sections that say nothing, and a final line without a newline. */
static void test_empty_sections_no_final_newline(void **state)
{
	static const char text[] = "[compaction]\n[reflog]\n[orphans]\n"
				   "[schedule]\n[reflog \"refs/a\"]\n"
				   "[schedule]\nexpire = never";
	struct policy p;
	(void)state;

	parse_ok(&p, text);
	assert_int_equal(p.nrules, 1);
	assert_string_equal(p.rules[0].pattern, "refs/a");
	assert_false(HAS(&p.rules[0], expire) ||
		     HAS(&p.rules[0], expire_unreachable) ||
		     HAS(&p.rules[0], max_entries) ||
		     HAS(&p.rules[0], protect));
	assert_int_equal(p.sched_expire, POLICY_NEVER);
	check_src(SRC(&p, sched_expire), at(7), "schedule expire");
	policy_release(&p);
}

/* Only `len` bytes are policy text. */
static void test_len_is_honoured(void **state)
{
	static const char text[] = "[compaction]\nmax-tables = 12\n[bogus]\n";
	struct policy_errors errs = { 0 };
	struct policy p;
	size_t len = strlen("[compaction]\nmax-tables = 12\n");
	(void)state;

	policy_init(&p);
	assert_int_equal(policy_parse(&p, text, len, FILE_NAME, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_int_equal(p.max_tables, 12);
	policy_errors_release(&errs);
	policy_release(&p);
}

/* Range edges that must be accepted. */
static void test_value_edges(void **state)
{
	static const struct {
		const char *text;
		uint64_t gf, mt, me;
	} cases[] = {
		{ "[compaction]\ngeometric-factor = 2\nmax-tables = 1\n"
		  "[reflog]\nmax-entries = 0\n",
		  2, 1, 0 },
		{ "[compaction]\ngeometric-factor = 255\n"
		  "max-tables = 1000000\n[reflog]\nmax-entries = 4294967295\n",
		  255, 1000000, 4294967295ull },
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct policy p;

		parse_ok(&p, cases[i].text);
		assert_int_equal(p.geometric_factor, cases[i].gf);
		assert_true(p.max_tables == cases[i].mt);
		assert_true(p.max_entries == cases[i].me);
		policy_release(&p);
	}
	{
		struct policy p;

		parse_ok(&p, "[compaction]\ntombstone-ratio = 0\n");
		assert_true(p.tombstone_ratio == 0);
		policy_release(&p);
		parse_ok(&p, "[compaction]\ntombstone-ratio = 1\n");
		assert_true(p.tombstone_ratio == 1);
		policy_release(&p);
	}
}

/* The example policy of the format description, verbatim. */
static void test_documented_example(void **state)
{
	static const char text[] =
		"[compaction]\n" /* 1 */
		"geometric-factor = 2       ; whole number 2..255 (default 2; "
		"Git fallback reftable.geometricFactor)\n" /* 2 */
		"max-tables = 64            ; 1..1000000 (default 64)\n" /* 3 */
		"tombstone-ratio = 0.3      ; 0..1 (default 0.3)\n" /* 4 */
		"background = true          ; boolean (default true)\n" /* 5 */
		"[reflog]\n" /* 6 */
		"expire = 90 days           ; duration (default 90 days; Git "
		"fallback gc.reflogExpire)\n" /* 7 */
		"expire-unreachable = 30 days ; duration (default 30 days; Git "
		"fallback gc.reflogExpireUnreachable)\n" /* 8 */
		"max-entries = 0            ; 0..4294967295, 0 = no cap "
		"(default 0)\n" /* 9 */
		"protect = refs/tags/*      ; ref pattern; may repeat (each "
		"adds one)\n" /* 10 */
		"[reflog \"refs/remotes/*\"]  ; per-ref rule; keys: expire, "
		"expire-unreachable, max-entries, protect (boolean here)\n" /* 11 */
		"expire = 14 days\n" /* 12 */
		"[orphans]\n" /* 13 */
		"grace = 1 hour             ; duration (default 1 hour)\n" /* 14 */
		"stale-lock = 1 hour        ; duration (default 1 hour)\n" /* 15 */
		"remove-stale-locks = false ; boolean (default false)\n" /* 16 */
		"[schedule]\n" /* 17 */
		"compact = hourly           ; hourly|daily|weekly|never "
		"(defaults: compact hourly, expire daily, clean weekly)\n" /* 18 */
		"expire = daily\n" /* 19 */
		"clean = weekly\n"; /* 20 */
	struct policy p;
	(void)state;

	parse_ok(&p, text);
	assert_int_equal(p.geometric_factor, 2);
	check_src(SRC(&p, geometric_factor), at(2), "geometric-factor");
	assert_int_equal(p.max_tables, 64);
	check_src(SRC(&p, max_tables), at(3), "max-tables");
	assert_true(p.tombstone_ratio > 0.2999 && p.tombstone_ratio < 0.3001);
	check_src(SRC(&p, tombstone_ratio), at(4), "tombstone-ratio");
	assert_true(p.background);
	check_src(SRC(&p, background), at(5), "background");
	check_dur(&p.expire, false, 90 * DAY, "expire");
	check_src(SRC(&p, expire), at(7), "expire");
	check_dur(&p.expire_unreachable, false, 30 * DAY, "unreachable");
	check_src(SRC(&p, expire_unreachable), at(8), "unreachable");
	assert_int_equal(p.max_entries, 0);
	check_src(SRC(&p, max_entries), at(9), "max-entries");
	/* Set by the file, even to the default: Git config cannot undo it. */
	assert_true(FROM_FILE(&p, geometric_factor));
	assert_true(FROM_FILE(&p, expire));
	assert_true(FROM_FILE(&p, expire_unreachable));
	assert_int_equal(p.protect.n, 1);
	assert_string_equal(p.protect.v[0].pattern, "refs/tags/*");
	check_src(src_str(&p.protect.v[0].src), at(10), "protect");
	assert_int_equal(p.nrules, 1);
	assert_string_equal(p.rules[0].pattern, "refs/remotes/*");
	assert_int_equal(p.rules[0].line, 11);
	check_dur(&p.rules[0].expire, false, 14 * DAY, "rule expire");
	check_src(RSRC(&p.rules[0], expire), at(12), "rule expire");
	check_dur(&p.grace, false, HOUR, "grace");
	check_src(SRC(&p, grace), at(14), "grace");
	check_dur(&p.stale_lock, false, HOUR, "stale-lock");
	check_src(SRC(&p, stale_lock), at(15), "stale-lock");
	assert_false(p.remove_stale_locks);
	check_src(SRC(&p, remove_stale_locks), at(16), "remove-stale-locks");
	assert_int_equal(p.sched_compact, POLICY_HOURLY);
	check_src(SRC(&p, sched_compact), at(18), "compact");
	assert_int_equal(p.sched_expire, POLICY_DAILY);
	check_src(SRC(&p, sched_expire), at(19), "schedule expire");
	assert_int_equal(p.sched_clean, POLICY_WEEKLY);
	check_src(SRC(&p, sched_clean), at(20), "clean");
	policy_release(&p);
}

static void test_bom(void **state)
{
	static const char text[] = "\xEF\xBB\xBF[compaction]\n"
				   "max-tables = 3\n";
	struct policy p;
	(void)state;

	parse_ok(&p, text);
	assert_int_equal(p.max_tables, 3);
	check_src(SRC(&p, max_tables), at(2), "max-tables");
	policy_release(&p);
}

/* A section may appear twice; its keys still count once each. */
static void test_repeated_plain_section(void **state)
{
	static const char text[] = "[compaction]\n" /* 1 */
				   "max-tables = 5\n" /* 2 */
				   "[reflog]\n" /* 3 */
				   "protect = refs/a\n" /* 4 */
				   "[compaction]\n" /* 5 */
				   "background = false\n" /* 6 */
				   "[reflog]\n" /* 7 */
				   "protect = refs/b\n"; /* 8 */
	struct policy p;
	(void)state;

	parse_ok(&p, text);
	assert_int_equal(p.max_tables, 5);
	assert_false(p.background);
	check_src(SRC(&p, background), at(6), "background");
	assert_int_equal(p.protect.n, 2);
	assert_string_equal(p.protect.v[1].pattern, "refs/b");
	check_src(src_str(&p.protect.v[1].src), at(8), "protect[1]");
	policy_release(&p);
}

/* A comment is a comment however long it is. */
static void test_long_comment_line(void **state)
{
	char text[1500];
	char filler[1001];
	struct policy p;
	(void)state;

	memset(filler, 'x', sizeof(filler) - 1);
	filler[sizeof(filler) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "; %s\n" /* 1 */
		 "[compaction]\n" /* 2 */
		 "# %.300s\n" /* 3 */
		 "max-tables = 7\n", /* 4 */
		 filler, filler);
	parse_ok(&p, text);
	assert_int_equal(p.max_tables, 7);
	check_src(SRC(&p, max_tables), at(4), "max-tables");
	policy_release(&p);
}

/* ---- 3. malformed input ----------------------------------------------- */

struct bad_case {
	const char *text;
	unsigned line;
	const char *sub1, *sub2;
};

static const struct bad_case bad_cases[] = {
	/* sections */
	{ "[compation]\n", 1, "unknown section [compation]", NULL },
	{ "[compaction \"x\"]\n", 1, "unknown section [compaction \"x\"]",
	  NULL },
	{ "[schedule \"refs/*\"]\n", 1, "unknown section [schedule", NULL },
	{ "; c\n[reflogs]\n", 2, "unknown section [reflogs]", NULL },
	{ "[reflog\n", 1, "cannot parse", NULL },
	{ "[compaction]\n[reflog \"refs/x\"\n", 2, "cannot parse", NULL },
	/* unknown keys */
	{ "[reflog]\nexpires = 1 day\n", 2, "unknown key 'expires' in [reflog]",
	  NULL },
	{ "[compaction]\nfactor = 2\n", 2,
	  "unknown key 'factor' in [compaction]", NULL },
	{ "[orphans]\ngrace-period = 1 hour\n", 2,
	  "unknown key 'grace-period' in [orphans]", NULL },
	{ "[schedule]\ngc = daily\n", 2, "unknown key 'gc' in [schedule]",
	  NULL },
	{ "[reflog \"refs/x/*\"]\ngrace = 1 hour\n", 2, "unknown key 'grace'",
	  NULL },
	/* [compaction] values */
	{ "[compaction]\ngeometric-factor = 1\n", 2,
	  "bad value '1' for geometric-factor;",
	  "expected a whole number from 2 to 255" },
	{ "[compaction]\ngeometric-factor = 256\n", 2,
	  "bad value '256' for geometric-factor;",
	  "a whole number from 2 to 255" },
	{ "[compaction]\ngeometric-factor = 2.5\n", 2,
	  "bad value '2.5' for geometric-factor;",
	  "a whole number from 2 to 255" },
	{ "[compaction]\nmax-tables = 0\n", 2, "bad value '0' for max-tables;",
	  "expected " },
	{ "[compaction]\nmax-tables = 1000001\n", 2,
	  "bad value '1000001' for max-tables;", "expected " },
	{ "[compaction]\ntombstone-ratio = 1.5\n", 2,
	  "bad value '1.5' for tombstone-ratio;", "between 0 and 1" },
	{ "[compaction]\ntombstone-ratio = 30%\n", 2,
	  "bad value '30%' for tombstone-ratio;", "between 0 and 1" },
	{ "[compaction]\ntombstone-ratio = -0.1\n", 2,
	  "bad value '-0.1' for tombstone-ratio;", "between 0 and 1" },
	{ "[compaction]\nbackground = maybe\n", 2,
	  "bad value 'maybe' for background;", "true/false" },
	{ "[compaction]\nmax-bytes-per-run = lots\n", 2,
	  "bad value 'lots' for max-bytes-per-run;", "a size such as" },
	{ "[compaction]\nmax-bytes-per-run = -1\n", 2,
	  "bad value '-1' for max-bytes-per-run;", "a size such as" },
	/* [reflog] values */
	{ "[reflog]\nexpire = soon\n", 2, "bad value 'soon' for expire;",
	  "'90 days'" },
	{ "[reflog]\nexpire-unreachable = 30 fortnights\n", 2,
	  "bad value '30 fortnights' for expire-unreachable;", "'90 days'" },
	{ "[reflog]\nexpire =\n", 2, "bad value '' for expire", NULL },
	{ "[reflog]\nexpire = 1 day;x\n", 2, "bad value '1 day;x' for expire",
	  "'90 days'" },
	{ "[reflog]\nmax-entries = -1\n", 2, "bad value '-1' for max-entries;",
	  "expected " },
	{ "[reflog]\nmax-entries = 4294967296\n", 2,
	  "bad value '4294967296' for max-entries;", "expected " },
	{ "[reflog]\nmax-entries = 12abc\n", 2,
	  "bad value '12abc' for max-entries;", "expected " },
	{ "[reflog]\nprotect = refs/a b\n", 2,
	  "bad value 'refs/a b' for protect;", "refs/remotes/*" },
	{ "[reflog]\nprotect =\n", 2, "bad value '' for protect", NULL },
	/* [reflog "<pattern>"] */
	{ "[reflog \"refs/x/*\"]\nprotect = maybe\n", 2,
	  "bad value 'maybe' for protect;", "true/false" },
	{ "[reflog \"refs/x/*\"]\nexpire = nope\n", 2,
	  "bad value 'nope' for expire;", "'90 days'" },
	{ "[reflog \"refs/x/*\"]\nmax-entries = lots\n", 2,
	  "bad value 'lots' for max-entries;", "expected " },
	{ "[reflog \"\"]\n", 1, "bad pattern ''", NULL },
	{ "[reflog \"   \"]\n", 1, "bad pattern", NULL },
	{ "[reflog \"refs/a b\"]\n", 1, "bad pattern", NULL },
	/* [orphans] values */
	{ "[orphans]\ngrace = soon\n", 2, "bad value 'soon' for grace;",
	  "'90 days'" },
	{ "[orphans]\nstale-lock = 1 fortnight\n", 2,
	  "bad value '1 fortnight' for stale-lock;", "'90 days'" },
	{ "[orphans]\nremove-stale-locks = perhaps\n", 2,
	  "bad value 'perhaps' for remove-stale-locks;", "true/false" },
	/* [schedule] values */
	{ "[schedule]\ncompact = monthly\n", 2,
	  "bad value 'monthly' for compact;",
	  "hourly, daily, weekly or never" },
	{ "[schedule]\nexpire = 90 days\n", 2,
	  "bad value '90 days' for expire;", "hourly, daily, weekly or never" },
	{ "[schedule]\nclean =\n", 2, "bad value '' for clean",
	  "hourly, daily, weekly or never" },
	/* repeats */
	{ "[compaction]\ngeometric-factor = 2\ngeometric-factor = 3\n", 3,
	  "geometric-factor set again (first at line 2)", NULL },
	{ "[reflog]\nexpire = 1 day\n\nexpire = 2 days\n", 4,
	  "expire set again (first at line 2)", NULL },
	{ "[reflog]\nexpire = 1 day\nEXPIRE = 2 days\n", 3,
	  "set again (first at line 2)", NULL },
	{ "[reflog \"refs/x\"]\nexpire = 1 day\nexpire = 2 days\n", 3,
	  "expire set again (first at line 2)", NULL },
	{ "[reflog \"refs/x\"]\nprotect = true\nprotect = false\n", 3,
	  "protect set again (first at line 2)", NULL },
	{ "[schedule]\nclean = daily\nclean = weekly\n", 3,
	  "clean set again (first at line 2)", NULL },
	{ "[orphans]\ngrace = 1 hour\ngrace = 2 hours\n", 3,
	  "grace set again (first at line 2)", NULL },
	{ "[reflog \"refs/remotes/*\"]\nexpire = 1 day\n"
	  "[reflog \"refs/remotes/*\"]\n",
	  3, "[reflog \"refs/remotes/*\"] appears again (first at line 1)",
	  NULL },
	{ "[reflog \"refs/x\"]\n[reflog]\n[REFLOG \"refs/x\"]\n", 3,
	  "appears again (first at line 1)", NULL },
	/* line structure */
	{ "[reflog]\nexpire = 1 day\n  more\n", 3,
	  "indented line continues the previous value", NULL },
	{ "[reflog]\nexpire = 1 day\n\tmore\n", 3,
	  "indented line continues the previous value", NULL },
	{ "[reflog]\njust some words\n", 2, "cannot parse", NULL },
	{ "[compaction]\nmax-tables 64\n", 2, "cannot parse", NULL },
	{ "expire = 1 day\n", 1, "outside any section", NULL },
	{ "; comment\n\nmax-tables = 3\n[compaction]\n", 3,
	  "outside any section", NULL },
	/* line counting: comments, blank lines, CRLF, inline comments */
	{ "; comment\n\n# c\n[compaction]\nbackground = 2x\n", 5,
	  "bad value '2x' for background;", "true/false" },
	{ "[compaction]\r\n\r\nmax-tables = zero\r\n", 3,
	  "bad value 'zero' for max-tables;", NULL },
	{ "[compaction]\nmax-tables = lots ; a comment\n", 2,
	  "bad value 'lots' for max-tables;", NULL },
	/* only ';' after whitespace starts an inline comment */
	{ "[compaction]\nmax-tables = 5 # hash\n", 2,
	  "bad value '5 # hash' for max-tables;", NULL },
	/* more structure */
	{ "[compaction]\nmax-tables: 5\n", 2, "cannot parse", NULL },
	{ "[reflog]\nexpire\n", 2, "cannot parse", NULL },
	{ "[reflog \"refs/x/*\"]\nprotect = refs/tags/*\n", 2,
	  "bad value 'refs/tags/*' for protect;", "true/false" },
	/* a repeated plain section does not reset its keys */
	{ "[compaction]\nmax-tables = 5\n[reflog]\n[compaction]\n"
	  "max-tables = 6\n",
	  5, "max-tables set again (first at line 2)", NULL },
};

static void test_malformed(void **state)
{
	size_t failures = 0;
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct policy_errors errs = { 0 };
		struct policy p;
		int ret;

		policy_init(&p);
		ret = policy_parse(&p, c->text, strlen(c->text), FILE_NAME,
				   &errs);
		if (ret != 1 || errs.n != 1 ||
		    msg_matches(errs.msg[0], FILE_NAME, c->line, c->sub1,
				c->sub2)) {
			failures++;
			print_error("case %zu: input \"", i);
			for (const char *s = c->text; *s; s++) {
				if (*s == '\n')
					print_error("\\n");
				else if (*s == '\r')
					print_error("\\r");
				else if (*s == '\t')
					print_error("\\t");
				else
					print_error("%c", *s);
			}
			print_error("\"\n  expected 1 error at line %u with "
				    "'%s'%s%s%s\n  got ret %d, %zu errors:\n",
				    c->line, c->sub1, c->sub2 ? " and '" : "",
				    c->sub2 ? c->sub2 : "", c->sub2 ? "'" : "",
				    ret, errs.n);
			for (size_t j = 0; j < errs.n; j++)
				print_error("    %s\n", errs.msg[j]);
		}
		policy_errors_release(&errs);
		policy_release(&p);
	}
	if (failures)
		fail_msg("%zu of %zu malformed inputs misreported", failures,
			 ARRAY_SIZE(bad_cases));
}

/*
 * policy_parse_unquoted(): every error policy_parse() reports, at the same
 * file and line, none copying the text ("zq" marks what would be quoted).
 */
static void test_unquoted(void **state)
{
	static const char text[] = "zq1 no section\n" /* cannot parse */
				   "zq2 = 1\n" /* outside any section */
				   "[zq3]\n" /* unknown section */
				   "[compaction] zq8\n" /* cannot parse */
				   "[compaction]\n"
				   "zq4 = 1\n" /* unknown key */
				   "geometric-factor = zq5\n" /* bad value */
				   "zq4 = 2\n" /* set again */
				   "[reflog \"zq 6\"]\n" /* bad pattern */
				   "[reflog \"refs/zq7/*\"]\n"
				   "[reflog \"refs/zq7/*\"]\n"; /* again */
	struct policy_errors quoted = { 0 }, hidden = { 0 };
	struct policy p;
	int nq, nh;
	(void)state;

	policy_init(&p);
	nq = policy_parse(&p, text, strlen(text), FILE_NAME, &quoted);
	policy_release(&p);
	policy_init(&p);
	nh = policy_parse_unquoted(&p, text, strlen(text), FILE_NAME, &hidden);
	policy_release(&p);
	assert_int_equal(nq, 9);
	assert_int_equal(nh, nq);
	assert_int_equal(hidden.n, quoted.n);
	for (size_t i = 0; i < hidden.n; i++) {
		size_t at = strcspn(quoted.msg[i], " ");

		/* The same "<file>:<line>:" */
		assert_memory_equal(hidden.msg[i], quoted.msg[i], at);
		assert_non_null(strstr(quoted.msg[i], "zq"));
		if (strstr(hidden.msg[i], "zq"))
			fail_msg("quoted: %s", hidden.msg[i]);
		assert_non_null(strstr(hidden.msg[i], "is not shown"));
	}
	policy_errors_release(&quoted);
	policy_errors_release(&hidden);
}

static void test_many_errors(void **state)
{
	static const char text[] =
		"[compaction]\n" /* 1 */
		"geometric-factor = 1\n" /* 2: bad value */
		"max-tables = 64\n" /* 3 */
		"[reflog]\n" /* 4 */
		"expires = 1 day\n" /* 5: unknown key */
		"expire = soon\n" /* 6: bad value */
		"[bogus]\n" /* 7: unknown section */
		"[schedule]\n" /* 8 */
		"compact = monthly\n" /* 9: bad value */
		"[orphans]\n" /* 10 */
		"grace =\n" /* 11: empty value */
		"not a line\n" /* 12: cannot parse */
		"stale-lock = 2 hours\n" /* 13 */
		"stale-lock = 3 hours\n" /* 14: set again */
		"[reflog \"\"]\n" /* 15: bad pattern */
		"[reflog \"refs/a/*\"]\n" /* 16 */
		"expire = 1 day\n" /* 17 */
		"  continued\n" /* 18: indented */
		"[reflog \"refs/a/*\"]\n" /* 19: appears again */
		"[schedule]\n" /* 20 */
		"clean = hourly\n"; /* 21 */
	static const struct {
		unsigned line;
		const char *sub;
	} want[] = {
		{ 2, "bad value '1' for geometric-factor;" },
		{ 5, "unknown key 'expires' in [reflog]" },
		{ 6, "bad value 'soon' for expire;" },
		{ 7, "unknown section [bogus]" },
		{ 9, "bad value 'monthly' for compact;" },
		{ 11, "bad value '' for grace" },
		{ 12, "cannot parse" },
		{ 14, "stale-lock set again (first at line 13)" },
		{ 15, "bad pattern ''" },
		{ 18, "indented line continues the previous value" },
		{ 19,
		  "[reflog \"refs/a/*\"] appears again (first at line 16)" },
	};
	struct policy_errors errs = { 0 };
	struct policy p;
	int ret;
	(void)state;

	policy_init(&p);
	ret = policy_parse(&p, text, strlen(text), FILE_NAME, &errs);
	for (size_t j = 0; j < errs.n; j++)
		print_message("# %s\n", errs.msg[j]);
	assert_int_equal(ret, ARRAY_SIZE(want));
	assert_int_equal(errs.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (msg_matches(errs.msg[i], FILE_NAME, want[i].line,
				want[i].sub, NULL))
			fail_msg("error %zu: '%s', expected line %u with '%s'",
				 i, errs.msg[i], want[i].line, want[i].sub);
	policy_errors_release(&errs);
	policy_release(&p);
}

/* Errors accumulate across calls in the caller's list. */
static void test_errors_append(void **state)
{
	static const char a[] = "[bogus]\n";
	static const char b[] = "\n[reflog]\nexpire = soon\n";
	struct policy_errors errs = { 0 };
	struct policy p;
	(void)state;

	policy_init(&p);
	assert_int_equal(policy_parse(&p, a, strlen(a), "a.ini", &errs), 1);
	assert_int_equal(policy_parse(&p, b, strlen(b), "b.ini", &errs), 1);
	assert_int_equal(errs.n, 2);
	assert_int_equal(msg_matches(errs.msg[0], "a.ini", 1,
				     "unknown section [bogus]", NULL),
			 0);
	assert_int_equal(msg_matches(errs.msg[1], "b.ini", 3,
				     "bad value 'soon' for expire", NULL),
			 0);
	policy_errors_release(&errs);
	policy_release(&p);
}

/* The per-run compaction budget: a size, 0 meaning no cap. */
static void test_max_bytes_per_run(void **state)
{
	static const struct {
		const char *value;
		uint64_t bytes;
	} cases[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "64k", 64 * 1024 },
		{ "256MB", 256ull << 20 },
		{ "1GiB", 1ull << 30 },
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[128];
		struct policy p;

		snprintf(text, sizeof(text),
			 "[compaction]\nmax-tables = 8\nmax-bytes-per-run = "
			 "%s\n",
			 cases[i].value);
		parse_ok(&p, text);
		if (p.max_bytes_per_run != cases[i].bytes)
			fail_msg("'%s': %llu bytes, expected %llu",
				 cases[i].value,
				 (unsigned long long)p.max_bytes_per_run,
				 (unsigned long long)cases[i].bytes);
		check_src(SRC(&p, max_bytes_per_run), at(3),
			  "max-bytes-per-run");
		policy_release(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_freq_names),
		cmocka_unit_test(test_full_policy),
		cmocka_unit_test(test_filename_in_sources),
		cmocka_unit_test(test_case_insensitive_names),
		cmocka_unit_test(test_inline_comments),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_only_comments_and_empty),
		cmocka_unit_test(test_empty_sections_no_final_newline),
		cmocka_unit_test(test_len_is_honoured),
		cmocka_unit_test(test_value_edges),
		cmocka_unit_test(test_max_bytes_per_run),
		cmocka_unit_test(test_documented_example),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_repeated_plain_section),
		cmocka_unit_test(test_long_comment_line),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_unquoted),
		cmocka_unit_test(test_errors_append),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
