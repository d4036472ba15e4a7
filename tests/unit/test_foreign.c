/*
 * Tables as other writers may lay them out, built here block by block:
 * reftable.adoc lets a single-level index block, and a log block's
 * inflated length, exceed the table's block size; readers and verify
 * accept both. A ref block, or an index block of a multi-level index,
 * that long stays a problem.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <zlib.h>

#include "lib/include/rt-verify.h"
#include "lib/table.h"
#include "testutil.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	return tmpdir_make(dir, sizeof(dir), "foreign");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

/*
 * A SHA-1 table (update indexes 1-1) assembled block by block, as another
 * writer may lay it out: the header says `block_size`, and each block is
 * written at a size of its own.
 */
struct hand {
	struct rt_buf out;
	uint32_t block_size;
	uint64_t ref_index, log_off, log_index;
};

static void hand_start(struct hand *h, uint32_t block_size)
{
	uint8_t hdr[24] = { 'R', 'E', 'F', 'T', 1 };

	rt_put_be24(hdr + 5, block_size);
	rt_put_be64(hdr + 8, 1);
	rt_put_be64(hdr + 16, 1);
	memset(h, 0, sizeof(*h));
	h->block_size = block_size;
	assert_int_equal(rt_buf_add(&h->out, hdr, sizeof(hdr)), 0);
}

/*
 * Append a block of `type` written at `size` bytes, with recs[*next..n)
 * until it is full (*next moves on), NUL-padded to a multiple of the
 * block size when `pad`. Adds an index record for it to `idx`.
 */
static void hand_block(struct hand *h, uint8_t type,
		       const struct rt_record *recs, size_t n, size_t *next,
		       uint32_t size, bool pad, struct rt_record *idx)
{
	struct rt_block_writer bw = { 0 };
	struct rt_buf key = RT_BUF_INIT;
	uint8_t *buf = calloc(1, size);
	bool first = h->out.len == 24;
	uint32_t hoff = first ? 24 : 0;
	int len, ret;

	assert_non_null(buf);
	rt_record_init(idx, RT_BLOCK_INDEX);
	idx->u.idx.offset = first ? 0 : h->out.len;
	if (first) {
		memcpy(buf, h->out.buf, 24);
		rt_buf_setlen(&h->out, 0);
	}
	assert_int_equal(rt_block_writer_reset(&bw, type, buf, size, hoff, 20,
					       1, 16, 9),
			 0);
	for (; *next < n; (*next)++) {
		assert_int_equal(rt_record_key(&recs[*next], &key), 0);
		ret = rt_block_writer_add(&bw, &recs[*next], &key);
		if (ret == RT_ERR_TOO_BIG)
			break;
		assert_int_equal(ret, 0);
		rt_buf_reset(&idx->u.idx.last_key);
		rt_buf_add(&idx->u.idx.last_key, key.buf, key.len);
	}
	len = rt_block_writer_finish(&bw);
	assert_true(len > 0);
	if (type == RT_BLOCK_LOG) {
		rt_buf_add(&h->out, buf, hoff + 4);
		rt_buf_add(&h->out, bw.compressed.buf, bw.compressed.len);
	} else {
		rt_buf_add(&h->out, buf, len);
	}
	while (pad && h->out.len % h->block_size)
		rt_buf_addch(&h->out, 0);
	rt_block_writer_release(&bw);
	rt_buf_release(&key);
	free(buf);
}

static void hand_finish(struct hand *h)
{
	uint8_t f[68] = { 0 };

	memcpy(f, h->out.buf, 24);
	rt_put_be64(f + 24, h->ref_index);
	rt_put_be64(f + 48, h->log_off);
	rt_put_be64(f + 56, h->log_index);
	rt_put_be32(f + 64, (uint32_t)crc32(0, f, 64));
	rt_buf_add(&h->out, f, sizeof(f));
}

/*
 * `n` ref records, or their log records, with names long enough that
 * index records stay long after prefix compression.
 */
#define NAME_FMT "refs/heads/%02zu/a-feature-branch-name"
static struct rt_record *records(uint8_t type, size_t n)
{
	struct rt_record *r = calloc(n, sizeof(*r));
	char name[64];

	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), NAME_FMT, i);
		r[i].type = type;
		if (type == RT_BLOCK_REF)
			set_ref(&r[i].u.ref, name, 1, RT_REF_VAL1, (uint8_t)i);
		else
			set_log(&r[i].u.log, name, 1, RT_LOG_UPDATE,
				"a message long enough to fill blocks");
	}
	return r;
}

static void free_records(struct rt_record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rt_record_release(&r[i]);
	free(r);
}

#define T1 "0x000000000001-0x000000000001-00000001.ref"

/*
 * Verify a stack of just `h`'s table and return its problem count; one
 * issue must contain `want` when given. Every issue is printed.
 */
static size_t verify_hand(const struct hand *h, const char *want)
{
	struct rt_verify_result r;
	struct rt_err err = { 0 };
	char path[512];
	size_t problems;
	bool found = !want;
	FILE *f;

	snprintf(path, sizeof(path), "%s/" T1, dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(h->out.buf, 1, h->out.len, f), h->out.len);
	fclose(f);
	snprintf(path, sizeof(path), "%s/tables.list", dir);
	assert_int_equal(file_write_text(path, T1 "\n"), 0);
	if (rt_verify_stack(dir, NULL, &r, &err))
		fail_msg("verify: %s", err.msg);
	for (size_t i = 0; i < r.nissues; i++) {
		print_message("# %s\n", r.issues[i].msg);
		found |= want && strstr(r.issues[i].msg, want);
	}
	assert_true(found);
	problems = r.problems;
	rt_verify_result_release(&r);
	return problems;
}

/* Every record of the section, then a seek to the 14th through the index. */
static void read_back(const struct hand *h, uint8_t type, size_t n)
{
	struct rt_err err = { 0 };
	struct rt_table_iter it;
	struct rt_table *t;
	struct rt_record rec;
	struct rt_buf key = RT_BUF_INIT;
	char name[64];
	size_t got = 0;

	if (rt_table_open_mem(&t, (const uint8_t *)h->out.buf, h->out.len,
			      "t.ref", &err))
		fail_msg("open: %s", err.msg);
	rt_table_iter_init(&it, t, type);
	rt_record_init(&rec, type);
	assert_int_equal(rt_table_iter_seek(&it, NULL, 0, &err), 0);
	while (!rt_table_iter_next(&it, &rec, &err))
		got++;
	assert_int_equal(err.code, 0);
	assert_int_equal(got, n);
	snprintf(name, sizeof(name), NAME_FMT, (size_t)13);
	if (type == RT_BLOCK_LOG)
		rt_log_key(&key, name, strlen(name), 1);
	else
		rt_buf_addstr(&key, name);
	assert_int_equal(rt_table_iter_seek(&it, key.buf, key.len, &err), 0);
	assert_int_equal(rt_table_iter_next(&it, &rec, &err), 0);
	assert_string_equal(type == RT_BLOCK_LOG ? rec.u.log.refname.buf :
						   rec.u.ref.refname.buf,
			    name);
	rt_buf_release(&key);
	rt_record_release(&rec);
	rt_table_iter_release(&it);
	rt_table_close(t);
}

/*
 * End the section of `type` with one index block over idx[0..nidx),
 * written at `size` bytes (NUL-padded when `pad`), and the footer; the
 * table must verify clean and read back `n` records. The index records
 * are released; the index block's length is returned.
 */
static uint32_t finish_clean(struct hand *h, uint8_t type,
			     struct rt_record *idx, size_t nidx, uint32_t size,
			     bool pad, size_t n)
{
	uint64_t at = h->out.len;
	uint32_t len;
	size_t next = 0;

	*(type == RT_BLOCK_LOG ? &h->log_index : &h->ref_index) = at;
	hand_block(h, RT_BLOCK_INDEX, idx, nidx, &next, size, pad, &idx[nidx]);
	assert_int_equal(next, nidx);
	len = rt_get_be24((uint8_t *)h->out.buf + at + 1);
	hand_finish(h);
	assert_int_equal(verify_hand(h, NULL), 0);
	read_back(h, type, n);
	for (size_t i = 0; i <= nidx; i++)
		rt_record_release(&idx[i]);
	return len;
}

/*
 * 30 refs in 128-byte blocks, then one index block for all of them,
 * written at 4096 bytes: longer than the block size, which reftable.adoc
 * allows a single-level index (JGit writes such tables, padded or not).
 */
static void test_single_level_index_beyond_block_size(void **state)
{
	struct rt_record *refs = records(RT_BLOCK_REF, 30), idx[31];
	size_t next, nidx;
	struct hand h;
	(void)state;

	for (int pad = 0; pad < 2; pad++) {
		hand_start(&h, 128);
		for (next = nidx = 0; next < 30; nidx++)
			hand_block(&h, RT_BLOCK_REF, refs, 30, &next, 128, true,
				   &idx[nidx]);
		assert_true(nidx >= 8);
		assert_true(finish_clean(&h, RT_BLOCK_REF, idx, nidx, 4096, pad,
					 30) > 128);
		rt_buf_release(&h.out);
	}
	free_records(refs, 30);
}

/*
 * The same ref blocks under two index levels whose first level is longer
 * than the block size: a multi-level index keeps its blocks within
 * it, so that is a problem, as is a ref block that long.
 */
static void test_long_blocks_still_refused(void **state)
{
	struct rt_record *refs = records(RT_BLOCK_REF, 30), idx[31], root[3];
	size_t next, lnext, nidx;
	struct hand h;
	(void)state;

	hand_start(&h, 128);
	for (next = nidx = 0; next < 30; nidx++)
		hand_block(&h, RT_BLOCK_REF, refs, 30, &next, 128, true,
			   &idx[nidx]);
	/* Level 1: two index blocks, each over half the ref blocks. */
	for (next = 0, lnext = 0; lnext < 2; lnext++) {
		size_t end = lnext ? nidx : nidx / 2;

		hand_block(&h, RT_BLOCK_INDEX, idx, end, &next, 4096, false,
			   &root[lnext]);
		assert_int_equal(next, end);
	}
	h.ref_index = h.out.len;
	next = 0;
	hand_block(&h, RT_BLOCK_INDEX, root, 2, &next, 128, false, &root[2]);
	hand_finish(&h);
	assert_int_equal(verify_hand(&h, "multi-level"), 1);
	for (size_t i = 0; i < nidx; i++)
		rt_record_release(&idx[i]);
	for (size_t i = 0; i < 3; i++)
		rt_record_release(&root[i]);
	rt_buf_release(&h.out);

	/* A first ref block of 4096 bytes in a table of 128-byte blocks. */
	hand_start(&h, 128);
	next = 0;
	hand_block(&h, RT_BLOCK_REF, refs, 30, &next, 4096, false, &idx[0]);
	rt_record_release(&idx[0]);
	hand_finish(&h);
	assert_int_equal(verify_hand(&h, "longer than the table's block size"),
			 1);
	rt_buf_release(&h.out);
	free_records(refs, 30);
}

/*
 * Logs in blocks written at 1024 bytes in a table of 256-byte blocks:
 * reftable.adoc lets a log block's inflated length exceed the block size
 * (it suggests 2 x block_size to writers).
 */
static void test_log_block_inflating_beyond_block_size(void **state)
{
	struct rt_record *refs = records(RT_BLOCK_REF, 2);
	struct rt_record *logs = records(RT_BLOCK_LOG, 20), idx[8];
	size_t next, nidx;
	struct hand h;
	(void)state;

	/* After a ref block, and first in a log-only table. */
	for (int log_only = 0; log_only < 2; log_only++) {
		hand_start(&h, 256);
		next = nidx = 0;
		if (!log_only) {
			hand_block(&h, RT_BLOCK_REF, refs, 2, &next, 256, true,
				   &idx[0]);
			rt_record_release(&idx[0]);
		}
		h.log_off = log_only ? 0 : h.out.len;
		for (next = 0; next < 20; nidx++)
			hand_block(&h, RT_BLOCK_LOG, logs, 20, &next, 1024,
				   false, &idx[nidx]);
		assert_true(nidx >= 2);
		assert_true(rt_get_be24((uint8_t *)h.out.buf + h.log_off +
					(log_only ? 25 : 1)) > 256);
		finish_clean(&h, RT_BLOCK_LOG, idx, nidx, 256, false, 20);
		rt_buf_release(&h.out);
	}
	free_records(refs, 2);
	free_records(logs, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_single_level_index_beyond_block_size, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_long_blocks_still_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_log_block_inflating_beyond_block_size, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
