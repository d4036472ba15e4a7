/*
 * basics.h: byte order, varints, hash identities and a growable byte
 * buffer. Everything else in lib/ is built from these.
 */
#ifndef RT_BASICS_H
#define RT_BASICS_H

#include <stddef.h>
#include <stdint.h>

#define RT_MAX_HASH_SIZE 32
/* The largest block the format can describe (uint24 block_len). */
#define RT_MAX_BLOCK_SIZE 16777215u
/* A varint of a uint64_t never needs more than 10 bytes. */
#define RT_MAX_VARINT_LEN 10

enum rt_hash {
	RT_HASH_SHA1 = 1,
	RT_HASH_SHA256 = 2,
};

/* 20 or 32; 0 for an unknown id. */
int rt_hash_size(enum rt_hash id);
/* "sha1" or "sha256". */
const char *rt_hash_name(enum rt_hash id);

/*
 * A growable buffer of bytes. `buf` is always NUL-terminated once anything
 * was added, so text can be used as a C string; binary data may contain NULs.
 */
struct rt_buf {
	char *buf;
	size_t len;
	size_t cap;
};

/* clang-format off */
#define RT_BUF_INIT { 0 }
/* clang-format on */

int rt_buf_grow(struct rt_buf *b, size_t extra);
int rt_buf_add(struct rt_buf *b, const void *data, size_t n);
int rt_buf_addstr(struct rt_buf *b, const char *s);
int rt_buf_addch(struct rt_buf *b, char c);
int rt_buf_set(struct rt_buf *b, const void *data, size_t n);
/* Truncate to n bytes (n <= len). */
void rt_buf_setlen(struct rt_buf *b, size_t n);
void rt_buf_reset(struct rt_buf *b);
void rt_buf_release(struct rt_buf *b);
/* Bytewise comparison; a proper prefix sorts first. */
int rt_buf_cmp(const struct rt_buf *a, const struct rt_buf *b);
int rt_bytes_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* Length of the common prefix of two byte strings. */
size_t rt_common_prefix(const void *a, size_t alen, const void *b, size_t blen);

static inline void rt_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void rt_put_be24(uint8_t *p, uint32_t v)
{
	p[0] = v >> 16;
	p[1] = v >> 8;
	p[2] = v;
}

static inline void rt_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline void rt_put_be64(uint8_t *p, uint64_t v)
{
	rt_put_be32(p, v >> 32);
	rt_put_be32(p + 4, (uint32_t)v);
}

static inline uint16_t rt_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rt_get_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t rt_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t rt_get_be64(const uint8_t *p)
{
	return (uint64_t)rt_get_be32(p) << 32 | rt_get_be32(p + 4);
}

/*
 * Varints as in pack files' ofs-delta: big-endian groups of 7 bits where
 * each continuation adds one, so every value has exactly one encoding.
 *
 * rt_varint_put() writes into `out` (at least RT_MAX_VARINT_LEN bytes) and
 * returns the length. rt_varint_get() returns the bytes consumed, or -1 when
 * the input ends inside the varint or the value does not fit in 64 bits.
 */
int rt_varint_put(uint8_t *out, uint64_t val);
int rt_varint_get(uint64_t *val, const uint8_t *in, size_t len);
int rt_varint_len(uint64_t val);

/* write(2) all of `data`, retrying on EINTR and short writes; 0 or -1. */
int rt_write_all(int fd, const void *data, size_t len);

/* Lowercase hex of `n` bytes into `out` (2n + 1 bytes, NUL-terminated). */
void rt_hex(char *out, const uint8_t *bin, size_t n);
/* Parse exactly 2n hex digits; 0 on success, -1 otherwise. */
int rt_unhex(uint8_t *bin, const char *hex, size_t n);

#endif
