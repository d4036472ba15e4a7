/*
 * rt-basics.h: hash identities, the growable byte buffer that records
 * carry their names and messages in, and hex conversion.
 */
#ifndef RT_BASICS_H
#define RT_BASICS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Room for any object id (SHA-256). */
#define RT_MAX_HASH_SIZE 32
/* The largest block the format can describe (uint24 block_len). */
#define RT_MAX_BLOCK_SIZE 16777215u

/* The hash of a table (and of every table of one stack). */
enum rt_hash {
	RT_HASH_SHA1 = 1,
	RT_HASH_SHA256 = 2,
};

/* 20 or 32; 0 for an unknown id. */
int rt_hash_size(enum rt_hash id);
/* "sha1" or "sha256" (a static string). */
const char *rt_hash_name(enum rt_hash id);

/*
 * A growable buffer of bytes, owned by whoever holds the struct: start it
 * with RT_BUF_INIT (or zeroes) and free it with rt_buf_release(). `buf` is
 * NUL-terminated once anything was added, so text can be used as a C
 * string; binary data may contain NULs. `buf` is NULL while nothing was
 * ever added.
 */
struct rt_buf {
	char *buf;
	size_t len;
	size_t cap;
};

/* clang-format off */
#define RT_BUF_INIT { 0 }
/* clang-format on */

/*
 * The functions that add return 0, or RT_ERR_NOMEM with the content
 * unchanged (rt_buf_set: emptied).
 */
/* Make room for `extra` more bytes (and the NUL). */
int rt_buf_grow_slow(struct rt_buf *b, size_t extra);
/*
 * Inline, since the record path adds a few bytes at a time, many times a
 * record: what fits costs a comparison. The first test keeps len + extra
 * + 1 from wrapping around.
 */
static inline int rt_buf_grow(struct rt_buf *b, size_t extra)
{
	if (extra < b->cap - b->len)
		return 0;
	return rt_buf_grow_slow(b, extra);
}

static inline int rt_buf_add(struct rt_buf *b, const void *data, size_t n)
{
	int ret = rt_buf_grow(b, n);

	if (ret)
		return ret;
	if (n)
		memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return 0;
}

int rt_buf_addstr(struct rt_buf *b, const char *s);
int rt_buf_addch(struct rt_buf *b, char c);
/* Replace the content with `n` bytes of `data`. */
int rt_buf_set(struct rt_buf *b, const void *data, size_t n);
/* Truncate to n bytes (nothing when n > len); the memory is kept. */
void rt_buf_setlen(struct rt_buf *b, size_t n);
/* Empty the buffer, keeping its memory for reuse. */
void rt_buf_reset(struct rt_buf *b);
/* Free the memory; the buffer is then as RT_BUF_INIT made it. */
void rt_buf_release(struct rt_buf *b);
/* Bytewise comparison (<0, 0, >0); a proper prefix sorts first. */
int rt_buf_cmp(const struct rt_buf *a, const struct rt_buf *b);

/* Lowercase hex of `n` bytes into `out` (2n + 1 bytes, NUL-terminated). */
void rt_hex(char *out, const uint8_t *bin, size_t n);
/*
 * Parse `hex`, which must be exactly 2n hex digits and then its end (NUL),
 * into `bin`; 0 on success, -1 otherwise.
 */
int rt_unhex(uint8_t *bin, const char *hex, size_t n);

#endif
