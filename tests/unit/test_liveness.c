/*
 * test_liveness.c: a lock or temp file a live process holds open is
 * never stale (rt-liveness.h), in clean and in the tables.list.lock
 * judgement; ages below the minimum are refused.
 *
 * The live process is this one: the files are held open through
 * descriptors of the test, and aged with futimens().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lib/include/rt-clean.h"
#include "lib/include/rt-liveness.h"
#include "lib/include/rt-stack.h"
#include "testutil.h"

static char dir[256];

static int setup(void **state)
{
	char path[512];

	(void)state;
	if (tmpdir_make(dir, sizeof(dir), "liveness"))
		return -1;
	snprintf(path, sizeof(path), "%s/tables.list", dir);
	return file_write_text(path, "");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

/* Create `name`, `age` seconds old; its descriptor (held) or -1. */
static int make(const char *name, time_t age, bool hold)
{
	struct timespec ts[2] = { { time(NULL) - age, 0 },
				  { time(NULL) - age, 0 } };
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(futimens(fd, ts), 0);
	if (hold)
		return fd;
	close(fd);
	return -1;
}

static bool exists(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static struct rt_stack *open_stack(void)
{
	struct rt_stack_options o;
	struct rt_err err = { 0 };
	struct rt_stack *st;

	rt_stack_options_init(&o);
	o.lock_timeout_ms = 0;
	if (rt_stack_open(&st, dir, &o, &err))
		fail_msg("open: %s", err.msg);
	return st;
}

static void test_check(void **state)
{
	struct rt_open_file f[2];
	char a[512], b[512];
	struct stat st;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int fd = make("held", 0, true);
	(void)state;

	make("closed", 0, false);
	snprintf(a, sizeof(a), "%s/held", dir);
	snprintf(b, sizeof(b), "%s/held-renamed", dir);
	assert_int_equal(stat(a, &st), 0);
	f[0] = (struct rt_open_file){ .dev = st.st_dev,
				      .ino = st.st_ino,
				      .uid = st.st_uid };
	/* Renamed while held: still found, by device and inode. */
	assert_int_equal(rename(a, b), 0);
	snprintf(a, sizeof(a), "%s/closed", dir);
	assert_int_equal(stat(a, &st), 0);
	f[1] = (struct rt_open_file){ .dev = st.st_dev,
				      .ino = st.st_ino,
				      .uid = st.st_uid };
	rt_liveness_check(dfd, f, 2, NULL, 0);
	assert_int_equal(f[0].liveness, RT_HELD);
	assert_int_equal(f[0].pid, (long)getpid());
	assert_int_equal(f[1].liveness, RT_UNHELD);
	close(fd);
	rt_liveness_check(dfd, f, 1, NULL, 0);
	assert_int_equal(f[0].liveness, RT_UNHELD);
	close(dfd);
}

struct seen {
	char removed[1024];
	char kept[2048];
	long pid;
};

static void record(void *arg, const struct rt_clean_item *it)
{
	struct seen *s = arg;
	char *dst = it->removed ? s->removed : s->kept;

	strcat(dst, it->name);
	strcat(dst, it->removed ? " " : ": ");
	if (!it->removed) {
		strcat(dst, it->why_kept);
		strcat(dst, "; ");
	}
	if (it->live && it->holder_pid)
		s->pid = it->holder_pid;
}

/* An hour's ages, and locks removed when stale. */
static const struct rt_clean_options hour = { .grace_seconds = 3600,
					      .stale_lock_seconds = 3600,
					      .remove_stale_locks = true };

#define TEMP_HELD "0x000000000001-0x000000000002-12345678.temp.Ab12Cd"
#define TEMP_LEFT "0x000000000001-0x000000000002-87654321.temp.Zz99Yy"

static void test_clean_keeps_held(void **state)
{
	const struct rt_clean_options o = hour;
	struct rt_stack *st = open_stack();
	struct rt_err err = { 0 };
	struct seen s = { "", "", 0 };
	int lock = make("held.lock", 7200, true);
	int temp = make(TEMP_HELD, 7200, true);
	(void)state;

	make("left.lock", 7200, false);
	make(TEMP_LEFT, 7200, false);
	assert_int_equal(rt_stack_clean(st, &o, record, &s, &err), 0);
	assert_true(exists("held.lock"));
	assert_true(exists(TEMP_HELD));
	assert_false(exists("left.lock"));
	assert_false(exists(TEMP_LEFT));
	assert_non_null(
		strstr(s.kept, "held.lock: held open by a live process"));
	assert_non_null(
		strstr(s.kept, TEMP_HELD ": held open by a live process"));
	assert_int_equal(s.pid, (long)getpid());

	/* Let go: now both are leftovers. */
	close(lock);
	close(temp);
	memset(&s, 0, sizeof(s));
	assert_int_equal(rt_stack_clean(st, &o, record, &s, &err), 0);
	assert_false(exists("held.lock"));
	assert_false(exists(TEMP_HELD));
	rt_stack_close(st);
}

/* Git closes the <table>.lock files of a compaction; its temp is fresh. */
static void test_table_lock_beside_young_temp(void **state)
{
	const struct rt_clean_options o = hour;
	struct rt_stack *st = open_stack();
	struct rt_err err = { 0 };
	struct seen s = { "", "", 0 };
	(void)state;

	make("0x000000000001-0x000000000001-aaaaaaaa.ref.lock", 7200, false);
	/* Outside the temp's range 1-2: another table's, left behind. */
	make("0x000000000003-0x000000000003-bbbbbbbb.ref.lock", 7200, false);
	make(TEMP_LEFT, 0, false);
	assert_int_equal(rt_stack_clean(st, &o, record, &s, &err), 0);
	assert_true(exists("0x000000000001-0x000000000001-aaaaaaaa.ref.lock"));
	assert_false(exists("0x000000000003-0x000000000003-bbbbbbbb.ref.lock"));
	assert_non_null(strstr(s.kept, "a temp table is being written"));
	rt_stack_close(st);
}

static void test_minimum_ages(void **state)
{
	struct rt_clean_options o = { .grace_seconds = RT_MIN_GRACE_SECONDS,
				      .stale_lock_seconds =
					      RT_MIN_STALE_LOCK_SECONDS - 1 };
	struct rt_stack *st = open_stack();
	struct rt_err err = { 0 };
	(void)state;

	assert_int_equal(rt_stack_clean(st, &o, NULL, NULL, &err), RT_ERR_API);
	o.stale_lock_seconds = RT_MIN_STALE_LOCK_SECONDS;
	o.grace_seconds = 0;
	assert_int_equal(rt_stack_clean(st, &o, NULL, NULL, &err), RT_ERR_API);
	o.grace_seconds = RT_MIN_GRACE_SECONDS;
	o.dry_run = true;
	assert_int_equal(rt_stack_clean(st, &o, NULL, NULL, &err), 0);
	rt_stack_close(st);
}

static void test_list_lock(void **state)
{
	struct rt_clean_options o = { .stale_lock_seconds = 3600 };
	struct rt_stack *st = open_stack();
	struct rt_list_lock_check chk;
	struct rt_err err = { 0 };
	char path[512];
	int fd;
	(void)state;

	snprintf(path, sizeof(path), "%s/tables.list.lock", dir);
	assert_int_equal(rt_stack_check_list_lock(st, &o, true, &chk, &err), 0);
	assert_int_equal(chk.state, RT_LIST_LOCK_NONE);

	/* Young: not judged yet, even with no holder. */
	make("tables.list.lock", 1, false);
	assert_int_equal(rt_stack_check_list_lock(st, &o, true, &chk, &err), 0);
	assert_int_equal(chk.state, RT_LIST_LOCK_BUSY);
	unlink(path);

	/* Left by a dead process 30 s ago: dead, cleared when asked. */
	make("tables.list.lock", 30, false);
	assert_int_equal(rt_stack_check_list_lock(st, &o, false, &chk, &err),
			 0);
	assert_int_equal(chk.state, RT_LIST_LOCK_DEAD);
	assert_true(exists("tables.list.lock"));
	assert_int_equal(rt_stack_check_list_lock(st, &o, true, &chk, &err), 0);
	assert_int_equal(chk.state, RT_LIST_LOCK_CLEARED);
	assert_false(exists("tables.list.lock"));

	/* Held: busy below the stale age, stuck past it; never removed. */
	fd = make("tables.list.lock", 1000, true);
	assert_int_equal(rt_stack_check_list_lock(st, &o, true, &chk, &err), 0);
	assert_int_equal(chk.state, RT_LIST_LOCK_BUSY);
	assert_int_equal(chk.holder_pid, (long)getpid());
	{
		struct timespec ts[2] = { { time(NULL) - 7200, 0 },
					  { time(NULL) - 7200, 0 } };

		assert_int_equal(futimens(fd, ts), 0);
	}
	assert_int_equal(rt_stack_check_list_lock(st, &o, true, &chk, &err), 0);
	assert_int_equal(chk.state, RT_LIST_LOCK_STUCK);
	assert_int_equal(chk.holder_pid, (long)getpid());
	assert_true(chk.age_seconds >= 7200);
	assert_true(exists("tables.list.lock"));
	close(fd);
	rt_stack_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_keeps_held, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_table_lock_beside_young_temp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_minimum_ages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list_lock, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
