/*
 * Unit tests for lib/basics: varints (against the format's definition),
 * byte order, buffers and hex.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/basics.h"
#include "lib/include/rt-error.h"

/* The decoder exactly as reftable.adoc writes it, as the reference. */
static uint64_t spec_decode(const uint8_t *buf, int *len)
{
	int ptr = 0;
	uint64_t val = buf[ptr] & 0x7f;

	while (buf[ptr] & 0x80) {
		ptr++;
		val = ((val + 1) << 7) | (buf[ptr] & 0x7f);
	}
	*len = ptr + 1;
	return val;
}

static void test_varint_known_encodings(void **state)
{
	uint8_t out[RT_MAX_VARINT_LEN];
	(void)state;

	assert_int_equal(rt_varint_put(out, 0), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(rt_varint_put(out, 127), 1);
	assert_int_equal(out[0], 0x7f);
	/* 128 = ((0 + 1) << 7) | 0: two bytes, 0x80 0x00. */
	assert_int_equal(rt_varint_put(out, 128), 2);
	assert_int_equal(out[0], 0x80);
	assert_int_equal(out[1], 0x00);
	/* 16511 = ((127 + 1) << 7) | 127 is the largest 2-byte value. */
	assert_int_equal(rt_varint_put(out, 16511), 2);
	assert_int_equal(out[0], 0xff);
	assert_int_equal(out[1], 0x7f);
	assert_int_equal(rt_varint_put(out, 16512), 3);
}

static void test_varint_roundtrip(void **state)
{
	const uint64_t vals[] = { 0,
				  1,
				  127,
				  128,
				  255,
				  16511,
				  16512,
				  2113663,
				  2113664,
				  1u << 31,
				  UINT32_MAX,
				  (uint64_t)1 << 56,
				  (uint64_t)1 << 63,
				  UINT64_MAX - 1,
				  UINT64_MAX };
	(void)state;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint8_t buf[RT_MAX_VARINT_LEN];
		uint64_t got;
		int n = rt_varint_put(buf, vals[i]), m;

		assert_int_equal(n, rt_varint_len(vals[i]));
		assert_int_equal(rt_varint_get(&got, buf, n), n);
		assert_true(got == vals[i]);
		assert_true(spec_decode(buf, &m) == vals[i]);
		assert_int_equal(m, n);
		/* One byte short is an error, not a wrong value. */
		assert_int_equal(rt_varint_get(&got, buf, n - 1), -1);
	}
}

static void test_varint_rejects_overflow(void **state)
{
	uint8_t buf[16];
	uint64_t v;
	(void)state;

	/* Eleven continuation bytes cannot be a 64-bit value. */
	memset(buf, 0xff, sizeof(buf));
	buf[15] = 0x7f;
	assert_int_equal(rt_varint_get(&v, buf, sizeof(buf)), -1);
	/* Ten bytes that would exceed 2^64 - 1. */
	memset(buf, 0xff, 9);
	buf[9] = 0x7f;
	assert_int_equal(rt_varint_get(&v, buf, 10), -1);
	assert_int_equal(rt_varint_get(&v, buf, 0), -1);
}

static void test_byte_order(void **state)
{
	uint8_t b[8];
	(void)state;

	rt_put_be24(b, 0x123456);
	assert_int_equal(b[0], 0x12);
	assert_int_equal(b[2], 0x56);
	assert_int_equal(rt_get_be24(b), 0x123456);
	rt_put_be64(b, 0x0102030405060708ull);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[7], 8);
	assert_true(rt_get_be64(b) == 0x0102030405060708ull);
	rt_put_be16(b, 0xfe20);
	assert_int_equal((int16_t)rt_get_be16(b), -480);
}

static void test_buf_and_hex(void **state)
{
	struct rt_buf a = RT_BUF_INIT, b = RT_BUF_INIT;
	uint8_t bin[3];
	char hex[7];
	(void)state;

	assert_int_equal(rt_buf_addstr(&a, "refs/heads/a"), 0);
	assert_int_equal(rt_buf_addstr(&b, "refs/heads/a/b"), 0);
	assert_true(rt_buf_cmp(&a, &b) < 0);
	assert_true(rt_buf_cmp(&b, &a) > 0);
	assert_int_equal(rt_common_prefix(a.buf, a.len, b.buf, b.len), 12);
	rt_buf_setlen(&b, 5);
	assert_string_equal(b.buf, "refs/");
	rt_buf_release(&a);
	rt_buf_release(&b);

	rt_hex(hex, (const uint8_t *)"\x01\xab\xff", 3);
	assert_string_equal(hex, "01abff");
	assert_int_equal(rt_unhex(bin, "01ABff", 3), 0);
	assert_memory_equal(bin, "\x01\xab\xff", 3);
	assert_int_equal(rt_unhex(bin, "01abf", 3), -1);
	assert_int_equal(rt_unhex(bin, "01abffa", 3), -1);
	assert_int_equal(rt_unhex(bin, "0xabff", 3), -1);
}

/*
 * Growth: the content and its NUL survive, and a request whose size
 * wraps around (len + extra + 1 past SIZE_MAX) is refused, not taken for
 * one that fits.
 */
static void test_buf_growth(void **state)
{
	struct rt_buf b = RT_BUF_INIT;
	(void)state;

	for (int i = 0; i < 1000; i++)
		assert_int_equal(rt_buf_addch(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(b.len, 1000);
	assert_true(b.cap > 1000);
	assert_int_equal(b.buf[1000], '\0');
	assert_int_equal(b.buf[999], 'a' + 999 % 26);
	assert_int_equal(rt_buf_grow(&b, SIZE_MAX - b.len), RT_ERR_NOMEM);
	assert_int_equal(rt_buf_grow(&b, SIZE_MAX), RT_ERR_NOMEM);
	assert_int_equal(rt_buf_add(&b, "x", SIZE_MAX - b.len), RT_ERR_NOMEM);
	assert_int_equal(b.len, 1000);
	rt_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint_known_encodings),
		cmocka_unit_test(test_varint_roundtrip),
		cmocka_unit_test(test_varint_rejects_overflow),
		cmocka_unit_test(test_byte_order),
		cmocka_unit_test(test_buf_and_hex),
		cmocka_unit_test(test_buf_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
