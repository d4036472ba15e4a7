/*
 * Unit tests of the policy schema (policy/schema.h): the table is sound
 * (unique keys, contiguous sections, defaults that parse back to
 * themselves, one source slot per field), every key it lists is one the
 * parser takes with its source, messages that list sections and keys
 * follow it, and frequencies and sources read and print as documented.
 */
#include "policy_testutil.h"
#include "policy/schema.h"

#include <ctype.h>

/* A valid value of each type, other than any default. */
static const char *sample(const struct policy_key *k)
{
	switch (k->type) {
	case POLICY_T_UINT:
		return k->min == 2 ? "3" : "7";
	case POLICY_T_SIZE:
		return "64k";
	case POLICY_T_RATIO:
		return "0.5";
	case POLICY_T_BOOL:
		return "yes";
	case POLICY_T_DURATION:
		return "3 days";
	case POLICY_T_FREQ:
		return "never";
	case POLICY_T_PATTERNS:
		return "refs/tags/*";
	}
	return NULL;
}

static bool same_section(const struct policy_key *a, const struct policy_key *b)
{
	return a->rule == b->rule && !strcmp(a->section, b->section);
}

static void test_table_is_sound(void **state)
{
	(void)state;

	assert_true(policy_nkeys > 0 && policy_nkeys <= POLICY_KEYS_MAX);
	for (size_t i = 0; i < policy_nkeys; i++) {
		const struct policy_key *k = &policy_keys[i];

		assert_int_equal(policy_key_index(k), i);
		assert_ptr_equal(policy_key_find(k->section, k->rule, k->name),
				 k);
		for (const char *c = k->name; *c; c++)
			if (isupper((unsigned char)*c))
				fail_msg("%s: not lower case", k->name);
		assert_non_null(k->about);
		/* A rule sets nothing unless it says so. */
		if (k->rule)
			assert_null(k->def);
		if (k->type == POLICY_T_UINT)
			assert_true(k->min <= k->max);
		for (size_t j = 0; j < i; j++) {
			const struct policy_key *o = &policy_keys[j];

			if (same_section(o, k) && !strcmp(o->name, k->name))
				fail_msg("[%s] %s: listed twice", k->section,
					 k->name);
			/* One source slot per field. */
			if (o->rule == k->rule && o->offset == k->offset)
				fail_msg("%s and %s share a field", o->name,
					 k->name);
			/* A section's rows are together. */
			if (same_section(o, k) &&
			    !same_section(&policy_keys[i - 1], k))
				fail_msg("[%s] is split", k->section);
		}
	}
	assert_null(policy_key_find("compaction", false, "bogus"));
	assert_null(policy_key_find("compaction", true, "max-tables"));
	assert_ptr_equal(policy_key_find("Reflog", false, "EXPIRE"),
			 policy_key_find("reflog", false, "expire"));
}

/* policy_init() gives each default, which prints as the schema writes it. */
static void test_defaults_round_trip(void **state)
{
	struct policy p;
	char buf[64];
	(void)state;

	policy_init(&p);
	for (size_t i = 0; i < policy_nkeys; i++) {
		const struct policy_key *k = &policy_keys[i];

		check_src(src_str(&p.src[i]), "default", k->name);
		if (k->rule || !k->def)
			continue;
		policy_key_format(k, &p, buf, sizeof(buf));
		if (strcmp(buf, k->def))
			fail_msg("[%s] %s: default '%s' shows as '%s'",
				 k->section, k->name, k->def, buf);
	}
	policy_release(&p);
}

/* Every key of the schema is one the parser takes, with its source. */
static void test_every_key_parses(void **state)
{
	(void)state;

	for (size_t i = 0; i < policy_nkeys; i++) {
		const struct policy_key *k = &policy_keys[i];
		union {
			struct policy p;
			struct policy_rule r;
		} direct;
		char text[256], why[128], got[64], want[64];
		const struct policy_src *src;
		const void *base;
		struct policy p;

		snprintf(text, sizeof(text), "[%s%s]\n%s = %s\n", k->section,
			 k->rule ? " \"refs/x/*\"" : "", k->name, sample(k));
		parse_ok(&p, text);
		if (k->rule) {
			assert_int_equal(p.nrules, 1);
			base = &p.rules[0];
			src = &p.rules[0].src[i];
		} else {
			base = &p;
			src = &p.src[i];
		}
		if (k->type == POLICY_T_PATTERNS) {
			const struct policy_patterns *l =
				(const void *)((const char *)base + k->offset);

			assert_int_equal(l->n, 1);
			assert_string_equal(l->v[0].pattern, sample(k));
			src = &l->v[0].src;
		} else {
			/* The value is the one policy_key_set() gives. */
			memset(&direct, 0, sizeof(direct));
			assert_int_equal(policy_key_set(k, &direct, sample(k),
							why, sizeof(why)),
					 0);
			policy_key_format(k, &direct, want, sizeof(want));
			policy_key_format(k, base, got, sizeof(got));
			if (strcmp(got, want))
				fail_msg("%s = %s: got %s, expected %s",
					 k->name, sample(k), got, want);
		}
		check_src(src_str(src), at(2), k->name);
		policy_release(&p);
	}
}

/* "keys there:" and "sections are" list what the schema has. */
static void test_messages_follow_schema(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[compaction]\nx = 1\n",
		  "keys there: geometric-factor, max-tables, tombstone-ratio, "
		  "background, max-bytes-per-run" },
		{ "[reflog]\nx = 1\n",
		  "keys there: expire, expire-unreachable, max-entries, "
		  "protect" },
		{ "[reflog \"refs/a\"]\nx = 1\n",
		  "keys there: expire, expire-unreachable, max-entries, "
		  "protect" },
		{ "[orphans]\nx = 1\n",
		  "keys there: grace, stale-lock, remove-stale-locks" },
		{ "[schedule]\nx = 1\n", "keys there: compact, expire, clean" },
		{ "[x]\n",
		  "sections are [compaction], [reflog], [reflog \"<pattern>\"], "
		  "[orphans], [schedule]" },
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct policy_errors errs = { 0 };
		struct policy p;

		policy_init(&p);
		assert_int_equal(policy_parse(&p, cases[i].text,
					      strlen(cases[i].text), FILE_NAME,
					      &errs),
				 1);
		assert_int_equal(errs.n, 1);
		if (!strstr(errs.msg[0], cases[i].want))
			fail_msg("'%s' lacks '%s'", errs.msg[0], cases[i].want);
		policy_errors_release(&errs);
		policy_release(&p);
	}
	/* Every key of a section is in its list. */
	for (size_t i = 0; i < policy_nkeys; i++)
		for (size_t j = 0; j < ARRAY_SIZE(cases) - 1; j++) {
			const struct policy_key *k = &policy_keys[i];
			char head[64];

			snprintf(head, sizeof(head), "[%s%s]", k->section,
				 k->rule ? " \"" : "]");
			if (!strncmp(cases[j].text, head, strlen(head)) &&
			    !strstr(cases[j].want, k->name))
				fail_msg("[%s] does not list %s", k->section,
					 k->name);
		}
}

static void test_freq(void **state)
{
	static const enum policy_freq all[] = { POLICY_NEVER, POLICY_HOURLY,
						POLICY_DAILY, POLICY_WEEKLY };
	enum policy_freq f;
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		f = POLICY_NEVER;
		assert_int_equal(
			policy_freq_parse(policy_freq_name(all[i]), &f), 0);
		assert_int_equal(f, all[i]);
	}
	assert_int_equal(policy_freq_parse("Daily", &f), 0);
	assert_int_equal(f, POLICY_DAILY);
	f = POLICY_WEEKLY;
	assert_int_equal(policy_freq_parse("monthly", &f), -1);
	assert_int_equal(policy_freq_parse("", &f), -1);
	assert_int_equal(policy_freq_parse("hourly ", &f), -1);
	assert_int_equal(f, POLICY_WEEKLY);
}

/*
 * A duration key with a minimum takes an age of months (seconds 0), and
 * refuses a date: its age would shrink below the minimum, then go
 * negative, and every clean would fail.
 */
static void test_duration_minimum(void **state)
{
	static const char *const keys[] = { "grace", "stale-lock" };
	struct policy p;
	char why[160];
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		const struct policy_key *k =
			policy_key_find("orphans", false, keys[i]);

		assert_non_null(k);
		memset(&p, 0, sizeof(p));
		assert_int_equal(
			policy_key_set(k, &p, "1 month", why, sizeof(why)), 0);
		assert_int_equal(
			policy_key_set(k, &p, "2 years", why, sizeof(why)), 0);
		assert_int_equal(policy_key_set(k, &p, "10 seconds", why,
						sizeof(why)),
				 0);
		assert_int_equal(policy_key_set(k, &p, "9 seconds", why,
						sizeof(why)),
				 -1);
		assert_int_equal(policy_key_set(k, &p, "2099-01-01", why,
						sizeof(why)),
				 -1);
		assert_non_null(strstr(why, "not a date"));
		assert_int_equal(policy_key_set(k, &p, "2001-01-01 12:00:00",
						why, sizeof(why)),
				 -1);
	}
	/* Without a minimum a date stays an expiry cut-off. */
	assert_int_equal(
		policy_key_set(policy_key_find("reflog", false, "expire"), &p,
			       "2001-01-01", why, sizeof(why)),
		0);
}

static void test_src_format(void **state)
{
	const struct policy_src dflt = { 0 }, file = { "a/b.ini", 12 },
				git = { "gc.reflogexpire", 0 };
	char small[8];
	(void)state;

	check_src(src_str(&dflt), "default", "default");
	check_src(src_str(&file), "a/b.ini:12", "file");
	check_src(src_str(&git), "git config gc.reflogexpire", "git");
	assert_false(policy_src_is_file(&dflt));
	assert_true(policy_src_is_file(&file));
	assert_false(policy_src_is_file(&git));
	policy_src_format(&git, small, sizeof(small));
	assert_string_equal(small, "git con");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_sound),
		cmocka_unit_test(test_defaults_round_trip),
		cmocka_unit_test(test_every_key_parses),
		cmocka_unit_test(test_messages_follow_schema),
		cmocka_unit_test(test_freq),
		cmocka_unit_test(test_duration_minimum),
		cmocka_unit_test(test_src_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
