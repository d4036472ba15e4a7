/*
 * writer.c: table writer.
 *
 * File layout produced: header+first block, ref blocks, ref index, obj
 * blocks, obj index, log blocks, log index, footer. Ref, obj and index
 * blocks are padded to the block size unless `unpadded`; log blocks never
 * are. Padding is written lazily, before the next block, so the last block
 * before the footer is never padded.
 *
 * An index is written for a section of more than 3 blocks (more than 1 when
 * unpadded, where readers cannot find blocks by position). When an index
 * itself spans more than that many blocks, another level is written on top;
 * the footer points at the last (root) level.
 */
#include "lib/writer.h"
#include "lib/writer_internal.h"
#include "lib/block.h"
#include "lib/objsort.h"
#include "lib/zpipe.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int rt_header_size(int version)
{
	return version == 2 ? 28 : 24;
}

int rt_footer_size(int version)
{
	return version == 2 ? 72 : 68;
}

int rt_writer_new(struct rt_writer **out, rt_write_fn write, void *arg,
		  const struct rt_write_options *opts, struct rt_err *err)
{
	struct rt_write_options o = { 0 };
	struct rt_writer *w;

	if (opts)
		o = *opts;
	if (!o.block_size)
		o.block_size = 4096;
	if (!o.restart_interval)
		o.restart_interval = 16;
	if (!o.hash_id)
		o.hash_id = RT_HASH_SHA1;
	if (o.deflate_level <= 0 || o.deflate_level > 9)
		o.deflate_level = 9;
	if (!rt_hash_size(o.hash_id))
		return rt_err_set(err, RT_ERR_API, "unknown hash id %d",
				  (int)o.hash_id);
	/* The first block also holds the header; leave room for a record. */
	if (o.block_size < 64 || o.block_size > RT_MAX_BLOCK_SIZE)
		return rt_err_set(err, RT_ERR_API,
				  "block size %u out of range (64 to %u)",
				  o.block_size, RT_MAX_BLOCK_SIZE);

	w = calloc(1, sizeof(*w));
	if (w)
		w->block = calloc(1, rt_log_block_limit(o.block_size));
	if (!w || !w->block) {
		free(w);
		return rt_err_oom(err);
	}
	w->opts = o;
	w->hash_size = rt_hash_size(o.hash_id);
	w->version = o.hash_id == RT_HASH_SHA1 ? 1 : 2;
	w->write = write;
	w->arg = arg;
	*out = w;
	return 0;
}

int rt_writer_set_limits(struct rt_writer *w, uint64_t min_update_index,
			 uint64_t max_update_index)
{
	if (w->section_type || min_update_index > max_update_index)
		return RT_ERR_API;
	w->min_update_index = min_update_index;
	w->max_update_index = max_update_index;
	return 0;
}

static void put_header(const struct rt_writer *w, uint8_t *dst)
{
	memcpy(dst, "REFT", 4);
	dst[4] = (uint8_t)w->version;
	rt_put_be24(dst + 5, w->opts.unpadded ? 0 : w->opts.block_size);
	rt_put_be64(dst + 8, w->min_update_index);
	rt_put_be64(dst + 16, w->max_update_index);
	if (w->version == 2)
		memcpy(dst + 24,
		       w->opts.hash_id == RT_HASH_SHA256 ? "s256" : "sha1", 4);
}

static int emit(struct rt_writer *w, const void *data, size_t len,
		uint32_t padding)
{
	static const uint8_t zeros[4096];
	int ret;

	while (w->pending_padding) {
		uint32_t n = w->pending_padding < sizeof(zeros) ?
				     w->pending_padding :
				     sizeof(zeros);

		ret = w->write(w->arg, zeros, n);
		if (ret)
			return ret;
		w->pending_padding -= n;
	}
	if (len && (ret = w->write(w->arg, data, len)))
		return ret;
	w->pending_padding = padding;
	return 0;
}

static struct section *section_of(struct rt_writer *w, uint8_t type)
{
	switch (type) {
	case RT_BLOCK_REF:
		return &w->ref;
	case RT_BLOCK_OBJ:
		return &w->obj;
	case RT_BLOCK_LOG:
		return &w->log;
	}
	return NULL;
}

static int open_block(struct rt_writer *w, uint8_t type)
{
	/* Not w->next: blocks still in the zpipe have not advanced it. */
	uint32_t header_off =
		w->blocks_opened == 0 ? rt_header_size(w->version) : 0;
	int ret;

	ret = rt_block_writer_reset(&w->bw, type, w->block, w->opts.block_size,
				    header_off, w->hash_size,
				    w->min_update_index,
				    w->opts.restart_interval,
				    w->opts.deflate_level);
	if (ret)
		return ret;
	w->bw.defer_deflate = w->opts.deflate_thread && type == RT_BLOCK_LOG;
	if (type == RT_BLOCK_LOG)
		w->bw.stretch_limit = rt_log_block_limit(w->opts.block_size);
	w->blocks_opened++;
	w->block_open = true;
	return 0;
}

static int index_push(struct rt_writer *w, const struct rt_buf *last_key,
		      uint64_t offset)
{
	struct index_entry *e;

	if (w->index_len == w->index_cap) {
		size_t cap = w->index_cap ? w->index_cap * 2 : 64;
		struct index_entry *p = realloc(w->index, cap * sizeof(*p));

		if (!p)
			return RT_ERR_NOMEM;
		w->index = p;
		w->index_cap = cap;
	}
	e = &w->index[w->index_len];
	e->offset = offset;
	e->key_off = w->index_keys.len;
	e->key_len = last_key->len;
	if (rt_buf_add(&w->index_keys, last_key->buf, last_key->len))
		return RT_ERR_NOMEM;
	w->index_len++;
	return 0;
}

static void index_clear(struct rt_writer *w)
{
	w->index_len = 0;
	rt_buf_reset(&w->index_keys);
}

int writer_commit_block(struct rt_writer *w, uint8_t type, const void *head,
			size_t head_len, const void *body, size_t body_len,
			uint32_t padding, const struct rt_buf *last_key)
{
	struct section *sec = section_of(w, type);
	int ret;

	if (sec && !sec->blocks)
		sec->offset = w->next;
	if (sec)
		sec->blocks++;
	ret = emit(w, head, head_len, body_len ? 0 : padding);
	if (!ret && body_len)
		ret = emit(w, body, body_len, padding);
	if (!ret)
		ret = index_push(w, last_key, w->next);
	if (ret)
		return ret;
	w->next += head_len + body_len + padding;
	w->stats.blocks++;
	return 0;
}

/*
 * Commit the oldest log block of the zpipe if it is deflated (with `wait`,
 * once it is). 0: committed one; 1: none ready or none pending; < 0: error.
 */
static int commit_piped(struct rt_writer *w, bool wait)
{
	const struct rt_zpipe_block *b;
	int ret = rt_zpipe_next(w->pipe, wait, &b);

	if (ret)
		return ret;
	ret = writer_commit_block(w, RT_BLOCK_LOG, b->head, b->head_len,
				  b->payload, b->payload_len, 0, &b->last_key);
	rt_zpipe_pop(w->pipe);
	return ret;
}

int writer_drain_pipe(struct rt_writer *w, bool all)
{
	int ret = 1;

	while (w->pipe && !(ret = commit_piped(w, all)))
		;
	return ret < 0 ? ret : 0;
}

int writer_queue_log_block(struct rt_writer *w, const uint8_t *blk, size_t len,
			   size_t keep, const struct rt_buf *last_key,
			   bool deflated)
{
	int ret;

	if (!w->pipe &&
	    (ret = rt_zpipe_new(&w->pipe, w->opts.deflate_level,
				rt_log_block_limit(w->opts.block_size))))
		return ret;
	/* Full: commit the oldest block, waiting for it if need be. */
	while (!rt_zpipe_has_room(w->pipe, deflated))
		if ((ret = commit_piped(w, true)))
			return ret < 0 ? ret : RT_ERR_API;
	ret = deflated ? rt_zpipe_submit_deflated(w->pipe, blk, len, keep,
						  last_key) :
			 rt_zpipe_submit(w->pipe, blk, len, keep, last_key);
	return ret ? ret : writer_drain_pipe(w, false);
}

/* Finish the open block and write it out. */
static int write_open_block(struct rt_writer *w)
{
	uint8_t type = w->bw.type;
	uint32_t padding = 0;
	int len, ret;

	if (!w->block_open || !w->bw.entries)
		return 0;
	len = rt_block_writer_finish(&w->bw);
	if (len < 0)
		return len;
	w->block_open = false;
	if (w->bw.header_off)
		put_header(w, w->block);
	if (type == RT_BLOCK_LOG && w->bw.defer_deflate)
		return writer_queue_log_block(w, w->block, len,
					      w->bw.header_off + 4,
					      &w->bw.last_key, false);
	if (type == RT_BLOCK_LOG) {
		uint32_t head = w->bw.header_off + 4;

		return writer_commit_block(w, type, w->block, head,
					   w->bw.compressed.buf, len - head, 0,
					   &w->bw.last_key);
	}
	if (!w->opts.unpadded)
		padding = w->opts.block_size - (uint32_t)len;
	ret = writer_commit_block(w, type, w->block, len, NULL, 0, padding,
				  &w->bw.last_key);
	return ret;
}

/*
 * A log block stretched past its cut (see block.c): write the part before
 * the cut, as the block it would be without stretching, and keep the rest
 * open as the next block.
 */
static int write_cut(struct rt_writer *w)
{
	int ret;

	if (!w->block_open || !w->bw.cut)
		return 0;
	if ((ret = rt_block_writer_cut(&w->bw)) || (ret = write_open_block(w)))
		return ret;
	rt_block_writer_resume(&w->bw);
	w->blocks_opened++;
	w->block_open = true;
	return 0;
}

int writer_flush_block(struct rt_writer *w, bool whole)
{
	int ret;

	if (!whole && (ret = write_cut(w)))
		return ret;
	return write_open_block(w);
}

/* Add to the block writer a record decoded (`rec`) or `raw`. */
static int block_add(struct rt_writer *w, const struct rt_record *rec,
		     const struct rt_raw_value *raw)
{
	return rec ? rt_block_writer_add(&w->bw, rec, &w->key) :
		     rt_block_writer_add_raw(&w->bw, raw, &w->key);
}

int writer_add_keyed(struct rt_writer *w, uint8_t type,
		     const struct rt_record *rec,
		     const struct rt_raw_value *raw, struct rt_err *err)
{
	int ret;

	if (w->last_key.len && rt_buf_cmp(&w->key, &w->last_key) <= 0)
		return rt_err_set(err, RT_ERR_API,
				  "records not in ascending key order at "
				  "'%.*s'%s",
				  SHOWN_KEY(w->key.buf));
	if (!w->block_open && (ret = open_block(w, type)))
		return rt_err_set(err, ret, "cannot start a block");
	ret = block_add(w, rec, raw);
	/* Full after a cut: the part after it becomes a block of its own. */
	if (ret == RT_ERR_TOO_BIG && w->bw.cut) {
		if ((ret = write_cut(w)))
			return rt_err_set(err, ret, "writing a block failed");
		ret = block_add(w, rec, raw);
	}
	if (ret == RT_ERR_TOO_BIG) {
		if ((ret = writer_flush_block(w, false)) ||
		    (ret = open_block(w, type)))
			return rt_err_set(err, ret, "writing a block failed");
		ret = block_add(w, rec, raw);
		if (ret == RT_ERR_TOO_BIG)
			return rt_err_set(err, ret,
					  "record '%.*s'%s does not fit in a "
					  "block of %u bytes",
					  SHOWN_KEY(w->key.buf),
					  w->opts.block_size);
	}
	if (ret)
		return rt_err_set(err, ret, "adding record '%.*s'%s failed",
				  SHOWN_KEY(w->key.buf));
	/* Swap rather than copy: w->key is rebuilt for the next record. */
	{
		struct rt_buf tmp = w->last_key;

		w->last_key = w->key;
		w->key = tmp;
	}
	return 0;
}

int writer_add_record(struct rt_writer *w, const struct rt_record *rec,
		      struct rt_err *err)
{
	if (rt_record_key(rec, &w->key))
		return rt_err_oom(err);
	return writer_add_keyed(w, rec->type, rec, NULL, err);
}

/*
 * Flush the open block and write the index levels for section `type` (not
 * always the open block's: copied blocks open none). Leaves the section's
 * index_offset pointing at the root level, or 0.
 */
int writer_finish_section(struct rt_writer *w, uint8_t type, struct rt_err *err)
{
	struct section *sec = section_of(w, type);
	size_t threshold = w->opts.unpadded ? 1 : 3;
	uint64_t index_start = 0;
	int ret;

	if ((ret = writer_flush_block(w, false)) ||
	    (ret = writer_drain_pipe(w, true)))
		return rt_err_set(err, ret, "writing a block failed");
	while (w->index_len > threshold) {
		struct index_entry *level = w->index;
		struct rt_buf keys = w->index_keys;
		size_t n = w->index_len;
		struct rt_record rec;

		w->index = NULL;
		w->index_len = w->index_cap = 0;
		w->index_keys = (struct rt_buf)RT_BUF_INIT;
		rt_buf_reset(&w->last_key);
		index_start = w->next;
		rec.type = RT_BLOCK_INDEX;
		for (size_t i = 0; !ret && i < n; i++) {
			/* A view into keys: the record is only read. */
			rec.u.idx.last_key = (struct rt_buf){
				.buf = keys.buf + level[i].key_off,
				.len = level[i].key_len,
			};
			rec.u.idx.offset = level[i].offset;
			ret = writer_add_record(w, &rec, err);
		}
		if (!ret && (ret = writer_flush_block(w, false)))
			rt_err_set(err, ret, "writing an index block failed");
		rt_buf_release(&keys);
		free(level);
		if (ret)
			return ret;
	}
	index_clear(w);
	if (sec)
		sec->index_offset = index_start;
	rt_buf_reset(&w->last_key);
	w->block_open = false;
	return 0;
}

int writer_finish_ref_section(struct rt_writer *w, struct rt_err *err)
{
	int ret = writer_finish_section(w, RT_BLOCK_REF, err);

	if (ret)
		return ret;
	/* Without a ref index readers scan a few blocks; objs add nothing. */
	if (!w->opts.skip_index_objects && w->ref.index_offset && w->objs)
		ret = writer_write_obj_section(w, err);
	rt_objsort_free(w->objs);
	w->objs = NULL;
	return ret;
}

int writer_enter_log_section(struct rt_writer *w, struct rt_err *err)
{
	int ret;

	if (w->section_type == RT_BLOCK_REF &&
	    (ret = writer_finish_ref_section(w, err)))
		return ret;
	/*
	 * Log blocks are never aligned, so the padding of the block before
	 * them is not written either (as Git does): a small table stays small.
	 */
	w->next -= w->pending_padding;
	w->pending_padding = 0;
	w->section_type = RT_BLOCK_LOG;
	return 0;
}

int rt_writer_close(struct rt_writer *w, struct rt_err *err)
{
	uint8_t footer[72];
	uint8_t *p = footer;
	int ret = 0;

	if (w->closed)
		return rt_err_set(err, RT_ERR_API, "writer closed twice");
	w->closed = true;
	if (w->section_type == RT_BLOCK_REF)
		ret = writer_finish_ref_section(w, err);
	else if (w->section_type == RT_BLOCK_LOG)
		ret = writer_finish_section(w, RT_BLOCK_LOG, err);
	if (ret)
		return ret;

	/* The last block before the footer is never padded. */
	w->next -= w->pending_padding;
	w->pending_padding = 0;
	if (w->next == 0) {
		/* An empty table is a header directly followed by a footer. */
		uint8_t header[28];

		put_header(w, header);
		if ((ret = emit(w, header, rt_header_size(w->version), 0)))
			return rt_err_set(err, ret, "writing header failed");
		w->next = rt_header_size(w->version);
	}
	put_header(w, p);
	p += rt_header_size(w->version);
	rt_put_be64(p, w->ref.index_offset);
	p += 8;
	rt_put_be64(p, w->obj.offset << 5 | (uint64_t)w->stats.obj_id_len);
	p += 8;
	rt_put_be64(p, w->obj.index_offset);
	p += 8;
	rt_put_be64(p, w->log.offset);
	p += 8;
	rt_put_be64(p, w->log.index_offset);
	p += 8;
	rt_put_be32(p, (uint32_t)crc32(0, footer, (uInt)(p - footer)));
	p += 4;
	if ((ret = emit(w, footer, p - footer, 0)))
		return rt_err_set(err, ret, "writing footer failed");
	w->next += p - footer;
	w->stats.bytes = w->next;
	return 0;
}

const struct rt_writer_stats *rt_writer_stats(const struct rt_writer *w)
{
	return &w->stats;
}

void rt_writer_free(struct rt_writer *w)
{
	if (!w)
		return;
	rt_zpipe_free(w->pipe);
	rt_block_writer_release(&w->bw);
	free(w->index);
	rt_buf_release(&w->index_keys);
	rt_objsort_free(w->objs);
	free(w->block);
	rt_buf_release(&w->last_key);
	rt_buf_release(&w->key);
	rt_buf_release(&w->msg);
	free(w);
}
