/*
 * Unit tests of plugin/git/owner.c: Git's ownership rule. The paths are
 * the test's own; GIT_TEST_ASSUME_DIFFERENT_OWNER (which Git honours
 * too) makes them someone else's, and safe.directory comes from `git -c`
 * (GIT_CONFIG_COUNT) and a global file, as Git layers them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin/git/owner.h"
#include "testutil.h"

struct fixture {
	char dir[256];
	char repo[300]; /* <dir>/my repo: a space, for the hint's quoting */
	char git[320];
	char global[300];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx || tmpdir_make(fx->dir, sizeof(fx->dir), "owner"))
		return -1;
	snprintf(fx->repo, sizeof(fx->repo), "%s/my repo", fx->dir);
	snprintf(fx->git, sizeof(fx->git), "%s/.git", fx->repo);
	snprintf(fx->global, sizeof(fx->global), "%s/global", fx->dir);
	if (mkdir(fx->repo, 0755) || mkdir(fx->git, 0755))
		return -1;
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", fx->global, 1);
	unsetenv("GIT_CONFIG_PARAMETERS");
	unsetenv("GIT_CONFIG_COUNT");
	unsetenv("GIT_TEST_ASSUME_DIFFERENT_OWNER");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int ret = tmpdir_remove(fx->dir);

	unsetenv("GIT_CONFIG_COUNT");
	unsetenv("GIT_TEST_ASSUME_DIFFERENT_OWNER");
	free(fx);
	return ret;
}

/* `git -c safe.directory=<v>` for each value, in order. */
static void safe_dirs(int n, ...)
{
	char key[32], num[16];
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "GIT_CONFIG_KEY_%d", i);
		setenv(key, "safe.directory", 1);
		snprintf(key, sizeof(key), "GIT_CONFIG_VALUE_%d", i);
		setenv(key, va_arg(ap, const char *), 1);
	}
	va_end(ap);
	snprintf(num, sizeof(num), "%d", n);
	setenv("GIT_CONFIG_COUNT", num, 1);
}

static int check(const struct fixture *fx, struct rt_err *err)
{
	rt_err_clear(err);
	return owner_check(NULL, fx->repo, fx->git, err);
}

static void test_own_and_foreign(void **state)
{
	struct fixture *fx = *state;
	struct rt_err err = { 0 };
	char want[1024];

	assert_true(owner_is_current_user(fx->repo));
	assert_int_equal(check(fx, &err), 0);
	setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "true", 1);
	assert_false(owner_is_current_user(fx->repo));
	assert_int_equal(check(fx, &err), RT_ERR_UNSAFE);
	/* Git's message; the hint quoted for sh, as Git quotes it. */
	snprintf(want, sizeof(want),
		 "detected dubious ownership in repository at '%s'\n"
		 "To add an exception for this directory, call:\n\n"
		 "\tgit config --global --add safe.directory '%s'",
		 fx->repo, fx->repo);
	assert_string_equal(err.msg, want);
	/* A bare repository is named by its git dir. */
	rt_err_clear(&err);
	assert_int_equal(owner_check(NULL, NULL, fx->git, &err), RT_ERR_UNSAFE);
	assert_non_null(strstr(err.msg, ".git'\n"));
}

static void test_safe_directory(void **state)
{
	struct fixture *fx = *state;
	struct rt_err err = { 0 };
	char v[400], parent[300];
	FILE *f;

	setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1", 1);
	safe_dirs(1, "*");
	assert_int_equal(check(fx, &err), 0);
	safe_dirs(1, fx->repo);
	assert_int_equal(check(fx, &err), 0);
	snprintf(v, sizeof(v), "%s/", fx->repo);
	safe_dirs(1, v);
	assert_int_equal(check(fx, &err), 0);
	snprintf(v, sizeof(v), "%s/*", fx->dir);
	safe_dirs(1, v);
	assert_int_equal(check(fx, &err), 0);
	/* Below the repository is not the repository. */
	snprintf(v, sizeof(v), "%s/*", fx->repo);
	safe_dirs(1, v);
	assert_int_equal(check(fx, &err), RT_ERR_UNSAFE);
	/* A sibling's name that the repository's starts with. */
	snprintf(parent, sizeof(parent), "%s/my", fx->dir);
	assert_int_equal(mkdir(parent, 0755), 0);
	snprintf(v, sizeof(v), "%s/*", parent);
	safe_dirs(1, v);
	assert_int_equal(check(fx, &err), RT_ERR_UNSAFE);
	/* Relative paths other than "." are ignored; "" resets. */
	safe_dirs(1, "my repo");
	assert_int_equal(check(fx, &err), RT_ERR_UNSAFE);
	safe_dirs(2, "*", "");
	assert_int_equal(check(fx, &err), RT_ERR_UNSAFE);
	safe_dirs(3, "*", "", fx->repo);
	assert_int_equal(check(fx, &err), 0);
	/* From the global file too, under the command line's. */
	unsetenv("GIT_CONFIG_COUNT");
	f = fopen(fx->global, "w");
	assert_non_null(f);
	fprintf(f, "[safe]\n\tdirectory = %s\n", fx->repo);
	fclose(f);
	assert_int_equal(check(fx, &err), 0);
	safe_dirs(1, "");
	assert_int_equal(check(fx, &err), RT_ERR_UNSAFE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_own_and_foreign, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_safe_directory, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
