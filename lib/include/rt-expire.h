/*
 * rt-expire.h: reflog expiry as one addition to a stack.
 *
 * The merged log view is read without any lock and a filter decides the
 * fate of every live entry; the losers become log deletion records (and
 * the last entry of a reflog that empties, an existence placeholder) in
 * ONE new table, written and synced unlocked. Only installing it takes
 * tables.list.lock. If other writers appended meanwhile, the table's
 * update-index range is moved above theirs: none of its records depends
 * on that range, because each reuses the key of the entry it replaces.
 *
 * A placeholder is committed only if its reflog is, at commit time, still
 * the one expiry saw (its newest live entry unchanged): one that Git
 * deleted or wrote to meanwhile gets a deletion record instead, so expiry
 * never brings back a reflog Git deleted while it ran. What changed is
 * checked under the lock when it is small (Git's additions); otherwise,
 * and to rewrite the table, the lock is released and the install tried
 * again (RT_ERR_OUTDATED if the stack keeps changing those reflogs).
 */
#ifndef RT_EXPIRE_H
#define RT_EXPIRE_H

#include "rt-error.h"
#include "rt-logfilter.h"
#include "rt-stack.h"

#include <stdbool.h>
#include <stdint.h>

struct rt_expire_result {
	uint64_t reflogs; /* reflogs walked */
	uint64_t logs; /* live entries walked */
	uint64_t dropped; /* entries expired, placeholders included */
	uint64_t placeholders; /* reflogs emptied */
	/*
	 * Placeholders written as deletion records instead, their reflog
	 * having been deleted or written to meanwhile (not in the above).
	 */
	uint64_t placeholders_dropped;
	uint64_t bytes_added; /* size of the new table; 0 when none */
};

/*
 * Expire log entries of `st` as `filter` decides. With `dry_run`, only
 * decide and count. Returns RT_ERR_LOCK when tables.list stayed locked
 * longer than the stack's lock timeout (nothing is changed then). The
 * stack is reloaded first (see rt-stack.h for what that ends) and again
 * once the table is added.
 */
int rt_stack_expire_logs(struct rt_stack *st, rt_log_filter_fn filter,
			 void *arg, bool dry_run, struct rt_expire_result *res,
			 struct rt_err *err);

#endif
