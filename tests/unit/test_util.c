/*
 * Unit tests of plugin/util: quoting (checked by handing the quoted text
 * to sh), paths, and running programs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/include/rt-file.h"
#include "plugin/util/logfile.h"
#include "plugin/util/path.h"
#include "plugin/util/quote.h"
#include "plugin/util/spawn.h"
#include "testutil.h"

/* What sh makes of `printf %s <quoted s>`: s itself. */
static void check_sh_round_trip(const char *s)
{
	struct rt_buf script = RT_BUF_INIT;
	struct spawn_result r;
	struct rt_err err = { 0 };
	const char *argv[] = { "sh", "-c", NULL, NULL };

	assert_int_equal(rt_buf_addstr(&script, "printf %s "), 0);
	assert_int_equal(quote_sh(&script, s), 0);
	argv[2] = script.buf;
	assert_int_equal(spawn_run(argv, NULL, 0, &r, &err), 0);
	assert_string_equal(r.out, s);
	spawn_result_release(&r);
	rt_buf_release(&script);
}

static void test_quote_sh(void **state)
{
	static const char *const words[] = {
		"",
		"plain",
		"it's",
		"''",
		"a b\tc\nd",
		"$HOME `id`",
		"back\\slash \\'",
		"\"dq\" %s *?[",
		"-n",
		"~user;|&<>",
	};
	struct rt_buf q = RT_BUF_INIT;
	(void)state;

	assert_int_equal(quote_sh(&q, "it's"), 0);
	assert_string_equal(q.buf, "'it'\\''s'");
	rt_buf_reset(&q);
	assert_int_equal(quote_sh(&q, ""), 0);
	assert_string_equal(q.buf, "''");
	rt_buf_release(&q);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		check_sh_round_trip(words[i]);
}

static void test_quote_unit(void **state)
{
	struct rt_buf q = RT_BUF_INIT;
	(void)state;

	assert_int_equal(quote_unit(&q, "a\"b\\c%d$e", true), 0);
	assert_string_equal(q.buf, "\"a\\\"b\\\\c%%d$$e\"");
	rt_buf_reset(&q);
	/* Outside ExecStart=, '$' is not expanded: kept as it is. */
	assert_int_equal(quote_unit(&q, "PATH=/a$b:%h", false), 0);
	assert_string_equal(q.buf, "\"PATH=/a$b:%%h\"");
	rt_buf_release(&q);
}

static void test_path_join(void **state)
{
	char *cwd = getcwd(NULL, 0), *p, *want;
	(void)state;

	p = path_join("a", "b c", "d/", NULL);
	assert_string_equal(p, "a/b c/d/");
	free(p);
	p = path_join("/only", NULL);
	assert_string_equal(p, "/only");
	free(p);
	p = path_absolute_from("/base", "/abs/x");
	assert_string_equal(p, "/abs/x");
	free(p);
	p = path_absolute_from("/base", "rel/x");
	assert_string_equal(p, "/base/rel/x");
	free(p);
	p = path_absolute("rel");
	assert_non_null(cwd);
	want = path_join(cwd, "rel", NULL);
	assert_string_equal(p, want);
	free(want);
	free(p);
	free(cwd);
}

static void test_path_mkdirs(void **state)
{
	char dir[256], deep[300], file[300], under[320];
	struct rt_err err = { 0 };
	struct stat st;
	FILE *f;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "mkdirs"), 0);
	snprintf(deep, sizeof(deep), "%s/a/b/c", dir);
	assert_int_equal(path_mkdirs(deep, 0777, &err), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Already there: fine. */
	assert_int_equal(path_mkdirs(deep, 0777, &err), 0);
	/* A file in the way: an error naming the directory. */
	snprintf(file, sizeof(file), "%s/file", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(under, sizeof(under), "%s/sub", file);
	assert_int_equal(path_mkdirs(under, 0777, &err), RT_ERR_IO);
	assert_non_null(strstr(err.msg, "cannot create '"));
	assert_non_null(strstr(err.msg, "/file/sub'"));
	assert_int_equal(tmpdir_remove(dir), 0);
}

/*
 * path_within(): symlinks resolved on both sides, a missing last
 * component taken as written, a sibling sharing a prefix not inside.
 */
static void test_path_within(void **state)
{
	char dir[256], repo[300], twin[300], in[340], link[340], out[340];
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "within"), 0);
	snprintf(repo, sizeof(repo), "%s/repo", dir);
	snprintf(twin, sizeof(twin), "%s/repo2", dir);
	assert_int_equal(mkdir(repo, 0777), 0);
	assert_int_equal(mkdir(twin, 0777), 0);
	assert_int_equal(path_within(repo, repo), 1);
	snprintf(in, sizeof(in), "%s/hooks", repo);
	assert_int_equal(path_within(in, repo), 1); /* missing, as written */
	snprintf(in, sizeof(in), "%s/hooks//", repo);
	assert_int_equal(path_within(in, repo), 1); /* trailing slashes */
	snprintf(out, sizeof(out), "%s/hooks", twin);
	assert_int_equal(path_within(out, repo), 0); /* "repo2" not in "repo" */
	assert_int_equal(path_within(dir, repo), 0);
	/* A symlink in the repository to a directory outside it. */
	snprintf(link, sizeof(link), "%s/link", repo);
	assert_int_equal(symlink(twin, link), 0);
	assert_int_equal(path_within(link, repo), 0);
	snprintf(link, sizeof(link), "%s/link/hooks", repo);
	assert_int_equal(path_within(link, repo), 0);
	/* Two missing components, or a missing "..": cannot tell. */
	snprintf(in, sizeof(in), "%s/a/b", repo);
	assert_int_equal(path_within(in, repo), -1);
	snprintf(in, sizeof(in), "%s/a/..", repo);
	assert_int_equal(path_within(in, repo), -1);
	assert_int_equal(path_within(repo, "/"), 1);
	assert_int_equal(tmpdir_remove(dir), 0);
}

static void test_path_dir_open_nofollow(void **state)
{
	char dir[256], sub[300], link[300], via[340];
	struct stat want, got;
	char *real;
	int fd;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "owner"), 0);
	real = realpath(dir, NULL);
	assert_non_null(real);
	snprintf(sub, sizeof(sub), "%s/sub", real);
	assert_int_equal(mkdir(sub, 0777), 0);
	assert_int_equal(stat(sub, &want), 0);
	fd = path_dir_open_nofollow(sub);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &got), 0);
	assert_int_equal(got.st_ino, want.st_ino);
	assert_int_equal(got.st_dev, want.st_dev);
	/* Good for *at() calls and fsync (not O_PATH). */
	assert_int_equal(fsync(fd), 0);
	assert_string_equal(rt_file_at_name(fd, sub), "sub");
	assert_string_equal(rt_file_at_name(AT_FDCWD, sub), sub);
	close(fd);
	fd = path_dir_open_nofollow("/");
	assert_true(fd >= 0);
	close(fd);
	/* A symlink as the last component or on the way is not followed. */
	snprintf(link, sizeof(link), "%s/link", real);
	assert_int_equal(symlink(sub, link), 0);
	assert_int_equal(path_dir_open_nofollow(link), -1);
	snprintf(via, sizeof(via), "%s/link/x", real);
	assert_int_equal(mkdir(via, 0777), 0);
	assert_int_equal(path_dir_open_nofollow(via), -1);
	/* Missing, relative, or not resolved ("." or ".."). */
	snprintf(via, sizeof(via), "%s/missing", real);
	assert_int_equal(path_dir_open_nofollow(via), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(path_dir_open_nofollow("tmp"), -1);
	snprintf(via, sizeof(via), "%s/sub/..", real);
	assert_int_equal(path_dir_open_nofollow(via), -1);
	snprintf(via, sizeof(via), "%s/./sub", real);
	assert_int_equal(path_dir_open_nofollow(via), -1);
	free(real);
	assert_int_equal(tmpdir_remove(dir), 0);
}

static void test_spawn_run(void **state)
{
	const char *fails[] = { "sh", "-c", "echo out; echo err >&2; exit 3",
				NULL };
	const char *cat[] = { "cat", NULL };
	const char *missing[] = { "git-reftable-no-such-program", NULL };
	struct rt_err err = { 0 };
	struct spawn_result r;
	char *sh = spawn_find("sh");
	(void)state;

	assert_non_null(sh);
	assert_int_equal(sh[0], '/');
	free(sh);
	assert_true(spawn_have("sh"));
	assert_false(spawn_have("git-reftable-no-such-program"));

	/* Status, stdout as written, stderr without its last newline. */
	assert_int_equal(spawn_run(fails, NULL, 0, &r, &err), 3);
	assert_string_equal(r.out, "out\n");
	assert_int_equal(r.outlen, 4);
	assert_string_equal(r.err, "err");
	spawn_result_release(&r);
	assert_int_equal(err.code, 0);

	assert_int_equal(spawn_run(cat, "in\0put", 6, &r, &err), 0);
	assert_int_equal(r.outlen, 6);
	assert_memory_equal(r.out, "in\0put", 6);
	spawn_result_release(&r);

	/* A program that is not there is told apart from one that failed. */
	assert_int_equal(spawn_run(missing, NULL, 0, &r, &err),
			 RT_ERR_NOT_EXIST);
	assert_string_equal(err.msg, "cannot run git-reftable-no-such-program: "
				     "not found on PATH");
	assert_null(r.out);
}

static void test_spawn_run_ok(void **state)
{
	const char *fails[] = { "sh", "-c", "echo out; echo err >&2; exit 3",
				NULL };
	struct rt_err err = { 0 };
	struct spawn_result r;
	(void)state;

	assert_int_equal(spawn_run_ok(fails, NULL, 0, -1, &r, &err), RT_ERR_IO);
	assert_string_equal(err.msg, "'sh -c echo out; echo err >&2; exit 3' "
				     "failed (exit 3): err");
	assert_null(r.out);
	rt_err_clear(&err);
	/* The status the caller allows is no error. */
	assert_int_equal(spawn_run_ok(fails, NULL, 0, 3, &r, &err), 3);
	assert_string_equal(r.out, "out\n");
	spawn_result_release(&r);
	assert_int_equal(spawn_run_ok(fails, NULL, 0, 3, NULL, &err), 3);
	assert_int_equal(err.code, 0);
}

/*
 * A job whose stdout cannot be read back (here its temp file is swapped
 * for a write-only one) but whose stderr can: no output, an error.
 */
static void test_spawn_job_unreadable_out(void **state)
{
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	struct spawn_job j;
	struct spawn_result r;
	struct rt_err err = { 0 };
	char dir[256], path[300];
	int wstatus;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "spawnjob"), 0);
	assert_int_equal(spawn_job_start(&j, argv, &err), 0);
	while (waitpid(j.pid, &wstatus, 0) < 0)
		;
	snprintf(path, sizeof(path), "%s/out", dir);
	fclose(j.out);
	assert_non_null(j.out = fopen(path, "a"));
	assert_true(fputs("out\n", j.out) >= 0);
	assert_int_equal(fflush(j.out), 0);
	assert_int_equal(spawn_job_finish(&j, wstatus, &r), RT_ERR_NOMEM);
	assert_null(r.out);
	assert_null(r.err);
	assert_int_equal(tmpdir_remove(dir), 0);
}

static void test_spawn_pipe(void **state)
{
	const char *cat[] = { "cat", NULL };
	const char *missing[] = { "git-reftable-no-such-program", NULL };
	struct spawn_pipe p;
	struct rt_err err = { 0 };
	char line[64];
	(void)state;

	assert_int_equal(spawn_pipe_start(&p, cat, &err), 0);
	for (int i = 0; i < 3; i++) {
		char want[16];

		snprintf(want, sizeof(want), "line %d\n", i);
		assert_true(fputs(want, p.to) >= 0);
		assert_int_equal(fflush(p.to), 0);
		assert_non_null(fgets(line, sizeof(line), p.from));
		assert_string_equal(line, want);
	}
	assert_int_equal(spawn_pipe_finish(&p), 0);
	assert_int_equal(spawn_pipe_finish(&p), -1);

	assert_int_equal(spawn_pipe_start(&p, missing, &err), RT_ERR_NOT_EXIST);
	assert_int_equal(p.pid, -1);
	assert_null(p.to);
}

static void test_spawn_self(void **state)
{
	char *self = spawn_self();
	const char *base;
	(void)state;

	assert_non_null(self);
	base = strrchr(self, '/');
	assert_non_null(base);
	assert_string_equal(base, "/test_util");
	free(self);
}

/*
 * A log line that does not fit (a full disk, simulated with a file size
 * limit) is an error naming the log, not a silent loss; a log that is a
 * symlink or FIFO is refused without writing or blocking.
 */
static void test_logfile_append_errors(void **state)
{
	char dir[256], path[300], fifo[300], target[300];
	struct rt_err err = { 0 };
	struct stat st;
	struct rlimit saved, limited;
	void (*old_xfsz)(int);
	int ret;

	(void)state;
	assert_int_equal(tmpdir_make(dir, sizeof(dir), "logfile"), 0);
	snprintf(path, sizeof(path), "%s/hook.log", dir);
	assert_int_equal(
		logfile_append_at(AT_FDCWD, path, 0, "tag", "one", 3, &err), 0);
	assert_int_equal(stat(path, &st), 0);

	/*
	 * A file-size limit just past the log's size stands in for a full
	 * disk. Only the soft limit is lowered, so it can be put back (no
	 * child process: under valgrind its exit would report the parent's
	 * memory as leaked).
	 */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	limited = saved;
	limited.rlim_cur = (rlim_t)st.st_size + 8;
	old_xfsz = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limited), 0);
	ret = logfile_append_at(AT_FDCWD, path, 0, "tag",
				"a line too long to fit", 22, &err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, old_xfsz);
	assert_int_equal(ret, RT_ERR_IO);
	assert_non_null(strstr(err.msg, "cannot write "));
	assert_non_null(strstr(err.msg, "hook.log"));

	snprintf(target, sizeof(target), "%s/target", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
	rt_err_clear(&err);
	assert_int_equal(logfile_append_at(AT_FDCWD, path, 0, "tag", "x", 1,
					   &err),
			 RT_ERR_IO);
	assert_int_equal(access(target, F_OK), -1);
	snprintf(fifo, sizeof(fifo), "%s/fifo.log", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	rt_err_clear(&err);
	assert_int_equal(logfile_append_at(AT_FDCWD, fifo, 0, "tag", "x", 1,
					   &err),
			 RT_ERR_IO);
	assert_non_null(strstr(err.msg, "(it is a FIFO)"));
	assert_int_equal(tmpdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_sh),
		cmocka_unit_test(test_logfile_append_errors),
		cmocka_unit_test(test_quote_unit),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_path_mkdirs),
		cmocka_unit_test(test_path_within),
		cmocka_unit_test(test_path_dir_open_nofollow),
		cmocka_unit_test(test_spawn_run),
		cmocka_unit_test(test_spawn_run_ok),
		cmocka_unit_test(test_spawn_job_unreadable_out),
		cmocka_unit_test(test_spawn_pipe),
		cmocka_unit_test(test_spawn_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
