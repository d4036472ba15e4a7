/*
 * Unit tests of the geometric rule: the segment Git's examples and a
 * property test ask for, and table weights pinned against tables Git
 * itself wrote, so that we call for compaction exactly where Git's
 * auto-compaction does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/include/rt-stack.h"
#include "testutil.h"

static void assert_segment(const uint64_t *sizes, size_t n, size_t start,
			   size_t end)
{
	struct rt_segment s = rt_suggest_segment(sizes, n, 2);

	assert_int_equal(s.start, start);
	assert_int_equal(s.end, end);
}

static void test_segment_examples(void **state)
{
	/* From Git's unit tests and the comments of its stack.c. */
	const uint64_t git1[] = { 512, 64, 17, 16, 9, 9, 9, 16, 2, 16 };
	const uint64_t none[] = { 64, 32, 16, 8, 4, 2 };
	const uint64_t none2[] = { 64, 32, 16, 8, 4, 2, 1 };
	const uint64_t end_last[] = { 64, 32, 16, 8, 4, 3, 1 };
	const uint64_t start_32[] = { 128, 32, 16, 8, 4, 3, 1 };
	const uint64_t one[] = { 5 };
	(void)state;

	assert_segment(git1, 10, 1, 10);
	assert_segment(none, 6, 0, 0);
	assert_segment(none2, 7, 0, 0);
	assert_segment(end_last, 7, 0, 6);
	assert_segment(start_32, 7, 1, 6);
	assert_segment(one, 1, 0, 0);
	assert_segment(NULL, 0, 0, 0);
}

/*
 * Property: compacting the suggested segment (a table of the summed size)
 * leaves a geometric sequence: each table >= factor x the next newer one.
 */
static void test_segment_property(void **state)
{
	struct rng r = rng_seeded();
	(void)state;

	for (int trial = 0; trial < 20000; trial++) {
		uint64_t sizes[40];
		size_t n = 1 + rng_below(&r, 40), k = 0;
		unsigned factor = 2 + (unsigned)rng_below(&r, 3);
		struct rt_segment s;

		for (size_t i = 0; i < n; i++)
			sizes[i] = 1 + rng_below(&r, trial % 2 ? 100 : 1000000);
		s = rt_suggest_segment(sizes, n, factor);
		if (s.end - s.start >= 2) {
			uint64_t sum = 0;

			for (size_t i = s.start; i < s.end; i++)
				sum += sizes[i];
			for (size_t i = 0; i < n; i++) {
				if (i == s.start)
					sizes[k++] = sum;
				else if (i < s.start || i >= s.end)
					sizes[k++] = sizes[i];
			}
			n = k;
		}
		for (size_t i = 1; i < n; i++)
			if (sizes[i - 1] < factor * sizes[i])
				fail_msg("trial %d: table %zu (%llu) < %u x "
					 "%llu",
					 trial, i - 1,
					 (unsigned long long)sizes[i - 1],
					 factor, (unsigned long long)sizes[i]);
		s = rt_suggest_segment(sizes, n, factor);
		assert_int_equal(s.end - s.start, 0);
	}
}

/* Whether Git's rule compacts a stack of file sizes of one format version. */
static bool due(const uint64_t *files, size_t n, int version)
{
	uint64_t w[8];
	struct rt_segment s;

	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++)
		w[i] = rt_table_weight(files[i], version);
	s = rt_suggest_segment(w, n, 2);
	return s.end - s.start >= 2;
}

/*
 * File sizes of stacks Git 2.55 left, and whether its `git pack-refs
 * --auto` then compacted them (ordinary writes: commits, branches,
 * annotated tags, deletions). The stacks Git leaves alone are the ones a
 * weight counting the footer called for compaction.
 */
static void test_weight_is_gits(void **state)
{
	/* SHA-1 (format version 1: 24-byte header, 68-byte footer). */
	const uint64_t issue[] = { 388, 225 };
	const uint64_t sha1_kept[] = { 533, 275, 157 };
	const uint64_t sha1_compacted[] = { 126, 254, 262 };
	/* SHA-256 (version 2: 28-byte header, 72-byte footer). */
	const uint64_t sha256_kept[] = { 750, 308, 189 };
	const uint64_t sha256_compacted[] = { 134, 288, 308 };
	(void)state;

	assert_int_equal(rt_table_weight(388, 1), 388 - 68 - 23);
	assert_int_equal(rt_table_weight(225, 1), 225 - 68 - 23);
	assert_int_equal(rt_table_weight(750, 2), 750 - 72 - 27);
	/* An empty table (header and footer only) weighs one byte. */
	assert_int_equal(rt_table_weight(24 + 68, 1), 1);
	assert_int_equal(rt_table_weight(28 + 72, 2), 1);
	/* Shorter than any table: nothing. */
	assert_int_equal(rt_table_weight(10, 2), 0);

	assert_false(due(issue, 2, 1));
	assert_false(due(sha1_kept, 3, 1));
	assert_true(due(sha1_compacted, 3, 1));
	assert_false(due(sha256_kept, 3, 2));
	assert_true(due(sha256_compacted, 3, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_examples),
		cmocka_unit_test(test_segment_property),
		cmocka_unit_test(test_weight_is_gits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
