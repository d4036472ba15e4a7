/*
 * internal.h: what the files of policy/ share and nobody else uses.
 */
#ifndef POLICY_INTERNAL_H
#define POLICY_INTERNAL_H

#include "policy/policy.h"

/*
 * Append one message to `errs`. When memory runs out the message is lost;
 * the callers count their errors themselves, so the error still counts.
 */
void policy_errors_add(struct policy_errors *errs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * `len` bytes of `s` as a string owned by `p` (one copy per distinct
 * string), for sources to point to; NULL when out of memory.
 */
const char *policy_intern(struct policy *p, const char *s, size_t len);

/* An empty rule for `pattern` (`len` bytes) at the end of `*rules`; NULL
 * when out of memory. */
struct policy_rule *policy_rule_add(struct policy_rule **rules, size_t *n,
				    const char *pattern, size_t len);

#endif
