/*
 * Unit tests of block reuse in compaction (lib/reuse.c): over random
 * stacks, the merged view after a compaction that copies unchanged blocks
 * equals, record for record, the view after one that encodes every record
 * again; and blocks are copied where they should be.
 *
 * Both compactions run on stacks built twice from the same seed, so they
 * start from identical records (table file names differ, contents not).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <inttypes.h>

#include "lib/include/rt-verify.h"
#include "lib/leafwalk.h"
#include "reuse_fixture.h"

/* A pure filter, so both compactions get the same verdicts. */
static int hash_filter(void *arg, const struct rt_log_record *log, bool last,
		       struct rt_err *err)
{
	uint64_t h = log->update_index * 0x9e3779b97f4a7c15ull;

	(void)arg;
	(void)err;
	for (size_t i = 0; i < log->refname.len; i++)
		h = (h ^ (uint8_t)log->refname.buf[i]) * 0x100000001b3ull;
	if (h % 7)
		return RT_LOG_KEEP;
	return last && h % 2 ? RT_LOG_PLACEHOLDER : RT_LOG_DROP;
}

struct find {
	const struct rt_buf *name;
	bool found;
};

static int find_ref(void *arg, const struct rt_ref_record *ref)
{
	struct find *f = arg;

	f->found = !rt_buf_cmp(&ref->refname, f->name);
	return f->found;
}

/*
 * Every id a ref of the stack names leads back to that ref through its
 * table's obj index, which lists each id with the ref blocks naming it:
 * copied blocks, patched ones and runs must all be listed.
 */
static void check_obj_index(struct rt_stack *st, uint64_t seed)
{
	struct rt_err err = { 0 };
	struct rt_record rec;

	rt_record_init(&rec, RT_BLOCK_REF);
	for (size_t i = 0; i < st->n; i++) {
		struct rt_table_iter it;

		rt_table_iter_init(&it, st->tables[i], RT_BLOCK_REF);
		assert_int_equal(rt_table_iter_seek(&it, NULL, 0, &err), 0);
		while (!rt_table_iter_next(&it, &rec, &err)) {
			const struct rt_ref_record *r = &rec.u.ref;
			struct find f = { .name = &r->refname };

			int ids = r->value_type == RT_REF_VAL2 ?
					  2 :
					  r->value_type == RT_REF_VAL1;

			for (int k = 0; k < ids; k++) {
				f.found = false;
				assert_true(rt_table_refs_for(
						    st->tables[i],
						    k ? r->peeled : r->value,
						    find_ref, &f, &err) >= 0);
				if (!f.found)
					fail_msg("seed %" PRIu64 ": %s not "
						 "found by its id",
						 seed, r->refname.buf);
			}
		}
		rt_table_iter_release(&it);
	}
	rt_record_release(&rec);
}

struct scenario {
	size_t small;
	bool clustered, filter, whole, beyond, updates;
};

/* Compact one copy with reuse and one without; the views must agree. */
static uint64_t run_scenario(uint64_t seed, const struct scenario *sc,
			     uint64_t *unread, uint64_t *patched, uint64_t *raw)
{
	char dir_a[256], dir_b[256];
	struct rt_compact_options with = { .filter = sc->filter ? hash_filter :
								  NULL };
	struct rt_compact_options without = with;
	struct rt_compact_result ra, rb;
	struct rt_buf va = RT_BUF_INIT, vb = RT_BUF_INIT;
	struct rt_verify_result vr = { 0 };
	struct rt_verify_options vo = { 0 };
	struct rt_err err = { 0 };
	struct rt_stack *a, *b;
	size_t first;

	without.no_reuse = true;
	assert_int_equal(tmpdir_make(dir_a, sizeof(dir_a), "reuse-a"), 0);
	assert_int_equal(tmpdir_make(dir_b, sizeof(dir_b), "reuse-b"), 0);
	a = build_stack(dir_a, seed, sc->small, sc->clustered, sc->beyond,
			sc->updates);
	b = build_stack(dir_b, seed, sc->small, sc->clustered, sc->beyond,
			sc->updates);
	/* A middle segment keeps deletions; the whole stack drops them. */
	first = sc->whole ? 0 : 1;
	if (rt_stack_compact_range(a, first, a->n - 1, &with, &ra, &err))
		fail_msg("seed %" PRIu64 ": %s", seed, err.msg);
	if (rt_stack_compact_range(b, first, b->n - 1, &without, &rb, &err))
		fail_msg("seed %" PRIu64 ": %s", seed, err.msg);
	assert_int_equal(rb.blocks_reused, 0);
	assert_int_equal(rb.blocks_patched, 0);
	assert_int_equal(rb.logs_raw, 0);
	assert_true(ra.logs_raw <= ra.logs_written);
	assert_true(ra.refs_written == rb.refs_written &&
		    ra.logs_dropped == rb.logs_dropped &&
		    ra.placeholders == rb.placeholders);
	/* Records of blocks copied unread are not counted. */
	assert_true(ra.blocks_unread <= ra.blocks_reused);
	if (ra.blocks_unread)
		assert_true(ra.logs_written < rb.logs_written);
	else
		assert_true(ra.logs_written == rb.logs_written);
	/* A filter sees every record: none is passed over unread. */
	if (sc->filter)
		assert_int_equal(ra.blocks_unread, 0);
	check_obj_index(a, seed);
	*unread = ra.blocks_unread;
	*patched = ra.blocks_patched;
	*raw = ra.logs_raw;
	dump(a, RT_BLOCK_REF, &va);
	dump(a, RT_BLOCK_LOG, &va);
	dump(b, RT_BLOCK_REF, &vb);
	dump(b, RT_BLOCK_LOG, &vb);
	if (strcmp(va.buf, vb.buf))
		fail_msg("seed %" PRIu64 ": views differ", seed);
	assert_int_equal(rt_verify_stack(dir_a, &vo, &vr, &err), 0);
	if (vr.problems)
		fail_msg("seed %" PRIu64 ": verify: %s", seed,
			 vr.nissues ? vr.issues[0].msg : "?");
	rt_verify_result_release(&vr);
	rt_buf_release(&va);
	rt_buf_release(&vb);
	rt_stack_close(a);
	rt_stack_close(b);
	tmpdir_remove(dir_a);
	tmpdir_remove(dir_b);
	return ra.blocks_reused;
}

static void test_random_stacks(void **state)
{
	struct rng r = rng_seeded();
	uint64_t clustered_reused = 0, unread, unread_total = 0;
	uint64_t patched, patched_total = 0, raw, raw_total = 0;
	(void)state;

	for (int i = 0; i < 16; i++) {
		struct scenario sc = {
			.small = 1 + rng_below(&r, 4),
			.clustered = i % 2,
			.filter = (i / 2) % 2,
			.whole = (i / 4) % 2,
			.beyond = (i / 8) % 2,
			.updates = i % 3 == 0,
		};
		uint64_t n = run_scenario(rng_next(&r), &sc, &unread, &patched,
					  &raw);

		if (sc.clustered && !sc.filter)
			clustered_reused += n;
		unread_total += unread;
		patched_total += patched;
		raw_total += raw;
	}
	/* Changes in a narrow range leave most blocks to copy. */
	assert_true(clustered_reused > 0);
	/* Some of them without reading them. */
	assert_true(unread_total > 0);
	/* Ref blocks whose refs were updated, with the new values in. */
	assert_true(patched_total > 0);
	/* Log records in blocks other tables' keys fall into, copied. */
	assert_true(raw_total > 0);
}

/*
 * Distinct blocks of `type` in table `t`, found by walking it; with
 * `copyable`, only those the reuse rule allows to copy: not the file's
 * first, at least half the block size.
 */
static uint64_t count_blocks(const struct rt_table *t, uint8_t type,
			     bool copyable)
{
	struct rt_table_iter it;
	struct rt_record rec;
	struct rt_rec_origin o;
	struct rt_err err = { 0 };
	uint64_t n = 0, last = UINT64_MAX;

	rt_table_iter_init(&it, t, type);
	rt_record_init(&rec, type);
	assert_int_equal(rt_table_iter_seek(&it, NULL, 0, &err), 0);
	while (!rt_table_iter_next(&it, &rec, &err)) {
		rt_table_iter_origin(&it, &o);
		if (o.block_off != last &&
		    (!copyable ||
		     (o.block_off && o.content_len * 2 >= t->block_size)))
			n++;
		last = o.block_off;
	}
	rt_record_release(&rec);
	rt_table_iter_release(&it);
	return n;
}

/*
 * One ref added after every name of a big table: every block of the big
 * table is copied but its first (which carries the file header) and any
 * less than half full (its sections' last blocks, at most).
 */
static void test_append_copies_the_rest(void **state)
{
	struct build b = { .rng = { 7 },
			   .hash = RT_HASH_SHA1,
			   .block_size = 512 };
	struct rt_compact_options none = { .no_reuse = true };
	struct rt_compact_result res;
	struct rt_err err = { 0 };
	struct rt_stack *st;
	char dir[256];
	uint64_t refs, logs, copyable;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "reuse"), 0);
	b.refs = calloc(POOL, sizeof(*b.refs));
	b.logs = calloc(POOL, sizeof(*b.logs));
	st = open_in(dir, &b);
	plan_round(&b, 0, POOL - 1, 1, false);
	add_round(st, &b);
	plan_round(&b, 0, POOL - 1, 2, false);
	add_round(st, &b);
	assert_int_equal(rt_stack_compact_all(st, &none, NULL, &err), 0);
	refs = count_blocks(st->tables[0], RT_BLOCK_REF, false);
	logs = count_blocks(st->tables[0], RT_BLOCK_LOG, false);
	copyable = count_blocks(st->tables[0], RT_BLOCK_REF, true) +
		   count_blocks(st->tables[0], RT_BLOCK_LOG, true);
	assert_true(refs > 10 && logs > 10);
	assert_true(copyable >= refs + logs - 3);
	plan_round(&b, POOL - 1, POOL, 1, false);
	add_round(st, &b);
	assert_int_equal(rt_stack_compact_all(st, NULL, &res, &err), 0);
	assert_int_equal(res.blocks_reused, copyable);
	/* Nothing was copied twice or lost. */
	assert_true(count_blocks(st->tables[0], RT_BLOCK_REF, false) <=
		    refs + 1);
	assert_true(count_blocks(st->tables[0], RT_BLOCK_LOG, false) <=
		    logs + 1);
	clear_round(&b);
	free(b.refs);
	free(b.logs);
	rt_stack_close(st);
	tmpdir_remove(dir);
}

/*
 * A few logs spread over a big table's: the log blocks they fall into
 * are written again, but their own records go in as they are, copied
 * from the block, not decoded and encoded (only the new ones are).
 */
static void test_sparse_logs_copied_raw(void **state)
{
	struct build b = { .rng = { 11 },
			   .hash = RT_HASH_SHA1,
			   .block_size = 1024 };
	struct rt_compact_options none = { .no_reuse = true };
	struct rt_compact_result res;
	struct rt_err err = { 0 };
	struct rt_stack *st;
	char dir[256];
	size_t added;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "reuse"), 0);
	b.refs = calloc(POOL, sizeof(*b.refs));
	b.logs = calloc(POOL, sizeof(*b.logs));
	st = open_in(dir, &b);
	for (unsigned round = 0; round < 3; round++) {
		plan_round(&b, 0, POOL, 1, false);
		add_round(st, &b);
	}
	assert_int_equal(rt_stack_compact_all(st, &none, NULL, &err), 0);
	plan_round(&b, 0, POOL, 100, false);
	added = b.nlogs;
	assert_true(added > 5);
	add_round(st, &b);
	if (rt_stack_compact_all(st, NULL, &res, &err))
		fail_msg("compact: %s", err.msg);
	/*
	 * Besides the new ones, at most the last record of each block they
	 * fall into (a run needs a record after the first) goes the decoded
	 * way.
	 */
	assert_true(res.logs_raw > 0);
	assert_true(res.logs_raw + 2 * added >= res.logs_written);
	clear_round(&b);
	free(b.refs);
	free(b.logs);
	rt_stack_close(st);
	tmpdir_remove(dir);
}

/* An oldest table never compacted, deletions in it, then one past it. */
static struct rt_stack *raw_stack(const char *dir, struct build *b)
{
	struct rt_stack *st = open_in(dir, b);

	plan_round(b, 0, POOL, 1, true);
	add_round(st, b);
	plan_round(b, POOL, POOL + 20, 1, false);
	add_round(st, b);
	return st;
}

/*
 * Two copies of the stack `make` builds from `proto`, compacted from
 * table `first` to the top with copying (*ra) and without (*rb): the
 * refs must come out the same.
 */
static void compact_both(struct rt_stack *(*make)(const char *, struct build *),
			 const struct build *proto, size_t first,
			 struct rt_compact_result *ra,
			 struct rt_compact_result *rb)
{
	struct build ba = *proto, bb = *proto;
	struct rt_compact_options none = { .no_reuse = true };
	struct rt_buf va = RT_BUF_INIT, vb = RT_BUF_INIT;
	struct rt_err err = { 0 };
	struct rt_stack *a, *b;
	char dir_a[256], dir_b[256];

	assert_int_equal(tmpdir_make(dir_a, sizeof(dir_a), "reuse-a"), 0);
	assert_int_equal(tmpdir_make(dir_b, sizeof(dir_b), "reuse-b"), 0);
	ba.refs = calloc(POOL, sizeof(*ba.refs));
	ba.logs = calloc(POOL, sizeof(*ba.logs));
	bb.refs = calloc(POOL, sizeof(*bb.refs));
	bb.logs = calloc(POOL, sizeof(*bb.logs));
	a = make(dir_a, &ba);
	b = make(dir_b, &bb);
	if (rt_stack_compact_range(a, first, a->n - 1, NULL, ra, &err))
		fail_msg("compact: %s", err.msg);
	if (rt_stack_compact_range(b, first, b->n - 1, &none, rb, &err))
		fail_msg("compact without copies: %s", err.msg);
	dump(a, RT_BLOCK_REF, &va);
	dump(b, RT_BLOCK_REF, &vb);
	if (strcmp(va.buf, vb.buf))
		fail_msg("refs differ");
	rt_buf_release(&va);
	rt_buf_release(&vb);
	clear_round(&ba);
	clear_round(&bb);
	free(ba.refs);
	free(ba.logs);
	free(bb.refs);
	free(bb.logs);
	rt_stack_close(a);
	rt_stack_close(b);
	tmpdir_remove(dir_a);
	tmpdir_remove(dir_b);
}

/*
 * Ref blocks of the oldest table that no other table's key falls into
 * are handed over whole, then read for their ids; one that holds a
 * deletion record (the oldest table was never compacted) is written
 * record by record instead, without it, as when nothing is copied.
 */
static void test_whole_ref_blocks_drop_deletions(void **state)
{
	struct build b = { .rng = { 5 },
			   .hash = RT_HASH_SHA256,
			   .block_size = 1024 };
	struct rt_compact_result ra, rb;
	(void)state;

	/* Compacted without copying, the deletions are gone: here too. */
	compact_both(raw_stack, &b, 0, &ra, &rb);
	/* Blocks were copied, and the records counted all the same. */
	assert_true(ra.blocks_reused > ra.blocks_unread);
	assert_true(ra.refs_written == rb.refs_written);
}

/* A base, a table with ref deletions over it, then updates of names. */
static struct rt_stack *deleted_then_set(const char *dir, struct build *b)
{
	struct rt_stack *st = open_in(dir, b);

	plan_round(b, 0, POOL, 1, false);
	add_round(st, b);
	plan_round(b, 0, POOL, 1, true);
	add_round(st, b);
	b->updates = true;
	plan_round(b, 0, POOL, 3, false);
	add_round(st, b);
	return st;
}

/*
 * Refs set again after being deleted, compacted with the table that
 * deleted them but not the oldest: the deletion records are kept, and
 * where a newer table sets the ref, its record is written over the
 * deletion's in the copied block when it takes the same bytes. A
 * deletion record is shorter than the prefix its key shares with the
 * key before it, which once made the compaction fail ("block changed
 * while compacting").
 */
static void test_patch_over_deletions(void **state)
{
	struct build b = { .rng = { 9 },
			   .hash = RT_HASH_SHA1,
			   .block_size = 1024 };
	struct rt_compact_result ra, rb;
	(void)state;

	compact_both(deleted_then_set, &b, 1, &ra, &rb);
	assert_true(ra.blocks_patched > 0);
	assert_true(ra.refs_written == rb.refs_written);
}

/*
 * Patch, in the table file at `path`, the third record of its first leaf
 * log index block to say its block starts one byte later: the index then
 * says the second log block ends one byte into the third.
 */
static void corrupt_log_index(const char *path)
{
	struct rt_err err = { 0 };
	struct rt_leaf_walk lw;
	struct rt_record rec;
	struct rt_table *t;
	FILE *f = fopen(path, "r+b");
	uint8_t *buf;
	long size;
	uint64_t pos;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	rewind(f);
	assert_non_null(buf = malloc(size));
	assert_int_equal(fread(buf, 1, size, f), size);
	assert_int_equal(rt_table_open_mem(&t, buf, size, path, &err), 0);
	assert_int_equal(rt_leaf_walk_start(&lw, t, RT_BLOCK_LOG, &err), 0);
	rt_record_init(&rec, RT_BLOCK_INDEX);
	for (int i = 0; i < 2; i++)
		assert_int_equal(rt_block_iter_next(&lw.bi, &rec, &err), 0);
	/* A varint's last byte: +1 adds one to the offset. */
	pos = lw.blk.file_off + lw.bi.val_off + lw.bi.val_len - 1;
	assert_true(buf[pos] < 0x7f);
	assert_int_equal(fseek(f, (long)pos, SEEK_SET), 0);
	assert_int_equal(fputc(buf[pos] + 1, f), buf[pos] + 1);
	assert_int_equal(fclose(f), 0);
	rt_record_release(&rec);
	rt_leaf_walk_release(&lw);
	rt_table_close(t);
	free(buf);
}

/*
 * An index that contradicts the blocks' layout is not followed: had the
 * second log block been copied unread up to where the index says it
 * ends, the pass would have gone on from a byte that starts no block and
 * taken it for the end of the logs, losing the rest of them.
 */
static void test_bad_index_not_followed(void **state)
{
	struct build b = { .rng = { 11 },
			   .hash = RT_HASH_SHA1,
			   .block_size = 512 };
	struct rt_compact_options none = { .no_reuse = true };
	struct rt_buf before = RT_BUF_INIT, after = RT_BUF_INIT;
	struct rt_compact_result res;
	struct rt_err err = { 0 };
	struct rt_stack *st;
	char dir[256], path[512];
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "reuse"), 0);
	b.refs = calloc(POOL, sizeof(*b.refs));
	b.logs = calloc(POOL, sizeof(*b.logs));
	st = open_in(dir, &b);
	plan_round(&b, 0, POOL, 1, false);
	add_round(st, &b);
	assert_int_equal(rt_stack_compact_all(st, &none, NULL, &err), 0);
	plan_round(&b, POOL, POOL + 20, 1, false);
	add_round(st, &b);
	snprintf(path, sizeof(path), "%s", st->tables[0]->path);
	rt_stack_close(st);
	corrupt_log_index(path);
	st = open_in(dir, &b);
	dump(st, RT_BLOCK_LOG, &before);
	if (rt_stack_compact_all(st, NULL, &res, &err))
		fail_msg("compact: %s", err.msg);
	dump(st, RT_BLOCK_LOG, &after);
	assert_true(res.blocks_unread > 0);
	if (strcmp(before.buf, after.buf))
		fail_msg("logs lost: %zu bytes of dump before, %zu after",
			 before.len, after.len);
	rt_buf_release(&before);
	rt_buf_release(&after);
	clear_round(&b);
	free(b.refs);
	free(b.logs);
	rt_stack_close(st);
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_stacks),
		cmocka_unit_test(test_append_copies_the_rest),
		cmocka_unit_test(test_sparse_logs_copied_raw),
		cmocka_unit_test(test_bad_index_not_followed),
		cmocka_unit_test(test_whole_ref_blocks_drop_deletions),
		cmocka_unit_test(test_patch_over_deletions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
