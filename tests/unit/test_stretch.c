/*
 * Unit tests of stretched log blocks (lib/block.c, lib/writer.c): a log
 * block may grow past the block size while the writer has not decided
 * where it ends; unless a copied block follows, it is cut exactly where
 * it would have ended without stretching.
 *
 * - Tables written without copies are byte for byte those the writer
 *   wrote before stretching existed (checksums of its output, taken on
 *   the commit before), for several block sizes, restart intervals,
 *   hashes, threaded deflate, log-only tables and very long messages.
 * - A record that fits no block is still refused.
 * - At the block level, a stretched block cut and resumed gives the
 *   bytes of the two blocks a writer without stretching gives, and one
 *   not cut reads back whole, every record in order.
 * - Log records read raw and added by their values' bytes give the same
 *   block as added decoded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <zlib.h>

#include "lib/block.h"
#include "testutil.h"

/* A deterministic log-heavy table, written with `o`. */
struct shape {
	struct rt_write_options o;
	bool refs; /* a ref section first, or logs only */
	size_t names;
	size_t max_msg; /* message lengths 0 .. max_msg, a few at max */
	uint32_t crc; /* of the table main's writer wrote */
	size_t len;
};

static void write_shape(const struct shape *s, struct rt_buf *out)
{
	struct rng rng = { 42 };
	struct rt_ref_record *refs = calloc(s->names, sizeof(*refs));
	struct rt_log_record *logs = calloc(s->names * 4, sizeof(*logs));
	char name[64], *msg = malloc(s->max_msg + 1);
	struct rt_err err = { 0 };
	size_t nlogs = 0;

	assert_non_null(refs);
	assert_non_null(logs);
	assert_non_null(msg);
	for (size_t i = 0; i < s->names; i++) {
		size_t n = 1 + rng_below(&rng, 4);

		snprintf(name, sizeof(name), "refs/heads/topic/s%05zu", i);
		set_ref(&refs[i], name, 9, RT_REF_VAL1, (uint8_t)i);
		for (size_t k = 0; k < n; k++) {
			size_t len =
				rng_below(&rng, 8) ?
					rng_below(&rng, s->max_msg / 4 + 1) :
					s->max_msg - rng_below(&rng, 8);

			memset(msg, 'a' + (int)(i % 26), len);
			msg[len] = 0;
			set_log(&logs[nlogs++], name, 9 - k, RT_LOG_UPDATE,
				msg);
		}
	}
	rt_buf_reset(out);
	if (write_table(out, &s->o, 1, 9, refs, s->refs ? s->names : 0, logs,
			nlogs, &err))
		fail_msg("write: %s", err.msg);
	for (size_t i = 0; i < s->names; i++)
		rt_ref_record_release(&refs[i]);
	for (size_t i = 0; i < nlogs; i++)
		rt_log_record_release(&logs[i]);
	free(refs);
	free(logs);
	free(msg);
}

static void test_no_copy_same_bytes(void **state)
{
	static const struct shape shapes[] = {
		{ { .block_size = 4096 }, true, 3000, 120, 0xae8f902c, 173229 },
		{ { .block_size = 1024,
		    .restart_interval = 3,
		    .deflate_thread = true },
		  false,
		  2000,
		  600,
		  0xb38539f9,
		  219480 },
		{ { .block_size = 256, .hash_id = RT_HASH_SHA256 },
		  false,
		  500,
		  40,
		  0x9a1cadc9,
		  102004 },
		{ { .block_size = 2048, .unpadded = true, .deflate_level = 1 },
		  true,
		  1500,
		  1500,
		  0xe4c79d7d,
		  200789 },
	};
	struct rt_buf out = RT_BUF_INIT;
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(*shapes); i++) {
		const struct shape *s = &shapes[i];
		uint32_t crc;

		write_shape(s, &out);
		crc = (uint32_t)crc32(0, (const Bytef *)out.buf, (uInt)out.len);
		if (crc != s->crc || out.len != s->len) {
			print_message("shape %zu: table of %zu bytes, crc "
				      "0x%08x; before stretching: %zu bytes, "
				      "crc 0x%08x\n",
				      i, out.len, crc, s->len, s->crc);
			bad++;
		}
	}
	rt_buf_release(&out);
	assert_int_equal(bad, 0);
}

/* Log records of `n` names, messages of `msg` bytes, keys ascending. */
static void block_records(struct rt_log_record *logs, size_t n, size_t msg)
{
	char name[64], text[256];

	memset(text, 'm', msg);
	text[msg] = 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "refs/heads/b%04zu", i);
		set_log(&logs[i], name, 5, RT_LOG_UPDATE, text);
	}
}

/* Add logs[from..] to `bw` until it says the block is full. */
static size_t fill(struct rt_block_writer *bw, struct rt_log_record *logs,
		   size_t from, size_t n)
{
	struct rt_record rec = { .type = RT_BLOCK_LOG };
	struct rt_buf key = RT_BUF_INIT;
	int ret = 0;
	size_t i;

	for (i = from; i < n; i++) {
		rec.u.log = logs[i];
		assert_int_equal(rt_record_key(&rec, &key), 0);
		if ((ret = rt_block_writer_add(bw, &rec, &key)))
			break;
	}
	assert_true(!ret || ret == RT_ERR_TOO_BIG);
	rt_buf_release(&key);
	return i;
}

/* Finish `bw` (deferred deflate: raw bytes) into `out`. */
static void finish_into(struct rt_block_writer *bw, uint8_t *buf,
			struct rt_buf *out)
{
	int len = rt_block_writer_finish(bw);

	assert_true(len > 0);
	rt_buf_reset(out);
	rt_buf_add(out, buf, (size_t)len);
}

static void test_cut_equals_two_blocks(void **state)
{
	enum {
		N = 200,
		BS = 1024,
		INTERVAL = 4
	};
	static uint8_t plain[BS], stretched[BS + BS / 2];
	struct rt_block_writer a = { 0 }, b = { 0 };
	struct rt_log_record logs[N];
	struct rt_buf pa = RT_BUF_INIT, sa = RT_BUF_INIT;
	size_t first, second, stretched_n;

	(void)state;
	block_records(logs, N, 30);
	/*
	 * Without stretching: a file's first block (a 24-byte file header
	 * in front) full at `first`, then the next one.
	 */
	rt_block_writer_reset(&a, RT_BLOCK_LOG, plain, BS, 24, 20, 0, INTERVAL,
			      9);
	a.defer_deflate = true;
	first = fill(&a, logs, 0, N);
	assert_true(first > 0 && first < N);
	finish_into(&a, plain, &pa);
	rt_block_writer_reset(&a, RT_BLOCK_LOG, plain, BS, 0, 20, 0, INTERVAL,
			      9);
	a.defer_deflate = true;
	second = fill(&a, logs, first, N);

	/*
	 * Stretched: the same records go into one block, cut at `first`, up
	 * to 1.5 x BS in all (before the second block would be full).
	 */
	rt_block_writer_reset(&b, RT_BLOCK_LOG, stretched, BS, 24, 20, 0,
			      INTERVAL, 9);
	b.defer_deflate = true;
	b.stretch_limit = rt_log_block_limit(BS);
	assert_int_equal(b.stretch_limit, BS + BS / 2);
	stretched_n = fill(&b, logs, 0, N);
	assert_true(stretched_n > first && stretched_n <= second);
	assert_true(b.cut);
	assert_int_equal(b.cut_entries, first);
	assert_true(b.next > BS);
	rt_block_writer_reset(&a, RT_BLOCK_LOG, plain, BS, 0, 20, 0, INTERVAL,
			      9);
	a.defer_deflate = true;
	/* The plain second block, as far as the stretched one got. */
	assert_int_equal(fill(&a, logs, first, stretched_n), stretched_n);

	/* Cut: the part before is the first block, the rest the second. */
	assert_int_equal(rt_block_writer_cut(&b), 0);
	finish_into(&b, stretched, &sa);
	assert_int_equal(sa.len, pa.len);
	assert_memory_equal(sa.buf, pa.buf, pa.len);
	rt_block_writer_resume(&b);
	assert_false(b.cut);
	finish_into(&a, plain, &pa);
	finish_into(&b, stretched, &sa);
	assert_int_equal(sa.len, pa.len);
	assert_memory_equal(sa.buf, pa.buf, pa.len);

	for (size_t i = 0; i < N; i++)
		rt_log_record_release(&logs[i]);
	rt_buf_release(&pa);
	rt_buf_release(&sa);
	rt_block_writer_release(&a);
	rt_block_writer_release(&b);
}

/*
 * Load the log block of `len` bytes in `buf` (header included, not yet
 * deflated) as a table holds it, deflated into `file`, which `blk` then
 * reads from.
 */
static void load_log_block(const uint8_t *buf, size_t len, uint32_t bs,
			   struct rt_buf *file, struct rt_block *blk)
{
	struct rt_buf z = RT_BUF_INIT;
	struct rt_err err = { 0 };
	struct rt_deflater d;

	rt_deflater_init(&d, 9, bs);
	assert_int_equal(rt_deflater_run(&d, buf + 4, len - 4, &z), 0);
	rt_deflater_end(&d);
	rt_buf_reset(file);
	rt_buf_add(file, buf, 4);
	rt_buf_add(file, z.buf, z.len);
	if (rt_block_load(blk, (const uint8_t *)file->buf, file->len, 0, 0, bs,
			  20, 0, NULL, &err))
		fail_msg("load: %s", err.msg);
	rt_buf_release(&z);
}

/* Not cut, a stretched block is one block that reads back whole. */
static void test_whole_reads_back(void **state)
{
	enum {
		N = 200,
		BS = 1024
	};
	static uint8_t buf[BS + BS / 2];
	struct rt_block_writer bw = { 0 };
	struct rt_log_record logs[N];
	struct rt_buf file = RT_BUF_INIT;
	struct rt_block blk = { 0 };
	struct rt_block_iter it = { 0 };
	struct rt_record rec;
	struct rt_err err = { 0 };
	size_t added, got = 0;
	int len, ret;

	(void)state;
	block_records(logs, N, 30);
	rt_block_writer_reset(&bw, RT_BLOCK_LOG, buf, BS, 0, 20, 0, 16, 9);
	bw.defer_deflate = true;
	bw.stretch_limit = rt_log_block_limit(BS);
	added = fill(&bw, logs, 0, N);
	assert_true(bw.cut);
	len = rt_block_writer_finish(&bw);
	assert_true(len > BS && len <= BS + BS / 2);

	load_log_block(buf, (size_t)len, BS, &file, &blk);
	assert_int_equal(blk.len, len);
	rt_record_init(&rec, RT_BLOCK_LOG);
	rt_block_iter_start(&it, &blk);
	while (!(ret = rt_block_iter_next(&it, &rec, &err))) {
		assert_true(got < added);
		assert_true(log_equal(&rec.u.log, &logs[got], 20));
		got++;
	}
	if (ret < 0)
		fail_msg("read: %s", err.msg);
	assert_int_equal(got, added);

	rt_record_release(&rec);
	rt_block_iter_release(&it);
	rt_block_release(&blk);
	for (size_t i = 0; i < N; i++)
		rt_log_record_release(&logs[i]);
	rt_buf_release(&file);
	rt_block_writer_release(&bw);
}

/*
 * Log records read raw from a block (rt_block_iter_next_raw) and added
 * by their values' bytes (rt_block_writer_add_raw) give the block adding
 * them decoded gives: prefixes, restarts, the stretched block's cut. The
 * bytes read are those encoding the record gives.
 */
static void test_raw_same_bytes(void **state)
{
	enum {
		N = 120,
		BS = 1024,
		INTERVAL = 4
	};
	static uint8_t buf_a[BS + BS / 2], buf_b[BS + BS / 2];
	struct rt_block_writer a = { 0 }, b = { 0 };
	struct rt_log_record logs[N];
	struct rt_buf pa = RT_BUF_INIT, pb = RT_BUF_INIT;
	struct rt_buf file = RT_BUF_INIT, val = RT_BUF_INIT;
	struct rt_record rec = { .type = RT_BLOCK_LOG };
	struct rt_block blk = { 0 };
	struct rt_block_iter it = { 0 };
	struct rt_err err = { 0 };
	char name[64];
	size_t added, got = 0;
	int ret;

	(void)state;
	/* Names that share more and less, messages of every length, and
	 * deletions (no value at all). */
	for (size_t i = 0; i < N; i++) {
		char msg[64];

		snprintf(name, sizeof(name), "refs/%s/x%0*zu",
			 i % 3 ? "heads" : "tags", (int)(1 + i % 5), i);
		memset(msg, 'a' + (int)(i % 26), i % 60);
		msg[i % 60] = 0;
		set_log(&logs[i], name, 3 + i % 4,
			i % 7 ? RT_LOG_UPDATE : RT_LOG_DELETION, msg);
	}
	qsort(logs, N, sizeof(*logs), rt_log_record_cmp);
	rt_block_writer_reset(&a, RT_BLOCK_LOG, buf_a, BS, 0, 20, 0, INTERVAL,
			      9);
	a.defer_deflate = true;
	a.stretch_limit = rt_log_block_limit(BS);
	added = fill(&a, logs, 0, N);
	assert_true(a.cut && added < N);
	finish_into(&a, buf_a, &pa);

	load_log_block(buf_a, pa.len, BS, &file, &blk);
	rt_block_writer_reset(&b, RT_BLOCK_LOG, buf_b, BS, 0, 20, 0, INTERVAL,
			      9);
	b.defer_deflate = true;
	b.stretch_limit = rt_log_block_limit(BS);
	rt_block_iter_start(&it, &blk);
	while (!(ret = rt_block_iter_next_raw(&it, NULL, &err))) {
		struct rt_raw_value raw = {
			.type = it.val_type,
			.data = blk.data + it.val_off,
			.len = it.val_len,
		};

		assert_true(got < added);
		rec.u.log = logs[got];
		rt_buf_reset(&val);
		assert_int_equal(rt_record_encode_value(&rec, &val, 20, 0), 0);
		assert_int_equal(raw.type, logs[got].value_type);
		assert_int_equal(raw.len, val.len);
		assert_memory_equal(raw.data, val.buf, val.len);
		assert_int_equal(
			rt_block_writer_add_raw(&b, &raw, &it.last_key), 0);
		got++;
	}
	if (ret < 0)
		fail_msg("read: %s", err.msg);
	assert_int_equal(got, added);
	assert_true(b.cut);
	assert_int_equal(b.cut_entries, a.cut_entries);
	finish_into(&b, buf_b, &pb);
	assert_int_equal(pb.len, pa.len);
	assert_memory_equal(pb.buf, pa.buf, pa.len);

	rt_block_iter_release(&it);
	rt_block_release(&blk);
	for (size_t i = 0; i < N; i++)
		rt_log_record_release(&logs[i]);
	rt_buf_release(&pa);
	rt_buf_release(&pb);
	rt_buf_release(&file);
	rt_buf_release(&val);
	rt_block_writer_release(&a);
	rt_block_writer_release(&b);
}

/*
 * A log record that fits no block is refused as before, also after
 * records that leave room for it in a stretched block.
 */
static void test_too_big_still_refused(void **state)
{
	struct rt_write_options o = { .block_size = 1024 };
	struct rt_log_record logs[4];
	struct rt_buf out = RT_BUF_INIT;
	struct rt_err err = { 0 };
	char big[1101];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	set_log(&logs[0], "refs/heads/a", 1, RT_LOG_UPDATE, "one");
	set_log(&logs[1], "refs/heads/b", 1, RT_LOG_UPDATE, "two");
	set_log(&logs[2], "refs/heads/c", 1, RT_LOG_UPDATE, big);
	set_log(&logs[3], "refs/heads/d", 1, RT_LOG_UPDATE, "four");
	assert_int_equal(write_table(&out, &o, 1, 1, NULL, 0, logs, 4, &err),
			 RT_ERR_TOO_BIG);
	assert_non_null(strstr(err.msg, "does not fit in a block"));
	for (int i = 0; i < 4; i++)
		rt_log_record_release(&logs[i]);
	rt_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_copy_same_bytes),
		cmocka_unit_test(test_cut_equals_two_blocks),
		cmocka_unit_test(test_whole_reads_back),
		cmocka_unit_test(test_raw_same_bytes),
		cmocka_unit_test(test_too_big_still_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
