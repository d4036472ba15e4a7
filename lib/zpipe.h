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
#include <zlib.h>

/* One zlib stream sized for blocks of at most `block_size` bytes. */
struct rt_deflater {
	z_stream zs;
	bool ready;
	int level;
	uint32_t block_size;
};

void rt_deflater_init(struct rt_deflater *d, int level, uint32_t block_size);
/* Deflate `len` bytes as one complete zlib stream into `out` (replaced). */
int rt_deflater_run(struct rt_deflater *d, const uint8_t *in, size_t len,
		    struct rt_buf *out);
void rt_deflater_end(struct rt_deflater *d);

struct rt_zpipe;

struct rt_zpipe_block {
	struct rt_buf head; /* bytes kept as they are (block header) */
	struct rt_buf payload; /* the deflated rest */
	struct rt_buf last_key; /* for the index record */
};

/* `depth` blocks may be in flight at once. */
int rt_zpipe_new(struct rt_zpipe **out, int level, uint32_t block_size,
		 size_t depth);
/* true when another block can be submitted without waiting. */
bool rt_zpipe_has_room(struct rt_zpipe *p);
/*
 * Queue a copy of `raw`: its first `keep` bytes stay as they are, the rest
 * is deflated. The caller must make room first (rt_zpipe_next with wait).
 */
int rt_zpipe_submit(struct rt_zpipe *p, const uint8_t *raw, size_t len,
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
