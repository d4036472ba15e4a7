/*
 * Unit tests of plugin/hooks/install.c, scripts.c and takeover.c: the
 * config entries install sets, and the scripts way in a hooks directory:
 * a user's hook moved aside and chained, put back by uninstall byte for
 * byte, a hooks directory created and removed again, and the refusals;
 * the take-over file and its include, taken out again byte for byte.
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

#include "plugin/git/config.h"
#include "plugin/hooks/install.h"
#include "plugin/hooks/scripts.h"
#include "plugin/hooks/takeover.h"
#include "testutil.h"

#define SELF "/usr/libexec/git-core/git-reftable"
#define USER_HOOK "#!/bin/sh\necho the user's hook\n"

static void test_config_entries(void **state)
{
	struct hooks_config_entry e[HOOKS_NCONFIG];
	struct rt_err err = { 0 };
	(void)state;

	assert_int_equal(hooks_config_entries(SELF, HOOKS_TRANSACTION, e, &err),
			 0);
	assert_string_equal(e[0].key, "hook.git-reftable-reftx.command");
	/*
	 * Guarded: a binary gone skips the hook, Git goes on; only the
	 * committed state starts it.
	 */
	assert_string_equal(e[0].value,
			    "test \"$1\" = committed && test -x '" SELF
			    "' && exec '" SELF
			    "' hook reference-transaction \"$@\"; :");
	assert_string_equal(e[1].key, "hook.git-reftable-reftx.event");
	assert_string_equal(e[1].value, "reference-transaction");
	/* The after-write events are not this trigger's. */
	for (size_t i = 2; i < 10; i++)
		assert_null(e[i].key);
	assert_string_equal(e[10].key, "hook.git-reftable-autogc.command");
	assert_string_equal(e[10].value,
			    "test -x '" SELF "' || exit 0; exec '" SELF
			    "' hook pre-auto-gc");
	assert_string_equal(e[11].key, "hook.git-reftable-autogc.event");
	assert_string_equal(e[11].value, "pre-auto-gc");
	hooks_config_release(e);

	/* After writes: no reference-transaction, nothing under Git's lock. */
	assert_int_equal(hooks_config_entries(SELF, HOOKS_AFTER_WRITE, e, &err),
			 0);
	assert_null(e[0].key);
	assert_null(e[1].key);
	assert_string_equal(e[2].key, "hook.git-reftable-receive.command");
	assert_string_equal(e[2].value,
			    "test -x '" SELF "' || exit 0; exec '" SELF
			    "' hook post-receive");
	assert_string_equal(e[3].value, "post-receive");
	assert_string_equal(e[5].value, "post-commit");
	assert_string_equal(e[7].value, "post-merge");
	assert_string_equal(e[9].value, "post-rewrite");
	assert_string_equal(e[11].value, "pre-auto-gc");
	hooks_config_release(e);

	/* A path that needs quoting. */
	assert_int_equal(hooks_config_entries("/opt/it's mine/git-reftable",
					      HOOKS_TRANSACTION, e, &err),
			 0);
	assert_string_equal(e[10].value,
			    "test -x '/opt/it'\\''s mine/git-reftable' || exit "
			    "0; exec '/opt/it'\\''s mine/git-reftable' hook "
			    "pre-auto-gc");
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
static void install_twice(const char *dir, enum hooks_trigger trigger)
{
	struct hooks_report r = { 0 };
	struct rt_err err = { 0 };

	assert_int_equal(
		hooks_scripts_install(dir, SELF, trigger, false, &r, &err), 0);
	assert_true(r.changed);
	r.changed = false;
	assert_int_equal(
		hooks_scripts_install(dir, SELF, trigger, false, &r, &err), 0);
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
	install_twice(dir, HOOKS_AFTER_WRITE);
	for (size_t i = 0; i < HOOKS_NEVENTS; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir,
			 hooks_events[i].event);
		if (hooks_event_wanted(i, HOOKS_AFTER_WRITE))
			check_link(path);
		else
			assert_int_equal(lstat(path, &st), -1);
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

	install_twice(dir, HOOKS_TRANSACTION);
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

/*
 * Switching the trigger: our hooks of the other one go and the user's
 * hooks they chained come back; the user's hook of an event we do not
 * want is never touched.
 */
static void test_scripts_switch_trigger(void **state)
{
	struct hooks_report r;
	struct rt_err err = { 0 };
	char dir[256], commit[300], reftx[300], gc[300], *text;
	struct stat st;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "hooks"), 0);
	snprintf(commit, sizeof(commit), "%s/post-commit", dir);
	snprintf(reftx, sizeof(reftx), "%s/reference-transaction", dir);
	snprintf(gc, sizeof(gc), "%s/pre-auto-gc", dir);
	write_hook(commit, USER_HOOK);
	write_hook(reftx, USER_HOOK "# reftx\n");

	install_twice(dir, HOOKS_AFTER_WRITE);
	text = read_text(commit);
	assert_non_null(strstr(text, HOOKS_SCRIPT_MARKER));
	free(text);
	text = read_text(reftx);
	assert_string_equal(text, USER_HOOK "# reftx\n");
	free(text);
	check_link(gc);

	install_twice(dir, HOOKS_TRANSACTION);
	text = read_text(commit);
	assert_string_equal(text, USER_HOOK);
	free(text);
	text = read_text(reftx);
	assert_non_null(strstr(text, HOOKS_SCRIPT_MARKER));
	free(text);
	check_link(gc);
	snprintf(commit, sizeof(commit), "%s/post-receive", dir);
	assert_int_equal(lstat(commit, &st), -1);

	install_twice(dir, HOOKS_AFTER_WRITE);
	text = read_text(reftx);
	assert_string_equal(text, USER_HOOK "# reftx\n");
	free(text);
	check_link(commit);

	memset(&r, 0, sizeof(r));
	assert_int_equal(hooks_scripts_uninstall(dir, false, &r, &err), 0);
	assert_int_equal(r.nnotes, 0);
	snprintf(commit, sizeof(commit), "%s/post-commit", dir);
	text = read_text(commit);
	assert_string_equal(text, USER_HOOK);
	free(text);
	assert_int_equal(lstat(gc, &st), -1);
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* Events Git feeds on stdin hand it to both hooks when chained. */
static void test_script_text_stdin(void **state)
{
	static const char *const feed[] = { "reference-transaction",
					    "post-receive", "post-rewrite" };
	static const char *const plain[] = { "post-commit", "post-merge",
					     "pre-auto-gc" };
	(void)state;

	for (size_t i = 0; i < 3; i++) {
		char *t = hooks_script_text(SELF, feed[i]);

		assert_non_null(t);
		assert_non_null(strstr(t, "input=$(cat; echo .)"));
		free(t);
		t = hooks_script_text(SELF, plain[i]);
		assert_non_null(t);
		assert_null(strstr(t, "input="));
		assert_non_null(strstr(t, "\"$orig\" \"$@\" || exit $?"));
		free(t);
	}
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
	assert_int_equal(hooks_scripts_install(dir, SELF, HOOKS_AFTER_WRITE,
					       false, &r, &err),
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

#define TAKEOVER_TEXT                                                       \
	"[maintenance \"reflog-expire\"]\n\tenabled = false\n"              \
	"[maintenance \"pack-refs\"]\n\tenabled = false\n"                  \
	"[gc]\n\treflogExpire = never\n\treflogExpireUnreachable = never\n" \
	"[reftable]\n\tgeometricFactor = "
#define INCLUDE "[include]\n\tpath = " CONFIG_TAKEOVER_FILE "\n"

struct takeover_fx {
	char dir[256], config[300], file[300], lock[310];
};

static void takeover_at(struct takeover_fx *fx, const char *config)
{
	assert_int_equal(tmpdir_make(fx->dir, sizeof(fx->dir), "takeover"), 0);
	snprintf(fx->config, sizeof(fx->config), "%s/config", fx->dir);
	snprintf(fx->file, sizeof(fx->file), "%s/" CONFIG_TAKEOVER_FILE,
		 fx->dir);
	snprintf(fx->lock, sizeof(fx->lock), "%s.lock", fx->config);
	assert_int_equal(file_write_text(fx->config, config), 0);
}

static void install_ok(struct takeover_fx *fx, unsigned factor, bool bare_end,
		       bool dry_run, enum takeover_change file_change,
		       enum takeover_change include_change)
{
	struct takeover_report r;
	struct rt_err err = { 0 };

	assert_int_equal(takeover_install(fx->dir, factor, bare_end, dry_run,
					  &r, &err),
			 0);
	assert_int_equal(r.file_change, file_change);
	assert_int_equal(r.include_change, include_change);
	assert_string_equal(r.file, fx->file);
	assert_string_equal(r.config, fx->config);
	takeover_report_release(&r);
}

static void uninstall_ok(struct takeover_fx *fx, const char *config_before)
{
	struct takeover_report r;
	struct rt_err err = { 0 };
	char *text;

	assert_int_equal(takeover_uninstall(fx->dir, &r, &err), 0);
	assert_int_equal(r.include_change, TAKEOVER_REMOVED);
	assert_int_equal(r.file_change, TAKEOVER_REMOVED);
	takeover_report_release(&r);
	text = read_text(fx->config);
	assert_string_equal(text, config_before);
	free(text);
	assert_int_equal(access(fx->file, F_OK), -1);
}

/* Settings as the file says; the include last; all gone after. */
static void test_takeover_install(void **state)
{
	static const char before[] = "[core]\n\tbare = false\n[include]\n"
				     "\tpath = other.config\n";
	struct takeover_setting set[TAKEOVER_NSETTINGS];
	struct takeover_fx fx;
	struct stat st;
	char *text;
	(void)state;

	takeover_settings(7, set);
	assert_string_equal(set[0].section, "maintenance");
	assert_string_equal(set[0].subsection, "reflog-expire");
	assert_string_equal(set[4].value, "7");

	takeover_at(&fx, before);
	assert_int_equal(chmod(fx.config, 0640), 0);
	/* A dry run changes nothing and says what would change. */
	install_ok(&fx, 2, false, true, TAKEOVER_ADDED, TAKEOVER_ADDED);
	assert_int_equal(access(fx.file, F_OK), -1);
	text = read_text(fx.config);
	assert_string_equal(text, before);
	free(text);

	install_ok(&fx, 2, false, false, TAKEOVER_ADDED, TAKEOVER_ADDED);
	/* A section of its own after the user's [include]: last. */
	text = read_text(fx.config);
	assert_string_equal(text, "[core]\n\tbare = false\n[include]\n"
				  "\tpath = other.config\n" INCLUDE);
	free(text);
	text = read_text(fx.file);
	assert_non_null(strstr(text, "\n" TAKEOVER_TEXT "2\n"));
	assert_null(strstr(text, "git-reftable: install"));
	free(text);
	assert_int_equal(stat(fx.file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(stat(fx.config, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(access(fx.lock, F_OK), -1);

	/* Again: nothing; another factor: the file only. */
	install_ok(&fx, 2, false, false, TAKEOVER_KEPT, TAKEOVER_KEPT);
	install_ok(&fx, 5, false, true, TAKEOVER_REPLACED, TAKEOVER_KEPT);
	install_ok(&fx, 5, false, false, TAKEOVER_REPLACED, TAKEOVER_KEPT);
	text = read_text(fx.file);
	assert_non_null(strstr(text, TAKEOVER_TEXT "5\n"));
	free(text);

	uninstall_ok(&fx, before);
	assert_int_equal(tmpdir_remove(fx.dir), 0);
}

/*
 * A config without a newline at its end gets one before the include,
 * taken out again; so does one whose newline came from the hooks'
 * `git config` (bare_end).
 */
static void test_takeover_newline(void **state)
{
	static const char bare[] = "[core]\n\tbare = false";
	struct takeover_fx fx;
	unsigned marks;
	char *text;
	(void)state;

	takeover_at(&fx, bare);
	install_ok(&fx, 2, false, false, TAKEOVER_ADDED, TAKEOVER_ADDED);
	text = read_text(fx.config);
	assert_string_equal(text, "[core]\n\tbare = false\n" INCLUDE);
	free(text);
	assert_int_equal(takeover_marks(fx.dir, &marks, NULL), 0);
	assert_int_equal(marks, TAKEOVER_NEWLINE);
	install_ok(&fx, 2, false, false, TAKEOVER_KEPT, TAKEOVER_KEPT);
	uninstall_ok(&fx, bare);

	/* The hooks' section, added by git with the newline, then removed. */
	assert_int_equal(file_write_text(fx.config,
					 "[core]\n\tbare = false\n"
					 "[hook \"x\"]\n\tevent = y\n"),
			 0);
	install_ok(&fx, 2, true, false, TAKEOVER_ADDED, TAKEOVER_ADDED);
	assert_int_equal(file_write_text(fx.config,
					 "[core]\n\tbare = false\n" INCLUDE),
			 0);
	uninstall_ok(&fx, bare);
	assert_int_equal(tmpdir_remove(fx.dir), 0);
}

/*
 * What the user appends after the include is followed by it again on the
 * next install; a key Git added into our section leaves the section to
 * `git config --unset`; marks are kept and reported.
 */
static void test_takeover_edited(void **state)
{
	static const char before[] = "[core]\n\tbare = false\n";
	struct takeover_report r;
	struct rt_err err = { 0 };
	struct takeover_fx fx;
	unsigned marks;
	char *text;
	(void)state;

	takeover_at(&fx, before);
	install_ok(&fx, 2, false, false, TAKEOVER_ADDED, TAKEOVER_ADDED);
	assert_int_equal(takeover_mark(fx.dir, TAKEOVER_SCHEDULED, &err), 0);
	assert_int_equal(takeover_mark(fx.dir, TAKEOVER_SCHEDULED, &err), 0);
	assert_int_equal(file_write_text(fx.config,
					 "[core]\n\tbare = false\n" INCLUDE
					 "[gc]\n\treflogExpire = 1.day\n"),
			 0);
	install_ok(&fx, 2, false, true, TAKEOVER_KEPT, TAKEOVER_REPLACED);
	install_ok(&fx, 2, false, false, TAKEOVER_KEPT, TAKEOVER_REPLACED);
	text = read_text(fx.config);
	assert_string_equal(text, "[core]\n\tbare = false\n"
				  "[gc]\n\treflogExpire = 1.day\n" INCLUDE);
	free(text);
	assert_int_equal(takeover_marks(fx.dir, &marks, &err), 0);
	assert_int_equal(marks, TAKEOVER_SCHEDULED);
	text = read_text(fx.file);
	assert_non_null(strstr(text, "\n# git-reftable: install --schedule "
				     "registered this repository\n"));
	free(text);

	/* `git config --add include.path x` lands in our section. */
	assert_int_equal(file_write_text(fx.config,
					 "[core]\n\tbare = false\n" INCLUDE
					 "\tpath = x\n"),
			 0);
	assert_int_equal(takeover_uninstall(fx.dir, &r, &err), 0);
	assert_int_equal(r.include_change, TAKEOVER_REMOVED);
	assert_int_equal(r.file_change, TAKEOVER_REMOVED);
	assert_int_equal(r.marks, TAKEOVER_SCHEDULED);
	takeover_report_release(&r);
	text = read_text(fx.config);
	assert_string_equal(text, "[core]\n\tbare = false\n[include]\n"
				  "\tpath = x\n");
	free(text);

	/* Nothing left: nothing to do. */
	assert_int_equal(takeover_uninstall(fx.dir, &r, &err), 0);
	assert_int_equal(r.include_change, TAKEOVER_KEPT);
	assert_int_equal(r.file_change, TAKEOVER_KEPT);
	assert_int_equal(r.marks, 0);
	takeover_report_release(&r);
	assert_int_equal(tmpdir_remove(fx.dir), 0);
}

/* Git's lock held, a symlinked config, a factor Git refuses: no change. */
static void test_takeover_refused(void **state)
{
	struct takeover_report r;
	struct rt_err err = { 0 };
	struct takeover_fx fx;
	char target[320];
	(void)state;

	takeover_at(&fx, "[core]\n");
	assert_int_equal(file_write_text(fx.lock, ""), 0);
	assert_int_equal(takeover_install(fx.dir, 2, false, false, &r, &err),
			 RT_ERR_LOCK);
	assert_non_null(strstr(err.msg, "cannot lock"));
	takeover_report_release(&r);
	assert_int_equal(access(fx.file, F_OK), -1);
	/* Git's lock is Git's: left alone. */
	assert_int_equal(access(fx.lock, F_OK), 0);
	assert_int_equal(unlink(fx.lock), 0);

	rt_err_clear(&err);
	assert_int_equal(takeover_install(fx.dir, TAKEOVER_MAX_FACTOR + 1,
					  false, false, &r, &err),
			 RT_ERR_API);
	takeover_report_release(&r);

	rt_err_clear(&err);
	snprintf(target, sizeof(target), "%s/real-config", fx.dir);
	assert_int_equal(rename(fx.config, target), 0);
	assert_int_equal(symlink(target, fx.config), 0);
	assert_int_equal(takeover_install(fx.dir, 2, false, false, &r, &err),
			 RT_ERR_API);
	assert_non_null(strstr(err.msg, "not a regular file"));
	takeover_report_release(&r);
	assert_int_equal(access(fx.file, F_OK), -1);
	/* Uninstall finds nothing of ours there, and is fine with that. */
	rt_err_clear(&err);
	assert_int_equal(takeover_uninstall(fx.dir, &r, &err), 0);
	assert_int_equal(r.include_change, TAKEOVER_KEPT);
	takeover_report_release(&r);
	assert_int_equal(tmpdir_remove(fx.dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_entries),
		cmocka_unit_test(test_config_is),
		cmocka_unit_test(test_scripts_new_dir),
		cmocka_unit_test(test_scripts_chain),
		cmocka_unit_test(test_scripts_taken),
		cmocka_unit_test(test_scripts_switch_trigger),
		cmocka_unit_test(test_script_text_stdin),
		cmocka_unit_test(test_takeover_install),
		cmocka_unit_test(test_takeover_newline),
		cmocka_unit_test(test_takeover_edited),
		cmocka_unit_test(test_takeover_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
