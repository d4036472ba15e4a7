/*
 * leafwalk.h: the leaf level of a section's index, read in step with a
 * pass over the section's blocks.
 *
 * A leaf index record names one block of the section by its position and
 * its last key, in block order, and the leaf level starts right after the
 * section's last block. Read alongside the blocks, it tells where the
 * block after the current one starts and ends and what its last key is,
 * without reading that block: for a log block, without inflating it
 * (lib/merged.c hands such blocks over whole; lib/reuse.c decides when).
 */
#ifndef RT_LIB_LEAFWALK_H
#define RT_LIB_LEAFWALK_H

#include "lib/table.h"

struct rt_leaf_walk {
	const struct rt_table *t;
	struct rt_block blk; /* the leaf index block being read */
	struct rt_block_iter bi;
	struct rt_record rec; /* the first leaf record not yet passed */
	bool have; /* rec holds one; false past the leaf level */
	uint64_t data_end; /* where the section's blocks end */
	/* The block asked last: asked again, it is answered again. */
	uint64_t last_off, last_end;
	struct rt_buf last_key;
};

/*
 * Position `lw` at the first leaf record of `t`'s section of `type`.
 * 0: ready; 1: the section has no index (`lw` holds nothing); < 0: error.
 * Release `lw` whatever this returns.
 */
int rt_leaf_walk_start(struct rt_leaf_walk *lw, const struct rt_table *t,
		       uint8_t type, struct rt_err *err);
/*
 * The block at file position `off`: its last key into `last_key`, and
 * where it ends (where the next block starts, or the section's blocks
 * end) into *end. Positions asked must not descend. 0: found; 1: the index
 * names no block at `off` (asked out of order, or the index and the
 * blocks disagree: the caller then reads the block); < 0: error.
 */
int rt_leaf_walk_block(struct rt_leaf_walk *lw, uint64_t off,
		       struct rt_buf *last_key, uint64_t *end,
		       struct rt_err *err);
void rt_leaf_walk_release(struct rt_leaf_walk *lw);

#endif
