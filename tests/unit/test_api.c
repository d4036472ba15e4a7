/*
 * The public API as a caller outside lib/ sees it: this file includes only
 * headers of lib/include/. A stack built with rt_stack_add() is read back
 * through the accessors, the iterators, rt_stack_read_ref() and the log
 * walk; iterators outlive a reload as documented (freed only); records
 * release to zero; rt_file_replace() honours the umask and symlinks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/include/rt-compact.h"
#include "lib/include/rt-file.h"
#include "lib/include/rt-iter.h"
#include "lib/include/rt-logfilter.h"
#include "lib/include/rt-stack.h"
#include "lib/include/rt-table.h"
#include "testutil.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	return tmpdir_make(dir, sizeof(dir), "api");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

/* What one rt_stack_add() writes: refs and logs, sorted, at its index. */
struct batch {
	const char *refs[4];
	uint8_t types[4];
	const char *logs[4];
};

static int fill(struct rt_writer *w, uint64_t ui, void *arg, struct rt_err *err)
{
	const struct batch *b = arg;
	int ret = 0;

	for (size_t i = 0; !ret && i < 4 && b->refs[i]; i++) {
		struct rt_ref_record ref;

		set_ref(&ref, b->refs[i], ui, b->types[i], (uint8_t)(ui + i));
		ret = rt_writer_add_ref(w, &ref, err);
		rt_ref_record_release(&ref);
	}
	for (size_t i = 0; !ret && i < 4 && b->logs[i]; i++) {
		struct rt_log_record log;

		set_log(&log, b->logs[i], ui, RT_LOG_UPDATE, "update\n");
		ret = rt_writer_add_log(w, &log, err);
		rt_log_record_release(&log);
	}
	return ret;
}

/*
 * Two tables: the second updates refs/heads/a, deletes refs/heads/gone
 * and adds a second entry to the reflog of refs/heads/a.
 */
static struct rt_stack *sample_stack(void)
{
	static const struct batch first = {
		{ "HEAD", "refs/heads/a", "refs/heads/a-b", "refs/heads/gone" },
		{ RT_REF_SYMREF, RT_REF_VAL1, RT_REF_VAL2, RT_REF_VAL1 },
		{ "refs/heads/a", "refs/heads/a-b" },
	};
	static const struct batch second = {
		{ "refs/heads/a", "refs/heads/gone" },
		{ RT_REF_VAL1, RT_REF_DELETION },
		{ "refs/heads/a" },
	};
	struct rt_err err = { 0 };
	struct rt_stack *st;

	if (rt_stack_open(&st, dir, NULL, &err) ||
	    rt_stack_add(st, fill, (void *)&first, &err) ||
	    rt_stack_add(st, fill, (void *)&second, &err))
		fail_msg("%s", err.msg);
	return st;
}

static void test_accessors(void **state)
{
	struct rt_stack *st = sample_stack();

	(void)state;
	assert_int_equal(rt_stack_table_count(st), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct rt_table *t = rt_stack_table(st, i);

		assert_int_equal(rt_table_min_update_index(t), i + 1);
		assert_int_equal(rt_table_max_update_index(t), i + 1);
		assert_int_equal(rt_table_hash_id(t), RT_HASH_SHA1);
		assert_true(rt_table_size(t) > 0);
		assert_true(rt_stack_table_weight(t) < rt_table_size(t));
		assert_int_equal(strncmp(rt_table_name(t), "0x", 2), 0);
	}
	assert_int_equal(rt_stack_max_update_index(st), 2);
	assert_int_equal(rt_stack_get_options(st)->lock_timeout_ms, 100);
	/* Each addition held tables.list.lock once. */
	assert_int_equal(rt_stack_get_lock_stats(st)->holds, 2);
	rt_stack_close(st);
}

static void test_read_ref(void **state)
{
	struct rt_stack *st = sample_stack();
	struct rt_ref_record ref = { 0 };
	struct rt_err err = { 0 };

	(void)state;
	assert_int_equal(rt_stack_read_ref(st, "refs/heads/a", &ref, &err), 0);
	assert_string_equal(ref.refname.buf, "refs/heads/a");
	assert_int_equal(ref.update_index, 2); /* the newer table wins */
	assert_int_equal(ref.value[0], 2);
	assert_int_equal(rt_stack_read_ref(st, "HEAD", &ref, &err), 0);
	assert_int_equal(ref.value_type, RT_REF_SYMREF);
	assert_string_equal(ref.target.buf, "refs/heads/main");
	assert_int_equal(rt_stack_read_ref(st, "refs/heads/a-b", &ref, &err),
			 0);
	assert_int_equal(ref.value_type, RT_REF_VAL2);
	/* Deleted, never written, a prefix of a name: all absent. */
	assert_int_equal(rt_stack_read_ref(st, "refs/heads/gone", &ref, &err),
			 1);
	assert_int_equal(rt_stack_read_ref(st, "refs/heads/b", &ref, &err), 1);
	assert_int_equal(rt_stack_read_ref(st, "refs/heads/", &ref, &err), 1);
	assert_int_equal(err.code, 0);
	rt_ref_record_release(&ref);
	rt_stack_close(st);
}

/* The refnames an iterator yields from where it is, joined by spaces. */
static void ref_names(struct rt_iter *it, struct rt_buf *out)
{
	struct rt_ref_record ref = { 0 };
	struct rt_err err = { 0 };
	int ret;

	rt_buf_reset(out);
	while (!(ret = rt_iter_next_ref(it, &ref, &err))) {
		rt_buf_addstr(out, ref.refname.buf);
		rt_buf_addstr(out, ref.value_type ? " " : "(deleted) ");
	}
	assert_int_equal(ret, 1);
	rt_ref_record_release(&ref);
}

static void test_iterators(void **state)
{
	struct rt_stack *st = sample_stack();
	struct rt_buf names = RT_BUF_INIT;
	struct rt_log_record log = { 0 };
	struct rt_err err = { 0 };
	struct rt_iter *it;

	(void)state;
	/* The merged view: no deletion, the newest value. */
	assert_int_equal(rt_stack_refs(st, &it, &err), 0);
	ref_names(it, &names);
	assert_string_equal(names.buf, "HEAD refs/heads/a refs/heads/a-b ");
	assert_int_equal(rt_iter_seek_ref(it, "refs/heads/a-", &err), 0);
	ref_names(it, &names);
	assert_string_equal(names.buf, "refs/heads/a-b ");
	/* A log call on a ref iterator is refused. */
	assert_int_equal(rt_iter_next_log(it, &log, &err), RT_ERR_API);
	rt_err_clear(&err);
	rt_iter_free(it);

	/* One table: every record, deletions included. */
	assert_int_equal(rt_table_refs(rt_stack_table(st, 1), &it, &err), 0);
	ref_names(it, &names);
	assert_string_equal(names.buf,
			    "refs/heads/a refs/heads/gone(deleted) ");
	rt_iter_free(it);

	/* A log seek lands on the reflog's newest entry, not a longer name. */
	assert_int_equal(rt_stack_logs(st, &it, &err), 0);
	assert_int_equal(rt_iter_seek_log(it, "refs/heads/a", &err), 0);
	assert_int_equal(rt_iter_next_log(it, &log, &err), 0);
	assert_string_equal(log.refname.buf, "refs/heads/a");
	assert_int_equal(log.update_index, 2);
	assert_int_equal(rt_iter_next_log(it, &log, &err), 0);
	assert_int_equal(log.update_index, 1);
	assert_int_equal(rt_iter_next_log(it, &log, &err), 0);
	assert_string_equal(log.refname.buf, "refs/heads/a-b");
	assert_int_equal(rt_iter_next_log(it, &log, &err), 1);
	assert_int_equal(rt_iter_seek_log(it, "refs/heads/b", &err), 0);
	assert_int_equal(rt_iter_next_log(it, &log, &err), 1);
	rt_iter_free(it);
	rt_log_record_release(&log);
	rt_buf_release(&names);
	rt_stack_close(st);
}

static void test_log_walk(void **state)
{
	static const char *const want[] = { "refs/heads/a", "refs/heads/a",
					    "refs/heads/a-b" };
	static const bool want_last[] = { false, true, true };
	struct rt_stack *st = sample_stack();
	struct rt_err err = { 0 };
	struct rt_log_walk *w;
	struct rt_log_record *log;
	size_t n = 0;
	bool last;
	int ret;

	(void)state;
	assert_int_equal(rt_log_walk_new(&w, st, &err), 0);
	while (!(ret = rt_log_walk_next(w, &log, &last, &err))) {
		assert_true(n < 3);
		assert_string_equal(log->refname.buf, want[n]);
		assert_int_equal(last, want_last[n]);
		assert_false(rt_log_is_placeholder(log));
		n++;
	}
	assert_int_equal(ret, 1);
	assert_int_equal(n, 3);
	rt_log_walk_free(w);
	rt_stack_close(st);
}

/*
 * A compaction closes the tables an iterator reads; the iterator may then
 * only be freed, and freeing it must not touch them (valgrind, ASan).
 */
static void test_iterator_after_reload(void **state)
{
	struct rt_stack *st = sample_stack();
	struct rt_ref_record ref = { 0 };
	struct rt_err err = { 0 };
	struct rt_iter *it;

	(void)state;
	assert_int_equal(rt_stack_refs(st, &it, &err), 0);
	assert_int_equal(rt_iter_next_ref(it, &ref, &err), 0);
	assert_int_equal(rt_stack_compact_all(st, NULL, NULL, &err), 0);
	assert_int_equal(rt_stack_table_count(st), 1);
	rt_iter_free(it);
	rt_ref_record_release(&ref);
	rt_stack_close(st);
}

static void test_record_release(void **state)
{
	static const struct rt_ref_record zero_ref;
	static const struct rt_log_record zero_log;
	struct rt_ref_record ref;
	struct rt_log_record log;

	(void)state;
	set_ref(&ref, "refs/heads/x", 7, RT_REF_SYMREF, 1);
	set_log(&log, "refs/heads/x", 7, RT_LOG_UPDATE, "m\n");
	rt_ref_record_release(&ref);
	rt_log_record_release(&log);
	assert_memory_equal(&ref, &zero_ref, sizeof(ref));
	assert_memory_equal(&log, &zero_log, sizeof(log));
	/* Released twice is fine: it is a zeroed record. */
	rt_ref_record_release(&ref);
	rt_log_record_release(&log);
}

static mode_t mode_of(const char *path)
{
	struct stat sb;

	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	return sb.st_mode & 07777;
}

/* Files in `dir` besides `a` and `b`: no temp file may be left. */
static int others_in_dir(const char *a, const char *b)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.' && strcmp(e->d_name, a) &&
		     strcmp(e->d_name, b);
	closedir(d);
	return n;
}

static void test_file_replace(void **state)
{
	char path[300], target[300], buf[16] = { 0 };
	struct rt_err err = { 0 };
	mode_t old = umask(027);
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(target, sizeof(target), "%s/target", dir);

	/* Mode 0: 0666 less the umask, which stays as it was. */
	assert_int_equal(rt_file_replace(path, "one", 3, 0, &err), 0);
	assert_int_equal(mode_of(path), 0640);
	assert_int_equal(umask(027), 027);
	/* An explicit mode is exact, whatever the umask. */
	assert_int_equal(rt_file_replace(path, "two", 3, 0664, &err), 0);
	assert_int_equal(mode_of(path), 0664);

	/* A symlink is replaced, its target left alone. */
	f = fopen(target, "w");
	assert_non_null(f);
	fputs("target", f);
	fclose(f);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(rt_file_replace(path, "three", 5, 0, &err), 0);
	assert_int_equal(mode_of(path), 0640);
	f = fopen(target, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "target");
	assert_int_equal(others_in_dir("state", "target"), 0);
	umask(old);
}

/*
 * rt_file_replace_at(): the file lands in the directory the descriptor
 * holds, even once that directory's path has become a symlink to
 * somewhere else; nothing (no temp file either) is left there.
 */
static void test_file_replace_at(void **state)
{
	char sub[300], moved[300], away[300], path[320], got[320];
	struct rt_err err = { 0 };
	struct rt_buf out = RT_BUF_INIT;
	int fd;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(moved, sizeof(moved), "%s/moved", dir);
	snprintf(away, sizeof(away), "%s/away", dir);
	snprintf(path, sizeof(path), "%s/hook", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mkdir(away, 0700), 0);
	fd = rt_dir_open(sub, &err);
	assert_true(fd >= 0);
	/* The directory moves; a symlink to another takes its name. */
	assert_int_equal(rename(sub, moved), 0);
	assert_int_equal(symlink(away, sub), 0);
	assert_int_equal(rt_file_replace_at(fd, path, "text", 4, 0755, &err),
			 0);
	snprintf(got, sizeof(got), "%s/hook", moved);
	assert_int_equal(mode_of(got), 0755);
	assert_int_equal(rt_file_read_at(AT_FDCWD, got, got, 64, 0, &out, &err),
			 0);
	assert_string_equal(out.buf, "text");
	/* Empty, both: rmdir() says so. */
	assert_int_equal(rmdir(away), 0);
	assert_int_equal(unlink(got), 0);
	assert_int_equal(rmdir(moved), 0);
	close(fd);
	rt_buf_release(&out);
}

/*
 * rt_file_open_at() and rt_file_read_at(): a symlink, FIFO, device or
 * directory is refused at once with a message saying which; creation
 * modes are exact; an existing file of ours gains the bits it lacks; the
 * read cap holds.
 */
static void test_file_open_refuses(void **state)
{
	static const struct {
		const char *name, *kind;
	} hostile[] = {
		{ "link", "a symbolic link, not followed" },
		{ "fifo", "a FIFO" },
		{ "sub", "a directory" },
	};
	char path[300], want[400];
	struct rt_buf buf = RT_BUF_INIT;
	struct rt_err err = { 0 };
	mode_t old = umask(077);
	int dfd, fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/target", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0 && write(fd, "secret\n", 7) == 7);
	close(fd);
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink("target", path), 0);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	dfd = rt_dir_open(dir, &err);
	assert_true(dfd >= 0);

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		static const int flags[] = { O_RDONLY, O_RDWR | O_CREAT,
					     O_WRONLY | O_APPEND | O_CREAT };

		for (size_t f = 0; f < 3; f++) {
			rt_err_clear(&err);
			/* A FIFO opened for writing without a reader would
			 * block here without O_NONBLOCK. */
			assert_int_equal(rt_file_open_at(dfd, hostile[i].name,
							 hostile[i].name,
							 flags[f], 0600, &err),
					 RT_ERR_IO);
			snprintf(want, sizeof(want),
				 "%s is not a regular file (it is %s)",
				 hostile[i].name, hostile[i].kind);
			assert_string_equal(err.msg, want);
		}
	}
	rt_err_clear(&err);
	assert_int_equal(rt_file_read_at(AT_FDCWD, "/dev/zero", "/dev/zero",
					 1024, 0, &buf, &err),
			 RT_ERR_IO);
	assert_string_equal(err.msg, "/dev/zero is not a regular file (it is "
				     "a device)");
	/* The symlink's target is untouched. */
	rt_err_clear(&err);
	assert_int_equal(rt_file_read_at(dfd, "target", "target", 1024, 0, &buf,
					 &err),
			 0);
	assert_string_equal(buf.buf, "secret\n");
	assert_int_equal(rt_file_read_at(dfd, "target", "target", 6, 0, &buf,
					 &err),
			 RT_ERR_TOO_BIG);
	/* Followed only when asked, for reading. */
	rt_err_clear(&err);
	assert_int_equal(rt_file_read_at(dfd, "link", "link", 1024,
					 RT_FILE_FOLLOW, &buf, &err),
			 0);
	assert_string_equal(buf.buf, "secret\n");

	/* Created exactly 0660 under umask 077; an existing 0600 file of
	 * ours gains the group's bits. */
	fd = rt_file_open_at(dfd, "new", "new", O_RDWR | O_CREAT, 0660, &err);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/new", dir);
	assert_int_equal(mode_of(path), 0660);
	fd = rt_file_open_at(dfd, "target", "target", O_RDWR | O_CREAT, 0660,
			     &err);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/target", dir);
	assert_int_equal(mode_of(path), 0660);
	rt_err_clear(&err);
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(rt_dir_open(path, &err), RT_ERR_IO);
	close(dfd);
	rt_buf_release(&buf);
	umask(old);
}

/* Git's calc_shared_perm() for files and for executables. */
static void test_shared_perm(void **state)
{
	(void)state;
	assert_int_equal(rt_shared_perm(0, 0600), 0600);
	assert_int_equal(rt_shared_perm(0660, 0600), 0660);
	assert_int_equal(rt_shared_perm(0664, 0644), 0664);
	assert_int_equal(rt_shared_perm(-0640, 0666), 0640);
	assert_int_equal(rt_shared_perm(-0600, 0644), 0600);
	/* Read-only files stay read-only; executables get x with r. */
	assert_int_equal(rt_shared_perm(0660, 0400), 0440);
	assert_int_equal(rt_shared_perm(0664, 0700), 0775);
	assert_int_equal(rt_shared_perm(-0640, 0755), 0750);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accessors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_ref, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iterators, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_log_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iterator_after_reload,
						setup, teardown),
		cmocka_unit_test(test_record_release),
		cmocka_unit_test_setup_teardown(test_file_open_refuses, setup,
						teardown),
		cmocka_unit_test(test_shared_perm),
		cmocka_unit_test_setup_teardown(test_file_replace_at, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_file_replace, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
