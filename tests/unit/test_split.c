/*
 * Unit tests of the log section merged apart (lib/writer_split.c,
 * lib/compact_merge.c): a compaction that merges the logs on a thread of
 * their own, into a file of their own, writes the very table, byte for
 * byte, that one merging them after the refs writes; over random stacks
 * (those of test_reuse.c), with and without block reuse, and where the
 * log blocks are appended and synced while their merge goes on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <inttypes.h>

#include "reuse_fixture.h"

/* The table compaction made of the segment starting at `first`. */
static const struct rt_table *compacted(const struct rt_stack *st, size_t first)
{
	assert_true(st->n > first);
	return st->tables[first];
}

static void same_table(uint64_t seed, bool whole, bool reuse, bool clustered)
{
	char dir_a[256], dir_b[256];
	struct rt_compact_options apart = { .no_reuse = !reuse,
					    .logs_apart =
						    RT_COMPACT_LOGS_APART };
	struct rt_compact_options inline_ = apart;
	struct rt_compact_result ra, rb;
	struct rt_err err = { 0 };
	struct rt_stack *a, *b;
	const struct rt_table *ta, *tb;
	size_t first = whole ? 0 : 1;

	inline_.logs_apart = RT_COMPACT_LOGS_INLINE;
	assert_int_equal(tmpdir_make(dir_a, sizeof(dir_a), "split-a"), 0);
	assert_int_equal(tmpdir_make(dir_b, sizeof(dir_b), "split-b"), 0);
	a = build_stack(dir_a, seed, 3, clustered, !whole, !clustered);
	b = build_stack(dir_b, seed, 3, clustered, !whole, !clustered);
	/* Apart needs threads; the fixture may have left them off. */
	a->opts.write.deflate_thread = b->opts.write.deflate_thread = true;
	if (rt_stack_compact_range(a, first, a->n - 1, &apart, &ra, &err) ||
	    rt_stack_compact_range(b, first, b->n - 1, &inline_, &rb, &err))
		fail_msg("seed %" PRIu64 ": %s", seed, err.msg);
	ta = compacted(a, first);
	tb = compacted(b, first);
	if (ta->size != tb->size || memcmp(ta->data, tb->data, ta->size))
		fail_msg("seed %" PRIu64 ": tables differ (%" PRIu64
			 " and %" PRIu64 " bytes)",
			 seed, ta->size, tb->size);
	assert_true(ra.refs_written == rb.refs_written &&
		    ra.logs_written == rb.logs_written &&
		    ra.blocks_after == rb.blocks_after &&
		    ra.blocks_reused == rb.blocks_reused &&
		    ra.blocks_unread == rb.blocks_unread &&
		    ra.blocks_patched == rb.blocks_patched);
	assert_true(ra.logs_apart && !rb.logs_apart);
	rt_stack_close(a);
	rt_stack_close(b);
	tmpdir_remove(dir_a);
	tmpdir_remove(dir_b);
}

static void test_same_table(void **state)
{
	struct rng r = rng_seeded();
	(void)state;

	for (int i = 0; i < 12; i++)
		same_table(rng_next(&r), i % 2, i % 3 != 0, (i / 2) % 2);
}

/* Refs written, then all deleted: a stack of 2 tables, in `dir`. */
static struct rt_stack *no_refs_stack(const char *dir)
{
	struct build b = { .rng = { 3 },
			   .hash = RT_HASH_SHA1,
			   .block_size = 1024,
			   .thread = true };
	struct rt_stack *st;

	b.refs = calloc(POOL, sizeof(*b.refs));
	b.logs = calloc(POOL, sizeof(*b.logs));
	st = open_in(dir, &b);
	plan_round(&b, 0, 300, 1, false);
	add_round(st, &b);
	plan_round(&b, 0, 300, 1, false);
	for (size_t i = 0; i < b.nrefs; i++)
		b.refs[i].value_type = RT_REF_DELETION;
	add_round(st, &b);
	clear_round(&b);
	free(b.refs);
	free(b.logs);
	return st;
}

/*
 * Two copies of the stack `make` builds, in dir_a and dir_b, compacted
 * whole, the logs apart (*a) and inline (*b): the tables must be the same,
 * byte for byte. With `logs_before`, the logs of *a before.
 */
static void both_ways(struct rt_stack *(*make)(const char *), char *dir_a,
		      char *dir_b, struct rt_stack **a, struct rt_stack **b,
		      struct rt_compact_result *ra,
		      struct rt_compact_result *rb, struct rt_buf *logs_before)
{
	struct rt_compact_options apart = { .logs_apart =
						    RT_COMPACT_LOGS_APART };
	struct rt_compact_options inline_ = { .logs_apart =
						      RT_COMPACT_LOGS_INLINE };
	struct rt_err err = { 0 };

	assert_int_equal(tmpdir_make(dir_a, 256, "split-a"), 0);
	assert_int_equal(tmpdir_make(dir_b, 256, "split-b"), 0);
	*a = make(dir_a);
	*b = make(dir_b);
	if (logs_before)
		dump(*a, RT_BLOCK_LOG, logs_before);
	if (rt_stack_compact_all(*a, &apart, ra, &err) ||
	    rt_stack_compact_all(*b, &inline_, rb, &err))
		fail_msg("compact: %s", err.msg);
	assert_int_equal((*a)->tables[0]->size, (*b)->tables[0]->size);
	assert_memory_equal((*a)->tables[0]->data, (*b)->tables[0]->data,
			    (*a)->tables[0]->size);
}

/*
 * A compaction from the oldest table drops every ref: none is written,
 * so the logs must come first in the file, and are merged after all,
 * into the same table as inline, every log kept and counted once.
 */
static void test_no_refs_left(void **state)
{
	char dir_a[256], dir_b[256];
	struct rt_compact_result ra, rb;
	struct rt_buf before = RT_BUF_INIT, after = RT_BUF_INIT;
	struct rt_stack *a, *b;
	(void)state;

	both_ways(no_refs_stack, dir_a, dir_b, &a, &b, &ra, &rb, &before);
	assert_int_equal(ra.refs_written, 0);
	assert_false(ra.logs_apart);
	assert_int_equal(ra.logs_written, rb.logs_written);
	/* Every log still there. */
	dump(a, RT_BLOCK_LOG, &after);
	assert_int_equal(after.len, before.len);
	assert_memory_equal(after.buf, before.buf, before.len);
	rt_buf_release(&before);
	rt_buf_release(&after);
	rt_stack_close(a);
	rt_stack_close(b);
	tmpdir_remove(dir_a);
	tmpdir_remove(dir_b);
}

/* A table of a few refs and many logs, names `lo` on, in one update. */
struct log_heavy {
	size_t lo, refs, logs;
	struct rng rng;
};

static int fill_log_heavy(struct rt_writer *w, uint64_t ui, void *arg,
			  struct rt_err *err)
{
	struct log_heavy *h = arg;
	struct rt_ref_record ref;
	struct rt_log_record log;
	char name[64], msg[128];
	int ret = 0;

	for (size_t i = 0; !ret && i < h->refs; i++) {
		snprintf(name, sizeof(name), "refs/heads/h%06zu", h->lo + i);
		set_ref(&ref, name, ui, RT_REF_VAL1, (uint8_t)ui);
		ret = rt_writer_add_ref(w, &ref, err);
		rt_ref_record_release(&ref);
	}
	for (size_t i = 0; !ret && i < h->logs; i++) {
		size_t n = 20 + rng_below(&h->rng, 100);

		for (size_t k = 0; k < n; k++)
			msg[k] = (char)('a' + rng_below(&h->rng, 26));
		msg[n] = 0;
		snprintf(name, sizeof(name), "refs/heads/h%06zu", h->lo + i);
		set_log(&log, name, ui, RT_LOG_UPDATE, msg);
		ret = rt_writer_add_log(w, &log, err);
		rt_log_record_release(&log);
	}
	return ret;
}

/* Two log-heavy tables, in `dir`. */
static struct rt_stack *log_heavy_stack(const char *dir)
{
	struct build b = { .hash = RT_HASH_SHA1,
			   .block_size = 4096,
			   .thread = true };
	struct log_heavy h = { .lo = 0,
			       .refs = 10,
			       .logs = 60000,
			       .rng = { 17 } };
	struct rt_err err = { 0 };
	struct rt_stack *st = open_in(dir, &b);

	if (rt_stack_add(st, fill_log_heavy, &h, &err))
		fail_msg("add: %s", err.msg);
	h.lo = 5;
	h.logs = 100;
	if (rt_stack_add(st, fill_log_heavy, &h, &err))
		fail_msg("add: %s", err.msg);
	return st;
}

/*
 * When the refs are written long before the logs are merged, the table
 * so far is synced meanwhile, and the log blocks already merged are
 * appended and synced too: the table is still the one merging the logs
 * inline writes.
 */
static void test_logs_synced_early(void **state)
{
	char dir_a[256], dir_b[256];
	struct rt_compact_result ra, rb;
	struct rt_stack *a, *b;
	(void)state;

	both_ways(log_heavy_stack, dir_a, dir_b, &a, &b, &ra, &rb, NULL);
	assert_true(ra.logs_apart);
	assert_true(ra.logs_synced_early > 0);
	assert_int_equal(rb.logs_synced_early, 0);
	rt_stack_close(a);
	rt_stack_close(b);
	tmpdir_remove(dir_a);
	tmpdir_remove(dir_b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_table),
		cmocka_unit_test(test_no_refs_left),
		cmocka_unit_test(test_logs_synced_early),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
