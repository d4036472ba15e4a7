/*
 * Unit tests of policy value parsing: durations, sizes, booleans, numbers,
 * ratios and ref patterns, valid and malformed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/value.h"

static void expect_seconds(const char *s, uint64_t seconds)
{
	struct policy_duration d;
	const char *why = NULL;

	if (policy_parse_duration(s, &d, &why))
		fail_msg("'%s' rejected: %s", s, why);
	assert_false(d.never);
	if (d.seconds != seconds)
		fail_msg("'%s': %llu s, expected %llu", s,
			 (unsigned long long)d.seconds,
			 (unsigned long long)seconds);
}

static void test_durations(void **state)
{
	struct policy_duration d;
	(void)state;

	expect_seconds("90 days", 90 * 86400);
	expect_seconds("90.days", 90 * 86400);
	expect_seconds("90.days.ago", 90 * 86400);
	expect_seconds("2.weeks", 14 * 86400);
	expect_seconds("2 Weeks", 14 * 86400);
	expect_seconds("12h", 12 * 3600);
	expect_seconds("1 hour", 3600);
	expect_seconds("30m", 1800);
	expect_seconds("45 seconds", 45);
	expect_seconds("yesterday", 86400);
	expect_seconds("1 week 2 days", 9 * 86400);
	expect_seconds("now", 0);
	expect_seconds("all", 0);
	assert_int_equal(policy_parse_duration("never", &d, NULL), 0);
	assert_true(d.never);
	assert_int_equal(policy_parse_duration("NEVER", &d, NULL), 0);
	assert_true(d.never);
}

static void test_bad_durations(void **state)
{
	static const char *const bad[] = {
		"",
		"days",
		"90",
		"90 fortnights",
		"-1 day",
		"ninety days",
		"90 days later",
		"ago",
		"1.5 days",
		"99999999999999999999 days",
		"12 h x",
		/* Dates: out of range, malformed, or mixed with ages. */
		"2026-13-01",
		"2026-01-32",
		"2026-00-10",
		"1969-12-31",
		"2026-01-01 25:00",
		"2026-01-01 12:60",
		"2026-01-01 12",
		"2026-01-01 junk",
		"2026-01-01 12:00 +1",
		"2026-01",
		"26-01-01",
		"2026-01/01",
		"yesterday 12:00",
		"12:00",
		"today",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct policy_duration d;
		const char *why = NULL;

		if (!policy_parse_duration(bad[i], &d, &why))
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(why, "'90 days'"));
		assert_non_null(strstr(why, "'2026-01-01'"));
	}
}

static uint64_t cutoff(const char *s, uint64_t now)
{
	struct policy_duration d;
	const char *why = NULL;

	if (policy_parse_duration(s, &d, &why))
		fail_msg("'%s' rejected: %s", s, why);
	return policy_duration_cutoff(&d, now);
}

/* 2026-01-01T00:00:00Z. */
#define JAN1 1767225600ull

/*
 * Dates and calendar months as Git's approxidate computes them, in UTC
 * and in a zone with summer time (a POSIX rule: no zone files needed).
 */
static void test_dates(void **state)
{
	uint64_t now = JAN1 + 10 * 86400 + 5 * 3600; /* 2026-01-11 05:00 */
	uint64_t may31 = JAN1 + 150 * 86400 + 10 * 3600; /* 05-31 10:00 */
	struct policy_duration d;
	(void)state;

	assert_int_equal(cutoff("2026-01-01 12:00", now), JAN1 + 12 * 3600);
	assert_int_equal(cutoff("2026-01-01T12:00:00+0100", now),
			 JAN1 + 11 * 3600);
	assert_int_equal(cutoff("2026/01/01 12:00:30 Z", now),
			 JAN1 + 12 * 3600 + 30);
	/* A bare date takes the current time of day, as in Git. */
	assert_int_equal(cutoff("2026-01-01", now), JAN1 + 5 * 3600);
	assert_int_equal(cutoff("2026.01.01", now), JAN1 + 5 * 3600);
	assert_int_equal(cutoff("90 days", now), now - 90 * 86400);
	assert_int_equal(cutoff("2.weeks.ago", now), now - 14 * 86400);
	assert_int_equal(cutoff("yesterday", now), now - 86400);
	/* Calendar months: "February 31st" folds over to March 3rd. */
	assert_int_equal(cutoff("3.months.ago", may31),
			 JAN1 + 61 * 86400 + 10 * 3600);
	assert_int_equal(cutoff("1 year", may31), may31 - 365 * 86400);
	assert_int_equal(cutoff("now", now), UINT64_MAX);
	assert_int_equal(cutoff("all", now), UINT64_MAX);
	assert_int_equal(cutoff("never", now), 0);
	assert_int_equal(cutoff("false", now), 0);

	assert_int_equal(policy_parse_duration("2026-01-01", &d, NULL), 0);
	assert_int_equal(policy_duration_age(&d, now), 10 * 86400);
	assert_int_equal(policy_parse_duration("2 days", &d, NULL), 0);
	assert_int_equal(policy_duration_age(&d, now), 2 * 86400);
	assert_int_equal(policy_parse_duration("never", &d, NULL), 0);
	assert_int_equal(policy_duration_age(&d, now), UINT64_MAX);

	/* Central European time, summer time from late March. */
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	assert_int_equal(cutoff("2026-01-01 12:00", now), JAN1 + 11 * 3600);
	assert_int_equal(cutoff("2026-07-01 12:00", now),
			 JAN1 + 181 * 86400 + 10 * 3600);
	/* 06:00 local on the 11th of January; the 1st at 06:00 CET. */
	assert_int_equal(cutoff("2026-01-01", now), JAN1 + 5 * 3600);
	setenv("TZ", "UTC", 1);
	tzset();
}

static void test_format_duration(void **state)
{
	static const char *const forms[][2] = {
		{ "90 days", "90 days" },
		{ "2.weeks", "2 weeks" },
		{ "12h", "12 hours" },
		{ "1 day", "1 day" },
		{ "never", "never" },
		{ "now", "now" },
		{ "90s", "90 seconds" },
		{ "3.months.ago", "3 months" },
		{ "1 year", "12 months" },
		{ "2026-01-01", "2026-01-01" },
		{ "2026-01-01 12:00", "2026-01-01 12:00:00 +0000" },
		{ "1 month 2 days", "1 month 2 days" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct policy_duration d, again;
		char buf[64];

		assert_int_equal(policy_parse_duration(forms[i][0], &d, NULL),
				 0);
		policy_format_duration(&d, buf, sizeof(buf));
		assert_string_equal(buf, forms[i][1]);
		/* What we print parses back to the same value. */
		assert_int_equal(policy_parse_duration(buf, &again, NULL), 0);
		assert_true(again.never == d.never &&
			    again.seconds == d.seconds &&
			    again.months == d.months &&
			    again.absolute == d.absolute &&
			    again.date_only == d.date_only);
	}
}

static void test_sizes(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "4096", 4096 },	   { "64k", 65536 },
		{ "64KB", 65536 },	   { "256MB", 256u << 20 },
		{ "256 MiB", 256u << 20 }, { "1G", 1ull << 30 },
		{ "1GiB", 1ull << 30 },	   { "0", 0 },
	};
	static const char *const bad[] = { "",
					   "k",
					   "12 bytes",
					   "1.5M",
					   "-1",
					   "12T",
					   "99999999999999999999G" };
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t v;

		assert_int_equal(policy_parse_size(good[i].s, &v, NULL), 0);
		assert_true(v == good[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		uint64_t v;

		if (!policy_parse_size(bad[i], &v, &why))
			fail_msg("size '%s' accepted", bad[i]);
		assert_non_null(strstr(why, "256MB"));
	}
}

static void test_bools_numbers_ratios(void **state)
{
	const char *why;
	uint64_t n;
	double r;
	bool b;
	(void)state;

	assert_int_equal(policy_parse_bool("Yes", &b, NULL), 0);
	assert_true(b);
	assert_int_equal(policy_parse_bool("off", &b, NULL), 0);
	assert_false(b);
	assert_int_equal(policy_parse_bool("maybe", &b, &why), -1);
	assert_non_null(strstr(why, "true/false"));

	assert_int_equal(policy_parse_uint("64", 1, 1000, &n, NULL), 0);
	assert_true(n == 64);
	assert_int_equal(policy_parse_uint("0", 1, 1000, &n, NULL), -1);
	assert_int_equal(policy_parse_uint("1001", 1, 1000, &n, NULL), -1);
	assert_int_equal(policy_parse_uint("12abc", 1, 1000, &n, NULL), -1);
	assert_int_equal(policy_parse_uint("-3", 0, 1000, &n, NULL), -1);

	assert_int_equal(policy_parse_ratio("0.3", &r, NULL), 0);
	assert_true(r > 0.29 && r < 0.31);
	assert_int_equal(policy_parse_ratio("1", &r, NULL), 0);
	assert_int_equal(policy_parse_ratio("1.5", &r, &why), -1);
	assert_non_null(strstr(why, "between 0 and 1"));
	assert_int_equal(policy_parse_ratio("30%", &r, NULL), -1);
	assert_int_equal(policy_parse_ratio("nan", &r, NULL), -1);
}

static void test_patterns(void **state)
{
	const char *why;
	(void)state;

	/* As Git's gc.<pattern>.reflogExpire: '*' crosses '/'. */
	assert_true(policy_pattern_match("refs/remotes/*",
					 "refs/remotes/origin/main"));
	assert_true(policy_pattern_match("refs/tags/*", "refs/tags/v1.0"));
	assert_false(policy_pattern_match("refs/tags/*", "refs/heads/main"));
	assert_true(
		policy_pattern_match("refs/heads/[ab]*", "refs/heads/alpha"));
	assert_false(
		policy_pattern_match("refs/heads/[ab]*", "refs/heads/main"));
	assert_true(policy_pattern_match("refs/heads/?", "refs/heads/x"));
	assert_true(policy_pattern_match("HEAD", "HEAD"));
	assert_false(
		policy_pattern_match("refs/heads/main", "refs/heads/main2"));

	assert_int_equal(policy_check_pattern("refs/remotes/*", NULL), 0);
	assert_int_equal(policy_check_pattern("", &why), -1);
	assert_int_equal(policy_check_pattern("refs/a b", &why), -1);
	assert_non_null(strstr(why, "refs/remotes/*"));
}

int main(void)
{
	/* Formats and dates below are in UTC unless a test says otherwise. */
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_bad_durations),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bools_numbers_ratios),
		cmocka_unit_test(test_patterns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
