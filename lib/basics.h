/*
 * basics.h: byte order, varints and the other small pieces everything
 * else in lib/ is built from, besides the public ones of rt-basics.h.
 */
#ifndef RT_LIB_BASICS_H
#define RT_LIB_BASICS_H

#include "lib/include/rt-basics.h"

#include <stddef.h>
#include <stdint.h>

/* A varint of a uint64_t never needs more than 10 bytes. */
#define RT_MAX_VARINT_LEN 10

/* Bytewise comparison; a proper prefix sorts first. */
int rt_bytes_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* Length of the common prefix of two byte strings. */
size_t rt_common_prefix(const void *a, size_t alen, const void *b, size_t blen);

/* "<dir>/<name>" into `out`, replacing its content; 0 or RT_ERR_NOMEM. */
int rt_buf_path(struct rt_buf *out, const char *dir, const char *name);

/* Random 32 bits (getrandom; the clock and pid if that fails). */
uint32_t rt_random_u32(void);

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

/* The monotonic clock, in nanoseconds. */
uint64_t rt_now_ns(void);
/* Sleep `ns` nanoseconds, the whole time even if signals come. */
void rt_sleep_ns(uint64_t ns);

#endif
