/*
 * Unit tests of plugin/util/pidlock (the run lock and the hooks' lock):
 * one holder at a time, the holder's pid for the others, no stale lock
 * after the holder dies, unlock and retake, a child going on with the
 * lock after fork.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin/util/pidlock.h"
#include "testutil.h"

/* The pid the lock file names, or 0. */
static long file_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = 0;

	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

/* A new directory `dir` and the lock file's path in it. */
static void lock_in_tmpdir(char *dir, size_t dlen, char *path, size_t plen,
			   const char *name)
{
	assert_int_equal(tmpdir_make(dir, dlen, "pidlock"), 0);
	snprintf(path, plen, "%s/%s", dir, name);
}

static void test_one_holder(void **state)
{
	struct pidlock a = PIDLOCK_INIT, b = PIDLOCK_INIT;
	struct rt_err err = { 0 };
	char dir[256], path[300];
	long holder;
	(void)state;

	lock_in_tmpdir(dir, sizeof(dir), path, sizeof(path), "run.lock");
	assert_int_equal(
		pidlock_acquire_at(&a, AT_FDCWD, path, 0, &holder, &err), 0);
	assert_int_equal(file_pid(path), (long)getpid());
	/* flock locks belong to the open file: a second open conflicts. */
	assert_int_equal(
		pidlock_acquire_at(&b, AT_FDCWD, path, 0, &holder, &err), 1);
	assert_int_equal(holder, (long)getpid());
	assert_int_equal(b.fd, -1);
	pidlock_release(&a);
	pidlock_release(&a); /* harmless */
	assert_int_equal(file_pid(path), 0);
	assert_int_equal(
		pidlock_acquire_at(&b, AT_FDCWD, path, 0, &holder, &err), 0);
	pidlock_release(&b);
	/* The file stays: removing it would race with the next locker. */
	assert_int_equal(access(path, F_OK), 0);

	/* Never through a symlink. */
	snprintf(path, sizeof(path), "%s/link.lock", dir);
	assert_int_equal(symlink("run.lock", path), 0);
	assert_int_equal(pidlock_acquire_at(&a, AT_FDCWD, path, 0, &holder,
					    &err),
			 RT_ERR_IO);
	assert_non_null(strstr(err.msg, "link.lock is not a regular file (it "
					"is a symbolic link, not followed)"));
	assert_int_equal(unlink(path), 0);

	rt_err_clear(&err);
	snprintf(path, sizeof(path), "%s/no/such/dir/lock", dir);
	assert_int_equal(pidlock_acquire_at(&a, AT_FDCWD, path, 0, &holder,
					    &err),
			 RT_ERR_NOT_EXIST);
	assert_non_null(strstr(err.msg, "cannot open"));
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* A holder killed with SIGKILL leaves no stale lock behind. */
static void test_dies_with_holder(void **state)
{
	struct pidlock l = PIDLOCK_INIT;
	struct rt_err err = { 0 };
	char dir[256], path[300], c;
	int ready[2], status;
	long holder;
	pid_t pid;
	(void)state;

	lock_in_tmpdir(dir, sizeof(dir), path, sizeof(path), "run.lock");
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pidlock h = PIDLOCK_INIT;

		close(ready[0]);
		if (pidlock_acquire_at(&h, AT_FDCWD, path, 0, &holder, &err))
			_exit(1);
		(void)!write(ready[1], "x", 1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(
		pidlock_acquire_at(&l, AT_FDCWD, path, 0, &holder, &err), 1);
	assert_int_equal(holder, (long)pid);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(
		pidlock_acquire_at(&l, AT_FDCWD, path, 0, &holder, &err), 0);
	pidlock_release(&l);
	assert_int_equal(tmpdir_remove(dir), 0);
}

/*
 * Unlocked, another process may take it (and the file keeps its pid);
 * retaken, it is ours again; a release while not holding it leaves the
 * next holder's pid alone.
 */
static void test_unlock_retake(void **state)
{
	struct pidlock a = PIDLOCK_INIT, b = PIDLOCK_INIT;
	struct rt_err err = { 0 };
	char dir[256], path[300];
	long holder;
	(void)state;

	lock_in_tmpdir(dir, sizeof(dir), path, sizeof(path), "hook.flock");
	assert_int_equal(
		pidlock_acquire_at(&a, AT_FDCWD, path, 0, &holder, &err), 0);
	pidlock_unlock(&a);
	assert_int_equal(
		pidlock_acquire_at(&b, AT_FDCWD, path, 0, &holder, &err), 0);
	assert_int_equal(pidlock_retake(&a), 1);
	pidlock_note(&b, 4242);
	pidlock_release(&a);
	assert_int_equal(file_pid(path), 4242);
	pidlock_unlock(&b);
	pidlock_release(&b);
	assert_int_equal(file_pid(path), 4242);

	assert_int_equal(
		pidlock_acquire_at(&a, AT_FDCWD, path, 0, &holder, &err), 0);
	pidlock_unlock(&a);
	assert_int_equal(pidlock_retake(&a), 0);
	assert_int_equal(file_pid(path), (long)getpid());
	pidlock_release(&a);
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* After fork, the child holds the lock once the parent hands it over. */
static void test_hand_over(void **state)
{
	struct pidlock l = PIDLOCK_INIT, other = PIDLOCK_INIT;
	struct rt_err err = { 0 };
	char dir[256], path[300], c;
	int go[2], status;
	long holder;
	pid_t pid;
	(void)state;

	lock_in_tmpdir(dir, sizeof(dir), path, sizeof(path), "hook.flock");
	assert_int_equal(
		pidlock_acquire_at(&l, AT_FDCWD, path, 0, &holder, &err), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		/*
		 * Hold it until told to finish, then let go as the hook does;
		 * SIGKILL rather than exit: nothing of the test harness's to
		 * clean up in this copy of the process.
		 */
		if (read(go[0], &c, 1) == 1)
			pidlock_release(&l);
		kill(getpid(), SIGKILL);
	}
	close(go[0]);
	pidlock_hand_over(&l, pid);
	assert_int_equal(l.fd, -1);
	assert_int_equal(file_pid(path), (long)pid);
	/* Our descriptor is closed; the child's copy still holds it. */
	assert_int_equal(pidlock_acquire_at(&other, AT_FDCWD, path, 0, &holder,
					    &err),
			 1);
	assert_int_equal(holder, (long)pid);
	assert_int_equal(write(go[1], "x", 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(file_pid(path), 0);
	assert_int_equal(pidlock_acquire_at(&other, AT_FDCWD, path, 0, &holder,
					    &err),
			 0);
	pidlock_release(&other);
	assert_int_equal(tmpdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_holder),
		cmocka_unit_test(test_dies_with_holder),
		cmocka_unit_test(test_unlock_retake),
		cmocka_unit_test(test_hand_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
