/*
 * Unit tests of the external sort behind obj blocks: the order must equal
 * an in-memory sort whether the pairs fit in memory or spill into many
 * runs, and reading must be repeatable: the first read saves what it
 * sorted, later reads take it back from there. Also the obj record fast
 * path of the block writer, against the general one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/block.h"
#include "lib/objsort.h"
#include "testutil.h"

struct pair {
	uint8_t hash[20];
	uint64_t pos;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = memcmp(x->hash, y->hash, 20);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * `distinct` 0: random ids, a third of them repeated; otherwise that many
 * ids, equal in their first 8 bytes, each named by many pairs, and with
 * `mixed` only half the pairs name those, the others random ids.
 */
static void check_mixed(size_t n, size_t mem, size_t distinct, bool mixed)
{
	struct pair *p = calloc(n, sizeof(*p));
	struct rng r = rng_seeded();
	struct rt_err err = { 0 };
	struct rt_objsort *s;

	assert_non_null(p);
	assert_int_equal(rt_objsort_new(&s, 20, mem, NULL, &err), 0);
	for (size_t i = 0; i < n; i++) {
		if (distinct && (!mixed || rng_below(&r, 2))) {
			memset(p[i].hash, 0x5a, 20);
			p[i].hash[19] = (uint8_t)rng_below(&r, distinct);
		} else if (i && rng_below(&r, 3) == 0)
			/* Many equal hashes across runs. */
			memcpy(p[i].hash, p[rng_below(&r, i)].hash, 20);
		else
			rng_bytes(&r, p[i].hash, 20);
		p[i].pos = rng_below(&r, 1u << 20);
		assert_int_equal(rt_objsort_add(s, p[i].hash, p[i].pos, &err),
				 0);
	}
	assert_int_equal(rt_objsort_count(s), n);
	qsort(p, n, sizeof(*p), cmp_pair);
	/*
	 * Pass 0 stops half way (a part of the bytes saved), the others
	 * read all: the first full one saves the rest, then all is saved.
	 */
	for (int pass = 0; pass < 4; pass++) {
		size_t upto = pass ? n : n / 2;
		uint8_t hash[20];
		uint64_t pos;

		assert_int_equal(rt_objsort_rewind(s, &err), 0);
		for (size_t i = 0; i < upto; i++) {
			int ret = rt_objsort_next(s, hash, &pos, &err);

			if (ret)
				fail_msg("pair %zu: %d %s", i, ret, err.msg);
			assert_memory_equal(hash, p[i].hash, 20);
			assert_true(pos == p[i].pos);
		}
		if (pass)
			assert_int_equal(rt_objsort_next(s, hash, &pos, &err),
					 1);
	}
	/* Adding after reading started is a misuse. */
	assert_int_equal(rt_objsort_add(s,
					(const uint8_t *)"01234567890123456789",
					1, &err),
			 RT_ERR_API);
	rt_objsort_free(s);
	free(p);
}

static void check_ids(size_t n, size_t mem, size_t distinct)
{
	check_mixed(n, mem, distinct, false);
}

static void check(size_t n, size_t mem)
{
	check_ids(n, mem, 0);
}

static void test_in_memory(void **state)
{
	(void)state;
	check(5000, 1 << 20);
	check(0, 1 << 20);
}

static void test_spilled_runs(void **state)
{
	(void)state;
	/* The minimum run is 1024 pairs: ~49 runs. */
	check(50000, 1);
	/* Exactly one full run, then one more pair. */
	check(1025, 1);
}

/*
 * Ids are not always spread: many refs may name one object, or ids may
 * share a long prefix. The order must hold all the same.
 */
static void test_skewed_ids(void **state)
{
	(void)state;
	check_ids(3000, 1 << 20, 5);
	check_ids(3000, 1 << 20, 200);
	check_ids(20000, 1, 3);
	/*
	 * Spilled, one first byte named by more pairs than memory holds
	 * (merged from the runs), the others not (sorted in memory).
	 */
	check_mixed(20000, 1, 3, true);
}

/*
 * A few pairs for every first byte, but one byte named by more pairs than
 * memory holds, and spilled: the bytes before it are saved on the first
 * read, it is merged on each, and the ones after it are saved too.
 */
static void test_saved_around_merged(void **state)
{
	(void)state;
	check_mixed(30000, 1, 2, true);
	check_mixed(3000, 1, 1, true);
}

/* One obj record in both ways; both must agree on whether it fits. */
static void add_both(struct rt_block_writer *fast, struct rt_block_writer *gen,
		     struct rt_record *rec, const uint8_t *id, size_t id_len,
		     bool *full)
{
	struct rt_buf key = { 0 };
	int a, b;

	assert_int_equal(rt_buf_set(&rec->u.obj.prefix, id, id_len), 0);
	assert_int_equal(rt_record_key(rec, &key), 0);
	a = rt_block_writer_add_obj(fast, id, id_len, rec->u.obj.offsets,
				    rec->u.obj.offset_len);
	b = rt_block_writer_add(gen, rec, &key);
	assert_int_equal(a, b);
	assert_true(a == 0 || a == RT_ERR_TOO_BIG);
	*full = a == RT_ERR_TOO_BIG;
	rt_buf_release(&key);
}

/*
 * Obj records straight into the block (rt_block_writer_add_obj) give the
 * bytes rt_block_writer_add() gives: keys sharing prefixes or not,
 * restarts every interval, 0, 1-7 and 8 or more positions, a block filled
 * until a record does not fit, and the file's first block.
 */
static void test_obj_fast_path(void **state)
{
	static const uint32_t intervals[] = { 1, 3, 16 };
	struct rng r = rng_seeded();

	(void)state;
	for (size_t round = 0; round < 24; round++) {
		uint32_t size = round % 2 ? 4096 : 256,
			 head = round % 4 ? 0 : 24;
		uint8_t *fb = calloc(1, size), *gb = calloc(1, size);
		struct rt_block_writer fast = { 0 }, gen = { 0 };
		uint32_t interval = intervals[round % 3];
		size_t id_len = 2 + rng_below(&r, 19);
		uint8_t id[20] = { 0 };
		struct rt_record rec;
		bool full = false;
		int a, b;

		assert_non_null(fb);
		assert_non_null(gb);
		rt_record_init(&rec, RT_BLOCK_OBJ);
		/* rt_record_release() frees it. */
		rec.u.obj.offsets = calloc(40, sizeof(uint64_t));
		assert_non_null(rec.u.obj.offsets);
		rec.u.obj.offset_cap = 40;
		assert_int_equal(rt_block_writer_reset(&fast, RT_BLOCK_OBJ, fb,
						       size, head, 20, 0,
						       interval, -1),
				 0);
		assert_int_equal(rt_block_writer_reset(&gen, RT_BLOCK_OBJ, gb,
						       size, head, 20, 0,
						       interval, -1),
				 0);
		while (!full) {
			size_t n = rng_below(&r, 4) ? rng_below(&r, 3) :
						      rng_below(&r, 40);
			uint64_t pos = rng_below(&r, 1u << 20);
			/* A random part of the last key shared, or none. */
			size_t keep = rng_below(&r, id_len);

			id[keep]++;
			if (!id[keep])
				id[keep] = 1;
			rng_bytes(&r, id + keep + 1, id_len - keep - 1);
			rec.u.obj.offset_len = 0;
			for (size_t i = 0; i < n; i++) {
				pos += rng_below(&r, 3) ?
					       4096 :
					       rng_below(&r, 1u << 30);
				rec.u.obj.offsets[rec.u.obj.offset_len++] = pos;
			}
			add_both(&fast, &gen, &rec, id, id_len, &full);
		}
		assert_int_equal(fast.entries, gen.entries);
		assert_true(fast.entries > 0);
		a = rt_block_writer_finish(&fast);
		b = rt_block_writer_finish(&gen);
		assert_int_equal(a, b);
		assert_memory_equal(fb, gb, (size_t)a);
		rt_record_release(&rec);
		rt_block_writer_release(&fast);
		rt_block_writer_release(&gen);
		free(fb);
		free(gb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_memory),
		cmocka_unit_test(test_spilled_runs),
		cmocka_unit_test(test_skewed_ids),
		cmocka_unit_test(test_saved_around_merged),
		cmocka_unit_test(test_obj_fast_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
