/*
 * rt-compact.h: merging a run of tables into one, under Git's locking
 * protocol, while Git keeps writing to the same stack.
 */
#ifndef RT_COMPACT_H
#define RT_COMPACT_H

#include "rt-error.h"
#include "rt-logfilter.h"
#include "rt-stack.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Zero for Git's own compaction. */
struct rt_compact_options {
	/* Compact only the newer tables that could be locked (>= 2). */
	bool best_effort;
	/*
	 * Decides which live log records survive. A dropped record simply
	 * disappears when the segment starts at the oldest table; otherwise
	 * a log deletion record takes its place, so that no older copy can
	 * resurface.
	 */
	rt_log_filter_fn filter;
	void *filter_arg;
	/*
	 * Told how many records (refs and logs) were merged so far, every
	 * RT_COMPACT_PROGRESS_STEP records and once at the end; may be NULL.
	 */
	void (*progress)(void *arg, uint64_t records);
	void *progress_arg;
	/*
	 * Encode every record again instead of copying the source blocks
	 * the merge leaves unchanged (for tests and measurements).
	 */
	bool no_reuse;
	/*
	 * Where the logs are merged: on a thread of their own, while the
	 * refs are, when the segment is large (RT_COMPACT_LOGS_AUTO), always
	 * or never. Not while a filter is set, nor when the stack's write
	 * options forbid threads, nor on a nearly full file system (the log
	 * section is written twice). The table comes out the same, byte for
	 * byte.
	 */
	enum rt_compact_logs_apart {
		RT_COMPACT_LOGS_AUTO = 0,
		RT_COMPACT_LOGS_APART,
		RT_COMPACT_LOGS_INLINE,
	} logs_apart;
};
#define RT_COMPACT_PROGRESS_STEP 1024

struct rt_compact_result {
	/* Segment actually compacted, as indexes into the stack before. */
	size_t first, last;
	size_t tables_before, tables_after;
	uint64_t bytes_before; /* of the compacted tables */
	uint64_t bytes_after; /* of the new table; 0 when it came out empty */
	/*
	 * Records written, not counting the log records of blocks copied
	 * unread (blocks_unread): counting them would mean inflating them.
	 */
	uint64_t refs_written, logs_written;
	/*
	 * Of logs_written, those whose values were copied as their source
	 * block held them, neither decoded nor encoded again.
	 */
	uint64_t logs_raw;
	uint64_t logs_dropped; /* including those replaced by placeholders */
	uint64_t placeholders;
	uint64_t blocks_after; /* blocks of the new table, index blocks too */
	uint64_t blocks_reused; /* of them, source blocks copied as they were */
	uint64_t blocks_unread; /* of those, copied without being read */
	/* Ref blocks copied with updated refs written over their own. */
	uint64_t blocks_patched;
	bool logs_apart; /* the logs were merged on a thread of their own */
	/*
	 * Then, the bytes of their section appended to the table, and
	 * synced, while their merge went on.
	 */
	uint64_t logs_synced_early;
};

/*
 * Compact tables [first, last] (inclusive; indexes as rt_stack_table()
 * has them). Returns RT_ERR_LOCK when tables.list or a table is locked by
 * someone else, RT_ERR_OUTDATED when the stack changed in a way that
 * invalidates the segment; nothing is changed in either case. `opts`
 * and `res` may be NULL. The stack is reloaded once the new tables.list
 * is committed (see rt-stack.h for what that ends).
 */
int rt_stack_compact_range(struct rt_stack *st, size_t first, size_t last,
			   const struct rt_compact_options *opts,
			   struct rt_compact_result *res, struct rt_err *err);
/*
 * Compact the whole stack into one table (dropping deletion records), as
 * rt_stack_compact_range() does.
 */
int rt_stack_compact_all(struct rt_stack *st,
			 const struct rt_compact_options *opts,
			 struct rt_compact_result *res, struct rt_err *err);
/*
 * Compact the segment the geometric rule suggests, best effort. Returns 0
 * with res->tables_before == res->tables_after when nothing was due.
 */
int rt_stack_auto_compact(struct rt_stack *st, struct rt_compact_result *res,
			  struct rt_err *err);

#endif
