/*
 * Unit tests of the policy module: defaults, parsing valid and malformed
 * policy files (every error with its file:line), per-ref resolution with
 * overlapping patterns, and the Git-config fallback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

#define FILE_NAME "policy.ini"
#define DAY (86400ull)
#define HOUR (3600ull)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---------------------------------------------------------- */

static void check_dur(const struct policy_duration *d, bool never,
		      uint64_t seconds, const char *what)
{
	if (d->never != never || (!never && d->seconds != seconds))
		fail_msg("%s: got %s%llu s, expected %s%llu s", what,
			 d->never ? "never/" : "",
			 (unsigned long long)d->seconds, never ? "never/" : "",
			 (unsigned long long)seconds);
}

static void check_src(const char *got, const char *want, const char *what)
{
	if (!got)
		fail_msg("%s: source is NULL, expected '%s'", what, want);
	if (strcmp(got, want))
		fail_msg("%s: source '%s', expected '%s'", what, got, want);
}

/* "<FILE_NAME>:<line>", stable for the whole run (one buffer per line). */
static const char *at(unsigned line)
{
	static char buf[100][64];

	assert_true(line < 100);
	snprintf(buf[line], sizeof(buf[line]), "%s:%u", FILE_NAME, line);
	return buf[line];
}

/* Parse `text` into a fresh default policy; expect no errors. */
static void parse_ok(struct policy *p, const char *text)
{
	struct policy_errors errs = { 0 };
	int ret;

	policy_init(p);
	ret = policy_parse(p, text, strlen(text), FILE_NAME, &errs);
	if (ret || errs.n) {
		size_t n = errs.n;

		for (size_t i = 0; i < errs.n; i++)
			print_error("unexpected error: %s\n", errs.msg[i]);
		policy_errors_release(&errs);
		policy_release(p);
		fail_msg("policy_parse returned %d with %zu errors", ret, n);
	}
	policy_errors_release(&errs);
}

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
	assert_int_equal(p->nprotect, 0);
	assert_int_equal(p->nrules, 0);
	assert_int_equal(p->ngit_rules, 0);
	check_dur(&p->grace, false, HOUR, "grace");
	check_dur(&p->stale_lock, false, HOUR, "stale-lock");
	assert_false(p->remove_stale_locks);
	assert_int_equal(p->sched_compact, POLICY_HOURLY);
	assert_int_equal(p->sched_expire, POLICY_DAILY);
	assert_int_equal(p->sched_clean, POLICY_WEEKLY);
	assert_false(p->file_set_geometric_factor);
	assert_false(p->file_set_expire);
	assert_false(p->file_set_expire_unreachable);

	check_src(p->src_geometric_factor.text, "default", "geometric-factor");
	check_src(p->src_max_tables.text, "default", "max-tables");
	check_src(p->src_tombstone_ratio.text, "default", "tombstone-ratio");
	check_src(p->src_background.text, "default", "background");
	check_src(p->src_max_bytes_per_run.text, "default",
		  "max-bytes-per-run");
	check_src(p->src_expire.text, "default", "expire");
	check_src(p->src_expire_unreachable.text, "default",
		  "expire-unreachable");
	check_src(p->src_max_entries.text, "default", "max-entries");
	check_src(p->src_grace.text, "default", "grace");
	check_src(p->src_stale_lock.text, "default", "stale-lock");
	check_src(p->src_remove_stale_locks.text, "default",
		  "remove-stale-locks");
	check_src(p->src_sched_compact.text, "default", "schedule.compact");
	check_src(p->src_sched_expire.text, "default", "schedule.expire");
	check_src(p->src_sched_clean.text, "default", "schedule.clean");
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
	check_src(r.src_expire, "default", "expire");
	check_src(r.src_expire_unreachable, "default", "unreachable");
	check_src(r.src_max_entries, "default", "max-entries");
	check_src(r.src_protect, "default", "protect");

	/* Git: an unconfigured refs/stash never expires. */
	policy_resolve(&p, "refs/stash", &r);
	check_dur(&r.expire, true, 0, "stash expire");
	check_dur(&r.expire_unreachable, true, 0, "stash unreachable");
	assert_non_null(r.src_expire);
	assert_non_null(r.src_expire_unreachable);
	policy_release(&p);
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
	check_src(p.src_geometric_factor.text, at(5), "geometric-factor");
	assert_int_equal(p.max_tables, 128);
	check_src(p.src_max_tables.text, at(6), "max-tables");
	assert_true(p.tombstone_ratio > 0.4999 && p.tombstone_ratio < 0.5001);
	check_src(p.src_tombstone_ratio.text, at(7), "tombstone-ratio");
	assert_false(p.background);
	check_src(p.src_background.text, at(8), "background");

	check_dur(&p.expire, false, 60 * DAY, "expire");
	check_src(p.src_expire.text, at(11), "expire");
	check_dur(&p.expire_unreachable, false, 14 * DAY, "unreachable");
	check_src(p.src_expire_unreachable.text, at(12), "unreachable");
	assert_true(p.max_entries == 4294967295ull);
	check_src(p.src_max_entries.text, at(13), "max-entries");
	assert_true(p.file_set_geometric_factor);
	assert_true(p.file_set_expire);
	assert_true(p.file_set_expire_unreachable);

	assert_int_equal(p.nprotect, 2);
	assert_string_equal(p.protect[0], "refs/tags/*");
	check_src(p.src_protect[0].text, at(14), "protect[0]");
	assert_string_equal(p.protect[1], "refs/heads/main");
	check_src(p.src_protect[1].text, at(15), "protect[1]");

	assert_int_equal(p.nrules, 3);
	r = &p.rules[0];
	assert_string_equal(r->pattern, "refs/remotes/*");
	assert_int_equal(r->line, 17);
	assert_true(r->has_expire && r->has_unreachable && r->has_max_entries &&
		    r->has_protect);
	check_dur(&r->expire, false, 14 * DAY, "rule0 expire");
	check_src(r->src_expire.text, at(18), "rule0 expire");
	check_dur(&r->expire_unreachable, false, 7 * DAY, "rule0 unreach");
	check_src(r->src_unreachable.text, at(19), "rule0 unreach");
	assert_int_equal(r->max_entries, 100);
	check_src(r->src_max_entries.text, at(20), "rule0 max-entries");
	assert_false(r->protect);
	check_src(r->src_protect.text, at(21), "rule0 protect");

	r = &p.rules[1];
	assert_string_equal(r->pattern, "refs/heads/wip/*");
	assert_int_equal(r->line, 23);
	assert_true(r->has_expire);
	assert_false(r->has_unreachable || r->has_max_entries ||
		     r->has_protect);
	check_dur(&r->expire, false, 12 * HOUR, "rule1 expire");
	check_src(r->src_expire.text, at(24), "rule1 expire");

	r = &p.rules[2];
	assert_string_equal(r->pattern, "refs/stash");
	assert_int_equal(r->line, 26);
	assert_true(r->has_protect);
	assert_false(r->has_expire || r->has_unreachable || r->has_max_entries);
	assert_true(r->protect);
	check_src(r->src_protect.text, at(27), "rule2 protect");

	assert_int_equal(p.ngit_rules, 0);

	check_dur(&p.grace, false, 2 * HOUR, "grace");
	check_src(p.src_grace.text, at(30), "grace");
	check_dur(&p.stale_lock, false, 30 * 60, "stale-lock");
	check_src(p.src_stale_lock.text, at(31), "stale-lock");
	assert_true(p.remove_stale_locks);
	check_src(p.src_remove_stale_locks.text, at(32), "remove-stale-locks");

	assert_int_equal(p.sched_compact, POLICY_DAILY);
	check_src(p.src_sched_compact.text, at(35), "compact");
	assert_int_equal(p.sched_expire, POLICY_WEEKLY);
	check_src(p.src_sched_expire.text, at(36), "schedule expire");
	assert_int_equal(p.sched_clean, POLICY_NEVER);
	check_src(p.src_sched_clean.text, at(37), "clean");

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
	check_src(p.src_expire.text, "/srv/repo.git/reftable/policy:2",
		  "expire");
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
	check_src(p.src_geometric_factor.text, at(2), "geometric-factor");
	check_dur(&p.expire, false, DAY, "expire");
	check_src(p.src_expire.text, at(4), "expire");
	assert_int_equal(p.nprotect, 1);
	assert_string_equal(p.protect[0], "refs/Tags/*");
	assert_int_equal(p.nrules, 1);
	/* The pattern keeps its case. */
	assert_string_equal(p.rules[0].pattern, "refs/Remotes/*");
	assert_int_equal(p.rules[0].line, 6);
	assert_true(p.rules[0].has_max_entries);
	assert_int_equal(p.rules[0].max_entries, 9);
	check_src(p.rules[0].src_max_entries.text, at(7), "rule max-entries");
	assert_true(p.rules[0].has_protect && p.rules[0].protect);
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
	check_src(p.src_max_tables.text, at(2), "max-tables");
	assert_true(p.background);
	check_src(p.src_background.text, at(3), "background");
	check_dur(&p.expire, false, 3 * DAY, "expire");
	check_src(p.src_expire.text, at(5), "expire");
	assert_int_equal(p.nprotect, 1);
	assert_string_equal(p.protect[0], "refs/tags/*");
	check_dur(&p.expire_unreachable, true, 0, "unreachable");
	check_src(p.src_expire_unreachable.text, at(9), "unreachable");
	assert_int_equal(p.nrules, 1);
	assert_string_equal(p.rules[0].pattern, "refs/x/*");
	assert_int_equal(p.rules[0].line, 10);
	check_dur(&p.rules[0].expire, false, 0, "rule expire");
	check_src(p.rules[0].src_expire.text, at(11), "rule expire");
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
	check_src(p.src_max_tables.text, at(3), "max-tables");
	assert_false(p.background);
	check_dur(&p.expire, false, 5 * DAY, "expire");
	check_src(p.src_expire.text, at(7), "expire");
	assert_int_equal(p.nprotect, 1);
	assert_string_equal(p.protect[0], "refs/tags/*");
	check_src(p.src_protect[0].text, at(8), "protect");
	assert_int_equal(p.nrules, 1);
	assert_string_equal(p.rules[0].pattern, "refs/x/*");
	assert_int_equal(p.rules[0].line, 9);
	check_dur(&p.rules[0].expire, false, DAY, "rule expire");
	check_src(p.rules[0].src_expire.text, at(10), "rule expire");
	assert_int_equal(p.sched_clean, POLICY_DAILY);
	check_src(p.src_sched_clean.text, at(12), "clean");
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
	assert_false(p.rules[0].has_expire || p.rules[0].has_unreachable ||
		     p.rules[0].has_max_entries || p.rules[0].has_protect);
	assert_int_equal(p.sched_expire, POLICY_NEVER);
	check_src(p.src_sched_expire.text, at(7), "schedule expire");
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
		{ "[compaction]\ngeometric-factor = 256\n"
		  "max-tables = 1000000\n[reflog]\nmax-entries = 4294967295\n",
		  256, 1000000, 4294967295ull },
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
		"geometric-factor = 2       ; whole number 2..256 (default 2; "
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
	check_src(p.src_geometric_factor.text, at(2), "geometric-factor");
	assert_int_equal(p.max_tables, 64);
	check_src(p.src_max_tables.text, at(3), "max-tables");
	assert_true(p.tombstone_ratio > 0.2999 && p.tombstone_ratio < 0.3001);
	check_src(p.src_tombstone_ratio.text, at(4), "tombstone-ratio");
	assert_true(p.background);
	check_src(p.src_background.text, at(5), "background");
	check_dur(&p.expire, false, 90 * DAY, "expire");
	check_src(p.src_expire.text, at(7), "expire");
	check_dur(&p.expire_unreachable, false, 30 * DAY, "unreachable");
	check_src(p.src_expire_unreachable.text, at(8), "unreachable");
	assert_int_equal(p.max_entries, 0);
	check_src(p.src_max_entries.text, at(9), "max-entries");
	/* Set by the file, even to the default: Git config cannot undo it. */
	assert_true(p.file_set_geometric_factor);
	assert_true(p.file_set_expire);
	assert_true(p.file_set_expire_unreachable);
	assert_int_equal(p.nprotect, 1);
	assert_string_equal(p.protect[0], "refs/tags/*");
	check_src(p.src_protect[0].text, at(10), "protect");
	assert_int_equal(p.nrules, 1);
	assert_string_equal(p.rules[0].pattern, "refs/remotes/*");
	assert_int_equal(p.rules[0].line, 11);
	check_dur(&p.rules[0].expire, false, 14 * DAY, "rule expire");
	check_src(p.rules[0].src_expire.text, at(12), "rule expire");
	check_dur(&p.grace, false, HOUR, "grace");
	check_src(p.src_grace.text, at(14), "grace");
	check_dur(&p.stale_lock, false, HOUR, "stale-lock");
	check_src(p.src_stale_lock.text, at(15), "stale-lock");
	assert_false(p.remove_stale_locks);
	check_src(p.src_remove_stale_locks.text, at(16), "remove-stale-locks");
	assert_int_equal(p.sched_compact, POLICY_HOURLY);
	check_src(p.src_sched_compact.text, at(18), "compact");
	assert_int_equal(p.sched_expire, POLICY_DAILY);
	check_src(p.src_sched_expire.text, at(19), "schedule expire");
	assert_int_equal(p.sched_clean, POLICY_WEEKLY);
	check_src(p.src_sched_clean.text, at(20), "clean");
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
	check_src(p.src_max_tables.text, at(2), "max-tables");
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
	check_src(p.src_background.text, at(6), "background");
	assert_int_equal(p.nprotect, 2);
	assert_string_equal(p.protect[1], "refs/b");
	check_src(p.src_protect[1].text, at(8), "protect[1]");
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
	check_src(p.src_max_tables.text, at(4), "max-tables");
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
	  "expected a whole number from 2 to 256" },
	{ "[compaction]\ngeometric-factor = 257\n", 2,
	  "bad value '257' for geometric-factor;",
	  "a whole number from 2 to 256" },
	{ "[compaction]\ngeometric-factor = 2.5\n", 2,
	  "bad value '2.5' for geometric-factor;",
	  "a whole number from 2 to 256" },
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

/* ---- 4. per-ref resolution -------------------------------------------- */

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
		check_src(r.src_expire, w->e_src, what);
	snprintf(what, sizeof(what), "%s expire-unreachable", w->ref);
	check_dur(&r.expire_unreachable, w->u_never, w->u, what);
	if (w->u_src)
		check_src(r.src_expire_unreachable, w->u_src, what);
	snprintf(what, sizeof(what), "%s max-entries", w->ref);
	if (r.max_entries != w->max)
		fail_msg("%s: %llu, expected %llu", what,
			 (unsigned long long)r.max_entries,
			 (unsigned long long)w->max);
	if (w->max_src)
		check_src(r.src_max_entries, w->max_src, what);
	snprintf(what, sizeof(what), "%s protect", w->ref);
	if (r.protect != w->protect)
		fail_msg("%s: %d, expected %d", what, r.protect, w->protect);
	if (w->protect_src)
		check_src(r.src_protect, w->protect_src, what);
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

/* ---- 5. Git-config fallback ------------------------------------------- */

static void apply_ok(struct policy *p, const struct policy_kv *kv, size_t n)
{
	struct policy_errors errs = { 0 };
	int ret = policy_apply_git_config(p, kv, n, &errs);

	if (ret || errs.n) {
		size_t n = errs.n;

		for (size_t i = 0; i < errs.n; i++)
			print_error("unexpected error: %s\n", errs.msg[i]);
		policy_errors_release(&errs);
		policy_release(p);
		fail_msg("policy_apply_git_config returned %d, %zu errors", ret,
			 n);
	}
	policy_errors_release(&errs);
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
	check_src(p.src_geometric_factor.text,
		  "git config reftable.geometricfactor", "geometric-factor");
	check_dur(&p.expire, false, 120 * DAY, "expire");
	check_src(p.src_expire.text, "git config gc.reflogexpire", "expire");
	check_dur(&p.expire_unreachable, true, 0, "unreachable");
	check_src(p.src_expire_unreachable.text,
		  "git config gc.reflogexpireunreachable", "unreachable");
	/* The rest keep what the file or the defaults said. */
	assert_int_equal(p.max_tables, 10);
	check_src(p.src_max_tables.text, at(2), "max-tables");
	check_src(p.src_max_entries.text, "default", "max-entries");
	assert_int_equal(p.ngit_rules, 0);

	policy_resolve(&p, "refs/heads/main", &r);
	check_dur(&r.expire, false, 120 * DAY, "resolved expire");
	check_src(r.src_expire, "git config gc.reflogexpire", "resolved");
	check_dur(&r.expire_unreachable, true, 0, "resolved unreachable");
	check_src(r.src_expire_unreachable,
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
	assert_true(p.file_set_geometric_factor);
	assert_true(p.file_set_expire);
	assert_false(p.file_set_expire_unreachable);
	apply_ok(&p, kv, ARRAY_SIZE(kv));
	assert_int_equal(p.geometric_factor, 3);
	check_src(p.src_geometric_factor.text, at(2), "geometric-factor");
	check_dur(&p.expire, false, 10 * DAY, "expire");
	check_src(p.src_expire.text, at(4), "expire");
	check_dur(&p.expire_unreachable, false, 2 * DAY, "unreachable");
	check_src(p.src_expire_unreachable.text,
		  "git config gc.reflogexpireunreachable", "unreachable");
	policy_release(&p);

	/* A file value equal to the default still wins. */
	parse_ok(&p, "[reflog]\nexpire-unreachable = 30 days\n"
		     "[compaction]\ngeometric-factor = 2\n");
	apply_ok(&p, kv, ARRAY_SIZE(kv));
	assert_int_equal(p.geometric_factor, 2);
	check_src(p.src_geometric_factor.text, at(4), "geometric-factor");
	check_dur(&p.expire_unreachable, false, 30 * DAY, "unreachable");
	check_src(p.src_expire_unreachable.text, at(2), "unreachable");
	check_dur(&p.expire, false, DAY, "expire");
	check_src(p.src_expire.text, "git config gc.reflogexpire", "expire");
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
	check_src(p.src_expire.text, "git config gc.reflogexpire", "expire");
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
	assert_true(p.git_rules[1].has_expire &&
		    p.git_rules[1].has_unreachable);
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
		  "from 2 to 256" },
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
		check_src(p.src_max_bytes_per_run.text, at(3),
			  "max-bytes-per-run");
		policy_release(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_freq_names),
		cmocka_unit_test(test_default_resolution),
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
		cmocka_unit_test(test_errors_append),
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
