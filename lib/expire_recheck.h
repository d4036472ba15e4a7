/*
 * expire_recheck.h: keeping expiry's existence placeholders true when the
 * stack changed while expiry ran.
 *
 * Expiry decides from a snapshot, unlocked. A placeholder (the last entry
 * of a reflog that empties, rewritten with null ids, keeping its key) is
 * right only if, when expiry's table lands on top of the stack, the
 * reflog is still the one expiry saw. Had Git deleted the ref meanwhile
 * (deletion records for every entry key, in a newer table) the
 * placeholder, in a newer table still, would win over Git's deletion of
 * that key and bring the reflog back; had Git added an entry, the reflog
 * exists without it. So each placeholder remembers the newest entry its
 * reflog had, and is still right exactly when that entry is still the
 * newest live one of the reflog in the stack as it is at commit time.
 * Otherwise it is written as a plain deletion record instead.
 */
#ifndef RT_LIB_EXPIRE_RECHECK_H
#define RT_LIB_EXPIRE_RECHECK_H

#include "lib/stack.h"

#include <stdbool.h>

struct rt_placeholder {
	char *refname;
	uint64_t newest; /* update index of the reflog's newest live entry */
	bool stale; /* to be written as a deletion record instead */
};

/* Sorted by refname: expiry walks reflogs in order. */
struct rt_placeholders {
	struct rt_placeholder *v;
	size_t n, cap;
};

int rt_placeholders_add(struct rt_placeholders *p, const struct rt_buf *refname,
			uint64_t newest, struct rt_err *err);
void rt_placeholders_release(struct rt_placeholders *p);
/* The entry for `refname`, or NULL. */
struct rt_placeholder *rt_placeholders_find(struct rt_placeholders *p,
					    const char *refname, size_t len);

/* Names of the tables of `st` (a NULL-terminated, sorted copy). */
int rt_placeholders_snapshot(const struct rt_stack *st, char ***names,
			     struct rt_err *err);

/*
 * Mark stale the placeholders that the stack `st` (loaded as it is now)
 * no longer agrees with. With `known` (a snapshot of the tables whose
 * content was checked already), only reflogs that a table not in `known`
 * has a record for are checked: cheap enough to run under
 * tables.list.lock. Returns 1 instead when that would read more than a
 * few hundred KiB of new tables or look up more than a few hundred
 * reflogs (a compaction rewrote old tables, say): the caller then checks
 * unlocked with `known` NULL (every placeholder) and tries again. 0, 1,
 * or < 0 on error.
 */
int rt_placeholders_check(struct rt_stack *st, char *const *known,
			  struct rt_placeholders *p, struct rt_err *err);

#endif
