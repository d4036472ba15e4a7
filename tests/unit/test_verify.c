/*
 * lib/verify: a good stack verifies clean; each kind of damage is one
 * problem whose message names the file and the offset (or line); leftover
 * files are notes, never problems.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>
#include <zlib.h>

#include "lib/include/rt-verify.h"
#include "lib/table.h"
#include "testutil.h"

#define T1 "0x000000000001-0x000000000001-00000001.ref"
#define T2 "0x000000000002-0x000000000002-00000002.ref"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	return tmpdir_make(dir, sizeof(dir), "verify");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

static void put(const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void put_str(const char *name, const char *s)
{
	put(name, s, strlen(s));
}

/* The good stack: T1 (big) and T2, listed in that order. */
static void good_stack(void)
{
	struct rt_buf b = RT_BUF_INIT;

	write_sample_table(&b, RT_HASH_SHA1, 1, 1, 1);
	put(T1, b.buf, b.len);
	write_sample_table(&b, RT_HASH_SHA1, 2, 2, 2);
	put(T2, b.buf, b.len);
	put_str("tables.list", T1 "\n" T2 "\n");
	rt_buf_release(&b);
}

static void verify(struct rt_verify_result *r, enum rt_hash expected)
{
	struct rt_verify_options o = { .expected_hash = expected };
	struct rt_err err = { 0 };

	if (rt_verify_stack(dir, &o, r, &err))
		fail_msg("verify failed to run: %s", err.msg);
}

/* `n` problems, one of them containing each of the given strings. */
static void expect_problem(const struct rt_verify_result *r, size_t n, ...)
{
	bool found = false;

	for (size_t i = 0; i < r->nissues; i++) {
		const struct rt_verify_issue *is = &r->issues[i];
		bool all = is->kind == RT_VERIFY_PROBLEM;
		const char *want;
		va_list ap;

		if (!all)
			continue;
		print_message("# problem: %s\n", is->msg);
		va_start(ap, n);
		while ((want = va_arg(ap, const char *)))
			all &= strstr(is->msg, want) != NULL;
		va_end(ap);
		found |= all;
	}
	assert_int_equal(r->problems, n);
	assert_true(found);
}

static void test_good(void **state)
{
	struct rt_verify_result r;
	(void)state;

	good_stack();
	verify(&r, RT_HASH_SHA1);
	for (size_t i = 0; i < r.nissues; i++)
		print_message("# unexpected: %s\n", r.issues[i].msg);
	assert_int_equal(r.problems, 0);
	assert_int_equal(r.notes, 0);
	assert_int_equal(r.ntables, 2);
	assert_true(r.tables[0].opened && r.tables[1].opened);
	assert_int_equal(r.tables[0].refs, 200);
	assert_int_equal(r.tables[0].logs, 100);
	assert_true(r.tables[0].objs > 0);
	assert_true(r.tables[0].index_records > 0);
	assert_int_equal(r.tables[1].min_update_index, 2);
	rt_verify_result_release(&r);

	/* Any hash when none is expected; SHA-256 tables too. */
	{
		struct rt_buf b = RT_BUF_INIT;

		write_sample_table(&b, RT_HASH_SHA256, 1, 1, 1);
		put(T1, b.buf, b.len);
		write_sample_table(&b, RT_HASH_SHA256, 2, 2, 2);
		put(T2, b.buf, b.len);
		rt_buf_release(&b);
	}
	verify(&r, 0);
	assert_int_equal(r.problems, 0);
	assert_int_equal(r.tables[0].hash, RT_HASH_SHA256);
	rt_verify_result_release(&r);
}

static void test_empty_and_missing_dir(void **state)
{
	struct rt_verify_result r;
	char sub[300];
	(void)state;

	verify(&r, 0); /* no tables.list: an empty stack */
	assert_int_equal(r.problems + r.notes + r.ntables, 0);
	rt_verify_result_release(&r);

	snprintf(sub, sizeof(sub), "%s/nope", dir);
	{
		struct rt_err err = { 0 };

		assert_int_equal(rt_verify_stack(sub, NULL, &r, &err), 0);
	}
	expect_problem(&r, 1, sub, "stack directory missing", NULL);
	rt_verify_result_release(&r);
}

/* Replace T1 with `b` changed by `damage`, verify, expect one problem. */
static void damaged(struct rt_verify_result *r, struct rt_buf *b)
{
	put(T1, b->buf, b->len);
	verify(r, RT_HASH_SHA1);
	assert_int_equal(r->tables[0].problems, r->problems);
}

static void test_truncated(void **state)
{
	struct rt_verify_result r;
	struct rt_buf b = RT_BUF_INIT;
	(void)state;

	good_stack();
	write_sample_table(&b, RT_HASH_SHA1, 1, 1, 1);
	b.len -= 10;
	damaged(&r, &b);
	expect_problem(&r, 1, T1, ": offset ", NULL);
	assert_false(r.tables[0].opened);
	rt_verify_result_release(&r);
	rt_buf_release(&b);
}

static void test_footer_flip(void **state)
{
	struct rt_verify_result r;
	struct rt_buf b = RT_BUF_INIT;
	(void)state;

	good_stack();
	write_sample_table(&b, RT_HASH_SHA1, 1, 1, 1);
	b.buf[b.len - 30] ^= 0x10;
	damaged(&r, &b);
	expect_problem(&r, 1, T1, ": offset ", "footer", NULL);
	rt_verify_result_release(&r);
	rt_buf_release(&b);
}

static void test_missing_table(void **state)
{
	struct rt_verify_result r;
	char path[512];
	(void)state;

	good_stack();
	snprintf(path, sizeof(path), "%s/%s", dir, T2);
	unlink(path);
	verify(&r, RT_HASH_SHA1);
	expect_problem(&r, 1, path, "listed in tables.list but missing", NULL);
	assert_false(r.tables[1].opened);
	assert_int_equal(r.tables[1].problems, 1);
	rt_verify_result_release(&r);
}

static void test_bad_list(void **state)
{
	struct rt_verify_result r;
	(void)state;

	good_stack();
	put_str("tables.list", T1 "\n../../etc/passwd\n" T2 "\n");
	verify(&r, RT_HASH_SHA1);
	expect_problem(&r, 1,
		       "tables.list:2:", "(16 bytes) is not a table name",
		       NULL);
	/* Not copied: tables.list may be a hard link to another's file. */
	for (size_t i = 0; i < r.nissues; i++)
		assert_null(strstr(r.issues[i].msg, "passwd"));
	assert_int_equal(r.ntables, 2); /* the good names are still checked */
	rt_verify_result_release(&r);

	put_str("tables.list", T1 "\n" T2 "\n" T1 "\n");
	verify(&r, RT_HASH_SHA1);
	expect_problem(&r, 1, "tables.list:3:", "listed twice", NULL);
	rt_verify_result_release(&r);

	/* Both tables fine, but listed in the wrong order. */
	put_str("tables.list", T2 "\n" T1 "\n");
	verify(&r, RT_HASH_SHA1);
	expect_problem(&r, 1, T1, "do not follow", NULL);
	rt_verify_result_release(&r);
}

/* Header and footer say update indexes min..max; the CRC is fixed up. */
static void set_range(struct rt_buf *b, uint64_t min, uint64_t max)
{
	uint8_t *h = (uint8_t *)b->buf, *f = h + b->len - 68;

	rt_put_be64(h + 8, min);
	rt_put_be64(h + 16, max);
	rt_put_be64(f + 8, min);
	rt_put_be64(f + 16, max);
	rt_put_be32(f + 64, (uint32_t)crc32(0, f, 64));
}

static void test_ranges(void **state)
{
	struct rt_verify_result r;
	struct rt_buf b = RT_BUF_INIT;
	(void)state;

	/* The name says 1-1, the header 1-2; then T2 (2-2) overlaps it. */
	good_stack();
	write_sample_table(&b, RT_HASH_SHA1, 1, 1, 1);
	set_range(&b, 1, 2);
	put(T1, b.buf, b.len);
	verify(&r, RT_HASH_SHA1);
	expect_problem(&r, 2, T1 ": offset 8:", "differs from the range 1-1",
		       NULL);
	expect_problem(&r, 2, T2 ": update indexes 2-2 do not follow 1-2",
		       NULL);
	rt_verify_result_release(&r);

	/* Refs at update index 5 in a table whose header says 1-1. */
	write_sample_table(&b, RT_HASH_SHA1, 1, 5, 5);
	set_range(&b, 1, 1);
	damaged(&r, &b);
	expect_problem(&r, 1, T1, ": offset ", "update index 5, outside",
		       "(200 records in this table)", NULL);
	rt_verify_result_release(&r);
	rt_buf_release(&b);
}

static void test_block_damage(void **state)
{
	struct rt_verify_result r;
	struct rt_buf b = RT_BUF_INIT;
	char tmp[256];
	(void)state;

	good_stack();
	write_sample_table(&b, RT_HASH_SHA1, 1, 1, 1);
	/* Aligned ref blocks at 256, 512 and 768: swap two of them. */
	assert_int_equal(b.buf[256], 'r');
	assert_int_equal(b.buf[512], 'r');
	assert_int_equal(b.buf[768], 'r');
	memcpy(tmp, b.buf + 256, 256);
	memcpy(b.buf + 256, b.buf + 512, 256);
	memcpy(b.buf + 512, tmp, 256);
	damaged(&r, &b);
	expect_problem(&r, 1, T1, ": offset 512:", "not above the last key",
		       NULL);
	rt_verify_result_release(&r);

	/* A block type byte changed: the section seems to end early. */
	write_sample_table(&b, RT_HASH_SHA1, 1, 1, 1);
	b.buf[512] = 'x';
	damaged(&r, &b);
	expect_problem(&r, 2, T1 ": offset 512:", "no ref or index block",
		       NULL);
	expect_problem(&r, 2, T1 ": offset ", "points to offset 512", NULL);
	rt_verify_result_release(&r);

	/* A restart count of zero inside a block. */
	write_sample_table(&b, RT_HASH_SHA1, 1, 1, 1);
	{
		uint32_t len = rt_get_be24((uint8_t *)b.buf + 513);

		rt_put_be16((uint8_t *)b.buf + 512 + len - 2, 0);
	}
	damaged(&r, &b);
	expect_problem(&r, 1, T1, ": offset ", "no restart points", NULL);
	rt_verify_result_release(&r);
	rt_buf_release(&b);
}

static void test_index_position(void **state)
{
	struct rt_verify_result r;
	struct rt_buf b = RT_BUF_INIT;
	uint8_t *f;
	(void)state;

	good_stack();
	write_sample_table(&b, RT_HASH_SHA1, 1, 1, 1);
	/* The footer's ref index position (after the 24-byte header copy)
	 * moved to a ref block; the CRC is fixed up. */
	f = (uint8_t *)b.buf + b.len - 68;
	assert_true(rt_get_be64(f + 24) > 512);
	rt_put_be64(f + 24, 512);
	rt_put_be32(f + 64, (uint32_t)crc32(0, f, 64));
	damaged(&r, &b);
	expect_problem(&r, 1, T1 ": offset 512:", "ref index position", NULL);
	rt_verify_result_release(&r);
	rt_buf_release(&b);
}

static void test_log_damage(void **state)
{
	struct rt_verify_result r;
	struct rt_buf b = RT_BUF_INIT;
	struct rt_table *t;
	struct rt_err err = { 0 };
	uint64_t log_off;
	(void)state;

	good_stack();
	write_sample_table(&b, RT_HASH_SHA1, 1, 1, 1);
	assert_int_equal(
		rt_table_open_mem(&t, (uint8_t *)b.buf, b.len, T1, &err), 0);
	log_off = t->log.offset;
	rt_table_close(t);
	assert_int_equal(b.buf[log_off], 'g');
	/* Inside the deflated data of the first log block. */
	for (int i = 10; i < 30; i++)
		b.buf[log_off + i] ^= 0x5a;
	damaged(&r, &b);
	expect_problem(&r, 1, T1, ": offset ", "log block", NULL);
	rt_verify_result_release(&r);
	rt_buf_release(&b);
}

static void test_hash(void **state)
{
	struct rt_verify_result r;
	struct rt_buf b = RT_BUF_INIT;
	(void)state;

	good_stack();
	verify(&r, RT_HASH_SHA256);
	expect_problem(&r, 2, T1 ": offset 4:",
		       "hash is sha1, the repository's sha256", NULL);
	rt_verify_result_release(&r);

	/* No expected hash: the stack must agree with itself. */
	write_sample_table(&b, RT_HASH_SHA256, 2, 2, 2);
	put(T2, b.buf, b.len);
	verify(&r, 0);
	expect_problem(&r, 1, T2, "hash is sha256", T1 " sha1", NULL);
	rt_verify_result_release(&r);
	rt_buf_release(&b);
}

static void age(const char *name, time_t secs)
{
	char path[512];
	struct utimbuf t = { time(NULL) - secs, time(NULL) - secs };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(utime(path, &t), 0);
}

static void test_leftovers_are_notes(void **state)
{
	struct rt_verify_result r;
	static const char *const want[] = {
		"orphan table", "temp file",	   "stale lock",
		"live lock",	"unexpected file",
	};
	(void)state;

	good_stack();
	put_str("0x000000000003-0x000000000003-00000003.ref", "orphan");
	put_str("0x000000000003-0x000000000003-00000009.temp.a1B2c3", "x");
	put_str(T1 ".lock", "");
	age(T1 ".lock", 7200);
	put_str("tables.list.lock", "");
	put_str("README", "?");
	verify(&r, RT_HASH_SHA1);
	assert_int_equal(r.problems, 0);
	assert_int_equal(r.notes, 5);
	for (size_t k = 0; k < 5; k++) {
		bool found = false;

		for (size_t i = 0; i < r.nissues; i++)
			found |= strstr(r.issues[i].msg, want[k]) != NULL &&
				 strstr(r.issues[i].msg, dir) != NULL;
		if (!found)
			fail_msg("no note saying '%s'", want[k]);
	}
	rt_verify_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_missing_dir,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_footer_flip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_damage, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_index_position, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_log_damage, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers_are_notes, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
