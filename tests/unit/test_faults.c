/*
 * Fault injection: this binary defines its own fsync(), which the library
 * then calls, to make directory fsyncs fail after tables.list has been
 * renamed into place. Whatever the error, tables.list must never name a
 * table that is gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/include/rt-compact.h"
#include "lib/stack.h"
#include "testutil.h"

static bool fail_dir_fsync;

int fsync(int fd)
{
	struct stat st;

	if (fail_dir_fsync && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EIO;
		return -1;
	}
	return fdatasync(fd);
}

static char dir[256];

static int setup(void **state)
{
	(void)state;
	fail_dir_fsync = false;
	return tmpdir_make(dir, sizeof(dir), "faults");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

static int fill(struct rt_writer *w, uint64_t ui, void *arg, struct rt_err *err)
{
	struct rt_ref_record ref;
	int ret;

	set_ref(&ref, arg, ui, RT_REF_VAL1, (uint8_t)ui);
	ret = rt_writer_add_ref(w, &ref, err);
	rt_ref_record_release(&ref);
	return ret;
}

/* Every table tables.list names exists; returns the count of .ref files. */
static int check_listed_exist(void)
{
	struct rt_err err = { 0 };
	char **names, path[512];
	int files = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/tables.list", dir);
	assert_int_equal(rt_stack_read_list(path, &names, &err), 0);
	for (size_t i = 0; names[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (access(path, F_OK))
			fail_msg("tables.list names %s, which is gone",
				 names[i]);
	}
	rt_stack_free_names(names);
	d = opendir(dir);
	for (struct dirent *e; (e = readdir(d));)
		files += strstr(e->d_name, ".ref") != NULL;
	closedir(d);
	return files;
}

static struct rt_stack *stack_with_three(void)
{
	struct rt_err err = { 0 };
	struct rt_stack *st;
	static const char *const refs[] = { "refs/heads/a", "refs/heads/b",
					    "refs/heads/c" };

	assert_int_equal(rt_stack_open(&st, dir, NULL, &err), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rt_stack_add(st, fill, (void *)refs[i], &err),
				 0);
	return st;
}

static void test_add_dir_fsync_fails(void **state)
{
	struct rt_stack *st = stack_with_three();
	struct rt_err err = { 0 };
	(void)state;

	fail_dir_fsync = true;
	assert_int_equal(rt_stack_add(st, fill, "refs/heads/x", &err),
			 RT_ERR_IO);
	fail_dir_fsync = false;
	assert_int_equal(check_listed_exist(), 4);
	rt_stack_close(st);
}

static void test_compact_dir_fsync_fails(void **state)
{
	struct rt_stack *st = stack_with_three(), *again;
	struct rt_err err = { 0 };
	(void)state;

	fail_dir_fsync = true;
	assert_int_equal(rt_stack_compact_all(st, NULL, NULL, &err), RT_ERR_IO);
	fail_dir_fsync = false;
	assert_non_null(strstr(err.msg, "old tables kept"));
	/* The new table is listed; the old ones are kept, unlisted. */
	assert_int_equal(check_listed_exist(), 4);
	rt_err_clear(&err);
	assert_int_equal(rt_stack_open(&again, dir, NULL, &err), 0);
	assert_int_equal(again->n, 1);
	rt_stack_close(again);
	rt_stack_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_dir_fsync_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_compact_dir_fsync_fails,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
