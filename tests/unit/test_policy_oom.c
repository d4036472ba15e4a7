/*
 * Out of memory while reading a policy: whichever allocation fails, the
 * result is either reported as an error or the whole policy, never a
 * policy quietly missing a protect pattern, a rule or a Git setting
 * (which could let expiry delete what the policy keeps).
 *
 * The Makefile links this binary with the allocator wrapped (ld --wrap),
 * so that the n-th allocation made through the policy library can fail.
 */
#include "policy_testutil.h"
#include "policy/schema.h"

#include <errno.h>
#include <stdlib.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

/* Allocations so far, and the one to fail (-1: none). */
static long allocs, fail_at = -1;

static bool fail_now(void)
{
	if (allocs++ != fail_at)
		return false;
	errno = ENOMEM;
	return true;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}

static const char text[] = "[compaction]\n"
			   "max-tables = 9\n"
			   "[reflog]\n"
			   "expire = 60 days\n"
			   "protect = refs/tags/*\n"
			   "protect = refs/heads/main\n"
			   "[reflog \"refs/remotes/*\"]\n"
			   "expire = 14 days\n"
			   "protect = false\n"
			   "[reflog \"refs/heads/keep/*\"]\n"
			   "protect = true\n"
			   "[schedule]\n"
			   "clean = never\n";

static const struct policy_kv kv[] = {
	{ "gc.reflogexpireunreachable", "never" },
	{ "gc.refs/heads/*.reflogexpire", "never" },
	{ "gc.refs/remotes/*.reflogexpireunreachable", "never" },
	{ "reftable.geometricfactor", "3" },
};

/* Append "<key> = <value> ; <source>" for each value `base` holds. */
static void dump_values(char *out, size_t size, const void *base, bool rule,
			const struct policy_src *src)
{
	for (size_t i = 0; i < policy_nkeys; i++) {
		const struct policy_key *k = &policy_keys[i];
		size_t len = strlen(out);
		char value[64];

		if (k->rule != rule)
			continue;
		if (k->type == POLICY_T_PATTERNS) {
			const struct policy_patterns *l =
				(const void *)((const char *)base + k->offset);

			for (size_t j = 0; j < l->n; j++) {
				len = strlen(out);
				snprintf(out + len, size - len,
					 "%s = %s ; %s\n", k->name,
					 l->v[j].pattern,
					 src_str(&l->v[j].src));
			}
			continue;
		}
		policy_key_format(k, base, value, sizeof(value));
		snprintf(out + len, size - len, "%s = %s ; %s\n", k->name,
			 value, src_str(&src[i]));
	}
}

/* Everything the policy holds, as text to compare. */
static void dump(const struct policy *p, char *out, size_t size)
{
	const struct policy_rule *sets[2] = { p->rules, p->git_rules };
	size_t counts[2] = { p->nrules, p->ngit_rules };

	out[0] = '\0';
	dump_values(out, size, p, false, p->src);
	for (size_t s = 0; s < 2; s++)
		for (size_t i = 0; i < counts[s]; i++) {
			size_t len = strlen(out);

			snprintf(out + len, size - len, "[%zu \"%s\"]\n", s,
				 sets[s][i].pattern);
			dump_values(out, size, &sets[s][i], true,
				    sets[s][i].src);
		}
}

/* Parse and apply Git's config; the number of errors. */
static int load(struct policy *p)
{
	struct policy_errors errs = { 0 };
	int nerr;

	policy_init(p);
	nerr = policy_parse(p, text, strlen(text), FILE_NAME, &errs);
	nerr += policy_apply_git_config(p, kv, ARRAY_SIZE(kv), &errs);
	fail_at = -1;
	policy_errors_release(&errs);
	return nerr;
}

static void test_no_allocation_failure_is_silent(void **state)
{
	static char want[8192], got[8192];
	struct policy p;
	long total;
	(void)state;

	allocs = 0;
	assert_int_equal(load(&p), 0);
	total = allocs;
	dump(&p, want, sizeof(want));
	policy_release(&p);
	assert_true(total > 5);
	/* The reference has what the text and the config say. */
	assert_non_null(
		strstr(want, "protect = refs/heads/main ; " FILE_NAME ":6\n"));
	assert_non_null(strstr(want, "[1 \"refs/heads/*\"]\n"));

	for (long n = 0; n < total; n++) {
		int nerr;

		allocs = 0;
		fail_at = n;
		nerr = load(&p);
		if (!nerr) {
			dump(&p, got, sizeof(got));
			if (strcmp(got, want))
				fail_msg("allocation %ld of %ld failed without "
					 "an error; the policy reads:\n%s\n"
					 "instead of:\n%s",
					 n, total, got, want);
		}
		policy_release(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_allocation_failure_is_silent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
