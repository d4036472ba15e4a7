/*
 * block.c: block writer and reader.
 *
 * Invariants of a block as written here and accepted on reading:
 * keys strictly ascend; the first record and every record at a restart
 * offset have prefix_len 0; restart offsets ascend and point between the
 * block header and the restart table; block_len never exceeds the table's
 * block size, but for index and log blocks (see rt_block_load; log
 * blocks the writer stretches, see stretch_fits).
 * The writer places restarts where Git does (see rt_block_writer_add).
 */
#include "lib/block.h"

#include <libdeflate.h>

#include <stdlib.h>
#include <string.h>

static int restarts_push(struct rt_block_writer *bw, uint32_t off)
{
	if (bw->restart_len == bw->restart_cap) {
		size_t cap = bw->restart_cap ? bw->restart_cap * 2 : 64;
		uint32_t *p = realloc(bw->restarts, cap * sizeof(*p));

		if (!p)
			return RT_ERR_NOMEM;
		bw->restarts = p;
		bw->restart_cap = cap;
	}
	bw->restarts[bw->restart_len++] = off;
	return 0;
}

int rt_block_writer_reset(struct rt_block_writer *bw, uint8_t type,
			  uint8_t *buf, uint32_t block_size,
			  uint32_t header_off, int hash_size,
			  uint64_t min_update_index, uint32_t restart_interval,
			  int deflate_level)
{
	if (block_size < header_off + 4 + 5 || block_size > RT_MAX_BLOCK_SIZE)
		return RT_ERR_API;
	bw->buf = buf;
	bw->block_size = block_size;
	bw->header_off = header_off;
	bw->type = type;
	bw->next = header_off + 4;
	bw->restart_len = 0;
	bw->restart_interval = restart_interval ? restart_interval : 16;
	bw->entries = 0;
	bw->hash_size = hash_size;
	bw->min_update_index = min_update_index;
	bw->stretch_limit = 0;
	bw->cut = false;
	bw->cut_entries = 0;
	bw->cut_restarts = 0;
	if (!bw->deflater.ready)
		rt_deflater_init(&bw->deflater, deflate_level, block_size);
	rt_buf_reset(&bw->last_key);
	buf[header_off] = type;
	return 0;
}

/* Encode `rec` into bw->scratch, its key sharing `prefix` bytes. */
static int encode(struct rt_block_writer *bw, const struct rt_record *rec,
		  const struct rt_buf *key, size_t prefix)
{
	rt_buf_reset(&bw->scratch);
	return rt_record_encode(rec, key, prefix, &bw->scratch, bw->hash_size,
				bw->min_update_index);
}

uint32_t rt_log_block_limit(uint32_t block_size)
{
	uint64_t limit = (uint64_t)block_size + block_size / 2;

	return limit < RT_MAX_BLOCK_SIZE ? (uint32_t)limit : RT_MAX_BLOCK_SIZE;
}

/*
 * Stretched log blocks. A log block may be longer than the table's block
 * size (reftable.adoc, "Log block format"; Git inflates block_len bytes),
 * which saves a deflate and a short block where a re-encoded block is
 * followed by a copied one. But only then: anywhere else the table must
 * come out byte for byte as without stretching, blocks cut where the
 * first record that did not fit began. So that the writer can decide when
 * it flushes, the record that first passes block_size starts a "cut":
 * it and every record after it are encoded as the first records of a
 * block of their own (prefix 0 and a restart at the cut, restart interval
 * and the 65535-restart cap counted from there, block_size checked from a
 * 4-byte header at the cut). The bytes after the cut are then exactly the
 * next block's records, at offsets shifted by cut_off - 4: cutting
 * (rt_block_writer_cut/resume) gives today's two blocks, not cutting
 * gives one block whose restart table lists both parts' restarts.
 * A cut block may hold at most what the next block could (block_size)
 * after the cut and stretch_limit in all.
 */
static bool stretch_fits(const struct rt_block_writer *bw, bool restart)
{
	return bw->scratch.len + 3 * (bw->restart_len + restart) + 2 <=
		       (size_t)bw->stretch_limit - bw->next &&
	       bw->restart_len + restart <= 65535;
}

/* The record in scratch does not fit in block_size: start a cut there. */
static int stretch(struct rt_block_writer *bw, const struct rt_record *rec,
		   const struct rt_buf *key, size_t prefix)
{
	int ret;

	if (bw->cut || !bw->stretch_limit || !bw->entries)
		return RT_ERR_TOO_BIG;
	if (prefix && (ret = encode(bw, rec, key, 0)))
		return ret;
	/* It must fit a block of its own, as it would without stretching. */
	if (bw->scratch.len + 3 + 2 > bw->block_size - 4 ||
	    !stretch_fits(bw, true))
		return RT_ERR_TOO_BIG;
	if (rt_buf_set(&bw->cut_key, bw->last_key.buf, bw->last_key.len))
		return RT_ERR_NOMEM;
	bw->cut = true;
	bw->cut_off = bw->next;
	bw->cut_entries = bw->entries;
	bw->cut_restarts = bw->restart_len;
	return 0;
}

int rt_block_writer_add(struct rt_block_writer *bw, const struct rt_record *rec,
			const struct rt_buf *key)
{
	/* After a cut, as in a block starting there (see stretch_fits). */
	uint32_t entries = bw->cut ? bw->entries - bw->cut_entries :
				     bw->entries;
	size_t restarts = bw->cut ? bw->restart_len - bw->cut_restarts :
				    bw->restart_len;
	uint32_t next = bw->cut ? bw->next - bw->cut_off + 4 : bw->next;
	bool restart;
	size_t prefix = 0, need;
	int ret;

	if (entries % bw->restart_interval)
		prefix = rt_common_prefix(bw->last_key.buf, bw->last_key.len,
					  key->buf, key->len);
	/*
	 * As Git does: a restart every restart_interval records and at every
	 * key that shares nothing with the one before (it costs only the
	 * 3-byte offset). A block holds 65535 restarts at most; past them
	 * records go in without one, the block does not end there.
	 */
	restart = !prefix && restarts < 65535;
	if ((ret = encode(bw, rec, key, prefix)))
		return ret;

	/* The record plus the restart table must still fit. */
	need = bw->scratch.len + 3 * (restarts + restart) + 2;
	if (need > bw->block_size - next) {
		if ((ret = stretch(bw, rec, key, prefix)))
			return ret;
		prefix = 0;
		restart = true;
	} else if (bw->cut && !stretch_fits(bw, restart)) {
		return RT_ERR_TOO_BIG;
	}

	if (restart && (ret = restarts_push(bw, bw->next)))
		return ret;
	memcpy(bw->buf + bw->next, bw->scratch.buf, bw->scratch.len);
	bw->next += bw->scratch.len;
	bw->entries++;
	/* Only the shared prefix may already be in place. */
	rt_buf_setlen(&bw->last_key, prefix);
	return rt_buf_add(&bw->last_key, key->buf + prefix, key->len - prefix);
}

int rt_block_writer_cut(struct rt_block_writer *bw)
{
	struct rt_buf tmp;

	if (!bw->cut)
		return 0;
	if (rt_buf_set(&bw->tail, bw->buf + bw->cut_off,
		       bw->next - bw->cut_off))
		return RT_ERR_NOMEM;
	bw->tail_entries = bw->entries - bw->cut_entries;
	bw->tail_restarts = bw->restart_len - bw->cut_restarts;
	bw->restart_len = bw->cut_restarts;
	bw->entries = bw->cut_entries;
	bw->next = bw->cut_off;
	/* last_key is the tail's; the part before it ends at cut_key. */
	tmp = bw->last_key;
	bw->last_key = bw->cut_key;
	bw->cut_key = tmp;
	return 0;
}

void rt_block_writer_resume(struct rt_block_writer *bw)
{
	uint32_t shift = bw->cut_off - 4;
	struct rt_buf tmp;

	if (!bw->cut)
		return;
	bw->cut = false;
	bw->header_off = 0;
	bw->buf[0] = bw->type;
	memcpy(bw->buf + 4, bw->tail.buf, bw->tail.len);
	bw->next = 4 + (uint32_t)bw->tail.len;
	for (size_t i = 0; i < bw->tail_restarts; i++)
		bw->restarts[i] = bw->restarts[bw->cut_restarts + i] - shift;
	bw->restart_len = bw->tail_restarts;
	bw->entries = bw->tail_entries;
	tmp = bw->last_key;
	bw->last_key = bw->cut_key;
	bw->cut_key = tmp;
	bw->cut_entries = 0;
	bw->cut_restarts = 0;
}

int rt_block_writer_finish(struct rt_block_writer *bw)
{
	int ret;

	for (size_t i = 0; i < bw->restart_len; i++) {
		rt_put_be24(bw->buf + bw->next, bw->restarts[i]);
		bw->next += 3;
	}
	rt_put_be16(bw->buf + bw->next, (uint16_t)bw->restart_len);
	bw->next += 2;
	rt_put_be24(bw->buf + bw->header_off + 1, bw->next);

	if (bw->type != RT_BLOCK_LOG || bw->defer_deflate)
		return (int)bw->next;
	ret = rt_deflater_run(&bw->deflater, bw->buf + bw->header_off + 4,
			      bw->next - bw->header_off - 4, &bw->compressed);
	if (ret)
		return ret;
	return (int)(bw->header_off + 4 + bw->compressed.len);
}

void rt_block_writer_release(struct rt_block_writer *bw)
{
	free(bw->restarts);
	rt_buf_release(&bw->last_key);
	rt_buf_release(&bw->scratch);
	rt_buf_release(&bw->compressed);
	rt_buf_release(&bw->cut_key);
	rt_buf_release(&bw->tail);
	rt_deflater_end(&bw->deflater);
	memset(bw, 0, sizeof(*bw));
}

static int block_error(struct rt_err *err, const struct rt_block *b,
		       uint64_t off, const char *what)
{
	return rt_err_set(err, RT_ERR_FORMAT, "%s: offset %llu: %s",
			  b->path ? b->path : "(table)",
			  (unsigned long long)off, what);
}

/*
 * Inflate the log block at `src` into b->inflated. libdeflate, not zlib:
 * it inflates a whole block in one call, faster (`verify` of a 100k-ref
 * stack, 300k log records: 185 ms of CPU against zlib's 258), and still
 * checks the zlib stream's Adler-32; it says how many bytes it read,
 * which is where the next block starts.
 */
static int inflate_log_block(struct rt_block *b, const uint8_t *src,
			     uint64_t avail, struct rt_err *err)
{
	uint32_t skip = b->header_off + 4;
	size_t in_used = 0, out_len = 0;
	enum libdeflate_result res;

	rt_buf_reset(&b->inflated);
	if (rt_buf_grow(&b->inflated, b->len))
		return rt_err_oom(err);
	memcpy(b->inflated.buf, src, skip);
	if (!b->dec && !(b->dec = libdeflate_alloc_decompressor()))
		return rt_err_oom(err);
	res = libdeflate_zlib_decompress_ex(b->dec, src + skip, avail - skip,
					    b->inflated.buf + skip,
					    b->len - skip, &in_used, &out_len);
	if (res == LIBDEFLATE_SUCCESS && out_len == b->len - skip) {
		b->inflated.len = b->len;
		b->data = (const uint8_t *)b->inflated.buf;
		b->file_len = skip + in_used;
		return 0;
	}
	if (res == LIBDEFLATE_SUCCESS)
		return block_error(err, b, b->file_off,
				   "log block inflates to less than its "
				   "declared size");
	if (res == LIBDEFLATE_INSUFFICIENT_SPACE)
		return block_error(err, b, b->file_off,
				   "log block inflates past its declared size");
	return block_error(err, b, b->file_off,
			   "log block does not inflate (corrupt or truncated "
			   "zlib data)");
}

int rt_block_load(struct rt_block *b, const uint8_t *src, uint64_t avail,
		  uint64_t file_off, uint32_t header_off,
		  uint32_t table_block_size, int hash_size,
		  uint64_t min_update_index, const char *path,
		  struct rt_err *err)
{
	uint32_t prev = 0;
	int ret;

	b->file_off = file_off;
	b->header_off = header_off;
	b->hash_size = hash_size;
	b->min_update_index = min_update_index;
	b->path = path;
	if (avail < (uint64_t)header_off + 4)
		return block_error(err, b, file_off + header_off,
				   "block header runs past the end of the "
				   "table");
	b->type = src[header_off];
	if (b->type != RT_BLOCK_REF && b->type != RT_BLOCK_LOG &&
	    b->type != RT_BLOCK_OBJ && b->type != RT_BLOCK_INDEX)
		return block_error(err, b, file_off + header_off,
				   "unknown block type");
	b->len = rt_get_be24(src + header_off + 1);
	if (b->len < header_off + 4 + 2)
		return block_error(err, b, file_off + header_off,
				   "block length too small");

	if (b->type == RT_BLOCK_LOG) {
		ret = inflate_log_block(b, src, avail, err);
		if (ret)
			return ret;
	} else {
		if (b->len > avail)
			return block_error(err, b, file_off + header_off,
					   "block runs past the end of the "
					   "table");
		/*
		 * Ref and obj blocks fit the table's block size. An index
		 * block may exceed it: reftable.adoc allows that to a
		 * single-level index, which verify checks.
		 */
		if (table_block_size && b->len > table_block_size &&
		    b->type != RT_BLOCK_INDEX)
			return block_error(err, b, file_off + header_off,
					   "block longer than the table's "
					   "block size");
		b->data = src;
		b->file_len = b->len;
		/*
		 * Aligned blocks are padded with NULs to the next multiple of
		 * the block size (a long index block too), except the last
		 * one before the footer, which is cut short.
		 */
		if (table_block_size && b->len % table_block_size &&
		    avail > b->len && src[b->len] == 0) {
			uint64_t padded = (uint64_t)b->len + table_block_size -
					  b->len % table_block_size;

			b->file_len = avail < padded ? avail : padded;
		}
	}

	b->restart_count = rt_get_be16(b->data + b->len - 2);
	if (b->restart_count == 0)
		return block_error(err, b, file_off + b->len - 2,
				   "block has no restart points");
	if ((uint64_t)3 * b->restart_count + 2 > b->len - header_off - 4)
		return block_error(err, b, file_off + b->len - 2,
				   "restart table larger than the block");
	b->restart_start = b->len - 2 - 3 * b->restart_count;
	for (uint32_t i = 0; i < b->restart_count; i++) {
		uint32_t r = rt_get_be24(b->data + b->restart_start + 3 * i);

		if (r < header_off + 4 || r >= b->restart_start ||
		    (i && r <= prev))
			return block_error(err, b,
					   file_off + b->restart_start + 3 * i,
					   "restart offset out of range");
		prev = r;
	}
	return 0;
}

void rt_block_release(struct rt_block *b)
{
	rt_buf_release(&b->inflated);
	libdeflate_free_decompressor(b->dec);
	memset(b, 0, sizeof(*b));
}

void rt_block_iter_start(struct rt_block_iter *it, const struct rt_block *b)
{
	it->b = b;
	it->off = b->header_off + 4;
	it->stepped = false;
	rt_buf_reset(&it->last_key);
}

/*
 * Decode the key of the record at it->off into it->key, relative to
 * it->last_key. Returns the number of bytes of the key part, or < 0.
 */
static int decode_key(struct rt_block_iter *it, uint8_t *val_type,
		      struct rt_err *err)
{
	const struct rt_block *b = it->b;
	const uint8_t *p = b->data + it->off;
	size_t left = b->restart_start - it->off;
	uint64_t prefix, sfx;
	int n, m;

	n = rt_varint_get(&prefix, p, left);
	if (n < 0)
		return block_error(err, b, b->file_off + it->off,
				   "malformed prefix length");
	m = rt_varint_get(&sfx, p + n, left - n);
	if (m < 0)
		return block_error(err, b, b->file_off + it->off,
				   "malformed suffix length");
	*val_type = sfx & 7;
	sfx >>= 3;
	if (prefix > it->last_key.len)
		return block_error(err, b, b->file_off + it->off,
				   "prefix longer than the previous key");
	if (sfx > left - n - m)
		return block_error(err, b, b->file_off + it->off,
				   "key runs past the end of the block");
	rt_buf_reset(&it->key);
	if (rt_buf_add(&it->key, it->last_key.buf, prefix) ||
	    rt_buf_add(&it->key, p + n + m, sfx))
		return rt_err_oom(err);
	return n + m + (int)sfx;
}

/* Name the record at `off` in the value's error `ret`. */
static int value_error(const struct rt_block *b, uint32_t off, int ret,
		       struct rt_err *err)
{
	rt_err_prefix(err, "%s: offset %llu: ", b->path ? b->path : "(table)",
		      (unsigned long long)(b->file_off + off));
	return ret;
}

int rt_block_iter_next(struct rt_block_iter *it, struct rt_record *rec,
		       struct rt_err *err)
{
	const struct rt_block *b = it->b;
	uint8_t val_type;
	int n, m;

	it->stepped = false;
	if (it->off >= b->restart_start)
		return 1;
	n = decode_key(it, &val_type, err);
	if (n < 0)
		return n;
	if (it->off > b->header_off + 4 &&
	    rt_buf_cmp(&it->key, &it->last_key) <= 0)
		return block_error(err, b, b->file_off + it->off,
				   "keys are not in ascending order");
	m = rt_record_decode(rec, &it->key, val_type, b->data + it->off + n,
			     b->restart_start - it->off - n, b->hash_size,
			     b->min_update_index, err);
	if (m < 0)
		return value_error(b, it->off, m, err);
	/* For rt_block_iter_value(). */
	it->rec_off = it->off;
	it->val_off = it->off + n;
	it->val_len = m;
	it->val_type = val_type;
	it->stepped = true;
	it->off += n + m;
	/* Swap instead of copying: last_key takes the key just decoded. */
	{
		struct rt_buf tmp = it->last_key;

		it->last_key = it->key;
		it->key = tmp;
	}
	return 0;
}

int rt_block_iter_value(const struct rt_block_iter *it, struct rt_record *rec,
			struct rt_err *err)
{
	const struct rt_block *b = it->b;
	int m;

	if (!it->stepped)
		return rt_err_set(err, RT_ERR_API, "no record read to decode");
	m = rt_record_decode(rec, &it->last_key, it->val_type,
			     b->data + it->val_off, it->val_len, b->hash_size,
			     b->min_update_index, err);
	return m < 0 ? value_error(b, it->rec_off, m, err) : 0;
}

int rt_block_iter_seek(struct rt_block_iter *it, const struct rt_block *b,
		       const struct rt_buf *want, struct rt_err *err)
{
	struct rt_record scratch;
	uint32_t lo = 0, hi = b->restart_count;
	int ret = 0;

	rt_block_iter_start(it, b);
	/* Find the first restart whose key is > want; start one before it. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint8_t vt;

		it->off = rt_get_be24(b->data + b->restart_start + 3 * mid);
		rt_buf_reset(&it->last_key);
		ret = decode_key(it, &vt, err);
		if (ret < 0)
			return ret;
		if (rt_buf_cmp(&it->key, want) > 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	it->off = lo ? rt_get_be24(b->data + b->restart_start + 3 * (lo - 1)) :
		       b->header_off + 4;
	rt_buf_reset(&it->last_key);

	rt_record_init(&scratch, b->type);
	for (;;) {
		uint32_t save_off = it->off;
		struct rt_buf save_key = RT_BUF_INIT;

		if (it->off >= b->restart_start)
			break;
		if ((ret = rt_buf_set(&save_key, it->last_key.buf,
				      it->last_key.len)) < 0) {
			ret = rt_err_oom(err);
			break;
		}
		ret = rt_block_iter_next(it, &scratch, err);
		if (ret < 0) {
			rt_buf_release(&save_key);
			break;
		}
		if (rt_buf_cmp(&it->last_key, want) >= 0) {
			it->off = save_off;
			rt_buf_release(&it->last_key);
			it->last_key = save_key;
			ret = 0;
			break;
		}
		rt_buf_release(&save_key);
	}
	/* Positioned before a record: none read to decode again. */
	it->stepped = false;
	rt_record_release(&scratch);
	return ret < 0 ? ret : 0;
}

int rt_block_iter_skip_refs(struct rt_block_iter *it,
			    const struct rt_buf *bound, struct rt_ref_run *run,
			    struct rt_err *err)
{
	const struct rt_block *b = it->b;

	if (b->type != RT_BLOCK_REF)
		return rt_err_set(err, RT_ERR_API, "not a ref block");
	it->stepped = false;
	while (it->off < b->restart_start) {
		const char *why = "ref name contains a NUL byte";
		const uint8_t *ids;
		uint8_t val_type;
		int n, m;

		if ((n = decode_key(it, &val_type, err)) < 0)
			return n;
		if (it->off > b->header_off + 4 &&
		    rt_buf_cmp(&it->key, &it->last_key) <= 0)
			return block_error(err, b, b->file_off + it->off,
					   "keys are not in ascending order");
		if (bound && rt_buf_cmp(&it->key, bound) >= 0)
			break;
		m = memchr(it->key.buf, '\0', it->key.len) ?
			    -1 :
			    rt_ref_value_len(val_type, b->data + it->off + n,
					     b->restart_start - it->off - n,
					     b->hash_size, b->min_update_index,
					     &ids, &why);
		if (m < 0)
			return block_error(err, b, b->file_off + it->off, why);
		if (ids &&
		    rt_buf_add(&run->ids, ids, (size_t)b->hash_size * val_type))
			return rt_err_oom(err);
		run->deletions += val_type == RT_REF_DELETION;
		run->count++;
		it->off += n + m;
		{
			struct rt_buf tmp = it->last_key;

			it->last_key = it->key;
			it->key = tmp;
		}
	}
	return 0;
}

void rt_block_iter_release(struct rt_block_iter *it)
{
	rt_buf_release(&it->last_key);
	rt_buf_release(&it->key);
}

/*
 * rt_block_writer_add() for an obj record, encoded straight into the
 * block rather than through an rt_record and scratch: the obj section
 * has about one record a ref. The bytes and the restarts are the same
 * as rt_record_encode() and rt_block_writer_add() give; obj blocks are
 * never stretched.
 */
int rt_block_writer_add_obj(struct rt_block_writer *bw, const uint8_t *id,
			    size_t id_len, const uint64_t *pos, size_t n)
{
	size_t prefix = 0, len;
	uint64_t sfx, prev = 0;
	uint8_t *p;
	bool restart;

	if (bw->stretch_limit || bw->type != RT_BLOCK_OBJ)
		return RT_ERR_API;
	if (bw->entries % bw->restart_interval)
		prefix = rt_common_prefix(bw->last_key.buf, bw->last_key.len,
					  id, id_len);
	restart = !prefix && bw->restart_len < 65535;
	/* Counts of 1-7 ride in the value type; others come first. */
	sfx = (uint64_t)(id_len - prefix) << 3 | (n && n < 8 ? n : 0);
	len = rt_varint_len(prefix) + rt_varint_len(sfx) + id_len - prefix;
	if (!n || n >= 8)
		len += rt_varint_len(n);
	for (size_t i = 0; i < n; prev = pos[i++])
		len += rt_varint_len(pos[i] - prev);
	if (len + 3 * (bw->restart_len + restart) + 2 >
	    bw->block_size - bw->next)
		return RT_ERR_TOO_BIG;
	if (restart && restarts_push(bw, bw->next))
		return RT_ERR_NOMEM;
	p = bw->buf + bw->next;
	p += rt_varint_put(p, prefix);
	p += rt_varint_put(p, sfx);
	memcpy(p, id + prefix, id_len - prefix);
	p += id_len - prefix;
	if (!n || n >= 8)
		p += rt_varint_put(p, n);
	prev = 0;
	for (size_t i = 0; i < n; prev = pos[i++])
		p += rt_varint_put(p, pos[i] - prev);
	bw->next += (uint32_t)len;
	bw->entries++;
	rt_buf_setlen(&bw->last_key, prefix);
	return rt_buf_add(&bw->last_key, id + prefix, id_len - prefix);
}
