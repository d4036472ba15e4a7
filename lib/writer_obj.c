/*
 * writer_obj.c: the obj section of a table: which ref blocks mention each
 * object id, gathered while refs are added and written once the ref
 * section is closed.
 */
#include "lib/writer_internal.h"
#include "lib/block.h"
#include "lib/objsort.h"

#include <stdlib.h>
#include <string.h>

/* Git's floor for the abbreviated object ids of obj records. */
#define OBJ_ID_MIN_LEN 2

int writer_obj_push(struct rt_writer *w, const uint8_t *hash,
		    struct rt_err *err)
{
	int ret;

	/* Neighbouring refs often share an object and a block. */
	if (w->have_last_obj && w->last_obj_pos == w->next &&
	    !memcmp(w->last_obj, hash, w->hash_size))
		return 0;
	if (!w->objs && (ret = rt_objsort_new(&w->objs, w->hash_size,
					      w->opts.obj_sort_memory ?
						      w->opts.obj_sort_memory :
						      4u << 20,
					      w->opts.temp_dir, err)))
		return ret;
	memcpy(w->last_obj, hash, w->hash_size);
	w->last_obj_pos = w->next;
	w->have_last_obj = true;
	return rt_objsort_add(w->objs, hash, w->next, err);
}

static int obj_offsets_push(struct rt_obj_record *o, uint64_t off)
{
	if (o->offset_len && o->offsets[o->offset_len - 1] == off)
		return 0;
	if (o->offset_len == o->offset_cap) {
		size_t cap = o->offset_cap ? 2 * o->offset_cap : 8;
		uint64_t *p = realloc(o->offsets, cap * sizeof(*p));

		if (!p)
			return RT_ERR_NOMEM;
		o->offsets = p;
		o->offset_cap = cap;
	}
	o->offsets[o->offset_len++] = off;
	return 0;
}

/*
 * Add the obj record gathered in `rec` (its prefix set from `hash`).
 * Into the open block straight (rt_block_writer_add_obj) while it fits;
 * the first record, and one that does not fit, go the general way,
 * which flushes the block and opens the next one.
 */
static int emit_obj(struct rt_writer *w, struct rt_record *rec,
		    const uint8_t *hash, struct rt_err *err)
{
	struct rt_obj_record *o = &rec->u.obj;
	int ret;

	if (w->block_open) {
		ret = rt_block_writer_add_obj(&w->bw, hash, w->stats.obj_id_len,
					      o->offsets, o->offset_len);
		if (!ret) {
			o->offset_len = 0;
			return 0;
		}
		if (ret != RT_ERR_TOO_BIG)
			return rt_err_set(err, ret, "writing obj block failed");
		/* The general way checks the order against the last key. */
		if (rt_buf_set(&w->last_key, w->bw.last_key.buf,
			       w->bw.last_key.len))
			return rt_err_oom(err);
	}
	if (rt_buf_set(&o->prefix, hash, w->stats.obj_id_len))
		return rt_err_oom(err);
	ret = writer_add_record(w, rec, NULL);
	if (ret == RT_ERR_TOO_BIG) {
		/* Too many blocks to list: readers then scan all refs. */
		o->offset_len = 0;
		ret = writer_add_record(w, rec, err);
	} else if (ret) {
		ret = rt_err_set(err, ret, "writing obj block failed");
	}
	o->offset_len = 0;
	return ret;
}

/*
 * Write obj blocks: each distinct object id, abbreviated to the shortest
 * length that still tells all of this table's ids apart (at least 2), with
 * the positions of the ref blocks that mention it. Two passes over the
 * sorted pairs: the length first, then the records.
 */
int writer_write_obj_section(struct rt_writer *w, struct rt_err *err)
{
	uint8_t prev[RT_MAX_HASH_SIZE], hash[RT_MAX_HASH_SIZE];
	size_t max_common = OBJ_ID_MIN_LEN - 1;
	struct rt_record rec;
	bool have = false;
	uint64_t pos;
	int ret;

	if ((ret = rt_objsort_rewind(w->objs, err)))
		return ret;
	while (!(ret = rt_objsort_next(w->objs, hash, &pos, err))) {
		if (have) {
			size_t c = rt_common_prefix(prev, w->hash_size, hash,
						    w->hash_size);

			if (c < (size_t)w->hash_size && c > max_common)
				max_common = c;
		}
		memcpy(prev, hash, w->hash_size);
		have = true;
	}
	if (ret < 0)
		return ret;
	w->stats.obj_id_len = (int)max_common + 1;

	rt_record_init(&rec, RT_BLOCK_OBJ);
	have = false;
	ret = rt_objsort_rewind(w->objs, err);
	while (!ret && !(ret = rt_objsort_next(w->objs, hash, &pos, err))) {
		if (have && memcmp(prev, hash, w->hash_size))
			ret = emit_obj(w, &rec, prev, err);
		if (!ret && obj_offsets_push(&rec.u.obj, pos))
			ret = rt_err_oom(err);
		memcpy(prev, hash, w->hash_size);
		have = true;
	}
	if (ret == 1)
		ret = have ? emit_obj(w, &rec, prev, err) : 0;
	rt_record_release(&rec);
	if (ret)
		return ret;
	return writer_finish_section(w, RT_BLOCK_OBJ, err);
}
