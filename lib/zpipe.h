/*
 * zpipe.h: deflating log blocks, on the calling thread or on one helper
 * thread that works while the caller merges and encodes the next blocks.
 *
 * Blocks come back strictly in the order they were submitted, since a
 * block's position in the table (and so the log index) depends on the
 * compressed size of every block before it.
 */
#ifndef RT_ZPIPE_H
#define RT_ZPIPE_H

#include "lib/basics.h"

#include <stdbool.h>

struct libdeflate_compressor;

/*
 * Whole-buffer deflate (libdeflate) producing complete zlib streams (RFC
 * 1950), which Git's zlib inflates. Levels are libdeflate's, 1-12; 1-9
 * are comparable to zlib's. On the uncompressed log blocks of a 200k-ref
 * stack (14,000 blocks of 4 KiB, 56.7 MB; one thread, best of 3):
 *
 *   zlib 6       0.816 s  10,533,364 bytes
 *   zlib 9       0.894 s  10,530,140 bytes (Git's level)
 *   libdeflate 1 0.186 s  11,036,054 bytes
 *   libdeflate 4 0.254 s  10,556,732 bytes
 *   libdeflate 6 0.273 s  10,525,243 bytes
 *   libdeflate 9 0.447 s  10,525,289 bytes
 *   libdeflate 12 8.941 s 10,460,525 bytes
 *
 * libdeflate 6 deflates 3x faster than zlib 6, its output 0.05% smaller
 * than Git's; above 6 it buys nothing on blocks this small, and 10-12
 * (near-optimal parsing) 0.6% for 20 times the time. zlib stays for
 * inflate and crc32, where it streams.
 */
struct rt_deflater {
	struct libdeflate_compressor *c; /* allocated on first use */
	bool ready; /* c is allocated: init again would leak it */
	int level;
};

/* `block_size` is unused: whole-buffer deflate needs no window sizing. */
void rt_deflater_init(struct rt_deflater *d, int level, uint32_t block_size);
/* Deflate `len` bytes as one complete zlib stream into `out` (replaced). */
int rt_deflater_run(struct rt_deflater *d, const uint8_t *in, size_t len,
		    struct rt_buf *out);
void rt_deflater_end(struct rt_deflater *d);

struct rt_zpipe;

struct rt_zpipe_block {
	const uint8_t *head; /* bytes kept as they are (block header) */
	size_t head_len;
	const uint8_t *payload; /* the deflated rest */
	size_t payload_len;
	struct rt_buf last_key; /* for the index record */
};

/*
 * Up to 2 MiB of blocks to deflate (16 at most, 2 at least) may be in
 * flight at once, and many more blocks deflated already. `block_size` is
 * the longest block to come: for log blocks, which may be stretched,
 * rt_log_block_limit() of the table's block size.
 */
int rt_zpipe_new(struct rt_zpipe **out, int level, uint32_t block_size);
/* true when a block (`deflated` already or not) can be submitted now. */
bool rt_zpipe_has_room(struct rt_zpipe *p, bool deflated);
/*
 * Queue a copy of `raw`: its first `keep` bytes stay as they are, the rest
 * is deflated. The caller must make room first (rt_zpipe_next with wait).
 */
int rt_zpipe_submit(struct rt_zpipe *p, const uint8_t *raw, size_t len,
		    size_t keep, const struct rt_buf *last_key);
/*
 * Queue a block whose bytes after the first `keep` are deflated already
 * (a block copied from another table): it comes out of rt_zpipe_next()
 * in its turn, as it is, without the caller waiting for the blocks before
 * it and without the worker. Not copied: `blk` must stay valid until the
 * block is popped.
 */
int rt_zpipe_submit_deflated(struct rt_zpipe *p, const uint8_t *blk, size_t len,
			     size_t keep, const struct rt_buf *last_key);
/*
 * The oldest submitted block once it is deflated. With `wait`, block
 * until it is; without, return 1 if it is not done yet. 1 also when
 * nothing is pending. The block stays valid until rt_zpipe_pop().
 */
int rt_zpipe_next(struct rt_zpipe *p, bool wait,
		  const struct rt_zpipe_block **blk);
void rt_zpipe_pop(struct rt_zpipe *p);
void rt_zpipe_free(struct rt_zpipe *p);

#endif
