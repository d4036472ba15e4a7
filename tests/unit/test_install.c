/*
 * Unit tests of plugin/hooks/install.c and scripts.c: the config entries
 * install sets, and the scripts way in a hooks directory: a user's hook
 * moved aside and chained, put back by uninstall byte for byte, a hooks
 * directory created and removed again, and the refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/hooks/install.h"
#include "plugin/hooks/scripts.h"
#include "testutil.h"

#define SELF "/usr/libexec/git-core/git-reftable"
#define USER_HOOK "#!/bin/sh\necho the user's hook\n"

static void test_config_entries(void **state)
{
	struct hooks_config_entry e[HOOKS_NCONFIG];
	struct rt_err err = { 0 };
	(void)state;

	assert_int_equal(hooks_config_entries(SELF, e, &err), 0);
	assert_string_equal(e[0].key, "hook.git-reftable-reftx.command");
	/* Guarded: a binary gone skips the hook, Git goes on. */
	assert_string_equal(e[0].value,
			    "test -x '" SELF "' || exit 0; exec '" SELF
			    "' hook reference-transaction");
	assert_string_equal(e[1].key, "hook.git-reftable-reftx.event");
	assert_string_equal(e[1].value, "reference-transaction");
	assert_string_equal(e[2].key, "hook.git-reftable-autogc.command");
	assert_string_equal(e[2].value,
			    "test -x '" SELF "' || exit 0; exec '" SELF
			    "' hook pre-auto-gc");
	assert_string_equal(e[3].key, "hook.git-reftable-autogc.event");
	assert_string_equal(e[3].value, "pre-auto-gc");
	hooks_config_release(e);

	/* A path Git would hand to sh: the shell form, quoted. */
	assert_int_equal(hooks_config_entries("/opt/it's mine/git-reftable", e,
					      &err),
			 0);
	assert_string_equal(e[0].value,
			    "test -x '/opt/it'\\''s mine/git-reftable' || exit "
			    "0; exec '/opt/it'\\''s mine/git-reftable' hook "
			    "reference-transaction");
	hooks_config_release(e);
	hooks_config_release(e); /* harmless */
}

static void test_config_is(void **state)
{
	(void)state;
	assert_true(hooks_config_is("pre-auto-gc\n", "pre-auto-gc"));
	assert_false(hooks_config_is(NULL, "pre-auto-gc"));
	assert_false(hooks_config_is("pre-auto-gc", "pre-auto-gc"));
	assert_false(hooks_config_is("pre-auto-gcc\n", "pre-auto-gc"));
	/* Set twice is not "exactly one value": it is replaced. */
	assert_false(
		hooks_config_is("pre-auto-gc\npre-auto-gc\n", "pre-auto-gc"));
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 16384);

	assert_non_null(f);
	assert_non_null(text);
	assert_true(fread(text, 1, 16383, f) < 16383);
	fclose(f);
	return text;
}

static void write_hook(const char *path, const char *text)
{
	assert_int_equal(file_write_text(path, text), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

/* Install into `dir`: something changes the first time, nothing after. */
static void install_twice(const char *dir)
{
	struct hooks_report r = { 0 };
	struct rt_err err = { 0 };

	assert_int_equal(hooks_scripts_install(dir, SELF, false, &r, &err), 0);
	assert_true(r.changed);
	r.changed = false;
	assert_int_equal(hooks_scripts_install(dir, SELF, false, &r, &err), 0);
	assert_false(r.changed);
}

static void check_link(const char *path)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, SELF);
}

/* No hooks directory: created, symlinks in it; all gone after. */
static void test_scripts_new_dir(void **state)
{
	struct hooks_report r;
	struct rt_err err = { 0 };
	char top[256], dir[300], path[400];
	(void)state;

	assert_int_equal(tmpdir_make(top, sizeof(top), "hooks"), 0);
	snprintf(dir, sizeof(dir), "%s/hooks", top);
	install_twice(dir);
	for (size_t i = 0; i < HOOKS_NEVENTS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 hooks_events[i].event);
		check_link(path);
	}

	memset(&r, 0, sizeof(r));
	assert_int_equal(hooks_scripts_uninstall(dir, false, &r, &err), 0);
	assert_true(r.changed);
	assert_int_equal(r.nnotes, 0);
	assert_int_equal(access(dir, F_OK), -1);
	memset(&r, 0, sizeof(r));
	assert_int_equal(hooks_scripts_uninstall(dir, false, &r, &err), 0);
	assert_false(r.changed);
	assert_int_equal(tmpdir_remove(top), 0);
}

/* A user's hook: moved aside, chained by our script, put back after. */
static void test_scripts_chain(void **state)
{
	struct hooks_report r;
	struct rt_err err = { 0 };
	char dir[256], path[300], orig[320], *text, *want;
	struct stat st;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "hooks"), 0);
	snprintf(path, sizeof(path), "%s/reference-transaction", dir);
	snprintf(orig, sizeof(orig), "%s" HOOKS_ORIG_SUFFIX, path);
	write_hook(path, USER_HOOK);

	install_twice(dir);
	text = read_text(orig);
	assert_string_equal(text, USER_HOOK);
	free(text);
	text = read_text(path);
	want = hooks_script_text(SELF, "reference-transaction");
	assert_non_null(want);
	assert_string_equal(text, want);
	assert_non_null(strstr(text, HOOKS_SCRIPT_MARKER));
	assert_non_null(strstr(text, "exec '" SELF
				     "' hook reference-transaction \"$@\"\n"));
	free(want);
	free(text);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0755);
	snprintf(path, sizeof(path), "%s/pre-auto-gc", dir);
	check_link(path);

	memset(&r, 0, sizeof(r));
	assert_int_equal(hooks_scripts_uninstall(dir, false, &r, &err), 0);
	assert_true(r.changed);
	snprintf(path, sizeof(path), "%s/reference-transaction", dir);
	text = read_text(path);
	assert_string_equal(text, USER_HOOK);
	free(text);
	assert_int_equal(access(orig, F_OK), -1);
	snprintf(path, sizeof(path), "%s/pre-auto-gc", dir);
	assert_int_equal(lstat(path, &st), -1);
	/* Not created by install: the directory stays. */
	assert_int_equal(access(dir, F_OK), 0);
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* A user's hook beside a moved-aside one: refused, left for the user. */
static void test_scripts_taken(void **state)
{
	struct hooks_report r;
	struct rt_err err = { 0 };
	char dir[256], path[300], orig[320], *text;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "hooks"), 0);
	snprintf(path, sizeof(path), "%s/pre-auto-gc", dir);
	snprintf(orig, sizeof(orig), "%s" HOOKS_ORIG_SUFFIX, path);
	write_hook(path, USER_HOOK);
	write_hook(orig, "#!/bin/sh\n");

	memset(&r, 0, sizeof(r));
	assert_int_equal(hooks_scripts_install(dir, SELF, false, &r, &err),
			 RT_ERR_API);
	assert_non_null(strstr(err.msg, "both "));
	assert_non_null(strstr(err.msg, "; keep one of them"));
	assert_false(r.changed);
	snprintf(path, sizeof(path), "%s/reference-transaction", dir);
	assert_int_equal(access(path, F_OK), -1);

	/* uninstall leaves them too, and says so. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(hooks_scripts_uninstall(dir, false, &r, &err), 0);
	assert_false(r.changed);
	assert_int_equal(r.nnotes, 1);
	assert_non_null(strstr(r.notes[0], "/pre-auto-gc is not ours; left "
					   "it and "));
	hooks_report_release(&r);
	snprintf(path, sizeof(path), "%s/pre-auto-gc", dir);
	text = read_text(path);
	assert_string_equal(text, USER_HOOK);
	free(text);
	assert_int_equal(tmpdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_entries),
		cmocka_unit_test(test_config_is),
		cmocka_unit_test(test_scripts_new_dir),
		cmocka_unit_test(test_scripts_chain),
		cmocka_unit_test(test_scripts_taken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
