/*
 * Fault injection: this binary defines its own fsync(), which the library
 * then calls, to make directory fsyncs fail after tables.list has been
 * renamed into place. Whatever the error, tables.list must never name a
 * table that is gone. Its own unlinkat() makes the removal of a stale
 * lock fail once it is moved aside.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/include/rt-clean.h"
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

/* A lock moved aside to be removed (<name>.stale-XXXXXXXX) is not. */
static bool fail_stale_unlink;

int unlinkat(int dirfd, const char *name, int flags)
{
	if (fail_stale_unlink && strstr(name, ".stale-")) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_unlinkat, dirfd, name, flags);
}

/*
 * While a lock is moved aside to be removed (renamed to <name>.stale-*),
 * other writers come: one replaces it just before, so the file moved is
 * not the one judged, and one takes the free name just after, so it
 * cannot be put back.
 */
static bool race_stale_rename;

/*
 * Another cleaner of ours judged the same dead lock and clears it at the
 * moment this one moves it aside; a Git writer, its lock acquisition
 * retrying, then takes the free name at once (and holds its lock open).
 */
static bool race_other_cleaner;
static char dir[256];
static const struct rt_clean_options *racer_opts;
/* The other cleaner's verdict, and the lock a writer took, if any. */
static int racer_state = -1;
static int writer_fd = -1;
static ino_t writer_ino;
/* Renames whose source was the writer's live lock. */
static int moved_live;

static void other_cleaner_then_writer(int dirfd)
{
	struct stat st;
	int status;
	pid_t pid;

	race_other_cleaner = false;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rt_list_lock_check chk;
		struct rt_err err = { 0 };
		struct rt_stack *other;

		if (rt_stack_open(&other, dir, NULL, &err) ||
		    rt_stack_check_list_lock(other, racer_opts, true, &chk,
					     &err))
			_exit(100);
		_exit((int)chk.state);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	racer_state = WEXITSTATUS(status);
	writer_fd = openat(dirfd, "tables.list.lock",
			   O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	if (writer_fd >= 0 && fstat(writer_fd, &st) == 0)
		writer_ino = st.st_ino;
}

int renameat(int olddirfd, const char *old, int newdirfd, const char *new)
{
	struct stat st;

	if (race_other_cleaner && strstr(new, ".stale-"))
		other_cleaner_then_writer(olddirfd);
	if (writer_fd >= 0 &&
	    fstatat(olddirfd, old, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_ino == writer_ino)
		moved_live++;
	if (race_stale_rename && strstr(new, ".stale-")) {
		int fd = openat(olddirfd, "racer", O_CREAT | O_WRONLY, 0644);

		close(fd);
		if (syscall(SYS_renameat2, olddirfd, "racer", olddirfd, old,
			    0) < 0)
			return -1;
		if (syscall(SYS_renameat2, olddirfd, old, newdirfd, new, 0) < 0)
			return -1;
		fd = openat(olddirfd, old, O_CREAT | O_EXCL | O_WRONLY, 0644);
		close(fd);
		return fd < 0 ? -1 : 0;
	}
	return (int)syscall(SYS_renameat2, olddirfd, old, newdirfd, new, 0);
}

/* Sleeps the library takes (to let a lock's writer settle). */
static int sleeps;

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	sleeps++;
	return (int)syscall(SYS_nanosleep, req, rem);
}

static int setup(void **state)
{
	(void)state;
	fail_dir_fsync = false;
	fail_stale_unlink = false;
	race_stale_rename = false;
	race_other_cleaner = false;
	racer_state = -1;
	writer_fd = -1;
	moved_live = 0;
	sleeps = 0;
	return tmpdir_make(dir, sizeof(dir), "faults");
}

static int teardown(void **state)
{
	(void)state;
	if (writer_fd >= 0)
		close(writer_fd);
	writer_fd = -1;
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

/* A tables.list.lock no process holds, two hours old by opts->now. */
static void plant_dead_list_lock(struct rt_clean_options *opts)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tables.list.lock", dir);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	memset(opts, 0, sizeof(*opts));
	opts->grace_seconds = 3600;
	opts->stale_lock_seconds = 3600;
	opts->remove_stale_locks = true;
	opts->now = time(NULL) + 7200;
}

/* The names in the stack directory containing `part`. */
static int count_files(const char *part)
{
	int n = 0;
	DIR *d = opendir(dir);

	for (struct dirent *e; (e = readdir(d));)
		n += strstr(e->d_name, part) != NULL;
	closedir(d);
	return n;
}

/* With no rt_err (allowed), a failed removal is still an error code. */
static void test_clean_stale_unlink_fails_no_err(void **state)
{
	struct rt_stack *st = stack_with_three();
	struct rt_clean_options opts;
	(void)state;

	plant_dead_list_lock(&opts);
	fail_stale_unlink = true;
	assert_int_equal(rt_stack_clean(st, &opts, NULL, NULL, NULL),
			 RT_ERR_IO);
	fail_stale_unlink = false;
	/* Moved aside and kept: nothing is deleted after an error. */
	assert_int_equal(count_files(".stale-"), 1);
	rt_stack_close(st);
}

/*
 * A lock moved aside that can be neither removed nor put back (a new lock
 * has its name) is an error that names where it is left, and is kept.
 */
static void test_clean_stale_lock_parked(void **state)
{
	struct rt_stack *st = stack_with_three();
	struct rt_clean_options opts;
	struct rt_err err = { 0 };
	(void)state;

	plant_dead_list_lock(&opts);
	race_stale_rename = true;
	assert_int_equal(rt_stack_clean(st, &opts, NULL, NULL, &err),
			 RT_ERR_IO);
	race_stale_rename = false;
	assert_non_null(strstr(err.msg, "is left as "));
	assert_non_null(strstr(err.msg, "/tables.list.lock.stale-"));
	assert_int_equal(count_files(".stale-"), 1);
	/* The new lock is there, untouched. */
	assert_int_equal(count_files("tables.list.lock"), 2);
	rt_stack_close(st);
}

/*
 * Two cleaners of ours judge the same dead tables.list.lock; one clears
 * it just as the other moves it aside, and a Git writer takes the name
 * at once. The lock that writer holds is never moved, not even to be put
 * back: exactly one cleaner removes the dead lock, the other finds the
 * lock busy, and the writer's lock is where it made it.
 */
static void test_two_cleaners_never_move_a_live_lock(void **state)
{
	struct rt_stack *st = stack_with_three();
	struct rt_list_lock_check chk;
	struct rt_clean_options opts;
	struct rt_err err = { 0 };
	struct stat now;
	char path[512];
	(void)state;

	plant_dead_list_lock(&opts);
	racer_opts = &opts;
	race_other_cleaner = true;
	assert_int_equal(rt_stack_check_list_lock(st, &opts, true, &chk, &err),
			 0);
	assert_false(race_other_cleaner); /* the race did happen */
	/* The other cleaner ran its check (100: it could not even start). */
	assert_int_not_equal(racer_state, 100);
	if (moved_live)
		fail_msg("a tables.list.lock held open by a live writer was "
			 "renamed %d time(s) by a cleaner",
			 moved_live);
	/* Exactly one of the two removed the dead lock. */
	assert_int_equal((chk.state == RT_LIST_LOCK_CLEARED) +
				 (racer_state == RT_LIST_LOCK_CLEARED),
			 1);
	assert_int_equal(count_files(".stale-"), 0);
	/* A writer's lock, if one was taken, is in place, untouched. */
	snprintf(path, sizeof(path), "%s/tables.list.lock", dir);
	if (writer_fd >= 0) {
		assert_int_equal(lstat(path, &now), 0);
		assert_int_equal(now.st_ino, writer_ino);
	} else {
		assert_int_equal(lstat(path, &now), -1);
	}
	rt_stack_close(st);
}

static void count_removed(void *arg, const struct rt_clean_item *it)
{
	*(int *)arg += it->removed;
}

/* Stale locks no process holds are removed after one settling wait. */
static void test_clean_stale_locks_one_wait(void **state)
{
	struct rt_stack *st = stack_with_three();
	struct rt_clean_options opts;
	struct rt_err err = { 0 };
	char path[512];
	int removed = 0;
	(void)state;

	plant_dead_list_lock(&opts);
	unlink(strcat(strcpy(path, dir), "/tables.list.lock"));
	for (int i = 0; i < 5; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/leftover-%d.lock", dir, i);
		assert_non_null(f = fopen(path, "w"));
		fclose(f);
	}
	sleeps = 0;
	assert_int_equal(
		rt_stack_clean(st, &opts, count_removed, &removed, &err), 0);
	assert_int_equal(removed, 5);
	assert_int_equal(count_files(".lock"), 0);
	assert_int_equal(sleeps, 1);
	rt_stack_close(st);
}

static const char *list_path(void)
{
	static char path[300];

	snprintf(path, sizeof(path), "%s/tables.list", dir);
	return path;
}

static int write_list(const char *text)
{
	FILE *f = fopen(list_path(), "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/*
 * The stack directory renamed while open, an empty one made in its place:
 * clean reads the tables.list of the directory it scans (its own handle),
 * so the listed tables there are no orphans.
 */
static void test_clean_dir_moved(void **state)
{
	struct rt_stack *st = stack_with_three();
	struct rt_clean_options opts;
	struct rt_err err = { 0 };
	char moved[300];
	int removed = 0, tables;
	(void)state;

	plant_dead_list_lock(&opts);
	snprintf(moved, sizeof(moved), "%s/tables.list.lock", dir);
	assert_int_equal(unlink(moved), 0);
	tables = count_files(".ref");
	snprintf(moved, sizeof(moved), "%s.moved", dir);
	assert_int_equal(rename(dir, moved), 0);
	assert_int_equal(mkdir(dir, 0777), 0);
	/* Its list names a newer table: the moved ones would look orphans. */
	assert_int_equal(
		write_list("0x000000000001-0x000000000100-0badf00d.ref\n"), 0);
	assert_int_equal(
		rt_stack_clean(st, &opts, count_removed, &removed, &err), 0);
	rt_stack_close(st);
	assert_int_equal(unlink(list_path()), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(rename(moved, dir), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(count_files(".ref"), tables);
	assert_int_equal(check_listed_exist(), tables);
}

/*
 * The stack's directory moves while the stack is open and gains a table
 * there: a reload reads the new tables.list and its tables from the
 * directory it has open, not from whatever the old path names now.
 */
static void test_reload_dir_moved(void **state)
{
	struct rt_stack *st = stack_with_three(), *other;
	struct rt_err err = { 0 };
	char moved[300];
	(void)state;

	snprintf(moved, sizeof(moved), "%s.moved", dir);
	assert_int_equal(rename(dir, moved), 0);
	assert_int_equal(rt_stack_open(&other, moved, NULL, &err), 0);
	assert_int_equal(rt_stack_add(other, fill, "refs/heads/d", &err), 0);
	rt_stack_close(other);
	if (rt_stack_reload(st, &err))
		fail_msg("reload: %s", err.msg);
	assert_int_equal(rt_stack_table_count(st), 4);
	rt_stack_close(st);
	assert_int_equal(rename(moved, dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_dir_fsync_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_compact_dir_fsync_fails,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_clean_stale_unlink_fails_no_err, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_stale_lock_parked,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_two_cleaners_never_move_a_live_lock, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_clean_stale_locks_one_wait,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_dir_moved, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reload_dir_moved, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
