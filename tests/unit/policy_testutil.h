/*
 * policy_testutil.h: what the policy unit tests share: parsing a policy
 * that must be valid, and checking durations and sources.
 */
#ifndef POLICY_TESTUTIL_H
#define POLICY_TESTUTIL_H

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

/* A source as `policy show` prints it; 16 stay valid at a time. */
static inline const char *src_str(const struct policy_src *s)
{
	static char buf[16][256];
	static unsigned next;
	char *b = buf[next++ % 16];

	policy_src_format(s, b, sizeof(buf[0]));
	return b;
}

/* The source of field `f` of policy `p`, or of rule `r`, as text. */
#define SRC(p, f) src_str(policy_src_of((p), &(p)->f))
#define RSRC(r, f) src_str(policy_rule_src((r), &(r)->f))
/* Whether rule `r` sets field `f`; whether the file set `f` of `p`. */
#define HAS(r, f) policy_rule_sets((r), &(r)->f)
#define FROM_FILE(p, f) policy_src_is_file(policy_src_of((p), &(p)->f))

static inline void check_dur(const struct policy_duration *d, bool never,
			     uint64_t seconds, const char *what)
{
	if (d->never != never || (!never && d->seconds != seconds))
		fail_msg("%s: got %s%llu s, expected %s%llu s", what,
			 d->never ? "never/" : "",
			 (unsigned long long)d->seconds, never ? "never/" : "",
			 (unsigned long long)seconds);
}

static inline void check_src(const char *got, const char *want,
			     const char *what)
{
	if (!got)
		fail_msg("%s: source is NULL, expected '%s'", what, want);
	if (strcmp(got, want))
		fail_msg("%s: source '%s', expected '%s'", what, got, want);
}

/* "<FILE_NAME>:<line>", stable for the whole run (one buffer per line). */
static inline const char *at(unsigned line)
{
	static char buf[100][64];

	assert_true(line < 100);
	snprintf(buf[line], sizeof(buf[line]), "%s:%u", FILE_NAME, line);
	return buf[line];
}

/*
 * After `call` returned `ret` with `errs`: fail, listing every message,
 * unless there were none. Releases `errs`, and `p` when failing.
 */
static inline void expect_no_errors(struct policy *p, const char *call, int ret,
				    struct policy_errors *errs)
{
	size_t n = errs->n;

	for (size_t i = 0; i < errs->n; i++)
		print_error("unexpected error: %s\n", errs->msg[i]);
	policy_errors_release(errs);
	if (ret || n) {
		policy_release(p);
		fail_msg("%s returned %d with %zu errors", call, ret, n);
	}
}

/* Parse `text` into a fresh default policy; expect no errors. */
static inline void parse_ok(struct policy *p, const char *text)
{
	struct policy_errors errs = { 0 };
	int ret;

	policy_init(p);
	ret = policy_parse(p, text, strlen(text), FILE_NAME, &errs);
	expect_no_errors(p, "policy_parse", ret, &errs);
}

#endif
