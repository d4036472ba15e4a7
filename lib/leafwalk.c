/*
 * leafwalk.c: reading a section's leaf index records in order.
 *
 * The writer (Git's and ours) puts a section's index right after its last
 * block, one level after the other, leaves first, each level in block
 * order; the footer names the root. Descending from the root by first
 * records therefore ends at the first leaf index block, which is where
 * the section's blocks end. Leaf records name positions below that; the
 * first record whose position is not below it belongs to the next level,
 * and ends the walk.
 */
#include "lib/leafwalk.h"

#include <string.h>

#define LEAF_MAX_DEPTH 16

static int load(struct rt_leaf_walk *lw, uint64_t off, struct rt_err *err)
{
	int ret = rt_table_load_block(lw->t, &lw->blk, off, err);

	if (ret)
		return ret;
	if (lw->blk.type != RT_BLOCK_INDEX)
		return rt_table_error(err, lw->t, off,
				      "expected an index block");
	rt_block_iter_start(&lw->bi, &lw->blk);
	return 0;
}

/* Move to the next leaf record; lw->have false past the leaf level. */
static int leaf_next(struct rt_leaf_walk *lw, struct rt_err *err)
{
	for (;;) {
		uint64_t next;
		int ret = rt_block_iter_next(&lw->bi, &lw->rec, err);

		if (ret < 0)
			return ret;
		if (!ret) {
			lw->have = lw->rec.u.idx.offset < lw->data_end;
			return 0;
		}
		next = lw->blk.file_off + lw->blk.file_len;
		if (next >= lw->t->footer_off ||
		    lw->t->data[next] != RT_BLOCK_INDEX) {
			lw->have = false;
			return 0;
		}
		if ((ret = load(lw, next, err)))
			return ret;
	}
}

int rt_leaf_walk_start(struct rt_leaf_walk *lw, const struct rt_table *t,
		       uint8_t type, struct rt_err *err)
{
	const struct rt_table_section *sec = rt_table_section(t, type);
	uint64_t off;
	int ret;

	memset(lw, 0, sizeof(*lw));
	lw->t = t;
	rt_record_init(&lw->rec, RT_BLOCK_INDEX);
	if (!sec || !sec->present || !sec->index_offset)
		return 1;
	off = sec->index_offset;
	for (int depth = 0;; depth++) {
		uint64_t child;

		if (depth == LEAF_MAX_DEPTH)
			return rt_table_error(err, t, off,
					      "index nested too deeply");
		if ((ret = load(lw, off, err)))
			return ret;
		ret = rt_block_iter_next(&lw->bi, &lw->rec, err);
		if (ret)
			return ret < 0 ? ret :
					 rt_table_error(err, t, off,
							"empty index block");
		child = lw->rec.u.idx.offset;
		if (child >= t->footer_off || child >= off)
			return rt_table_error(err, t, off,
					      "index points past itself");
		if (t->data[child] != RT_BLOCK_INDEX)
			break;
		off = child;
	}
	/* `off` is the first leaf index block: the blocks end there. */
	lw->data_end = off;
	lw->have = true;
	return 0;
}

int rt_leaf_walk_block(struct rt_leaf_walk *lw, uint64_t off,
		       struct rt_buf *last_key, uint64_t *end,
		       struct rt_err *err)
{
	uint64_t end_now;
	int ret;

	if (off && off == lw->last_off)
		goto answer;
	while (lw->have && lw->rec.u.idx.offset < off)
		if ((ret = leaf_next(lw, err)))
			return ret;
	if (!lw->have || lw->rec.u.idx.offset != off)
		return 1;
	if (rt_buf_set(&lw->last_key, lw->rec.u.idx.last_key.buf,
		       lw->rec.u.idx.last_key.len))
		return rt_err_oom(err);
	if ((ret = leaf_next(lw, err)))
		return ret;
	end_now = lw->have ? lw->rec.u.idx.offset : lw->data_end;
	if (end_now <= off)
		return 1;
	lw->last_off = off;
	lw->last_end = end_now;
answer:
	if (rt_buf_set(last_key, lw->last_key.buf, lw->last_key.len))
		return rt_err_oom(err);
	*end = lw->last_end;
	return 0;
}

void rt_leaf_walk_release(struct rt_leaf_walk *lw)
{
	rt_block_release(&lw->blk);
	rt_block_iter_release(&lw->bi);
	rt_record_release(&lw->rec);
	rt_buf_release(&lw->last_key);
}
