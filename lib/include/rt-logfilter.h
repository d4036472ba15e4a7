/*
 * rt-logfilter.h: deciding, reflog by reflog, which log records survive,
 * and the walk over a stack's reflogs that such decisions need.
 *
 * Expiry (rt-expire.h) and compaction (rt-compact.h) walk the live log
 * records of a stack in key order, that is by refname and, within a
 * reflog, newest first, and ask a filter about each. The walk looks one
 * record ahead so the filter learns which record ends its reflog: that is
 * where Git's rule applies that an emptied reflog keeps one existence
 * placeholder.
 */
#ifndef RT_LOGFILTER_H
#define RT_LOGFILTER_H

#include "rt-error.h"
#include "rt-record.h"

#include <stdbool.h>

struct rt_stack;

enum rt_log_verdict {
	RT_LOG_KEEP = 0,
	RT_LOG_DROP = 1,
	/*
	 * Replace the record by an existence placeholder with the same key
	 * (null ids, no identity, time 0, no message), which shadows the
	 * original exactly as a deletion record would.
	 */
	RT_LOG_PLACEHOLDER = 2,
};

/*
 * Called for each live log record; `last` is true when no later record
 * of the walk has the same refname. Returns a verdict, or a negative
 * error code with `err` set (the operation then stops and changes
 * nothing). `log` is only valid during the call.
 */
typedef int (*rt_log_filter_fn)(void *arg, const struct rt_log_record *log,
				bool last, struct rt_err *err);

/* A walk over the live log records of a stack (opaque). */
struct rt_log_walk;

/*
 * Start a walk over the merged live log records of `st`, for one full
 * pass (pages read are handed back to the kernel as it goes). It reads
 * the tables loaded now: see rt-stack.h for how long that is. Free it
 * with rt_log_walk_free(); on failure *out is NULL.
 */
int rt_log_walk_new(struct rt_log_walk **out, struct rt_stack *st,
		    struct rt_err *err);
/*
 * The next record: 0 with *log set and *last true when it is the last
 * record of its reflog; 1 at the end; < 0 on error. *log belongs to the
 * walk and is valid until the next call; the caller may change it.
 */
int rt_log_walk_next(struct rt_log_walk *w, struct rt_log_record **log,
		     bool *last, struct rt_err *err);
/* `w` may be NULL. */
void rt_log_walk_free(struct rt_log_walk *w);

/* Whether `log` is an existence placeholder (an update, both ids null). */
bool rt_log_is_placeholder(const struct rt_log_record *log);

#endif
