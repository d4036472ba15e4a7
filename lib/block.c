/*
 * block.c: reading blocks: loading (and inflating) them, and iterating
 * and seeking over their records.
 *
 * Invariants of a block as written (block_writer.c) and accepted on
 * reading: keys strictly ascend; the first record and every record at a
 * restart offset have prefix_len 0; restart offsets ascend and point
 * between the block header and the restart table; block_len never
 * exceeds the table's block size, but for index and log blocks (see
 * rt_block_load; log blocks the writer stretches, see stretch_fits in
 * block_writer.c).
 */
#include "lib/block.h"

#include <libdeflate.h>

#include <stdlib.h>
#include <string.h>

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

/*
 * Read the record at it->off: its key into it->last_key, its value
 * decoded into `rec`, or without `rec` (a log block) only checked and
 * stepped over. 1 at the end of the block, or, left unread, at a key
 * not below `bound` (when not NULL).
 */
static int iter_read(struct rt_block_iter *it, struct rt_record *rec,
		     const struct rt_buf *bound, struct rt_err *err)
{
	const struct rt_block *b = it->b;
	const uint8_t *val;
	uint8_t val_type;
	size_t avail;
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
	if (bound && rt_buf_cmp(&it->key, bound) >= 0)
		return 1;
	val = b->data + it->off + n;
	avail = b->restart_start - it->off - n;
	if (rec) {
		m = rt_record_decode(rec, &it->key, val_type, val, avail,
				     b->hash_size, b->min_update_index, err);
		if (m < 0)
			return value_error(b, it->off, m, err);
	} else {
		const char *why = NULL;

		m = rt_log_value_len(&it->key, val_type, val, avail,
				     b->hash_size, &why);
		if (m < 0)
			return block_error(err, b, b->file_off + it->off, why);
	}
	/* For rt_block_iter_value(), and for copying the value raw. */
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

int rt_block_iter_next(struct rt_block_iter *it, struct rt_record *rec,
		       struct rt_err *err)
{
	return iter_read(it, rec, NULL, err);
}

struct rt_raw_value rt_block_iter_raw(const struct rt_block_iter *it)
{
	return (struct rt_raw_value){
		.type = it->val_type,
		.data = it->b->data + it->val_off,
		.len = it->val_len,
	};
}

int rt_block_iter_next_raw(struct rt_block_iter *it, const struct rt_buf *bound,
			   struct rt_err *err)
{
	if (it->b->type != RT_BLOCK_LOG)
		return rt_err_set(err, RT_ERR_API, "not a log block");
	return iter_read(it, NULL, bound, err);
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
		const char *why;
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
		m = rt_ref_value_len(&it->key, val_type, b->data + it->off + n,
				     b->restart_start - it->off - n,
				     b->hash_size, b->min_update_index, &ids,
				     &why);
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
