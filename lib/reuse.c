/*
 * reuse.c: the one rule for copying a source block into a compacted
 * table as it is.
 *
 * Invariant: a block is copied only when the merge hands over all of its
 * records, from its first to its last, in order, each unchanged, with no
 * record of any other table between them. The new table then holds
 * exactly the records that encoding them one by one would have given, in
 * the same order, merely cut into blocks differently. The merge shows
 * this as it goes (struct rt_rec_origin): the records of a block are held
 * back, not written; when the block's last record arrives, the block is
 * copied, and when anything else arrives first, the held records are
 * decoded again from the source block and written one by one.
 *
 * What each kind of block needs besides:
 *  - any block: not the first of its file (whose header shifts its
 *    offsets) and not the first of the new file, for the same reason;
 *    at least half the new table's block size (before deflating): the
 *    blocks of small tables cost little to encode again, and copying
 *    them would leave the new table in as many small pieces;
 *  - ref blocks: update indexes are stored relative to the table's
 *    minimum, so the source table must have the new table's minimum (the
 *    oldest table of the segment, usually the big one); the block must
 *    fit the new table's block size;
 *  - log blocks: records are copied verbatim (exact messages), as the
 *    compaction writer is set to do anyway.
 *
 * A ref block may also be copied with some of its records replaced: a
 * newer table has the same key (an updated ref) and the merge hands over
 * that record in place of the block's (rt_merged_iter_shadowed() names
 * the one replaced). The key, and so the key before and after it, stay
 * as they were; only the value changes. When the record so encoded, with
 * the prefix length the replaced one had, takes exactly its bytes, the
 * block is copied with those bytes overwritten: every other offset, the
 * restart table included, stays valid. Otherwise the held and the
 * replacing records are written one by one, in order.
 *
 * While a ref block is held, its records up to the next key of any other
 * table come from the merge as one run (rt_merged_iter_runs): stepped
 * over without decoding their values, only their ids noted. They are
 * exactly the records the merge would hand over one by one, so the
 * invariant holds; deletion records among them, where the segment drops
 * them, mean the block is written record by record instead of copied.
 *
 * Log records the merge would hand over one by one to be written one by
 * one (their block cannot be copied: another table's key falls into it,
 * or it may not be copied at all) come instead, with those after them
 * in the block below every other table's key, as a run read raw
 * (rt_merged_iter_log_runs): each goes into the writer with its value's
 * bytes as the block holds them (writer_add_log_raw), never decoded
 * or encoded. Those are the bytes encoding the decoded record gives: a
 * number has one varint, and a compaction copies messages verbatim. Held
 * log records that must be written after all are copied so too, from
 * the block the merge still has inflated.
 *
 * A block may also be handed over whole by the merge
 * (rt_merged_iter_whole_blocks), without going through it record by
 * record, when no other table of the segment has a key within its range:
 * the merge would hand over all its records unchanged, and in order, so
 * the invariant above holds without looking. A ref block is still read,
 * for the ids its records name, and written record by record if it holds
 * a deletion record to drop. A log block is copied unread, neither
 * inflated nor decoded.
 * Looking is needed, and so this is not done, when a filter must see
 * each record. Nor can deletion records be dropped from a block that is
 * not read. They hide nothing (no other table of the segment has their
 * keys), but a compaction from the stack's oldest table is meant to
 * leave none behind, so there only the oldest table's own blocks are
 * copied unread: deletion records in it, if any, hide nothing below it
 * either, and are carried into the new oldest table as they were. The
 * table's index says where the block ends and what its last key is, and
 * is trusted for that, as readers trust it to seek; an index that
 * contradicts the blocks' layout is not followed (lib/merged.c).
 */
#include "lib/reuse.h"
#include "lib/writer_internal.h"

#include <stdlib.h>
#include <string.h>

void rt_reuse_init(struct rt_reuse *r, struct rt_writer *w, uint8_t type,
		   bool enabled, bool keep_deletions)
{
	memset(r, 0, sizeof(*r));
	r->w = w;
	r->type = type;
	r->enabled = enabled;
	r->keep_deletions = keep_deletions;
	rt_record_init(&r->scratch, type);
}

void rt_reuse_release(struct rt_reuse *r)
{
	for (size_t i = 0; i < r->patch_cap; i++)
		rt_record_release(&r->patches[i].rec);
	free(r->patches);
	rt_buf_release(&r->patched);
	rt_buf_release(&r->key);
	rt_buf_release(&r->encoded);
	rt_buf_release(&r->first_key);
	rt_buf_release(&r->last_key);
	rt_buf_release(&r->oids);
	rt_record_release(&r->scratch);
}

/* Whether the block a record at `o` starts may be copied at all. */
static bool may_copy(const struct rt_reuse *r, const struct rt_rec_origin *o)
{
	const struct rt_writer *w = r->w;
	const struct rt_table *t = o->table;

	if (!r->enabled || !t || o->index != 0 || !o->block_off ||
	    !w->blocks_opened || t->hash_size != w->hash_size ||
	    t->max_update_index > w->max_update_index)
		return false;
	/* A small block costs little to encode, and many would bloat. */
	if ((uint64_t)o->content_len * 2 < w->opts.block_size)
		return false;
	if (r->type == RT_BLOCK_REF)
		return t->min_update_index == w->min_update_index &&
		       o->block_len <= w->opts.block_size;
	return w->opts.exact_log_message;
}

static int add_oids(struct rt_reuse *r, const struct rt_record *rec,
		    struct rt_err *err)
{
	const struct rt_ref_record *ref = &rec->u.ref;
	size_t n = r->w->hash_size;
	int ret = 0;

	if (r->type != RT_BLOCK_REF)
		return 0;
	if (ref->value_type == RT_REF_VAL1 || ref->value_type == RT_REF_VAL2)
		ret = rt_buf_add(&r->oids, ref->value, n);
	if (!ret && ref->value_type == RT_REF_VAL2)
		ret = rt_buf_add(&r->oids, ref->peeled, n);
	return ret ? rt_err_oom(err) : 0;
}

static int write_held(struct rt_reuse *r, struct rt_err *err);

/*
 * The held block with the replacing records' bytes over the replaced
 * ones' in r->patched: 0, or 1 when one of them does not take exactly
 * the bytes of the record it replaces.
 */
static int patch_block(struct rt_reuse *r, const uint8_t *src,
		       struct rt_err *err)
{
	const struct rt_writer *w = r->w;

	if (rt_buf_set(&r->patched, src, r->blk.block_len))
		return rt_err_oom(err);
	for (size_t i = 0; i < r->patch_len; i++) {
		const struct rt_reuse_patch *p = &r->patches[i];
		uint64_t prefix;

		if ((uint64_t)p->rec_off + p->rec_len > r->blk.block_len ||
		    rt_varint_get(&prefix, src + p->rec_off, p->rec_len) < 0)
			return rt_table_error(err, r->blk.table,
					      r->blk.block_off,
					      "block changed while compacting");
		rt_buf_reset(&r->encoded);
		if (rt_record_key(&p->rec, &r->key))
			return rt_err_oom(err);
		/*
		 * The same key as the record replaced: this always holds. The
		 * prefix may well pass the record's own length (a deletion
		 * takes a few bytes whatever its key shares).
		 */
		if (prefix > r->key.len)
			return 1;
		if (rt_record_encode(&p->rec, &r->key, prefix, &r->encoded,
				     w->hash_size, w->min_update_index))
			return rt_err_oom(err);
		if (r->encoded.len != p->rec_len)
			return 1;
		memcpy(r->patched.buf + p->rec_off, r->encoded.buf,
		       r->encoded.len);
	}
	return 0;
}

/* The held records are the whole block, its keys set: copy it. */
static int copy_held(struct rt_reuse *r, struct rt_err *err)
{
	const struct rt_table *t = r->blk.table;
	struct rt_block_copy c = {
		.type = r->type,
		.data = t->data + r->blk.block_off,
		.len = r->blk.block_len,
		.records = r->count,
		.patched = r->patch_len > 0,
		.first_key = &r->first_key,
		.last_key = &r->last_key,
		.oids = (const uint8_t *)r->oids.buf,
		.oid_count = r->oids.len / r->w->hash_size,
	};
	int ret;

	/* Deletion records held from runs, to drop: not a copy. */
	if (r->deletions && !r->keep_deletions)
		return write_held(r, err);
	if (r->patch_len) {
		ret = patch_block(r, c.data, err);
		if (ret)
			return ret < 0 ? ret : write_held(r, err);
		c.data = (const uint8_t *)r->patched.buf;
	}
	r->open = false;
	r->patch_len = 0;
	return writer_copy_block(r->w, &c, err);
}

/* `last` completed the candidate: copy the block. */
static int copy_block(struct rt_reuse *r, const struct rt_record *last,
		      struct rt_err *err)
{
	if (rt_record_key(last, &r->last_key))
		return rt_err_oom(err);
	return copy_held(r, err);
}

/*
 * The held log records, written one by one with their values copied as
 * the block holds them (rt_block_iter_next_raw checks them), which gives
 * the bytes decoding and encoding them would. The merge is usually in
 * the middle of the block, and so has it inflated: it is read there.
 */
static int write_held_logs(struct rt_reuse *r, struct rt_err *err)
{
	const struct rt_block *src =
		r->mi ? rt_merged_iter_block(r->mi, r->blk.table,
					     r->blk.block_off) :
			NULL;
	struct rt_block b = { 0 };
	struct rt_block_iter bi = { 0 };
	int ret = 0;

	if (!src) {
		ret = rt_table_load_block(r->blk.table, &b, r->blk.block_off,
					  err);
		src = &b;
	}
	if (!ret)
		rt_block_iter_start(&bi, src);
	for (uint32_t i = 0; !ret && i < r->count; i++) {
		struct rt_raw_value raw;

		ret = rt_block_iter_next_raw(&bi, NULL, err);
		if (ret > 0)
			ret = rt_table_error(err, r->blk.table,
					     r->blk.block_off,
					     "block changed while compacting");
		if (ret)
			break;
		raw = rt_block_iter_raw(&bi);
		if (r->keep_deletions || raw.type != RT_LOG_DELETION)
			ret = writer_add_log_raw(r->w, &bi.last_key, &raw, err);
	}
	rt_block_iter_release(&bi);
	rt_block_release(&b);
	return ret;
}

/*
 * Write the held records one by one, decoded again from their block;
 * deletion records only where the segment keeps them (a merge never
 * holds one it drops, but a whole block may hold some).
 */
static int write_held(struct rt_reuse *r, struct rt_err *err)
{
	struct rt_block b = { 0 };
	struct rt_block_iter bi = { 0 };
	size_t next = 0;
	int ret;

	if (!r->open)
		return 0;
	r->open = false;
	if (r->type == RT_BLOCK_LOG)
		return write_held_logs(r, err);
	ret = rt_table_load_block(r->blk.table, &b, r->blk.block_off, err);
	if (!ret)
		rt_block_iter_start(&bi, &b);
	for (uint32_t i = 0; !ret && i < r->count; i++) {
		const struct rt_record *rec = &r->scratch;

		/* A replaced record is read past, its patch written instead. */
		ret = rt_block_iter_next(&bi, &r->scratch, err);
		if (next < r->patch_len && r->patches[next].index == i)
			rec = &r->patches[next++].rec;
		if (ret > 0)
			ret = rt_table_error(err, r->blk.table,
					     r->blk.block_off,
					     "block changed while compacting");
		else if (!ret && !r->keep_deletions &&
			 rt_record_is_deletion(rec))
			continue;
		else if (!ret && r->type == RT_BLOCK_REF)
			ret = rt_writer_add_ref(r->w, &rec->u.ref, err);
		else if (!ret)
			ret = rt_writer_add_log(r->w, &rec->u.log, err);
	}
	r->patch_len = 0;
	rt_block_iter_release(&bi);
	rt_block_release(&b);
	return ret;
}

/*
 * Whether the record after the first of a block is its second: when
 * tables interleave (a dense merge), every block would otherwise be held
 * and then decoded (for logs, inflated) a second time.
 */
static bool continues(const struct rt_rec_origin *o,
		      const struct rt_rec_origin *next)
{
	return o->last_in_block ||
	       (next && next->table == o->table &&
		next->block_off == o->block_off && next->index == 1);
}

/* Whether `rec` replaces the record `sh` of the held block, next in it. */
static bool replaces(const struct rt_reuse *r, const struct rt_rec_origin *sh)
{
	return sh && r->type == RT_BLOCK_REF && sh->table == r->blk.table &&
	       sh->block_off == r->blk.block_off && sh->index == r->count &&
	       sh->rec_len;
}

static int copy_ref(struct rt_ref_record *dst, const struct rt_ref_record *src)
{
	if (rt_buf_set(&dst->refname, src->refname.buf, src->refname.len) ||
	    rt_buf_set(&dst->target, src->target.buf, src->target.len))
		return RT_ERR_NOMEM;
	dst->update_index = src->update_index;
	dst->value_type = src->value_type;
	memcpy(dst->value, src->value, sizeof(dst->value));
	memcpy(dst->peeled, src->peeled, sizeof(dst->peeled));
	return 0;
}

/* Hold `rec` in place of the held block's next record, `sh`. */
static int add_patch(struct rt_reuse *r, const struct rt_record *rec,
		     const struct rt_rec_origin *sh, struct rt_err *err)
{
	struct rt_reuse_patch *p;

	if (r->patch_len == r->patch_cap) {
		size_t cap = r->patch_cap ? 2 * r->patch_cap : 8;

		p = realloc(r->patches, cap * sizeof(*p));
		if (!p)
			return rt_err_oom(err);
		for (size_t i = r->patch_cap; i < cap; i++)
			rt_record_init(&p[i].rec, RT_BLOCK_REF);
		r->patches = p;
		r->patch_cap = cap;
	}
	p = &r->patches[r->patch_len];
	if (copy_ref(&p->rec.u.ref, &rec->u.ref))
		return rt_err_oom(err);
	p->index = r->count++;
	p->rec_off = sh->rec_off;
	p->rec_len = sh->rec_len;
	r->patch_len++;
	return add_oids(r, rec, err);
}

/* Start holding the block `o` starts, with `rec` its first record. */
static int open_block(struct rt_reuse *r, const struct rt_record *rec,
		      const struct rt_rec_origin *o)
{
	rt_buf_reset(&r->oids);
	r->patch_len = 0;
	r->deletions = 0;
	r->open = true;
	r->blk = *o;
	r->count = 0;
	return rt_record_key(rec, &r->first_key);
}

int rt_reuse_offer(struct rt_reuse *r, const struct rt_record *rec,
		   const struct rt_rec_origin *o,
		   const struct rt_rec_origin *next,
		   const struct rt_rec_origin *shadowed, bool *held,
		   struct rt_err *err)
{
	const struct rt_rec_origin *last = o;
	int ret;

	*held = false;
	if (r->open && o->table == r->blk.table &&
	    o->block_off == r->blk.block_off && o->index == r->count) {
		ret = add_oids(r, rec, err);
		r->count++;
	} else if (r->open && replaces(r, shadowed)) {
		ret = add_patch(r, rec, shadowed, err);
		last = shadowed;
	} else {
		if ((ret = write_held(r, err)))
			return ret;
		/* A ref block whose first record is replaced is held too. */
		if (r->type == RT_BLOCK_REF && shadowed &&
		    shadowed->index == 0 && may_copy(r, shadowed) &&
		    continues(shadowed, next))
			o = shadowed;
		else if (!may_copy(r, o) ||
			 (o->shared && r->type != RT_BLOCK_REF) ||
			 !continues(o, next))
			return 0;
		if (open_block(r, rec, o))
			return rt_err_oom(err);
		last = o;
		if (o == shadowed) {
			ret = add_patch(r, rec, shadowed, err);
		} else {
			ret = add_oids(r, rec, err);
			r->count++;
		}
	}
	if (ret)
		return ret;
	*held = true;
	return last->last_in_block ? copy_block(r, rec, err) : 0;
}

int rt_reuse_break(struct rt_reuse *r, struct rt_err *err)
{
	return write_held(r, err);
}

static bool may_copy_whole(void *arg, const struct rt_rec_origin *o)
{
	const struct rt_reuse *r = arg;

	return r->unread && (!r->unread_from || o->table == r->unread_from) &&
	       may_copy(r, o);
}

/* May the run of refs `o` starts go into the held block? */
static bool may_run(void *arg, const struct rt_rec_origin *o)
{
	const struct rt_reuse *r = arg;

	return r->open && o->table == r->blk.table &&
	       o->block_off == r->blk.block_off && o->index == r->count;
}

/*
 * May the log records from `o` on come as a run, written as they are?
 * Only where the record path would not hold them either: then they go
 * into the writer one by one whichever way, with the same bytes.
 */
static bool may_log_run(void *arg, const struct rt_rec_origin *o)
{
	const struct rt_reuse *r = arg;

	return !r->open && (o->shared || !may_copy(r, o));
}

/* A log record of a run: into the writer, its value copied. */
static int put_log(void *arg, const struct rt_buf *key,
		   const struct rt_raw_value *raw, struct rt_err *err)
{
	const struct rt_reuse *r = arg;

	if (!r->keep_deletions && raw->type == RT_LOG_DELETION)
		return 0;
	return writer_add_log_raw(r->w, key, raw, err);
}

int rt_reuse_take_run(struct rt_reuse *r, const struct rt_merged_iter *mi,
		      uint64_t *written, struct rt_err *err)
{
	const struct rt_ref_run *run = &mi->run;

	if (r->type == RT_BLOCK_LOG) {
		/* Written as it came (put_log). */
		*written +=
			run->count - (r->keep_deletions ? 0 : run->deletions);
		return 0;
	}
	if (!may_run(r, &mi->origin))
		return rt_err_set(err, RT_ERR_API, "a run not asked for");
	if (rt_buf_add(&r->oids, run->ids.buf, run->ids.len))
		return rt_err_oom(err);
	r->count += run->count;
	r->deletions += run->deletions;
	*written += run->count - (r->keep_deletions ? 0 : run->deletions);
	if (!mi->origin.last_in_block)
		return 0;
	if (rt_buf_set(&r->last_key, mi->key.buf, mi->key.len))
		return rt_err_oom(err);
	return copy_held(r, err);
}

int rt_reuse_whole_blocks(struct rt_reuse *r, struct rt_merged_iter *mi,
			  struct rt_table *const *tables, bool filtered,
			  struct rt_err *err)
{
	if (!r->enabled)
		return 0;
	r->mi = mi;
	if (filtered)
		return rt_merged_iter_whole_blocks(mi, NULL, NULL, err);
	/* Refs the held block's next: stepped over, not decoded. */
	rt_merged_iter_runs(mi, may_run, r);
	/* Logs the record path would write one by one: copied as they are. */
	if (r->w->opts.exact_log_message)
		rt_merged_iter_log_runs(mi, may_log_run, put_log, r);
	r->unread = true;
	/* Ref blocks are read (for their ids): their deletions can go. */
	r->unread_from =
		r->keep_deletions || r->type == RT_BLOCK_REF ? NULL : tables[0];
	return rt_merged_iter_whole_blocks(mi, may_copy_whole, r, err);
}

/*
 * A whole ref block, handed over by the merge: read here for the ids its
 * records name (the obj section lists them) and copied, unless it holds
 * a deletion record to drop: then its other records are written one by
 * one. Its last key must be the one its index gave, which the merge
 * relied on.
 */
static int copy_whole_refs(struct rt_reuse *r, const struct rt_merged_iter *mi,
			   uint64_t *written, struct rt_err *err)
{
	const struct rt_rec_origin *o = &mi->origin;
	struct rt_block b = { 0 };
	struct rt_block_iter bi = { 0 };
	struct rt_ref_run run = { 0 };
	uint32_t dropped;
	int ret = rt_table_load_block(o->table, &b, o->block_off, err);

	rt_buf_reset(&r->oids);
	if (!ret) {
		rt_block_iter_start(&bi, &b);
		ret = b.type == RT_BLOCK_REF ?
			      rt_block_iter_next(&bi, &r->scratch, err) :
			      1;
	}
	if (!ret) {
		run.count = 1;
		run.deletions = rt_record_is_deletion(&r->scratch);
		if (rt_buf_set(&r->first_key, bi.last_key.buf, bi.last_key.len))
			ret = rt_err_oom(err);
		else
			ret = add_oids(r, &r->scratch, err);
		/* The rest only for their ids: stepped over, not decoded. */
		run.ids = r->oids;
		if (!ret)
			ret = rt_block_iter_skip_refs(&bi, NULL, &run, err);
		r->oids = run.ids;
		ret = ret ? ret : 1;
	}
	if (ret == 1 && (!run.count || rt_buf_cmp(&bi.last_key, &mi->key)))
		ret = rt_table_error(err, o->table, o->block_off,
				     "the index does not give this block's "
				     "last key");
	rt_block_iter_release(&bi);
	rt_block_release(&b);
	if (ret != 1)
		return ret;
	if (rt_buf_set(&r->last_key, mi->key.buf, mi->key.len))
		return rt_err_oom(err);
	/* As if the merge had held every record of the block. */
	r->open = true;
	r->patch_len = 0;
	r->deletions = run.deletions;
	r->blk = *o;
	r->count = run.count;
	dropped = r->keep_deletions ? 0 : run.deletions;
	ret = copy_held(r, err);
	if (!ret)
		*written += run.count - dropped;
	return ret;
}

int rt_reuse_copy_whole(struct rt_reuse *r, const struct rt_merged_iter *mi,
			uint64_t *written, struct rt_err *err)
{
	const struct rt_rec_origin *o = &mi->origin;
	int ret = write_held(r, err);

	if (ret)
		return ret;
	if (r->type == RT_BLOCK_REF)
		return copy_whole_refs(r, mi, written, err);
	return writer_copy_block(r->w,
				 &(struct rt_block_copy){
					 .type = RT_BLOCK_LOG,
					 .data = o->table->data + o->block_off,
					 .len = o->block_len,
					 .unread = true,
					 .last_key = &mi->key,
				 },
				 err);
}
