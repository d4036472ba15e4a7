/*
 * Hostile tables: every kind of damage must give an error that names the
 * file and an offset, never a crash or an out-of-bounds read (these tests
 * also run under ASan/UBSan), and never a silent success where the damage
 * is detectable (header, footer, structure).
 *
 * The format has no checksum over block contents, so a flipped bit inside
 * an object id or a message cannot be detected; for arbitrary flips the
 * test asserts "error with a message, or a clean read", and that every
 * flip in the header or footer is an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <zlib.h>

#include "lib/table.h"
#include "testutil.h"

#define NAME "hostile.ref"

/* A table with several ref blocks, an index, obj blocks and log blocks. */
static void build(struct rt_buf *out, enum rt_hash hash)
{
	write_sample_table(out, hash, 1, 1, 1);
}

static int count_match(void *arg, const struct rt_ref_record *ref)
{
	(void)ref;
	(*(int *)arg)++;
	return 0;
}

/* Open and read everything; return the first error (0: clean). */
static int exercise(const uint8_t *data, size_t len, struct rt_err *err)
{
	static const uint8_t types[] = { RT_BLOCK_REF, RT_BLOCK_LOG,
					 RT_BLOCK_OBJ };
	struct rt_table *t;
	int ret;

	ret = rt_table_open_mem(&t, data, len, NAME, err);
	if (ret)
		return ret;
	for (size_t k = 0; !ret && k < 3; k++) {
		struct rt_table_iter it;
		struct rt_record rec;

		rt_table_iter_init(&it, t, types[k]);
		rt_record_init(&rec, types[k]);
		ret = rt_table_iter_seek(&it, NULL, 0, err);
		while (!ret && !(ret = rt_table_iter_next(&it, &rec, err)))
			;
		if (ret == 1)
			ret = 0;
		if (!ret)
			ret = rt_table_iter_seek(&it, "refs/heads/branch-150",
						 21, err);
		if (!ret && (ret = rt_table_iter_next(&it, &rec, err)) == 1)
			ret = 0;
		rt_record_release(&rec);
		rt_table_iter_release(&it);
	}
	if (!ret) {
		uint8_t oid[RT_MAX_HASH_SIZE];
		int n = 0;

		memset(oid, 42, sizeof(oid));
		ret = rt_table_refs_for(t, oid, count_match, &n, err);
	}
	rt_table_close(t);
	return ret;
}

static void assert_clear_error(int ret, const struct rt_err *err)
{
	assert_true(ret < 0);
	assert_int_equal(err->code, ret);
	if (!strstr(err->msg, NAME ": offset "))
		fail_msg("message does not name file and offset: %s", err->msg);
}

static void test_truncated_anywhere(void **state)
{
	struct rt_buf good = RT_BUF_INIT;
	(void)state;

	build(&good, RT_HASH_SHA1);
	assert_int_equal(exercise((uint8_t *)good.buf, good.len, NULL), 0);
	for (size_t len = 0; len < good.len; len++) {
		struct rt_err err = { 0 };
		/* A copy of exactly `len` bytes, so ASan sees any overread. */
		uint8_t *copy = malloc(len ? len : 1);

		memcpy(copy, good.buf, len);
		assert_clear_error(exercise(copy, len, &err), &err);
		free(copy);
	}
	rt_buf_release(&good);
}

static void test_flipped_bits(void **state)
{
	struct rt_buf good = RT_BUF_INIT;
	size_t errors = 0, clean = 0;
	(void)state;

	build(&good, RT_HASH_SHA256);
	for (size_t pos = 0; pos < good.len; pos++) {
		uint8_t *copy = malloc(good.len);
		struct rt_err err = { 0 };
		int ret;

		memcpy(copy, good.buf, good.len);
		copy[pos] ^= (uint8_t)(1u << (pos % 8));
		ret = exercise(copy, good.len, &err);
		if (ret) {
			assert_clear_error(ret, &err);
			errors++;
		} else {
			/* Header (28) and footer (72) are always checked. */
			assert_true(pos >= 28 && pos < good.len - 72);
			clean++;
		}
		free(copy);
	}
	/* Structure damage dominates; values inside records cannot be. */
	assert_true(errors > 0);
	assert_true(clean > 0);
	print_message("# flips: %zu detected, %zu undetectable (values)\n",
		      errors, clean);
	rt_buf_release(&good);
}

static void patch_crc(struct rt_buf *b, int footer_len)
{
	uint8_t *f = (uint8_t *)b->buf + b->len - footer_len;

	rt_put_be32(f + footer_len - 4, (uint32_t)crc32(0, f, footer_len - 4));
}

static void expect_error(struct rt_buf *b, const char *what)
{
	struct rt_err err = { 0 };
	int ret = exercise((uint8_t *)b->buf, b->len, &err);

	assert_clear_error(ret, &err);
	if (!strstr(err.msg, what))
		fail_msg("expected '%s' in: %s", what, err.msg);
}

static void test_bad_crc_and_header(void **state)
{
	struct rt_buf b = RT_BUF_INIT;
	(void)state;

	build(&b, RT_HASH_SHA1);
	b.buf[b.len - 1] ^= 1;
	expect_error(&b, "CRC-32");
	rt_buf_reset(&b);

	build(&b, RT_HASH_SHA1);
	b.buf[0] = 'X';
	expect_error(&b, "bad magic");
	rt_buf_reset(&b);

	/* Version 3 in header and footer, CRC fixed up. */
	build(&b, RT_HASH_SHA1);
	b.buf[4] = 3;
	b.buf[b.len - 68 + 4] = 3;
	patch_crc(&b, 68);
	expect_error(&b, "unsupported version");
	rt_buf_reset(&b);

	/* Header and footer disagree (footer CRC still valid). */
	build(&b, RT_HASH_SHA1);
	b.buf[b.len - 68 + 12] ^= 1;
	patch_crc(&b, 68);
	expect_error(&b, "footer does not repeat the header");
	rt_buf_reset(&b);

	/* A section offset past the footer. */
	build(&b, RT_HASH_SHA1);
	rt_put_be64((uint8_t *)b.buf + b.len - 68 + 24, b.len + 100);
	patch_crc(&b, 68);
	expect_error(&b, "section offset outside the table");
	rt_buf_release(&b);
}

static void test_wrong_hash_id(void **state)
{
	struct rt_buf b = RT_BUF_INIT;
	(void)state;

	build(&b, RT_HASH_SHA256);
	memcpy(b.buf + 24, "md5!", 4);
	memcpy(b.buf + b.len - 72 + 24, "md5!", 4);
	patch_crc(&b, 72);
	expect_error(&b, "unknown hash id");
	rt_buf_release(&b);
}

/* Offset of `needle` in the table, after `from`. */
static size_t find(const struct rt_buf *b, size_t from, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = from; i + n <= b->len; i++)
		if (!memcmp(b->buf + i, needle, n))
			return i;
	fail_msg("'%s' not found", needle);
	return 0;
}

static void test_unsorted_keys(void **state)
{
	struct rt_buf b = RT_BUF_INIT;
	size_t first;
	(void)state;

	/*
	 * The first block starts with branch-000, then branch-001 stored as
	 * prefix "refs/heads/branch-00" + suffix "1". Make it "/" < "0".
	 */
	build(&b, RT_HASH_SHA1);
	first = find(&b, 0, "refs/heads/branch-000");
	/* key, update index delta, value and peeled (branch-000 is VAL2). */
	assert_int_equal(b.buf[first + 21 + 1 + 40 + 2], '1');
	b.buf[first + 21 + 1 + 40 + 2] = '/';
	expect_error(&b, "keys are not in ascending order");
	rt_buf_release(&b);
}

static void test_bad_restarts_and_varints(void **state)
{
	struct rt_buf b = RT_BUF_INIT;
	uint32_t block_len;
	uint8_t *blk;
	(void)state;

	/* Restart offset pointing past the records (into the table). */
	build(&b, RT_HASH_SHA1);
	blk = (uint8_t *)b.buf;
	block_len = rt_get_be24(blk + 25);
	rt_put_be24(blk + block_len - 2 - 3, block_len - 1);
	expect_error(&b, "restart offset out of range");
	rt_buf_reset(&b);

	/* restart_count of 0. */
	build(&b, RT_HASH_SHA1);
	blk = (uint8_t *)b.buf;
	block_len = rt_get_be24(blk + 25);
	rt_put_be16(blk + block_len - 2, 0);
	expect_error(&b, "no restart points");
	rt_buf_reset(&b);

	/* restart_count larger than the block can hold. */
	build(&b, RT_HASH_SHA1);
	blk = (uint8_t *)b.buf;
	block_len = rt_get_be24(blk + 25);
	rt_put_be16(blk + block_len - 2, 60000);
	expect_error(&b, "restart table larger than the block");
	rt_buf_reset(&b);

	/* An 11-byte varint where the first record's prefix length is. */
	build(&b, RT_HASH_SHA1);
	memset(b.buf + 28, 0xff, 11);
	expect_error(&b, "malformed");
	rt_buf_reset(&b);

	/* block_len beyond the block size. */
	build(&b, RT_HASH_SHA1);
	rt_put_be24((uint8_t *)b.buf + 25, 300);
	expect_error(&b, "block");
	rt_buf_release(&b);
}

static void test_log_block_sizes(void **state)
{
	struct rt_buf b = RT_BUF_INIT;
	struct rt_table *t;
	struct rt_err err = { 0 };
	uint64_t log_off;
	uint32_t len;
	(void)state;

	build(&b, RT_HASH_SHA1);
	assert_int_equal(
		rt_table_open_mem(&t, (uint8_t *)b.buf, b.len, NAME, &err), 0);
	log_off = t->log.offset;
	rt_table_close(t);
	assert_int_equal(b.buf[log_off], 'g');
	len = rt_get_be24((uint8_t *)b.buf + log_off + 1);

	/* Declared smaller than the data: inflation overruns it. */
	rt_put_be24((uint8_t *)b.buf + log_off + 1, len - 10);
	expect_error(&b, "inflates past its declared size");
	/* Declared larger: the stream ends early. */
	rt_put_be24((uint8_t *)b.buf + log_off + 1, len + 10);
	expect_error(&b, "inflates to less than its declared size");
	/* Garbage instead of zlib data. */
	rt_put_be24((uint8_t *)b.buf + log_off + 1, len);
	memset(b.buf + log_off + 4, 0x55, 8);
	expect_error(&b, "log block");
	rt_buf_release(&b);
}

static void test_index_loop(void **state)
{
	struct rt_buf b = RT_BUF_INIT;
	struct rt_table *t;
	struct rt_err err = { 0 };
	uint64_t idx;
	(void)state;

	/* Point the ref index at itself through its first record. */
	build(&b, RT_HASH_SHA1);
	assert_int_equal(
		rt_table_open_mem(&t, (uint8_t *)b.buf, b.len, NAME, &err), 0);
	idx = t->ref.index_offset;
	rt_table_close(t);
	assert_true(idx > 0);
	assert_int_equal(b.buf[idx], 'i');
	{
		/*
		 * Walk the index block's records and send every offset of the
		 * same varint width as `idx` back to the index block itself.
		 */
		uint8_t *p = (uint8_t *)b.buf + idx + 4;
		uint32_t len = rt_get_be24((uint8_t *)b.buf + idx + 1);
		uint32_t nrestart =
			rt_get_be16((uint8_t *)b.buf + idx + len - 2);
		uint8_t *end = (uint8_t *)b.buf + idx + len - 2 - 3 * nrestart;
		uint8_t enc[RT_MAX_VARINT_LEN];
		int width = rt_varint_put(enc, idx), patched = 0;

		while (p < end) {
			uint64_t prefix, sfx, off;
			int n = rt_varint_get(&prefix, p, end - p);
			int m = rt_varint_get(&sfx, p + n, end - p - n);
			uint8_t *pos = p + n + m + (sfx >> 3);
			int w = rt_varint_get(&off, pos, end - pos);

			if (w == width) {
				memcpy(pos, enc, w);
				patched++;
			}
			p = pos + w;
		}
		assert_true(patched > 0);
	}
	expect_error(&b, "index nested too deeply");
	rt_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncated_anywhere),
		cmocka_unit_test(test_flipped_bits),
		cmocka_unit_test(test_bad_crc_and_header),
		cmocka_unit_test(test_wrong_hash_id),
		cmocka_unit_test(test_unsorted_keys),
		cmocka_unit_test(test_bad_restarts_and_varints),
		cmocka_unit_test(test_log_block_sizes),
		cmocka_unit_test(test_index_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
