/*
 * block.h: one block of a table, written and read.
 *
 *   type(1) uint24(block_len) record* uint24(restart)* uint16(restart_count)
 *
 * The first block of a file also carries the file header in front of it:
 * its block_len and restart offsets count from the start of the file, which
 * is what `header_off` expresses. Log blocks are zlib-deflated after their
 * 4-byte block header.
 */
#ifndef RT_BLOCK_H
#define RT_BLOCK_H

#include "lib/include/rt-error.h"
#include "lib/record.h"
#include "lib/zpipe.h"

#include <stdbool.h>

struct libdeflate_decompressor;

struct rt_block_writer {
	/* block_size bytes (stretch_limit when set), owned by the caller */
	uint8_t *buf;
	uint32_t block_size;
	uint32_t header_off;
	uint32_t next;
	uint8_t type;
	uint32_t *restarts;
	size_t restart_len;
	size_t restart_cap;
	uint32_t restart_interval;
	uint32_t entries;
	int hash_size;
	uint64_t min_update_index;
	struct rt_buf last_key;
	struct rt_buf scratch;
	/* Log blocks: deflated here unless `defer_deflate` (see zpipe.h). */
	struct rt_deflater deflater;
	bool defer_deflate;
	struct rt_buf compressed;
	/*
	 * Stretching (log blocks; see block_writer.c): 0, or the length the
	 * block may reach past block_size. `cut`: a record passed block_size
	 * at cut_off, after cut_entries records, cut_restarts restarts and
	 * key cut_key; what follows is encoded as a block of its own.
	 */
	uint32_t stretch_limit;
	bool cut;
	uint32_t cut_off, cut_entries;
	size_t cut_restarts;
	struct rt_buf cut_key;
	/* The part after the cut while the part before it is written. */
	struct rt_buf tail;
	uint32_t tail_entries;
	size_t tail_restarts;
};

/*
 * Prepare `bw` for a new block of `type` in `buf`. Buffers inside `bw` are
 * kept across calls, so one writer is reused for every block of a table;
 * call rt_block_writer_release() once at the end.
 */
int rt_block_writer_reset(struct rt_block_writer *bw, uint8_t type,
			  uint8_t *buf, uint32_t block_size,
			  uint32_t header_off, int hash_size,
			  uint64_t min_update_index, uint32_t restart_interval,
			  int deflate_level);
/*
 * Add `rec`, whose key the caller has computed (rt_record_key) into `key`.
 * 0 when added, RT_ERR_TOO_BIG when the block is full. With a
 * stretch_limit, the record that first passes block_size is still added,
 * and sets the cut (see block_writer.c); then RT_ERR_TOO_BIG also when
 * the part after the cut would pass block_size or the whole the limit.
 */
int rt_block_writer_add(struct rt_block_writer *bw, const struct rt_record *rec,
			const struct rt_buf *key);
/* A log record's value as its block holds it (rt_block_iter_next_raw). */
struct rt_raw_value {
	uint8_t type;
	const uint8_t *data;
	size_t len;
};

/*
 * rt_block_writer_add() of a log record given by its key and its value's
 * bytes, copied as they are: the bytes encoding the decoded record gives
 * (see rt_log_value_len), without decoding and encoding the value.
 */
int rt_block_writer_add_raw(struct rt_block_writer *bw,
			    const struct rt_raw_value *raw,
			    const struct rt_buf *key);
/*
 * With a cut: leave in the block only what comes before it, the rest put
 * aside, so that rt_block_writer_finish() gives the block cut there; then
 * rt_block_writer_resume() makes the rest the open block (not the file's
 * first). Without one both do nothing. Cut fails only out of memory.
 */
int rt_block_writer_cut(struct rt_block_writer *bw);
void rt_block_writer_resume(struct rt_block_writer *bw);
/* The longest a log block written with `block_size` may become. */
uint32_t rt_log_block_limit(uint32_t block_size);
/*
 * Append the restart table and return the block's length in the file. For
 * a log block the first header_off + 4 bytes are in `buf` and the deflated
 * rest is in `compressed`; with `defer_deflate` nothing is deflated and
 * the raw length is returned, for the caller to compress.
 */
int rt_block_writer_finish(struct rt_block_writer *bw);
/*
 * rt_block_writer_add() of an obj record of key `id` (`id_len` bytes)
 * listing the `n` ascending positions `pos`, encoded straight into the
 * block: same bytes and restarts. 0, or RT_ERR_TOO_BIG (nothing added).
 */
int rt_block_writer_add_obj(struct rt_block_writer *bw, const uint8_t *id,
			    size_t id_len, const uint64_t *pos, size_t n);
void rt_block_writer_release(struct rt_block_writer *bw);

/* A parsed block. For log blocks `data` points into `inflated`. */
struct rt_block {
	const uint8_t *data;
	uint32_t len; /* block_len: up to the end of the restart table */
	uint32_t header_off;
	uint8_t type;
	uint32_t restart_count;
	uint32_t restart_start;
	uint64_t file_off;
	/* Bytes the block takes in the file: padding or deflated size. */
	uint64_t file_len;
	int hash_size;
	uint64_t min_update_index;
	const char *path;
	struct rt_buf inflated;
	struct libdeflate_decompressor *dec; /* kept for the next log block */
};

/*
 * Parse the block at `src` (file position `file_off`; `avail` bytes may be
 * read). `table_block_size` is the header's block_size (0: unaligned).
 * Everything is validated: type, lengths, restart table, inflation.
 */
int rt_block_load(struct rt_block *b, const uint8_t *src, uint64_t avail,
		  uint64_t file_off, uint32_t header_off,
		  uint32_t table_block_size, int hash_size,
		  uint64_t min_update_index, const char *path,
		  struct rt_err *err);
void rt_block_release(struct rt_block *b);

struct rt_block_iter {
	const struct rt_block *b;
	uint32_t off;
	struct rt_buf last_key;
	struct rt_buf key;
	/* Where the record read last lies, to decode it again. */
	uint32_t rec_off, val_off, val_len;
	uint8_t val_type;
	bool stepped; /* a record was read and the block is the same */
};

void rt_block_iter_start(struct rt_block_iter *it, const struct rt_block *b);
/*
 * 0: `rec` filled, and its key is in it->last_key; 1: end of block;
 * < 0: error.
 */
int rt_block_iter_next(struct rt_block_iter *it, struct rt_record *rec,
		       struct rt_err *err);
/*
 * rt_block_iter_next() in a log block, checking the record as decoding
 * does but leaving its value undecoded: it lies at b->data + val_off,
 * val_len bytes, of type val_type. With a `bound`, 1 also at a key not
 * below it, which is left unread.
 */
int rt_block_iter_next_raw(struct rt_block_iter *it, const struct rt_buf *bound,
			   struct rt_err *err);
/* The value of the record read last, where the block holds it. */
struct rt_raw_value rt_block_iter_raw(const struct rt_block_iter *it);
/*
 * Decode the record rt_block_iter_next() read last into `rec` again, from
 * the block, which must not have changed since: a caller may drop a large
 * record and decode it again when it needs it.
 */
int rt_block_iter_value(const struct rt_block_iter *it, struct rt_record *rec,
			struct rt_err *err);
/* Position before the first record whose key is >= `want`. */
int rt_block_iter_seek(struct rt_block_iter *it, const struct rt_block *b,
		       const struct rt_buf *want, struct rt_err *err);
/* What rt_block_iter_skip_refs() stepped over; the caller resets it. */
struct rt_ref_run {
	uint32_t count;
	uint32_t deletions; /* of them, deletion records */
	struct rt_buf ids; /* the object ids they name, hash_size bytes each */
};

/*
 * In a ref block, step over the records from the iterator's position on
 * while their keys are below `bound` (NULL: to the block's end), checked
 * as rt_block_iter_next() checks them, but without decoding their values:
 * only their ids are noted, in `run`. last_key is then the key of the
 * last one; no record is left to decode again.
 */
int rt_block_iter_skip_refs(struct rt_block_iter *it,
			    const struct rt_buf *bound, struct rt_ref_run *run,
			    struct rt_err *err);
void rt_block_iter_release(struct rt_block_iter *it);

#endif
