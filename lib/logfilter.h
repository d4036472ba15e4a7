/*
 * logfilter.h: the log walk of rt-logfilter.h over any run of tables, as
 * expiry and compaction use it.
 */
#ifndef RT_LIB_LOGFILTER_H
#define RT_LIB_LOGFILTER_H

#include "lib/include/rt-logfilter.h"
#include "lib/merged.h"

struct rt_log_walk {
	struct rt_merged_iter mi;
	struct rt_record recs[2];
	struct rt_record *cur, *ahead;
	/* Where cur (the record last handed out) and ahead came from. */
	struct rt_rec_origin cur_origin, ahead_origin;
	int ahead_state; /* 0: `ahead` holds a record; 1: end; -1: not read */
};

/*
 * A full pass over the log records of `tables` (oldest first). With
 * `show_deletions` false only live records come out, and `last` is exact;
 * otherwise deletion records come out too and count as later records.
 * `w` must not move until rt_log_walk_release().
 */
int rt_log_walk_init(struct rt_log_walk *w, struct rt_table **tables, size_t n,
		     bool show_deletions, struct rt_err *err);
void rt_log_walk_release(struct rt_log_walk *w);


/* Turn `log` into an existence placeholder, keeping its key. */
void rt_log_make_placeholder(struct rt_log_record *log);

#endif
