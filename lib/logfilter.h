/*
 * logfilter.h: deciding, reflog by reflog, which log records survive.
 *
 * Expiry (expire.c) and compaction (compact.c) both walk the log records of
 * a set of tables in key order, that is by refname and, within a reflog,
 * newest first, and ask a filter about each live record. The walk looks one
 * record ahead so the filter learns which record ends its reflog: that is
 * where Git's rule applies that an emptied reflog keeps one existence
 * placeholder.
 */
#ifndef RT_LOGFILTER_H
#define RT_LOGFILTER_H

#include "lib/merged.h"

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
 * error code with `err` set.
 */
typedef int (*rt_log_filter_fn)(void *arg, const struct rt_log_record *log,
				bool last, struct rt_err *err);

struct rt_log_walk {
	struct rt_merged_iter mi;
	struct rt_record recs[2];
	struct rt_record *cur, *ahead;
	int ahead_state; /* 0: `ahead` holds a record; 1: end; -1: not read */
};

/*
 * A full pass over the log records of `tables` (oldest first). With
 * `show_deletions` false only live records come out, and `last` is exact;
 * otherwise deletion records come out too and count as later records.
 */
int rt_log_walk_init(struct rt_log_walk *w, struct rt_table **tables, size_t n,
		     bool show_deletions, struct rt_err *err);
/* 0: w->cur is the next record and *last is set; 1: end; < 0: error. */
int rt_log_walk_next(struct rt_log_walk *w, bool *last, struct rt_err *err);
void rt_log_walk_release(struct rt_log_walk *w);

/* Turn `log` into an existence placeholder, keeping its key. */
void rt_log_make_placeholder(struct rt_log_record *log);
/* Whether `log` is such a placeholder (an update with both ids null). */
bool rt_log_is_placeholder(const struct rt_log_record *log);

#endif
