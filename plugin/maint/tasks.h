/*
 * tasks.h: carrying out maintenance on one stack, shared by the `clean`
 * and `compact` commands and by `run`: cleaning with a report line per
 * file, and compacting with retries when concurrent writers moved the
 * stack.
 */
#ifndef PLUGIN_TASKS_H
#define PLUGIN_TASKS_H

#include "lib/include/rt-clean.h"
#include "lib/include/rt-compact.h"
#include "policy/policy.h"

#include <stdio.h>

/* Grace, stale-lock age and stale-lock removal from the policy. */
void clean_options_from_policy(const struct policy *p,
			       struct rt_clean_options *o);

struct clean_summary {
	unsigned removed, kept;
};

/*
 * Clean one stack, printing a line per file to `out` (NULL: quietly),
 * each starting with `label`.
 */
int clean_stack(struct rt_stack *st, const char *label,
		const struct rt_clean_options *o, FILE *out,
		struct clean_summary *sum, struct rt_err *err);

/*
 * Picks the tables [*first, *last] to compact on the stack as it is now;
 * false when there is nothing to compact.
 */
typedef bool (*compact_choose_fn)(const struct rt_stack *st, void *arg,
				  size_t *first, size_t *last);

/*
 * Compact what `choose` picks. When a concurrent writer changed the stack
 * (RT_ERR_OUTDATED), reload, choose again and retry, a few times. Returns
 * 0 when compacted, 1 when `choose` found nothing, or a negative
 * rt_error (RT_ERR_LOCK: busy, nothing changed).
 */
int compact_retrying(struct rt_stack *st, compact_choose_fn choose, void *arg,
		     const struct rt_compact_options *opts,
		     struct rt_compact_result *res, struct rt_err *err);

#endif
