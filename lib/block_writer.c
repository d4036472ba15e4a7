/*
 * block_writer.c: encoding records into a block.
 *
 * The block invariants are stated in block.c, where blocks are read and
 * checked against them. The writer places restarts where Git does (see
 * rt_block_writer_add); a log block may be stretched past the block size
 * (see stretch_fits).
 */
#include "lib/block.h"

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

/*
 * What a record is encoded from: decoded (`rec`), or a value as a block
 * holds it (`raw`), of which only the key is encoded again.
 */
struct source {
	const struct rt_record *rec;
	const struct rt_raw_value *raw;
};

/* Encode `src` into bw->scratch, its key sharing `prefix` bytes. */
static int encode(struct rt_block_writer *bw, const struct source *src,
		  const struct rt_buf *key, size_t prefix)
{
	rt_buf_reset(&bw->scratch);
	if (src->rec)
		return rt_record_encode(src->rec, key, prefix, &bw->scratch,
					bw->hash_size, bw->min_update_index);
	if (rt_record_encode_key(key, prefix, src->raw->type, &bw->scratch) ||
	    rt_buf_add(&bw->scratch, src->raw->data, src->raw->len))
		return RT_ERR_NOMEM;
	return 0;
}

/*
 * As Git does: a key shares a prefix with the one before except every
 * restart_interval records (`entries` so far), where a restart goes; a
 * restart also goes at every key that shares nothing with the one before
 * (it costs only the 3-byte offset). A block holds 65535 restarts at
 * most (`restarts` so far); past them records go in without one, the
 * block does not end there.
 */
static size_t key_prefix(const struct rt_block_writer *bw, uint32_t entries,
			 size_t restarts, const char *key, size_t len,
			 bool *restart)
{
	size_t prefix = 0;

	if (entries % bw->restart_interval)
		prefix = rt_common_prefix(bw->last_key.buf, bw->last_key.len,
					  key, len);
	*restart = !prefix && restarts < 65535;
	return prefix;
}

/* The record just added, of key `key` sharing `prefix`, is the last. */
static int set_last_key(struct rt_block_writer *bw, const char *key, size_t len,
			size_t prefix)
{
	bw->entries++;
	/* Only the shared prefix may already be in place. */
	rt_buf_setlen(&bw->last_key, prefix);
	return rt_buf_add(&bw->last_key, key + prefix, len - prefix);
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
static int stretch(struct rt_block_writer *bw, const struct source *src,
		   const struct rt_buf *key, size_t prefix)
{
	int ret;

	if (bw->cut || !bw->stretch_limit || !bw->entries)
		return RT_ERR_TOO_BIG;
	if (prefix && (ret = encode(bw, src, key, 0)))
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

static int add(struct rt_block_writer *bw, const struct source *src,
	       const struct rt_buf *key)
{
	/* After a cut, as in a block starting there (see stretch_fits). */
	uint32_t entries = bw->cut ? bw->entries - bw->cut_entries :
				     bw->entries;
	size_t restarts = bw->cut ? bw->restart_len - bw->cut_restarts :
				    bw->restart_len;
	uint32_t next = bw->cut ? bw->next - bw->cut_off + 4 : bw->next;
	bool restart;
	size_t prefix, need;
	int ret;

	prefix =
		key_prefix(bw, entries, restarts, key->buf, key->len, &restart);
	if ((ret = encode(bw, src, key, prefix)))
		return ret;

	/* The record plus the restart table must still fit. */
	need = bw->scratch.len + 3 * (restarts + restart) + 2;
	if (need > bw->block_size - next) {
		if ((ret = stretch(bw, src, key, prefix)))
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
	return set_last_key(bw, key->buf, key->len, prefix);
}

int rt_block_writer_add(struct rt_block_writer *bw, const struct rt_record *rec,
			const struct rt_buf *key)
{
	return add(bw, &(struct source){ .rec = rec }, key);
}

int rt_block_writer_add_raw(struct rt_block_writer *bw,
			    const struct rt_raw_value *raw,
			    const struct rt_buf *key)
{
	if (bw->type != RT_BLOCK_LOG)
		return RT_ERR_API;
	return add(bw, &(struct source){ .raw = raw }, key);
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
	size_t prefix, len;
	uint64_t sfx, prev = 0;
	uint8_t *p;
	bool restart;

	if (bw->stretch_limit || bw->type != RT_BLOCK_OBJ)
		return RT_ERR_API;
	prefix = key_prefix(bw, bw->entries, bw->restart_len, (const char *)id,
			    id_len, &restart);
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
	return set_last_key(bw, (const char *)id, id_len, prefix);
}
