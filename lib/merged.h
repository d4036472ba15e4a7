/*
 * merged.h: one sorted view over a stack of tables.
 *
 * Tables are given oldest first. For equal keys the newest table wins; a
 * deletion record hides older entries with its key and is itself left out
 * unless `show_deletions` is set (compaction needs to see them).
 */
#ifndef RT_LIB_MERGED_H
#define RT_LIB_MERGED_H

#include "lib/heap.h"
#include "lib/table.h"

struct rt_merged_sub;

/*
 * May the block `o` (index 0, last_in_block) be handed over whole,
 * unread? See rt_merged_iter_whole_blocks().
 */
typedef bool (*rt_merged_block_fn)(void *arg, const struct rt_rec_origin *o);
/* A log record of a run, its value as its block holds it. */
typedef int (*rt_merged_raw_fn)(void *arg, const struct rt_buf *key,
				const struct rt_raw_value *raw,
				struct rt_err *err);

struct rt_merged_iter {
	uint8_t type;
	bool show_deletions;
	size_t n;
	struct rt_merged_sub *subs;
	struct rt_heap heap; /* indexes into subs; min key, then newest, first */
	struct rt_buf key;
	/* Where the record rt_merged_iter_next() returned last came from. */
	struct rt_rec_origin origin;
	/*
	 * Where the oldest record that record shadowed (same key, older
	 * table) came from, when has_shadowed.
	 */
	bool has_shadowed;
	struct rt_rec_origin shadowed;
	rt_merged_block_fn whole_block;
	void *whole_block_arg;
	/*
	 * Runs (rt_merged_iter_runs, rt_merged_iter_log_runs): whether to,
	 * where log records go, and the last one (of logs, only the counts).
	 */
	rt_merged_block_fn run_ok;
	rt_merged_raw_fn run_put;
	void *run_arg;
	struct rt_ref_run run;
};

/* rt_merged_iter_next(): a whole block, unread (see below). */
#define RT_MERGED_BLOCK 2
/* rt_merged_iter_next(): a run of refs of one block (see below). */
#define RT_MERGED_RUN 3

/*
 * Start a merge of `tables` (oldest first; the array itself is not kept).
 * `mi` must not move until rt_merged_iter_release(): its heap points at
 * it.
 */
int rt_merged_iter_init(struct rt_merged_iter *mi, struct rt_table **tables,
			size_t n, uint8_t type, bool show_deletions,
			struct rt_err *err);
/* Position before the first key >= key (len 0: the start). */
int rt_merged_iter_seek(struct rt_merged_iter *mi, const void *key, size_t len,
			struct rt_err *err);
/*
 * 0: `rec` filled; 1: end; RT_MERGED_BLOCK: a whole block, `rec`
 * untouched; < 0: error.
 */
int rt_merged_iter_next(struct rt_merged_iter *mi, struct rt_record *rec,
			struct rt_err *err);
void rt_merged_iter_release(struct rt_merged_iter *mi);
/*
 * Where the record the next rt_merged_iter_next() will consider first
 * comes from (it may yet be shadowed or hidden); NULL at the end.
 */
const struct rt_rec_origin *
rt_merged_iter_next_origin(const struct rt_merged_iter *mi);
/*
 * The oldest record the record rt_merged_iter_next() returned last
 * replaced: the same key in an older table, not handed over. NULL if it
 * replaced none.
 */
const struct rt_rec_origin *
rt_merged_iter_shadowed(const struct rt_merged_iter *mi);
/*
 * The block at `block_off` of table `t` when the merge has it loaded (for
 * logs, inflated), NULL otherwise. Valid until the merge moves on.
 */
const struct rt_block *rt_merged_iter_block(const struct rt_merged_iter *mi,
					    const struct rt_table *t,
					    uint64_t block_off);
/*
 * For one full pass, after rt_merged_iter_start(): when a table's next
 * block lies wholly below every other table's current key (so no other
 * table has a key in its range, and nothing in it is shadowed or
 * shadows), and `fn` allows it, rt_merged_iter_next() returns
 * RT_MERGED_BLOCK instead of its records: `origin` names the block and
 * `key` holds its last key. The merge does not read the block: its end
 * and last key come from the table's index (lib/leafwalk.h); tables
 * without one are read as before. Deletion records in it are not seen
 * here, so not hidden.
 * With `fn` NULL no block is handed over whole, but the index still
 * tells which blocks another table's key falls into (origin.shared).
 */
int rt_merged_iter_whole_blocks(struct rt_merged_iter *mi,
				rt_merged_block_fn fn, void *arg,
				struct rt_err *err);
/*
 * For a full pass over refs: when the next record's table has more
 * records in the same block, below every other table's current key, and
 * `fn` allows it for the record's origin, rt_merged_iter_next() returns
 * RT_MERGED_RUN instead of the record: `run` says how many records,
 * from that one on, were stepped over without decoding their values
 * (rt_block_iter_skip_refs), which ids they name and how many are
 * deletions; `origin` is the first one's, with last_in_block set when
 * the run reaches the end of the block, and `key` is the last one's.
 * No record of a run shadows or is shadowed: every other key is greater.
 */
void rt_merged_iter_runs(struct rt_merged_iter *mi, rt_merged_block_fn fn,
			 void *arg);
/*
 * The same for logs, whose records are not stepped over but handed to
 * `put`, one by one, the first the one the run starts with, their values
 * as their block holds them (rt_block_iter_next_raw); then `run` has
 * their count and how many are deletions. An error `put` returns ends
 * the merge's call with it.
 */
void rt_merged_iter_log_runs(struct rt_merged_iter *mi, rt_merged_block_fn fn,
			     rt_merged_raw_fn put, void *arg);
/* rt_table_iter_drop_behind() for every table: for one full pass. */
void rt_merged_iter_drop_behind(struct rt_merged_iter *mi);
/*
 * Set up one full pass over every record of `type`: init, drop pages
 * behind, position at the start. Release `mi` whatever this returns.
 */
int rt_merged_iter_start(struct rt_merged_iter *mi, struct rt_table **tables,
			 size_t n, uint8_t type, bool show_deletions,
			 struct rt_err *err);

#endif
