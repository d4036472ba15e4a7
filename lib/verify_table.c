/*
 * verify_table.c: the checks of one table, beyond what the reader refuses
 * by itself (with file and offset): every record of every section and
 * every index block is read; keys must ascend across blocks, ref update
 * indexes lie in the table's range, obj records point at ref blocks, and
 * index blocks cover their section up to the next one.
 */
#define _GNU_SOURCE
#include "lib/verify.h"
#include "lib/table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A kind of damage that may repeat for many records: the first one is
 * described, the count is added when the section is done.
 */
struct tally {
	uint64_t count;
	char *first;
};

__attribute__((format(printf, 3, 4))) static void
tally(struct vctx *c, struct tally *t, const char *fmt, ...)
{
	va_list ap;

	if (t->count++)
		return;
	va_start(ap, fmt);
	if (vasprintf(&t->first, fmt, ap) < 0) {
		t->first = NULL;
		c->nomem = true;
	}
	va_end(ap);
}

static void tally_flush(struct vctx *c, size_t ti, struct tally *t)
{
	const char *name = c->res->tables[ti].name;

	if (t->first && t->count > 1)
		rt_verify_problem(c, ti, name,
				  "%s (%llu records in this table)", t->first,
				  (unsigned long long)t->count);
	else if (t->first)
		rt_verify_problem(c, ti, name, "%s", t->first);
	free(t->first);
	t->first = NULL;
	t->count = 0;
}

static const char *section_name(uint8_t type)
{
	switch (type) {
	case RT_BLOCK_REF:
		return "ref";
	case RT_BLOCK_LOG:
		return "log";
	case RT_BLOCK_OBJ:
		return "obj";
	}
	return "index";
}

/* Type byte of the block starting at `off`, or -1 outside the blocks. */
static int block_type_at(const struct rt_table *t, uint64_t off)
{
	if (off >= t->footer_off || (off && off < t->header_len))
		return -1;
	return t->data[off ? off : t->header_len];
}

static void check_record(struct vctx *c, struct rt_table *t,
			 const struct rt_record *rec, uint64_t blk_off,
			 struct tally *range, struct tally *offsets)
{
	if (rec->type == RT_BLOCK_REF) {
		const struct rt_ref_record *r = &rec->u.ref;
		int n = r->refname.len > VERIFY_SHOWN ? VERIFY_SHOWN :
							(int)r->refname.len;

		if (r->update_index > t->max_update_index)
			tally(c, range,
			      "%s: offset %llu: ref '%.*s' has update index "
			      "%llu, outside the table's range %llu-%llu",
			      t->path, (unsigned long long)blk_off, n,
			      r->refname.buf,
			      (unsigned long long)r->update_index,
			      (unsigned long long)t->min_update_index,
			      (unsigned long long)t->max_update_index);
	} else if (rec->type == RT_BLOCK_OBJ) {
		const struct rt_obj_record *o = &rec->u.obj;

		for (size_t i = 0; i < o->offset_len; i++)
			if (block_type_at(t, o->offsets[i]) != RT_BLOCK_REF)
				tally(c, offsets,
				      "%s: offset %llu: obj record points to "
				      "offset %llu, which is not a ref block",
				      t->path, (unsigned long long)blk_off,
				      (unsigned long long)o->offsets[i]);
	}
}

/*
 * Read one section's records whole; keys must ascend across blocks too.
 * Returns the offset after its last block (0: none read).
 */
static uint64_t check_section(struct vctx *c, size_t ti, struct rt_table *t,
			      uint8_t type, uint64_t *count)
{
	struct tally order = { 0 }, range = { 0 }, offsets = { 0 };
	struct rt_buf key = RT_BUF_INIT, prev = RT_BUF_INIT, tmp;
	struct rt_err err = { 0 };
	struct rt_table_iter it;
	struct rt_record rec;
	uint64_t end = 0;
	int ret;

	rt_table_iter_init(&it, t, type);
	rt_table_iter_drop_behind(&it);
	rt_record_init(&rec, type);
	ret = rt_table_iter_seek(&it, NULL, 0, &err);
	while (!ret && !(ret = rt_table_iter_next(&it, &rec, &err))) {
		if (rt_record_key(&rec, &key)) {
			c->nomem = true;
			break;
		}
		/* Within a block the reader checks this; here: across. */
		if ((*count)++ && rt_buf_cmp(&key, &prev) <= 0)
			tally(c, &order,
			      "%s: offset %llu: first %s key of the block is "
			      "not above the last key of the block before",
			      t->path, (unsigned long long)it.blk.file_off,
			      section_name(type));
		tmp = prev;
		prev = key;
		key = tmp;
		check_record(c, t, &rec, it.blk.file_off, &range, &offsets);
	}
	if (ret < 0)
		rt_verify_problem(c, ti, c->res->tables[ti].name, "%s",
				  err.msg);
	else if (*count)
		end = it.blk.file_off + it.blk.file_len;
	tally_flush(c, ti, &order);
	tally_flush(c, ti, &range);
	tally_flush(c, ti, &offsets);
	rt_record_release(&rec);
	rt_table_iter_release(&it);
	rt_buf_release(&key);
	rt_buf_release(&prev);
	return end;
}

/* Where the next section (or the footer) starts after offset `off`. */
static uint64_t next_section(const struct rt_table *t, uint64_t off)
{
	uint64_t next = t->footer_off;

	if (t->obj.offset >= off && t->obj.offset < next)
		next = t->obj.offset;
	if (t->log.offset >= off && t->log.offset < next)
		next = t->log.offset;
	return next;
}

/*
 * After a section's last record block come its index blocks, all levels,
 * up to the next section; the footer points at the root level. Every
 * byte up to the next section must belong to a block, and each index
 * record must point at a block of the section or at an index block. An
 * index block may be longer than the table's block size only when it is
 * the whole index (reftable.adoc: a single level may exceed the block
 * size; a multi-level index keeps its blocks within it).
 */
static void check_index(struct vctx *c, size_t ti, struct rt_table *t,
			uint64_t off, uint64_t index_offset, uint8_t type,
			uint64_t *count)
{
	const char *name = c->res->tables[ti].name;
	uint64_t end = next_section(t, off);
	struct rt_block blk = { 0 };
	struct rt_block_iter bi = { 0 };
	struct tally targets = { 0 };
	struct rt_err err = { 0 };
	bool root_seen = !index_offset;
	uint64_t long_off = 0, blocks = 0;
	uint32_t long_len = 0;
	struct rt_record rec;
	int ret = 0;

	rt_record_init(&rec, RT_BLOCK_INDEX);
	while (off < end && block_type_at(t, off) == RT_BLOCK_INDEX) {
		ret = rt_block_load(&blk, t->data + off, t->footer_off - off,
				    off, 0, t->block_size, t->hash_size,
				    t->min_update_index, t->path, &err);
		if (ret)
			break;
		root_seen |= off == index_offset;
		blocks++;
		if (t->block_size && blk.len > t->block_size && !long_len) {
			long_off = off;
			long_len = blk.len;
		}
		rt_block_iter_start(&bi, &blk);
		while (!(ret = rt_block_iter_next(&bi, &rec, &err))) {
			int tt = block_type_at(t, rec.u.idx.offset);

			(*count)++;
			if (tt != type && tt != RT_BLOCK_INDEX)
				tally(c, &targets,
				      "%s: offset %llu: %s index record points "
				      "to offset %llu, which is not a %s or "
				      "index block",
				      t->path, (unsigned long long)off,
				      section_name(type),
				      (unsigned long long)rec.u.idx.offset,
				      section_name(type));
		}
		if (ret < 0)
			break;
		ret = 0;
		off = blk.file_off + blk.file_len;
	}
	if (ret < 0)
		rt_verify_problem(c, ti, name, "%s", err.msg);
	else if (off != end)
		rt_verify_problem(
			c, ti, name,
			"%s: offset %llu: no %s or index block here, but the "
			"%s ends at %llu",
			t->path, (unsigned long long)off, section_name(type),
			end == t->footer_off ? "last section" : "section",
			(unsigned long long)end);
	else if (!root_seen)
		rt_verify_problem(
			c, ti, name,
			"%s: offset %llu: the footer's %s index position is "
			"not the start of an index block",
			t->path, (unsigned long long)index_offset,
			section_name(type));
	else if (long_len && blocks > 1)
		rt_verify_problem(
			c, ti, name,
			"%s: offset %llu: index block of %u bytes, longer "
			"than the table's block size (%u), in a multi-level "
			"%s index",
			t->path, (unsigned long long)long_off, long_len,
			t->block_size, section_name(type));
	tally_flush(c, ti, &targets);
	rt_record_release(&rec);
	rt_block_iter_release(&bi);
	rt_block_release(&blk);
}

void rt_verify_check_table(struct vctx *c, size_t ti, struct rt_table *t)
{
	struct rt_verify_table *vt = &c->res->tables[ti];
	uint64_t min = vt->min_update_index, max = vt->max_update_index;

	vt->opened = true;
	vt->bytes = t->size;
	vt->version = t->version;
	vt->hash = t->hash_id;
	vt->min_update_index = t->min_update_index;
	vt->max_update_index = t->max_update_index;
	if (min != t->min_update_index || max != t->max_update_index)
		rt_verify_problem(
			c, ti, vt->name,
			"%s: offset 8: header update-index range %llu-%llu "
			"differs from the range %llu-%llu in the file name",
			t->path, (unsigned long long)t->min_update_index,
			(unsigned long long)t->max_update_index,
			(unsigned long long)min, (unsigned long long)max);
	if (c->opts->expected_hash && t->hash_id != c->opts->expected_hash)
		rt_verify_problem(c, ti, vt->name,
				  "%s: offset %d: the table's hash is %s, the "
				  "repository's %s",
				  t->path, t->version == 2 ? 24 : 4,
				  rt_hash_name(t->hash_id),
				  rt_hash_name(c->opts->expected_hash));

	for (size_t k = 0; k < 3; k++) {
		const struct rt_table_section *sec = k == 0 ? &t->ref :
						     k == 1 ? &t->obj :
							      &t->log;
		static const uint8_t types[] = { RT_BLOCK_REF, RT_BLOCK_OBJ,
						 RT_BLOCK_LOG };
		uint64_t *count = k == 0 ? &vt->refs :
				  k == 1 ? &vt->objs :
					   &vt->logs;
		uint64_t end = check_section(c, ti, t, types[k], count);

		if (end)
			check_index(c, ti, t, end, sec->index_offset, types[k],
				    &vt->index_records);
	}
}
