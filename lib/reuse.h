/*
 * reuse.h: during compaction, copying source blocks that come out of the
 * merge unchanged instead of encoding (and, for logs, deflating) their
 * records again.
 */
#ifndef RT_LIB_REUSE_H
#define RT_LIB_REUSE_H

#include "lib/merged.h"
#include "lib/writer.h"

struct rt_reuse_patch {
	struct rt_record rec;
	/* The record it replaces in the held block: index, bytes. */
	uint32_t index, rec_off, rec_len;
};

struct rt_reuse {
	struct rt_writer *w;
	uint8_t type; /* RT_BLOCK_REF or RT_BLOCK_LOG */
	bool enabled;
	/* The candidate: records 0..count-1 of block `blk`, held back. */
	bool open;
	struct rt_rec_origin blk;
	uint32_t count;
	uint32_t deletions; /* held deletion records, from runs */
	struct rt_buf first_key, last_key;
	struct rt_buf oids; /* refs: the ids the held records name */
	/*
	 * Refs: records of other tables that replace (same key, newer)
	 * records of the held block, in index order; see lib/reuse.c.
	 */
	struct rt_reuse_patch *patches;
	size_t patch_len, patch_cap;
	struct rt_buf patched; /* the block rebuilt with them */
	struct rt_buf key, encoded; /* scratch */
	struct rt_record scratch;
	/* Blocks handed over whole may come from this table (NULL: any). */
	bool unread;
	bool keep_deletions;
	const struct rt_table *unread_from;
	/* The merge, whose loaded blocks held log records are read from. */
	const struct rt_merged_iter *mi;
};

/*
 * `keep_deletions`: the segment does not start at the stack's oldest
 * table, so deletion records go into the new table.
 */
void rt_reuse_init(struct rt_reuse *r, struct rt_writer *w, uint8_t type,
		   bool enabled, bool keep_deletions);
/*
 * `rec`, from `o`, goes into the new table unchanged; `next` is where the
 * record after it in the merge comes from, NULL when unknown or at the
 * end; `shadowed` where the oldest record it replaced came from, NULL if
 * none (rt_merged_iter_shadowed()). Sets *held when the reuse keeps it
 * (it is then copied with its block, or written later if the block
 * cannot be copied after all); otherwise the caller writes it, after any
 * records held before it, which this call writes first.
 */
int rt_reuse_offer(struct rt_reuse *r, const struct rt_record *rec,
		   const struct rt_rec_origin *o,
		   const struct rt_rec_origin *next,
		   const struct rt_rec_origin *shadowed, bool *held,
		   struct rt_err *err);
/*
 * The merge dropped or changed a record, or ended: write the held
 * records now, in order, before whatever comes next.
 */
int rt_reuse_break(struct rt_reuse *r, struct rt_err *err);
/*
 * Let `mi`, a full pass over a segment (`tables`, oldest first), tell
 * from the tables' indexes which blocks other tables' keys fall into,
 * and, when its records go into the writer as they are (not `filtered`),
 * hand over blocks whole where that is exact.
 */
int rt_reuse_whole_blocks(struct rt_reuse *r, struct rt_merged_iter *mi,
			  struct rt_table *const *tables, bool filtered,
			  struct rt_err *err);
/*
 * `mi` returned RT_MERGED_RUN: hold those records too, adding to
 * *written the records that will be written; copy the block if the run
 * ends it.
 */
int rt_reuse_take_run(struct rt_reuse *r, const struct rt_merged_iter *mi,
		      uint64_t *written, struct rt_err *err);
/*
 * `mi` returned RT_MERGED_BLOCK: copy that block, after any held records,
 * adding to *written the records written that are counted (a log block
 * copied unread counts none).
 */
int rt_reuse_copy_whole(struct rt_reuse *r, const struct rt_merged_iter *mi,
			uint64_t *written, struct rt_err *err);
void rt_reuse_release(struct rt_reuse *r);

#endif
