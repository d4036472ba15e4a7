/*
 * writer_copy.c: putting a block of another table into the table being
 * written, byte for byte. lib/reuse.c decides when that is exact; this
 * file only keeps the writer's own bookkeeping (sections, index, obj
 * positions, statistics) as if the block's records had been added.
 */
#include "lib/writer_internal.h"

#include <string.h>

int writer_copy_block(struct rt_writer *w, const struct rt_block_copy *c,
		      struct rt_err *err)
{
	uint32_t padding = 0;
	int ret;

	if (w->closed)
		return rt_err_set(err, RT_ERR_API, "writer is closed");
	if (c->type == RT_BLOCK_REF) {
		if (w->section_type && w->section_type != RT_BLOCK_REF)
			return rt_err_set(err, RT_ERR_API,
					  "refs must be added before logs");
		w->section_type = RT_BLOCK_REF;
	} else if ((ret = writer_enter_log_section(w, err))) {
		return ret;
	}
	/* The first block of a file carries the header inside it. */
	if (!w->blocks_opened)
		return rt_err_set(err, RT_ERR_API,
				  "a copied block cannot start a table");
	/* Unread, the block's first key is not known: its last must do. */
	if (w->last_key.len &&
	    rt_buf_cmp(c->unread ? c->last_key : c->first_key, &w->last_key) <=
		    0)
		return rt_err_set(err, RT_ERR_API,
				  "copied block not in ascending key order");
	/* One block, however stretched: cutting it would cost a deflate. */
	if ((ret = writer_flush_block(w, true)))
		return rt_err_set(err, ret, "writing a block failed");
	/* The copy goes to w->next, where writer_obj_push() points. */
	for (size_t i = 0; c->type == RT_BLOCK_REF &&
			   !w->opts.skip_index_objects && i < c->oid_count;
	     i++)
		if ((ret = writer_obj_push(w, c->oids + i * w->hash_size, err)))
			return ret;
	if (c->type == RT_BLOCK_REF && !w->opts.unpadded)
		padding = w->opts.block_size - (uint32_t)c->len;
	/* Log blocks still being deflated go first, in the zpipe's order. */
	if (c->type == RT_BLOCK_LOG && w->opts.deflate_thread)
		ret = writer_queue_log_block(w, c->data, c->len, 4, c->last_key,
					     true);
	else
		ret = writer_commit_block(w, c->type, c->data, c->len, NULL, 0,
					  padding, c->last_key);
	if (!ret &&
	    rt_buf_set(&w->last_key, c->last_key->buf, c->last_key->len))
		ret = RT_ERR_NOMEM;
	if (ret)
		return rt_err_set(err, ret, "writing a copied block failed");
	w->blocks_opened++;
	if (c->patched)
		w->stats.blocks_patched++;
	else
		w->stats.blocks_copied++;
	if (c->unread)
		w->stats.blocks_unread++;
	if (c->type == RT_BLOCK_REF)
		w->stats.refs += c->records;
	else
		w->stats.logs += c->records;
	return 0;
}
