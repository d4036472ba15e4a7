/*
 * Unit tests of the merged view: newest table wins, deletions hide older
 * entries (or are shown on request), seeks across tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/merged.h"
#include "testutil.h"

struct stackmem {
	struct rt_buf data[3];
	struct rt_table *t[3];
};

/*
 * Table 0 (oldest): a=1 b=1 c=1 d=1, logs a@1 b@1
 * Table 1:          b=2 (new value), c deleted, log a@2, log b@1 deleted
 * Table 2 (newest): c=3 (recreated), e=3, d deleted
 */
static void build(struct stackmem *s)
{
	struct rt_ref_record r0[4], r1[2], r2[3];
	struct rt_log_record l0[2], l1[2];
	struct rt_err err = { 0 };

	set_ref(&r0[0], "refs/heads/a", 1, RT_REF_VAL1, 0x10);
	set_ref(&r0[1], "refs/heads/b", 1, RT_REF_VAL1, 0x11);
	set_ref(&r0[2], "refs/heads/c", 1, RT_REF_VAL1, 0x12);
	set_ref(&r0[3], "refs/heads/d", 1, RT_REF_VAL2, 0x13);
	set_log(&l0[0], "refs/heads/a", 1, RT_LOG_UPDATE, "one\n");
	set_log(&l0[1], "refs/heads/b", 1, RT_LOG_UPDATE, "one\n");
	set_ref(&r1[0], "refs/heads/b", 2, RT_REF_VAL1, 0x21);
	set_ref(&r1[1], "refs/heads/c", 2, RT_REF_DELETION, 0);
	set_log(&l1[0], "refs/heads/a", 2, RT_LOG_UPDATE, "two\n");
	set_log(&l1[1], "refs/heads/b", 1, RT_LOG_DELETION, NULL);
	set_ref(&r2[0], "refs/heads/c", 3, RT_REF_SYMREF, 0);
	set_ref(&r2[1], "refs/heads/d", 3, RT_REF_DELETION, 0);
	set_ref(&r2[2], "refs/heads/e", 3, RT_REF_VAL1, 0x33);

	memset(s, 0, sizeof(*s));
	assert_int_equal(
		write_table(&s->data[0], NULL, 1, 1, r0, 4, l0, 2, &err), 0);
	assert_int_equal(
		write_table(&s->data[1], NULL, 2, 2, r1, 2, l1, 2, &err), 0);
	assert_int_equal(
		write_table(&s->data[2], NULL, 3, 3, r2, 3, NULL, 0, &err), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rt_table_open_mem(&s->t[i],
						   (uint8_t *)s->data[i].buf,
						   s->data[i].len, "t", &err),
				 0);
	for (int i = 0; i < 4; i++)
		rt_ref_record_release(&r0[i]);
	for (int i = 0; i < 2; i++) {
		rt_ref_record_release(&r1[i]);
		rt_log_record_release(&l0[i]);
		rt_log_record_release(&l1[i]);
	}
	for (int i = 0; i < 3; i++)
		rt_ref_record_release(&r2[i]);
}

static void release(struct stackmem *s)
{
	for (int i = 0; i < 3; i++) {
		rt_table_close(s->t[i]);
		rt_buf_release(&s->data[i]);
	}
}

/* "name:type:update_index" for each record, space-separated. */
static void collect(struct stackmem *s, uint8_t type, bool deletions,
		    const char *seek, char *out, size_t outlen)
{
	struct rt_merged_iter mi;
	struct rt_record rec;
	struct rt_err err = { 0 };
	size_t used = 0;

	out[0] = '\0';
	assert_int_equal(
		rt_merged_iter_init(&mi, s->t, 3, type, deletions, &err), 0);
	rt_record_init(&rec, type);
	assert_int_equal(rt_merged_iter_seek(&mi, seek, seek ? strlen(seek) : 0,
					     &err),
			 0);
	while (rt_merged_iter_next(&mi, &rec, &err) == 0) {
		const char *name = type == RT_BLOCK_REF ?
					   rec.u.ref.refname.buf :
					   rec.u.log.refname.buf;
		unsigned long long ui = type == RT_BLOCK_REF ?
						rec.u.ref.update_index :
						rec.u.log.update_index;
		int vt = type == RT_BLOCK_REF ? rec.u.ref.value_type :
						rec.u.log.value_type;

		used += snprintf(out + used, outlen - used, "%s%s:%d:%llu",
				 used ? " " : "", name + 11, vt, ui);
	}
	assert_int_equal(err.code, 0);
	rt_record_release(&rec);
	rt_merged_iter_release(&mi);
}

static void test_newest_wins_and_deletions_hide(void **state)
{
	struct stackmem s;
	char out[512];
	(void)state;

	build(&s);
	collect(&s, RT_BLOCK_REF, false, NULL, out, sizeof(out));
	assert_string_equal(out, "a:1:1 b:1:2 c:3:3 e:1:3");
	collect(&s, RT_BLOCK_REF, true, NULL, out, sizeof(out));
	assert_string_equal(out, "a:1:1 b:1:2 c:3:3 d:0:3 e:1:3");
	collect(&s, RT_BLOCK_REF, false, "refs/heads/c", out, sizeof(out));
	assert_string_equal(out, "c:3:3 e:1:3");
	collect(&s, RT_BLOCK_REF, false, "refs/heads/cc", out, sizeof(out));
	assert_string_equal(out, "e:1:3");
	release(&s);
}

static void test_log_deletion_hides_one_entry(void **state)
{
	struct stackmem s;
	char out[512];
	(void)state;

	build(&s);
	/* a has both entries, newest first; b@1 was deleted by table 1. */
	collect(&s, RT_BLOCK_LOG, false, NULL, out, sizeof(out));
	assert_string_equal(out, "a:1:2 a:1:1");
	collect(&s, RT_BLOCK_LOG, true, NULL, out, sizeof(out));
	assert_string_equal(out, "a:1:2 a:1:1 b:0:1");
	release(&s);
}

static void test_empty_stack(void **state)
{
	struct rt_merged_iter mi;
	struct rt_record rec;
	struct rt_err err = { 0 };
	(void)state;

	assert_int_equal(rt_merged_iter_init(&mi, NULL, 0, RT_BLOCK_REF, false,
					     &err),
			 0);
	rt_record_init(&rec, RT_BLOCK_REF);
	assert_int_equal(rt_merged_iter_seek(&mi, NULL, 0, &err), 0);
	assert_int_equal(rt_merged_iter_next(&mi, &rec, &err), 1);
	rt_merged_iter_release(&mi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newest_wins_and_deletions_hide),
		cmocka_unit_test(test_log_deletion_hides_one_entry),
		cmocka_unit_test(test_empty_stack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
