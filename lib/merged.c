/*
 * merged.c: k-way merge of table iterators through a binary heap.
 *
 * Each sub-iterator holds its current record; its key is the table
 * iterator's (bi.last_key). The heap orders by key, then by table position
 * descending, so among equal keys the newest table's record surfaces
 * first; the others are then skipped.
 *
 * Memory: a merge holds each table's current block (a log block inflated,
 * up to 16 MiB) and must; it does not also hold each table's decoded
 * record, whose message may be nearly as large. A record whose buffers
 * hold more than SUB_HELD_MAX is dropped as soon as it is read and
 * decoded again from its block when it is handed over; so are buffers
 * that large swapped in from the caller. The common small record is
 * decoded once and handed over by swapping buffers, as before.
 */
#include "lib/merged.h"
#include "lib/leafwalk.h"

#include <stdlib.h>
#include <string.h>

#define SUB_HELD_MAX (64u << 10)

struct rt_merged_sub {
	struct rt_table_iter it;
	struct rt_record rec;
	bool dropped; /* rec was too large to hold: decode it again */
	struct rt_rec_origin origin; /* of rec */
	/* Whole blocks: this table's index, when it has one. */
	struct rt_leaf_walk *leaf;
	/* Next out is the whole block at `block` (last key `block_key`). */
	bool pending;
	struct rt_rec_origin block;
	struct rt_buf block_key;
};

/* The key of sub `s`'s current record, or its pending block's last key. */
static const struct rt_buf *sub_key(const struct rt_merged_iter *mi, size_t s)
{
	const struct rt_merged_sub *sub = &mi->subs[s];

	return sub->pending ? &sub->block_key : &sub->it.bi.last_key;
}

static bool sub_less(const void *arg, size_t a, size_t b)
{
	const struct rt_merged_iter *mi = arg;
	int c = rt_buf_cmp(sub_key(mi, a), sub_key(mi, b));

	return c < 0 || (c == 0 && a > b);
}

/* Read the next record of sub `s`; 1 when it has no more. */
static int sub_read(struct rt_merged_iter *mi, size_t s, struct rt_err *err)
{
	struct rt_merged_sub *sub = &mi->subs[s];
	int ret = rt_table_iter_next(&sub->it, &sub->rec, err);

	if (ret < 0)
		return ret;
	/*
	 * Nothing large stays: neither a large record nor large buffers
	 * swapped in from the caller, even when the sub has no more.
	 */
	sub->dropped = false;
	if (ret || rt_record_held(&sub->rec) > SUB_HELD_MAX) {
		rt_record_release(&sub->rec);
		rt_record_init(&sub->rec, mi->type);
		sub->dropped = !ret;
	}
	if (ret)
		return ret;
	rt_table_iter_origin(&sub->it, &sub->origin);
	return 0;
}

/* Read the next record of sub `s`; push it on the heap unless exhausted. */
static int sub_advance(struct rt_merged_iter *mi, size_t s, struct rt_err *err)
{
	int ret = sub_read(mi, s, err);

	if (ret)
		return ret < 0 ? ret : 0;
	rt_heap_push(&mi->heap, s);
	return 0;
}

/* With the top sub on top: the least key of the others, NULL if none. */
static const struct rt_buf *least_other(const struct rt_merged_iter *mi)
{
	const struct rt_buf *a, *b;

	/* The root's children are the least of the others. */
	if (mi->heap.len < 2)
		return NULL;
	a = sub_key(mi, mi->heap.items[1]);
	if (mi->heap.len < 3)
		return a;
	b = sub_key(mi, mi->heap.items[2]);
	return rt_buf_cmp(a, b) <= 0 ? a : b;
}

/*
 * Sub `s`, on top of the heap, has handed over its record. If its table's
 * next block ends below the current key of every other sub, and the
 * owner allows, make that block the sub's next item, unread: 0 if so, 1
 * if not. Its last key then orders the sub in the heap, where it stays
 * on top: every other key is greater, and stays so, since no other sub
 * moves until the block is handed over. Every key of the block is also
 * greater than anything handed over before, which was less than this
 * table's current key when it was handed over. The block must end where
 * the next block of the section starts, or where the section's blocks
 * end: an index that says otherwise is not followed.
 */
static int pend_block(struct rt_merged_iter *mi, size_t s, struct rt_err *err)
{
	struct rt_merged_sub *sub = &mi->subs[s];
	const struct rt_table *t = sub->it.t;
	const struct rt_buf *least;
	uint64_t off, end;
	int ret;

	if (!sub->leaf || !mi->whole_block ||
	    !(off = rt_table_iter_next_block(&sub->it)))
		return 1;
	ret = rt_leaf_walk_block(sub->leaf, off, &sub->block_key, &end, err);
	if (ret)
		return ret;
	least = least_other(mi);
	if (least && rt_buf_cmp(&sub->block_key, least) >= 0)
		return 1;
	if (end != sub->leaf->data_end && t->data[end] != mi->type)
		return 1;
	if (end - off < 4)
		return 1;
	sub->block = (struct rt_rec_origin){
		.table = t,
		.block_off = off,
		.content_len = rt_get_be24(t->data + off + 1),
		.index = 0,
		.last_in_block = true,
	};
	/* A log block takes its deflated size; others, their content. */
	sub->block.block_len =
		mi->type == RT_BLOCK_LOG ? end - off : sub->block.content_len;
	if (sub->block.block_len > end - off ||
	    !mi->whole_block(mi->whole_block_arg, &sub->block))
		return 1;
	rt_table_iter_skip_block(&sub->it, end);
	sub->pending = true;
	return 0;
}

/*
 * Sub `s`, on top, has just read the first record of a block: if the
 * least key of the others lies strictly within the block's range (from
 * the index), a record of another table comes out between two of the
 * block's. Worth knowing now: compaction then does not hold them back
 * for a copy, only to decode them (for logs, inflate them) a second time.
 * (A key equal to the first or last may be shadowed by this block's, so
 * it does not count.)
 */
static int mark_shared(struct rt_merged_iter *mi, size_t s, struct rt_err *err)
{
	struct rt_merged_sub *sub = &mi->subs[s];
	const struct rt_buf *least;
	uint64_t end;
	int ret;

	if (!sub->leaf || sub->origin.index != 0 || !(least = least_other(mi)))
		return 0;
	ret = rt_leaf_walk_block(sub->leaf, sub->origin.block_off,
				 &sub->block_key, &end, err);
	if (ret)
		return ret < 0 ? ret : 0;
	sub->origin.shared = rt_buf_cmp(least, &sub->it.bi.last_key) > 0 &&
			     rt_buf_cmp(least, &sub->block_key) < 0;
	return 0;
}

static int top_advance(struct rt_merged_iter *mi, struct rt_err *err);
static int take_log_run(struct rt_merged_iter *mi, struct rt_merged_sub *sub,
			const struct rt_buf *bound, struct rt_err *err);

/*
 * Sub `sub`, on top, holds a record below every other sub's key: hand it
 * over with the records after it in its block that are below them too,
 * as one run (refs stepped over, logs read raw: take_log_run). 0 when
 * its key is not below them (an equal key of an older table is shadowed:
 * the record path handles that).
 */
static int take_run(struct rt_merged_iter *mi, struct rt_merged_sub *sub,
		    struct rt_err *err)
{
	const struct rt_buf *bound = least_other(mi);
	const struct rt_ref_record *r = &sub->rec.u.ref;
	size_t n = (size_t)sub->it.t->hash_size;
	int ret;

	if (bound && rt_buf_cmp(&sub->it.bi.last_key, bound) >= 0)
		return 0;
	if (mi->type == RT_BLOCK_LOG)
		return take_log_run(mi, sub, bound, err);
	mi->run.count = 1;
	mi->run.deletions = r->value_type == RT_REF_DELETION;
	rt_buf_reset(&mi->run.ids);
	if ((r->value_type == RT_REF_VAL1 || r->value_type == RT_REF_VAL2) &&
	    rt_buf_add(&mi->run.ids, r->value, n))
		return rt_err_oom(err);
	if (r->value_type == RT_REF_VAL2 &&
	    rt_buf_add(&mi->run.ids, r->peeled, n))
		return rt_err_oom(err);
	mi->origin = sub->origin;
	if ((ret = rt_table_iter_skip_refs(&sub->it, bound, &mi->run, err)))
		return ret;
	mi->origin.last_in_block = sub->it.bi.off >= sub->it.blk.restart_start;
	if (rt_buf_set(&mi->key, sub->it.bi.last_key.buf,
		       sub->it.bi.last_key.len))
		return rt_err_oom(err);
	ret = top_advance(mi, err);
	return ret ? ret : RT_MERGED_RUN;
}

/*
 * take_run() for logs: the sub's record, already read, and those after it
 * in its block below `bound`, read raw, go to run_put as they come.
 */
static int take_log_run(struct rt_merged_iter *mi, struct rt_merged_sub *sub,
			const struct rt_buf *bound, struct rt_err *err)
{
	const struct rt_block_iter *bi = &sub->it.bi;
	int ret;

	if (!bi->stepped)
		return 0;
	mi->run.count = 0;
	mi->run.deletions = 0;
	mi->origin = sub->origin;
	do {
		struct rt_raw_value raw = rt_block_iter_raw(bi);

		mi->run.count++;
		mi->run.deletions += raw.type == RT_LOG_DELETION;
		ret = mi->run_put(mi->run_arg, &bi->last_key, &raw, err);
	} while (!ret && !(ret = rt_table_iter_next_raw(&sub->it, bound, err)));
	if (ret < 0)
		return ret;
	mi->origin.last_in_block = bi->off >= bi->b->restart_start;
	if (rt_buf_set(&mi->key, bi->last_key.buf, bi->last_key.len))
		return rt_err_oom(err);
	ret = top_advance(mi, err);
	return ret ? ret : RT_MERGED_RUN;
}

/*
 * Move the sub on top of the heap to its next record and restore the
 * order: usually the same sub stays on top, which costs a comparison or
 * two, where a pop and a push would cost a walk down and up the heap.
 */
static int top_advance(struct rt_merged_iter *mi, struct rt_err *err)
{
	int ret = pend_block(mi, rt_heap_top(&mi->heap), err);

	if (ret <= 0) {
		if (!ret)
			rt_heap_fix_top(&mi->heap);
		return ret;
	}
	ret = sub_read(mi, rt_heap_top(&mi->heap), err);
	if (!ret)
		ret = mark_shared(mi, rt_heap_top(&mi->heap), err);
	if (ret < 0)
		return ret;
	if (ret)
		rt_heap_pop(&mi->heap);
	else
		rt_heap_fix_top(&mi->heap);
	return 0;
}

int rt_merged_iter_init(struct rt_merged_iter *mi, struct rt_table **tables,
			size_t n, uint8_t type, bool show_deletions,
			struct rt_err *err)
{
	memset(mi, 0, sizeof(*mi));
	mi->type = type;
	mi->show_deletions = show_deletions;
	mi->subs = calloc(n ? n : 1, sizeof(*mi->subs));
	if (!mi->subs || rt_heap_init(&mi->heap, n, sub_less, mi)) {
		free(mi->subs);
		mi->subs = NULL;
		return rt_err_oom(err);
	}
	mi->n = n;
	for (size_t i = 0; i < n; i++) {
		rt_table_iter_init(&mi->subs[i].it, tables[i], type);
		rt_record_init(&mi->subs[i].rec, type);
	}
	return 0;
}

int rt_merged_iter_seek(struct rt_merged_iter *mi, const void *key, size_t len,
			struct rt_err *err)
{
	int ret;

	mi->heap.len = 0;
	for (size_t i = 0; i < mi->n; i++) {
		mi->subs[i].pending = false;
		ret = rt_table_iter_seek(&mi->subs[i].it, key, len, err);
		if (!ret)
			ret = sub_advance(mi, i, err);
		if (ret)
			return ret;
	}
	return 0;
}

int rt_merged_iter_next(struct rt_merged_iter *mi, struct rt_record *rec,
			struct rt_err *err)
{
	if (rec->type != mi->type)
		return rt_err_set(err, RT_ERR_API, "record type mismatch");
	for (;;) {
		struct rt_merged_sub *sub;
		struct rt_record tmp;
		int ret;

		mi->has_shadowed = false;
		if (!mi->heap.len)
			return 1;
		sub = &mi->subs[rt_heap_top(&mi->heap)];
		if (sub->pending) {
			sub->pending = false;
			mi->origin = sub->block;
			if (rt_buf_set(&mi->key, sub->block_key.buf,
				       sub->block_key.len))
				return rt_err_oom(err);
			/* Nothing else has a key in the block's range. */
			ret = top_advance(mi, err);
			return ret ? ret : RT_MERGED_BLOCK;
		}
		if (mi->run_ok && !sub->dropped && !sub->origin.last_in_block &&
		    sub->origin.index != RT_NO_INDEX &&
		    mi->run_ok(mi->run_arg, &sub->origin) &&
		    (ret = take_run(mi, sub, err)))
			return ret;
		if (sub->dropped) {
			/* Straight into the caller's record, from the block. */
			if ((ret = rt_table_iter_value(&sub->it, rec, err)))
				return ret;
		} else {
			/* Hand the record over by swapping buffers. */
			tmp = *rec;
			*rec = sub->rec;
			sub->rec = tmp;
		}
		mi->origin = sub->origin;
		/* top_advance() moves the sub's key on: keep this one. */
		if (rt_buf_set(&mi->key, sub->it.bi.last_key.buf,
			       sub->it.bi.last_key.len))
			return rt_err_oom(err);
		if ((ret = top_advance(mi, err)))
			return ret;
		/*
		 * Older tables' entries with the same key are shadowed; equal
		 * keys come off the heap newest first, so the last one noted
		 * is the oldest.
		 */
		while (mi->heap.len &&
		       !rt_buf_cmp(sub_key(mi, rt_heap_top(&mi->heap)),
				   &mi->key)) {
			const struct rt_merged_sub *old =
				&mi->subs[rt_heap_top(&mi->heap)];

			mi->has_shadowed = !old->pending;
			if (!old->pending)
				mi->shadowed = old->origin;
			if ((ret = top_advance(mi, err)))
				return ret;
		}
		if (mi->show_deletions || !rt_record_is_deletion(rec))
			return 0;
	}
}

const struct rt_rec_origin *
rt_merged_iter_next_origin(const struct rt_merged_iter *mi)
{
	const struct rt_merged_sub *sub;

	if (!mi->heap.len)
		return NULL;
	sub = &mi->subs[rt_heap_top(&mi->heap)];
	return sub->pending ? &sub->block : &sub->origin;
}

void rt_merged_iter_runs(struct rt_merged_iter *mi, rt_merged_block_fn fn,
			 void *arg)
{
	if (mi->type != RT_BLOCK_REF)
		return;
	mi->run_ok = fn;
	mi->run_arg = arg;
}

void rt_merged_iter_log_runs(struct rt_merged_iter *mi, rt_merged_block_fn fn,
			     rt_merged_raw_fn put, void *arg)
{
	if (mi->type != RT_BLOCK_LOG)
		return;
	mi->run_ok = fn;
	mi->run_put = put;
	mi->run_arg = arg;
}

const struct rt_block *rt_merged_iter_block(const struct rt_merged_iter *mi,
					    const struct rt_table *t,
					    uint64_t block_off)
{
	for (size_t i = 0; i < mi->n; i++) {
		const struct rt_table_iter *it = &mi->subs[i].it;

		if (it->t == t && !it->done && it->blk.data &&
		    it->blk.file_off == block_off)
			return &it->blk;
	}
	return NULL;
}

const struct rt_rec_origin *
rt_merged_iter_shadowed(const struct rt_merged_iter *mi)
{
	return mi->has_shadowed ? &mi->shadowed : NULL;
}

int rt_merged_iter_whole_blocks(struct rt_merged_iter *mi,
				rt_merged_block_fn fn, void *arg,
				struct rt_err *err)
{
	mi->whole_block = fn;
	mi->whole_block_arg = arg;
	for (size_t i = 0; i < mi->n; i++) {
		struct rt_merged_sub *sub = &mi->subs[i];
		int ret;

		if (!(sub->leaf = malloc(sizeof(*sub->leaf))))
			return rt_err_oom(err);
		ret = rt_leaf_walk_start(sub->leaf, sub->it.t, mi->type, err);
		if (ret) {
			rt_leaf_walk_release(sub->leaf);
			free(sub->leaf);
			sub->leaf = NULL;
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

void rt_merged_iter_release(struct rt_merged_iter *mi)
{
	for (size_t i = 0; i < mi->n; i++) {
		struct rt_merged_sub *sub = &mi->subs[i];

		rt_table_iter_release(&sub->it);
		rt_record_release(&sub->rec);
		if (sub->leaf)
			rt_leaf_walk_release(sub->leaf);
		free(sub->leaf);
		rt_buf_release(&sub->block_key);
	}
	free(mi->subs);
	rt_heap_release(&mi->heap);
	rt_buf_release(&mi->key);
	rt_buf_release(&mi->run.ids);
	memset(mi, 0, sizeof(*mi));
}

void rt_merged_iter_drop_behind(struct rt_merged_iter *mi)
{
	for (size_t i = 0; i < mi->n; i++)
		rt_table_iter_drop_behind(&mi->subs[i].it);
}

int rt_merged_iter_start(struct rt_merged_iter *mi, struct rt_table **tables,
			 size_t n, uint8_t type, bool show_deletions,
			 struct rt_err *err)
{
	int ret = rt_merged_iter_init(mi, tables, n, type, show_deletions, err);

	if (ret)
		return ret;
	rt_merged_iter_drop_behind(mi);
	return rt_merged_iter_seek(mi, NULL, 0, err);
}
