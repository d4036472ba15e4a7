/*
 * basics.c: buffers, varints, hex, hash identities and random numbers.
 */
#include "lib/basics.h"
#include "lib/include/rt-error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int rt_hash_size(enum rt_hash id)
{
	switch (id) {
	case RT_HASH_SHA1:
		return 20;
	case RT_HASH_SHA256:
		return 32;
	}
	return 0;
}

const char *rt_hash_name(enum rt_hash id)
{
	return id == RT_HASH_SHA256 ? "sha256" : "sha1";
}

int rt_buf_grow_slow(struct rt_buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (extra >= SIZE_MAX - b->len)
		return RT_ERR_NOMEM;
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 3 ? want : cap / 2 * 3 + 16;
	p = realloc(b->buf, cap);
	if (!p)
		return RT_ERR_NOMEM;
	b->buf = p;
	b->cap = cap;
	return 0;
}

int rt_buf_addstr(struct rt_buf *b, const char *s)
{
	return rt_buf_add(b, s, strlen(s));
}

int rt_buf_addch(struct rt_buf *b, char c)
{
	return rt_buf_add(b, &c, 1);
}

int rt_buf_set(struct rt_buf *b, const void *data, size_t n)
{
	rt_buf_reset(b);
	return rt_buf_add(b, data, n);
}

void rt_buf_setlen(struct rt_buf *b, size_t n)
{
	if (n > b->len)
		return;
	b->len = n;
	if (b->buf)
		b->buf[n] = '\0';
}

void rt_buf_reset(struct rt_buf *b)
{
	rt_buf_setlen(b, 0);
}

void rt_buf_release(struct rt_buf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

int rt_buf_path(struct rt_buf *out, const char *dir, const char *name)
{
	rt_buf_reset(out);
	if (rt_buf_addstr(out, dir) || rt_buf_addch(out, '/') ||
	    rt_buf_addstr(out, name))
		return RT_ERR_NOMEM;
	return 0;
}

int rt_bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

int rt_buf_cmp(const struct rt_buf *a, const struct rt_buf *b)
{
	return rt_bytes_cmp(a->buf, a->len, b->buf, b->len);
}

size_t rt_common_prefix(const void *a, size_t alen, const void *b, size_t blen)
{
	const uint8_t *x = a, *y = b;
	size_t n = alen < blen ? alen : blen, i = 0;

	while (i < n && x[i] == y[i])
		i++;
	return i;
}

int rt_varint_len(uint64_t val)
{
	int n = 1;

	while (val >>= 7) {
		val--;
		n++;
	}
	return n;
}

int rt_varint_put(uint8_t *out, uint64_t val)
{
	uint8_t tmp[RT_MAX_VARINT_LEN];
	int pos = sizeof(tmp) - 1;

	tmp[pos] = val & 0x7f;
	while (val >>= 7) {
		val--;
		tmp[--pos] = 0x80 | (val & 0x7f);
	}
	memcpy(out, tmp + pos, sizeof(tmp) - pos);
	return sizeof(tmp) - pos;
}

int rt_varint_get(uint64_t *val, const uint8_t *in, size_t len)
{
	uint64_t v;
	size_t i = 0;

	if (!len)
		return -1;
	v = in[0] & 0x7f;
	while (in[i] & 0x80) {
		if (++i >= len || i >= RT_MAX_VARINT_LEN)
			return -1;
		/* ((v + 1) << 7) must not lose bits. */
		if (v >= UINT64_MAX >> 7)
			return -1;
		v = ((v + 1) << 7) | (in[i] & 0x7f);
	}
	*val = v;
	return (int)i + 1;
}

void rt_hex(char *out, const uint8_t *bin, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bin[i] >> 4];
		out[2 * i + 1] = digits[bin[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int rt_unhex(uint8_t *bin, const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo;

		if (hi < 0)
			return -1;
		lo = hexval(hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		bin[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[2 * n] == '\0' ? 0 : -1;
}

int rt_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

uint32_t rt_random_u32(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		r = (uint32_t)(ts.tv_nsec ^ getpid() ^ ts.tv_sec);
	}
	return r;
}

uint64_t rt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void rt_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000),
			       (long)(ns % 1000000000) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
