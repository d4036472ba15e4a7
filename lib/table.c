/*
 * table.c: table reader.
 *
 * Block positions come from the footer and from index records, both
 * untrusted: every position is checked to lie inside the table before the
 * footer, and index chains are followed at most MAX_INDEX_DEPTH levels deep.
 */
#include "lib/table.h"
#include "lib/include/rt-file.h"
#include "lib/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_INDEX_DEPTH 16

int rt_table_error(struct rt_err *err, const struct rt_table *t, uint64_t off,
		   const char *what)
{
	return rt_err_set(err, RT_ERR_FORMAT, "%s: offset %llu: %s", t->path,
			  (unsigned long long)off, what);
}

static int parse(struct rt_table *t, struct rt_err *err)
{
	const uint8_t *h = t->data, *f;
	uint64_t obj_field;
	uint32_t footer_len;
	uint8_t first;

	if (t->size < 24 + 68)
		return rt_table_error(err, t, 0,
				      "file too small to be a reftable");
	if (memcmp(h, "REFT", 4))
		return rt_table_error(err, t, 0, "bad magic (not a reftable)");
	t->version = h[4];
	if (t->version != 1 && t->version != 2)
		return rt_table_error(err, t, 4, "unsupported version");
	t->header_len = rt_header_size(t->version);
	footer_len = rt_footer_size(t->version);
	if (t->size < (uint64_t)t->header_len + footer_len)
		return rt_table_error(err, t, 0,
				      "file too small to be a reftable");
	t->block_size = rt_get_be24(h + 5);
	t->min_update_index = rt_get_be64(h + 8);
	t->max_update_index = rt_get_be64(h + 16);
	t->hash_id = RT_HASH_SHA1;
	if (t->version == 2) {
		if (!memcmp(h + 24, "sha1", 4))
			t->hash_id = RT_HASH_SHA1;
		else if (!memcmp(h + 24, "s256", 4))
			t->hash_id = RT_HASH_SHA256;
		else
			return rt_table_error(err, t, 24, "unknown hash id");
	}
	t->hash_size = rt_hash_size(t->hash_id);
	if (t->min_update_index > t->max_update_index)
		return rt_table_error(
			err, t, 8, "min update index above max update index");

	t->footer_off = t->size - footer_len;
	f = t->data + t->footer_off;
	if (memcmp(f, h, t->header_len))
		return rt_table_error(err, t, t->footer_off,
				      "footer does not repeat the header");
	if (rt_get_be32(f + footer_len - 4) !=
	    (uint32_t)crc32(0, f, footer_len - 4))
		return rt_table_error(err, t, t->footer_off + footer_len - 4,
				      "footer CRC-32 mismatch");
	f += t->header_len;
	t->ref.index_offset = rt_get_be64(f);
	obj_field = rt_get_be64(f + 8);
	t->obj.offset = obj_field >> 5;
	t->obj_id_len = obj_field & 0x1f;
	t->obj.index_offset = rt_get_be64(f + 16);
	t->log.offset = rt_get_be64(f + 24);
	t->log.index_offset = rt_get_be64(f + 32);

	const uint64_t offs[] = { t->ref.index_offset, t->obj.offset,
				  t->obj.index_offset, t->log.offset,
				  t->log.index_offset };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		if (offs[i] &&
		    (offs[i] < t->header_len || offs[i] >= t->footer_off))
			return rt_table_error(
				err, t, t->footer_off + t->header_len + 8 * i,
				"section offset outside the table");
	if (t->obj.offset && t->obj_id_len < 2)
		return rt_table_error(err, t, t->footer_off + t->header_len + 8,
				      "obj id length below 2");

	if (t->footer_off == t->header_len)
		return 0; /* empty table */
	first = t->data[t->header_len];
	t->ref.present = first == RT_BLOCK_REF;
	t->ref.offset = 0;
	t->log.present = first == RT_BLOCK_LOG || t->log.offset > 0;
	t->obj.present = t->obj.offset > 0;
	if (first != RT_BLOCK_REF && first != RT_BLOCK_LOG)
		return rt_table_error(err, t, t->header_len,
				      "first block is neither a ref nor a log "
				      "block");
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int rt_table_open_mem(struct rt_table **out, const uint8_t *data, uint64_t size,
		      const char *path, struct rt_err *err)
{
	struct rt_table *t = calloc(1, sizeof(*t));
	int ret;

	if (!t || !(t->path = strdup(path))) {
		free(t);
		return rt_err_oom(err);
	}
	t->name = base_name(t->path);
	t->data = data;
	t->size = size;
	ret = parse(t, err);
	if (ret) {
		rt_table_close(t);
		return ret;
	}
	*out = t;
	return 0;
}

int rt_table_open(struct rt_table **out, const char *path, struct rt_err *err)
{
	return rt_table_open_at(out, AT_FDCWD, path, path, err);
}

int rt_table_open_at(struct rt_table **out, int dirfd, const char *name,
		     const char *path, struct rt_err *err)
{
	struct stat st;
	void *map;
	int fd, ret;

	/* A FIFO, device, directory or symlink is refused, never waited on. */
	fd = rt_file_open_at(dirfd, name, path, O_RDONLY, 0, err);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		ret = rt_err_errno(err, RT_ERR_IO, "cannot stat %s", path);
		close(fd);
		return ret;
	}
	if (st.st_size < 24 + 68) {
		close(fd);
		return rt_err_set(err, RT_ERR_FORMAT,
				  "%s: offset 0: file too small to be a "
				  "reftable (%lld bytes)",
				  path, (long long)st.st_size);
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return rt_err_errno(err, RT_ERR_IO, "cannot map %s", path);
	ret = rt_table_open_mem(out, map, st.st_size, path, err);
	if (ret) {
		munmap(map, st.st_size);
		return ret;
	}
	(*out)->mapped = true;
	return 0;
}

void rt_table_close(struct rt_table *t)
{
	if (!t)
		return;
	if (t->mapped)
		munmap((void *)t->data, t->size);
	free(t->path);
	free(t);
}

const char *rt_table_name(const struct rt_table *t)
{
	return t->name;
}

uint64_t rt_table_size(const struct rt_table *t)
{
	return t->size;
}

enum rt_hash rt_table_hash_id(const struct rt_table *t)
{
	return t->hash_id;
}

uint64_t rt_table_min_update_index(const struct rt_table *t)
{
	return t->min_update_index;
}

uint64_t rt_table_max_update_index(const struct rt_table *t)
{
	return t->max_update_index;
}

const struct rt_table_section *rt_table_section(const struct rt_table *t,
						uint8_t type)
{
	switch (type) {
	case RT_BLOCK_REF:
		return &t->ref;
	case RT_BLOCK_LOG:
		return &t->log;
	case RT_BLOCK_OBJ:
		return &t->obj;
	}
	return NULL;
}

void rt_table_iter_init(struct rt_table_iter *it, const struct rt_table *t,
			uint8_t type)
{
	memset(it, 0, sizeof(*it));
	it->t = t;
	it->type = type;
	it->done = true;
	rt_record_init(&it->idx, RT_BLOCK_INDEX);
}

int rt_table_load_block(const struct rt_table *t, struct rt_block *b,
			uint64_t off, struct rt_err *err)
{
	if (off >= t->footer_off || (off && off < t->header_len))
		return rt_table_error(err, t, off,
				      "block position outside the table");
	return rt_block_load(b, t->data + off, t->footer_off - off, off,
			     off ? 0 : t->header_len, t->block_size,
			     t->hash_size, t->min_update_index, t->path, err);
}

/* Load the block at `off`; `want` is the expected type (0: any). */
static int load_block(struct rt_table_iter *it, uint64_t off, uint8_t want,
		      struct rt_err *err)
{
	int ret = rt_table_load_block(it->t, &it->blk, off, err);

	if (ret)
		return ret;
	if (want && it->blk.type != want)
		return rt_table_error(err, it->t, off, "unexpected block type");
	return 0;
}

/* Position of the block after the loaded one, or 0 at the end. */
static uint64_t next_block_off(const struct rt_table_iter *it)
{
	uint64_t next = it->skip_to ? it->skip_to :
				      it->blk.file_off + it->blk.file_len;

	return next < it->t->footer_off ? next : 0;
}

uint64_t rt_table_iter_next_block(const struct rt_table_iter *it)
{
	uint64_t next;

	if (it->done || it->next_index == RT_NO_INDEX ||
	    it->bi.off < it->blk.restart_start)
		return 0;
	next = next_block_off(it);
	return next && it->t->data[next] == it->type ? next : 0;
}

void rt_table_iter_drop_behind(struct rt_table_iter *it)
{
	it->drop_behind = true;
}

/*
 * Release whole pages of the mapping before file offset `upto`; unless
 * `last`, only a megabyte or more at a time: one call per block would
 * cost more.
 */
static void drop_pages(struct rt_table_iter *it, uint64_t upto, bool last)
{
	static const uint64_t chunk = 1 << 20;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t from = it->dropped - it->dropped % page;

	upto -= upto % page;
	if (!it->drop_behind || !it->t->mapped || upto <= from ||
	    (!last && upto < from + chunk))
		return;
	madvise((void *)(it->t->data + from), upto - from, MADV_DONTNEED);
	it->dropped = upto;
}

/*
 * Blocks skipped here are copied from the mapping a little later (they
 * wait in the writer's queue): pages are handed back only this far
 * behind, so that most are still there when they are copied (if not,
 * they are read again from the page cache). The queue holds 256 blocks
 * at most, a few hundred KiB of a table's log blocks.
 */
#define SKIP_DROP_LAG (1u << 20)

void rt_table_iter_skip_block(struct rt_table_iter *it, uint64_t end)
{
	it->skip_to = end;
	/* A long run of skipped blocks never reaches advance_block(). */
	if (end > SKIP_DROP_LAG)
		drop_pages(it, end - SKIP_DROP_LAG, false);
}

/* Move to the next block of the section; 1 when there is none. */
static int advance_block(struct rt_table_iter *it, struct rt_err *err)
{
	uint64_t next = next_block_off(it);
	int ret;

	it->skip_to = 0;
	if (!next || it->t->data[next] != it->type)
		return 1;
	drop_pages(it, next, false);
	ret = load_block(it, next, it->type, err);
	if (ret)
		return ret;
	rt_block_iter_start(&it->bi, &it->blk);
	it->next_index = 0;
	return 0;
}

int rt_table_iter_seek(struct rt_table_iter *it, const void *key, size_t len,
		       struct rt_err *err)
{
	const struct rt_table_section *sec = rt_table_section(it->t, it->type);
	struct rt_buf want = { .buf = (char *)key, .len = len };
	uint64_t off;
	int ret;

	it->done = true;
	it->skip_to = 0;
	/* Only a pass from the start knows where each record sits. */
	it->next_index = len ? RT_NO_INDEX : 0;
	if (!sec || !sec->present)
		return 0;

	if (len && sec->index_offset) {
		int depth = 0;

		off = sec->index_offset;
		for (;;) {
			ret = load_block(it, off, 0, err);
			if (ret)
				return ret;
			if (it->blk.type == it->type)
				break;
			if (it->blk.type != RT_BLOCK_INDEX)
				return rt_table_error(err, it->t, off,
						      "index points to a block "
						      "of another section");
			ret = rt_block_iter_seek(&it->bi, &it->blk, &want, err);
			if (ret)
				return ret;
			ret = rt_block_iter_next(&it->bi, &it->idx, err);
			if (ret < 0)
				return ret;
			if (ret == 1) {
				/*
				 * The root level may span a few consecutive
				 * index blocks: the key may be in a later one.
				 */
				off = next_block_off(it);
				if (!off || it->t->data[off] != RT_BLOCK_INDEX)
					return 0; /* past every block */
				continue;
			}
			if (++depth > MAX_INDEX_DEPTH)
				return rt_table_error(
					err, it->t, off,
					"index nested too deeply");
			off = it->idx.u.idx.offset;
		}
		ret = rt_block_iter_seek(&it->bi, &it->blk, &want, err);
		if (ret)
			return ret;
		it->done = false;
		return 0;
	}

	ret = load_block(it, sec->offset, it->type, err);
	if (ret)
		return ret;
	it->done = false;
	if (!len) {
		rt_block_iter_start(&it->bi, &it->blk);
		return 0;
	}
	/*
	 * No index: few blocks. Seek in each until one has a key >= want;
	 * a miss leaves the block iterator at the block's end.
	 */
	for (;;) {
		ret = rt_block_iter_seek(&it->bi, &it->blk, &want, err);
		if (ret)
			return ret;
		/* advance_block() counted from 0; the seek moved on. */
		it->next_index = RT_NO_INDEX;
		if (it->bi.off < it->blk.restart_start)
			return 0;
		ret = advance_block(it, err);
		if (ret < 0)
			return ret;
		if (ret == 1) {
			it->done = true;
			return 0;
		}
	}
}

int rt_table_iter_next(struct rt_table_iter *it, struct rt_record *rec,
		       struct rt_err *err)
{
	int ret;

	if (rec->type != it->type)
		return rt_err_set(err, RT_ERR_API, "record type mismatch");
	while (!it->done) {
		ret = rt_block_iter_next(&it->bi, rec, err);
		if (ret < 0)
			return ret;
		if (!ret) {
			if (it->next_index != RT_NO_INDEX)
				it->next_index++;
			return 0;
		}
		ret = advance_block(it, err);
		if (ret < 0)
			return ret;
		if (ret == 1)
			it->done = true;
	}
	return 1;
}

int rt_table_iter_skip_refs(struct rt_table_iter *it,
			    const struct rt_buf *bound, struct rt_ref_run *run,
			    struct rt_err *err)
{
	uint32_t before = run->count;
	int ret;

	if (it->done)
		return 0;
	ret = rt_block_iter_skip_refs(&it->bi, bound, run, err);
	if (!ret && it->next_index != RT_NO_INDEX)
		it->next_index += run->count - before;
	return ret;
}

int rt_table_iter_next_raw(struct rt_table_iter *it, const struct rt_buf *bound,
			   struct rt_err *err)
{
	int ret;

	if (it->done)
		return 1;
	ret = rt_block_iter_next_raw(&it->bi, bound, err);
	if (!ret && it->next_index != RT_NO_INDEX)
		it->next_index++;
	return ret;
}

int rt_table_iter_value(const struct rt_table_iter *it, struct rt_record *rec,
			struct rt_err *err)
{
	if (rec->type != it->type)
		return rt_err_set(err, RT_ERR_API, "record type mismatch");
	return rt_block_iter_value(&it->bi, rec, err);
}

void rt_table_iter_origin(const struct rt_table_iter *it,
			  struct rt_rec_origin *o)
{
	o->table = it->t;
	o->block_off = it->blk.file_off;
	o->block_len = it->blk.type == RT_BLOCK_LOG ? it->blk.file_len :
						      it->blk.len;
	o->content_len = it->blk.len;
	o->index = it->next_index == RT_NO_INDEX ? RT_NO_INDEX :
						   it->next_index - 1;
	o->rec_off = it->bi.rec_off;
	o->rec_len = it->bi.off - it->bi.rec_off;
	o->last_in_block = it->bi.off >= it->blk.restart_start;
	o->shared = false;
}

void rt_table_iter_release(struct rt_table_iter *it)
{
	/* The pass is over: what it read, to its last block, goes too. */
	if (it->t && it->blk.file_off)
		drop_pages(it, it->blk.file_off + it->blk.file_len, true);
	rt_block_release(&it->blk);
	rt_block_iter_release(&it->bi);
	rt_record_release(&it->idx);
	it->done = true;
}

static bool ref_points_at(const struct rt_ref_record *r, const uint8_t *oid,
			  int hash_size)
{
	return (r->value_type == RT_REF_VAL1 || r->value_type == RT_REF_VAL2) &&
	       (!memcmp(r->value, oid, hash_size) ||
		(r->value_type == RT_REF_VAL2 &&
		 !memcmp(r->peeled, oid, hash_size)));
}

/* Scan refs from `it`'s position until the end of the block (or section). */
static int scan_refs(struct rt_table_iter *it, bool one_block,
		     const uint8_t *oid,
		     int (*fn)(void *, const struct rt_ref_record *), void *arg,
		     struct rt_err *err)
{
	struct rt_record rec;
	int ret;

	rt_record_init(&rec, RT_BLOCK_REF);
	for (;;) {
		ret = one_block ? rt_block_iter_next(&it->bi, &rec, err) :
				  rt_table_iter_next(it, &rec, err);
		if (ret)
			break;
		if (ref_points_at(&rec.u.ref, oid, it->t->hash_size) &&
		    (ret = fn(arg, &rec.u.ref)))
			break;
	}
	rt_record_release(&rec);
	return ret == 1 ? 0 : ret;
}

static int scan_all_refs(const struct rt_table *t, const uint8_t *oid,
			 int (*fn)(void *, const struct rt_ref_record *),
			 void *arg, struct rt_err *err)
{
	struct rt_table_iter it;
	int ret;

	rt_table_iter_init(&it, t, RT_BLOCK_REF);
	ret = rt_table_iter_seek(&it, NULL, 0, err);
	if (!ret)
		ret = scan_refs(&it, false, oid, fn, arg, err);
	rt_table_iter_release(&it);
	return ret;
}

int rt_table_refs_for(const struct rt_table *t, const uint8_t *oid,
		      int (*fn)(void *arg, const struct rt_ref_record *ref),
		      void *arg, struct rt_err *err)
{
	struct rt_table_iter it;
	struct rt_record obj;
	int ret;

	if (!t->obj.present)
		return scan_all_refs(t, oid, fn, arg, err);

	rt_table_iter_init(&it, t, RT_BLOCK_OBJ);
	rt_record_init(&obj, RT_BLOCK_OBJ);
	ret = rt_table_iter_seek(&it, oid, t->obj_id_len, err);
	if (!ret)
		ret = rt_table_iter_next(&it, &obj, err);
	rt_table_iter_release(&it);
	if (ret || obj.u.obj.prefix.len != (size_t)t->obj_id_len ||
	    memcmp(obj.u.obj.prefix.buf, oid, t->obj_id_len)) {
		rt_record_release(&obj);
		return ret < 0 ? ret : 0; /* no ref points at it */
	}
	if (obj.u.obj.offset_len == 0) {
		/* Too many blocks were involved to list: scan everything. */
		rt_record_release(&obj);
		return scan_all_refs(t, oid, fn, arg, err);
	}
	rt_table_iter_init(&it, t, RT_BLOCK_REF);
	for (size_t i = 0; !ret && i < obj.u.obj.offset_len; i++) {
		ret = load_block(&it, obj.u.obj.offsets[i], RT_BLOCK_REF, err);
		if (ret)
			break;
		rt_block_iter_start(&it.bi, &it.blk);
		ret = scan_refs(&it, true, oid, fn, arg, err);
	}
	rt_table_iter_release(&it);
	rt_record_release(&obj);
	return ret;
}
