/*
 * Table layout: restart points where Git places them (every
 * restart_interval records and at every key sharing nothing with the one
 * before, 65535 per block at most), and the write options honoured by
 * every table the library writes (compaction and expiry alike).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/include/rt-compact.h"
#include "lib/include/rt-expire.h"
#include "lib/stack.h"
#include "lib/table.h"
#include "testutil.h"

/* One block of a table, as a reader finds it. */
struct blk_info {
	uint8_t type;
	uint32_t restarts;
	uint32_t records;
};

/* Every block of `t` in file order into `out` (at most `max`); the count. */
static size_t walk_blocks(const struct rt_table *t, struct blk_info *out,
			  size_t max)
{
	struct rt_block blk = { 0 };
	struct rt_block_iter bi = { 0 };
	struct rt_err err = { 0 };
	struct rt_record rec;
	size_t n = 0;

	for (uint64_t off = 0; off < t->footer_off; off += blk.file_len) {
		if (rt_block_load(&blk, t->data + off, t->footer_off - off, off,
				  off ? 0 : t->header_len, t->block_size,
				  t->hash_size, t->min_update_index, t->path,
				  &err))
			fail_msg("block at %llu: %s", (unsigned long long)off,
				 err.msg);
		assert_true(n < max);
		out[n] = (struct blk_info){ blk.type, blk.restart_count, 0 };
		rt_record_init(&rec, blk.type);
		rt_block_iter_start(&bi, &blk);
		while (!rt_block_iter_next(&bi, &rec, &err))
			out[n].records++;
		assert_int_equal(err.code, 0);
		rt_record_release(&rec);
		n++;
	}
	rt_block_iter_release(&bi);
	rt_block_release(&blk);
	return n;
}

static struct rt_table *open_buf(const struct rt_buf *b)
{
	struct rt_err err = { 0 };
	struct rt_table *t;

	if (rt_table_open_mem(&t, (const uint8_t *)b->buf, b->len, "t.ref",
			      &err))
		fail_msg("open: %s", err.msg);
	return t;
}

/* Write refs named by `names` (sorted) and logs for the first `nlogs`. */
static void write_named(struct rt_buf *out, const struct rt_write_options *o,
			const char *const *names, size_t n, size_t nlogs)
{
	struct rt_ref_record refs[64];
	struct rt_log_record logs[64];
	struct rt_err err = { 0 };

	assert_true(n <= 64 && nlogs <= n);
	for (size_t i = 0; i < n; i++)
		set_ref(&refs[i], names[i], 1, RT_REF_VAL1, (uint8_t)i);
	for (size_t i = 0; i < nlogs; i++)
		set_log(&logs[i], names[i], 1, RT_LOG_UPDATE, "commit");
	rt_buf_reset(out);
	if (write_table(out, o, 1, 1, refs, n, logs, nlogs, &err))
		fail_msg("write: %s", err.msg);
	for (size_t i = 0; i < n; i++)
		rt_ref_record_release(&refs[i]);
	for (size_t i = 0; i < nlogs; i++)
		rt_log_record_release(&logs[i]);
}

static void test_restarts_where_git_puts_them(void **state)
{
	/* Git's t0613 "default write options": 2 ref and 2 log restarts. */
	static const char *const git[] = { "HEAD", "refs/heads/master",
					   "refs/tags/initial" };
	const char *names[42];
	char buf[42][32];
	struct rt_write_options o = { 0 };
	struct rt_buf b = RT_BUF_INIT;
	struct blk_info bl[8];
	struct rt_table *t;
	(void)state;

	write_named(&b, &o, git, 3, 2);
	t = open_buf(&b);
	assert_int_equal(walk_blocks(t, bl, 8), 2);
	assert_int_equal(bl[0].type, RT_BLOCK_REF);
	assert_int_equal(bl[0].restarts, 2);
	assert_int_equal(bl[1].type, RT_BLOCK_LOG);
	assert_int_equal(bl[1].restarts, 2);
	rt_table_close(t);

	/*
	 * "a", 40 branches, "z": restarts at record 0, 1 (nothing shared
	 * with "a"), 16 and 32 (the interval), 41 (nothing shared).
	 */
	names[0] = "a";
	for (int i = 0; i < 40; i++) {
		snprintf(buf[i], sizeof(buf[i]), "refs/heads/b%02d", i);
		names[i + 1] = buf[i];
	}
	names[41] = "z";
	write_named(&b, &o, names, 42, 0);
	t = open_buf(&b);
	assert_int_equal(walk_blocks(t, bl, 8), 1);
	assert_int_equal(bl[0].records, 42);
	assert_int_equal(bl[0].restarts, 5);
	rt_table_close(t);

	/* Interval 1: every record. */
	o.restart_interval = 1;
	write_named(&b, &o, names, 42, 0);
	t = open_buf(&b);
	assert_int_equal(walk_blocks(t, bl, 8), 1);
	assert_int_equal(bl[0].restarts, 42);
	rt_table_close(t);
	rt_buf_release(&b);
}

/*
 * A block holds 65535 restarts at most; Git then goes on filling the
 * block without restarts rather than ending it.
 */
static void test_restart_table_full(void **state)
{
	struct rt_write_options o = { .block_size = RT_MAX_BLOCK_SIZE,
				      .restart_interval = 1,
				      .skip_index_objects = true };
	struct rt_buf b = RT_BUF_INIT;
	struct rt_err err = { 0 };
	struct rt_ref_record ref;
	struct blk_info bl[4];
	struct rt_writer *w;
	struct rt_table *t;
	char name[32];
	(void)state;

	assert_int_equal(rt_writer_new(&w, mem_write, &b, &o, &err), 0);
	assert_int_equal(rt_writer_set_limits(w, 1, 1), 0);
	for (int i = 0; i < 70000; i++) {
		snprintf(name, sizeof(name), "refs/heads/%06d", i);
		set_ref(&ref, name, 1, RT_REF_VAL1, (uint8_t)i);
		assert_int_equal(rt_writer_add_ref(w, &ref, &err), 0);
		rt_ref_record_release(&ref);
	}
	assert_int_equal(rt_writer_close(w, &err), 0);
	rt_writer_free(w);
	t = open_buf(&b);
	assert_int_equal(walk_blocks(t, bl, 4), 1);
	assert_int_equal(bl[0].records, 70000);
	assert_int_equal(bl[0].restarts, 65535);
	rt_table_close(t);
	rt_buf_release(&b);
}

static char dir[256];

static int setup(void **state)
{
	(void)state;
	return tmpdir_make(dir, sizeof(dir), "layout");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

/* Ten refs and their log entries at the update index. */
static int fill_ten(struct rt_writer *w, uint64_t ui, void *arg,
		    struct rt_err *err)
{
	struct rt_ref_record ref;
	struct rt_log_record log;
	char name[64];
	int ret = 0;

	(void)arg;
	for (int i = 0; !ret && i < 10; i++) {
		snprintf(name, sizeof(name), "refs/heads/topic-%03d",
			 (int)ui * 10 + i);
		set_ref(&ref, name, ui, RT_REF_VAL1, (uint8_t)ui);
		ret = rt_writer_add_ref(w, &ref, err);
		rt_ref_record_release(&ref);
	}
	for (int i = 0; !ret && i < 10; i++) {
		snprintf(name, sizeof(name), "refs/heads/topic-%03d",
			 (int)ui * 10 + i);
		set_log(&log, name, ui, RT_LOG_UPDATE, "push");
		ret = rt_writer_add_log(w, &log, err);
		rt_log_record_release(&log);
	}
	return ret;
}

static int drop_odd(void *arg, const struct rt_log_record *log, bool last,
		    struct rt_err *err)
{
	(void)arg;
	(void)last;
	(void)err;
	return log->refname.buf[log->refname.len - 1] % 2 ? RT_LOG_DROP :
							    RT_LOG_KEEP;
}

/* The newest table of `st` follows the options the stack was opened with. */
static void expect_options_followed(struct rt_stack *st)
{
	const struct rt_table *t = st->tables[st->n - 1];
	struct blk_info bl[256];
	size_t n = walk_blocks(t, bl, 256);

	assert_int_equal(t->block_size, 256);
	assert_false(t->obj.present);
	/* Several blocks, so that an index and obj blocks were due. */
	assert_true(n > 4);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(bl[i].restarts, bl[i].records);
}

/* Block size, restart interval and indexObjects reach every table. */
static void test_write_options_everywhere(void **state)
{
	struct rt_stack_options o;
	struct rt_expire_result er;
	struct rt_err err = { 0 };
	struct rt_stack *st;
	(void)state;

	rt_stack_options_init(&o);
	o.write.block_size = 256;
	o.write.restart_interval = 1;
	o.write.skip_index_objects = true;
	assert_int_equal(rt_stack_open(&st, dir, &o, &err), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(rt_stack_add(st, fill_ten, NULL, &err), 0);
	assert_int_equal(rt_stack_compact_all(st, NULL, NULL, &err), 0);
	assert_int_equal(st->n, 1);
	expect_options_followed(st);
	assert_int_equal(
		rt_stack_expire_logs(st, drop_odd, NULL, false, &er, &err), 0);
	assert_int_equal(st->n, 2);
	assert_int_equal(er.dropped, 40);
	expect_options_followed(st);
	rt_stack_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restarts_where_git_puts_them),
		cmocka_unit_test(test_restart_table_full),
		cmocka_unit_test_setup_teardown(test_write_options_everywhere,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
