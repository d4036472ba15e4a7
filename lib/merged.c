/*
 * merged.c: k-way merge of table iterators through a binary heap.
 *
 * Each sub-iterator holds its current record and key. The heap orders by
 * key, then by table position descending, so among equal keys the newest
 * table's record surfaces first; the others are then skipped.
 */
#include "lib/merged.h"

#include <stdlib.h>
#include <string.h>

struct rt_merged_sub {
	struct rt_table_iter it;
	struct rt_record rec;
	struct rt_buf key;
	struct rt_rec_origin origin; /* of rec */
};

static bool sub_less(const void *arg, size_t a, size_t b)
{
	const struct rt_merged_iter *mi = arg;
	int c = rt_buf_cmp(&mi->subs[a].key, &mi->subs[b].key);

	return c < 0 || (c == 0 && a > b);
}

/* Read the next record of sub `s` and its key; 1 when it has no more. */
static int sub_read(struct rt_merged_iter *mi, size_t s, struct rt_err *err)
{
	struct rt_merged_sub *sub = &mi->subs[s];
	int ret = rt_table_iter_next(&sub->it, &sub->rec, err);

	if (ret)
		return ret;
	if (rt_record_key(&sub->rec, &sub->key))
		return rt_err_oom(err);
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

/*
 * Move the sub on top of the heap to its next record and restore the
 * order: usually the same sub stays on top, which costs a comparison or
 * two, where a pop and a push would cost a walk down and up the heap.
 */
static int top_advance(struct rt_merged_iter *mi, struct rt_err *err)
{
	int ret = sub_read(mi, rt_heap_top(&mi->heap), err);

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
	for (;;) {
		struct rt_record tmp;
		size_t top;
		int ret;

		if (!mi->heap.len)
			return 1;
		top = rt_heap_top(&mi->heap);
		/* Hand the record over by swapping buffers, not copying. */
		tmp = *rec;
		*rec = mi->subs[top].rec;
		mi->subs[top].rec = tmp;
		mi->origin = mi->subs[top].origin;
		/* top_advance() rebuilds the sub's key: take this one. */
		{
			struct rt_buf k = mi->key;

			mi->key = mi->subs[top].key;
			mi->subs[top].key = k;
		}
		if ((ret = top_advance(mi, err)))
			return ret;
		/* Older tables' entries with the same key are shadowed. */
		while (mi->heap.len &&
		       !rt_buf_cmp(&mi->subs[rt_heap_top(&mi->heap)].key,
				   &mi->key))
			if ((ret = top_advance(mi, err)))
				return ret;
		if (mi->show_deletions || !rt_record_is_deletion(rec))
			return 0;
	}
}

const struct rt_rec_origin *
rt_merged_iter_next_origin(const struct rt_merged_iter *mi)
{
	return mi->heap.len ? &mi->subs[rt_heap_top(&mi->heap)].origin : NULL;
}

void rt_merged_iter_release(struct rt_merged_iter *mi)
{
	for (size_t i = 0; i < mi->n; i++) {
		rt_table_iter_release(&mi->subs[i].it);
		rt_record_release(&mi->subs[i].rec);
		rt_buf_release(&mi->subs[i].key);
	}
	free(mi->subs);
	rt_heap_release(&mi->heap);
	rt_buf_release(&mi->key);
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
