/*
 * Unit tests of plugin/git/config.c and config_env.c: the plain config
 * file parser, the order in which Git's files and `git -c` are layered
 * without starting git, the take-over file left out of what git lists,
 * value parsing, and the stack options derived from the config.
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

#include "plugin/git/config.h"
#include "plugin/git/repo.h"
#include "testutil.h"

struct fixture {
	char dir[256];
	char path[300];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx || tmpdir_make(fx->dir, sizeof(fx->dir), "config"))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/config", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int ret = tmpdir_remove(fx->dir);

	free(fx);
	return ret;
}

/* No system config, `global` as the global one (config_load_files()). */
static void isolate(const char *global)
{
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", global, 1);
}

static void unisolate(void)
{
	unsetenv("GIT_CONFIG_GLOBAL");
	unsetenv("GIT_CONFIG_NOSYSTEM");
}

/* The parse of `text` as a config file. */
static void parse_text(struct fixture *fx, const char *text, struct config *cfg)
{
	struct rt_err err = { 0 };

	assert_int_equal(file_write_text(fx->path, text), 0);
	memset(cfg, 0, sizeof(*cfg));
	assert_int_equal(config_parse_file(cfg, fx->path, &err), 0);
}

static void test_parse_file(void **state)
{
	struct fixture *fx = *state;
	struct config cfg;

	parse_text(fx,
		   "# a comment\n"
		   "; another\n"
		   "[Core]\n"
		   "\tRepositoryFormatVersion = 1\n"
		   "\tbare\n"
		   "[reftable]\n"
		   "\tblockSize = 8k ; a comment after the value\n"
		   "[remote \"Origin\"]\n"
		   "\turl = \"a b # not a comment\" # a comment\n"
		   "\tfetch = +refs/heads/*:refs/remotes/origin/*\r\n"
		   "[hook \"x\"] command = \"say \\\"hi\\\"\\\\\\tend\"\n"
		   "[extensions]\n"
		   "\trefStorage = files\n"
		   "\trefStorage = reftable\n"
		   "  empty =\n",
		   &cfg);
	/* Section and key names are lowercased; subsections are not. */
	assert_string_equal(config_get(&cfg, "core.repositoryformatversion"),
			    "1");
	/* A key without '=' is true; look-ups ignore case. */
	assert_string_equal(config_get(&cfg, "core.bare"), "true");
	assert_string_equal(config_get(&cfg, "Reftable.BlockSize"), "8k");
	assert_string_equal(config_get(&cfg, "remote.Origin.url"),
			    "a b # not a comment");
	assert_string_equal(config_get(&cfg, "remote.origin.fetch"),
			    "+refs/heads/*:refs/remotes/origin/*");
	/* A key on the section's line; escapes inside quotes. */
	assert_string_equal(config_get(&cfg, "hook.x.command"),
			    "say \"hi\"\\\tend");
	/* The last value wins. */
	assert_string_equal(config_get(&cfg, "extensions.refstorage"),
			    "reftable");
	assert_string_equal(config_get(&cfg, "extensions.empty"), "");
	assert_null(config_get(&cfg, "core.missing"));
	assert_int_equal(cfg.n, 9);
	assert_false(cfg.unsure);
	assert_true(config_plain_complete(&cfg));
	config_release(&cfg);
}

/* What the plain parser may read otherwise than Git says so. */
static void test_parse_unsure(void **state)
{
	static const char *const texts[] = {
		"[a]\n\tb = one \\\n two\n", /* a continuation line */
		"[a]\n\tb = \\b\n", /* \b: a backspace for Git */
		"[a]\n\tb = \"open\n", /* an unclosed quote */
		"[a\n\tb = c\n", /* an unclosed section header */
	};
	struct fixture *fx = *state;
	struct config cfg;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		parse_text(fx, texts[i], &cfg);
		assert_true(cfg.unsure);
		assert_false(config_plain_complete(&cfg));
		config_release(&cfg);
	}
	parse_text(fx, "[include]\n\tpath = other\n", &cfg);
	assert_false(config_plain_complete(&cfg));
	config_release(&cfg);
	parse_text(fx, "[includeIf \"gitdir:/x/\"]\n\tpath = other\n", &cfg);
	assert_false(config_plain_complete(&cfg));
	config_release(&cfg);
	parse_text(fx, "[include]\n\tpath = " CONFIG_TAKEOVER_FILE "\n", &cfg);
	assert_true(config_plain_complete(&cfg));
	config_release(&cfg);
}

/*
 * config_load() with Git's system file named by the environment (here:
 * none) reads the files itself where they say all: with no git to run
 * (PATH empty), the global file is still read; with an include, git is
 * needed, and without one only the repository's file is read (the
 * fallback).
 */
static void test_load_without_git(void **state)
{
	struct fixture *fx = *state;
	struct rt_err err = { 0 };
	struct repo repo = { 0 };
	char global[400],
		*path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	struct config cfg;

	snprintf(global, sizeof(global), "%s/global", fx->dir);
	assert_int_equal(file_write_text(global, "[x]\n\ty = global\n"), 0);
	assert_int_equal(file_write_text(fx->path, "[core]\n\tbare = true\n"),
			 0);
	isolate(global);
	setenv("PATH", "", 1);
	repo.git_dir = fx->dir;
	repo.common_dir = fx->dir;
	assert_int_equal(config_load(&cfg, &repo, &err), 0);
	assert_string_equal(config_get(&cfg, "x.y"), "global");
	assert_string_equal(config_get(&cfg, "core.bare"), "true");
	config_release(&cfg);
	assert_int_equal(file_write_text(fx->path,
					 "[core]\n\tbare = true\n"
					 "[include]\n\tpath = more\n"),
			 0);
	assert_int_equal(config_load(&cfg, &repo, &err), 0);
	assert_null(config_get(&cfg, "x.y"));
	assert_string_equal(config_get(&cfg, "core.bare"), "true");
	config_release(&cfg);
	/* GIT_CONFIG: `git config` reads that file alone; ask git. */
	assert_int_equal(file_write_text(fx->path, "[core]\n\tbare = true\n"),
			 0);
	setenv("GIT_CONFIG", global, 1);
	assert_int_equal(config_load(&cfg, &repo, &err), 0);
	assert_null(config_get(&cfg, "x.y"));
	config_release(&cfg);
	unsetenv("GIT_CONFIG");
	if (path)
		setenv("PATH", path, 1);
	free(path);
	unisolate();
}

static void test_parse_missing_file(void **state)
{
	struct fixture *fx = *state;
	struct rt_err err = { 0 };
	struct config cfg = { 0 };
	char path[400];

	snprintf(path, sizeof(path), "%s/none", fx->dir);
	assert_int_equal(config_parse_file(&cfg, path, &err), 0);
	assert_int_equal(cfg.n, 0);
	config_release(&cfg);
}

/* Without git: system, global, then the repository's file; last wins. */
static void test_load_files(void **state)
{
	struct fixture *fx = *state;
	struct rt_err err = { 0 };
	struct config cfg;
	char global[300];

	snprintf(global, sizeof(global), "%s/global", fx->dir);
	assert_int_equal(file_write_text(global,
					 "[reftable]\n\tblockSize = 1k\n"
					 "\tgeometricFactor = 3\n"),
			 0);
	assert_int_equal(
		file_write_text(fx->path, "[reftable]\n\tblockSize = 2k\n"), 0);
	isolate(global);
	assert_int_equal(config_load_files(&cfg, fx->dir, &err), 0);
	assert_string_equal(config_get(&cfg, "reftable.blocksize"), "2k");
	assert_string_equal(config_get(&cfg, "reftable.geometricfactor"), "3");
	config_release(&cfg);
	unisolate();
}

/*
 * `git -c` as Git hands it to hooks: layered over the files, the counted
 * pairs before GIT_CONFIG_PARAMETERS, keys canonicalized, quotes undone.
 */
static void test_load_files_command_line(void **state)
{
	struct fixture *fx = *state;
	struct rt_err err = { 0 };
	struct config cfg;

	assert_int_equal(file_write_text(fx->path,
					 "[reftable]\n\tblockSize = 2k\n"
					 "\trestartInterval = 4\n"),
			 0);
	isolate("/dev/null");
	/* What `git -c reftable.blockSize=8k -c Core.X.Y=... ...` sets. */
	setenv("GIT_CONFIG_PARAMETERS",
	       "'reftable.blockSize'='8k' 'Core.SubSect.Name'='it'\\''s'  "
	       "'old.style=a=b' 'bare.key'= 'old.bare' "
	       "'reftable.restartInterval'='16'",
	       1);
	setenv("GIT_CONFIG_COUNT", "2", 1);
	setenv("GIT_CONFIG_KEY_0", "reftable.restartInterval", 1);
	setenv("GIT_CONFIG_VALUE_0", "8", 1);
	setenv("GIT_CONFIG_KEY_1", "Reftable.IndexObjects", 1);
	setenv("GIT_CONFIG_VALUE_1", "false", 1);
	assert_int_equal(config_load_files(&cfg, fx->dir, &err), 0);
	assert_string_equal(config_get(&cfg, "reftable.blocksize"), "8k");
	/* The parameters come after the counted pairs, as in Git. */
	assert_string_equal(config_get(&cfg, "reftable.restartinterval"), "16");
	assert_string_equal(config_get(&cfg, "reftable.indexobjects"), "false");
	assert_string_equal(config_get(&cfg, "core.SubSect.name"), "it's");
	assert_string_equal(config_get(&cfg, "old.style"), "a=b");
	assert_string_equal(config_get(&cfg, "bare.key"), "true");
	assert_string_equal(config_get(&cfg, "old.bare"), "true");
	/* Section and name lowercased, the subsection as given. */
	assert_string_equal(cfg.entries[cfg.n - 5].key, "core.SubSect.name");
	config_release(&cfg);

	/* A malformed list is read up to the fault (Git refuses it). */
	setenv("GIT_CONFIG_PARAMETERS", "'a.b'='1' 'c.d'x 'e.f'='2'", 1);
	unsetenv("GIT_CONFIG_COUNT");
	assert_int_equal(config_load_files(&cfg, fx->dir, &err), 0);
	assert_string_equal(config_get(&cfg, "a.b"), "1");
	assert_null(config_get(&cfg, "e.f"));
	assert_string_equal(config_get(&cfg, "reftable.blocksize"), "2k");
	config_release(&cfg);
	unsetenv("GIT_CONFIG_PARAMETERS");
	unsetenv("GIT_CONFIG_KEY_0");
	unsetenv("GIT_CONFIG_VALUE_0");
	unsetenv("GIT_CONFIG_KEY_1");
	unsetenv("GIT_CONFIG_VALUE_1");
	unisolate();
}

/*
 * config_load() through git: what the repository's config includes from
 * the take-over file is not read, the user's own values are; a file of
 * that name elsewhere is an ordinary include.
 */
static void test_load_skips_takeover(void **state)
{
	struct fixture *fx = *state;
	struct rt_err err = { 0 };
	struct repo repo = { 0 };
	char path[400];
	struct config cfg;

	snprintf(path, sizeof(path), "%s/HEAD", fx->dir);
	assert_int_equal(file_write_text(path, "ref: refs/heads/main\n"), 0);
	snprintf(path, sizeof(path), "%s/objects", fx->dir);
	assert_int_equal(mkdir(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/refs", fx->dir);
	assert_int_equal(mkdir(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/sub", fx->dir);
	assert_int_equal(mkdir(path, 0777), 0);
	assert_int_equal(
		file_write_text(fx->path,
				"[core]\n\trepositoryformatversion = "
				"0\n\tbare = true\n"
				"[gc]\n\treflogExpire = 45 days\n"
				"[include]\n\tpath = sub/" CONFIG_TAKEOVER_FILE
				"\n[include]\n\tpath = " CONFIG_TAKEOVER_FILE
				"\n"),
		0);
	snprintf(path, sizeof(path), "%s/" CONFIG_TAKEOVER_FILE, fx->dir);
	assert_int_equal(file_write_text(path, "[gc]\n\treflogExpire = never\n"
					       "[reftable]\n\tgeometricFactor"
					       " = 3\n"),
			 0);
	snprintf(path, sizeof(path), "%s/sub/" CONFIG_TAKEOVER_FILE, fx->dir);
	assert_int_equal(file_write_text(path, "[x]\n\ty = z\n"), 0);
	isolate("/dev/null");
	repo.git_dir = fx->dir;
	repo.common_dir = fx->dir;
	assert_int_equal(config_load(&cfg, &repo, &err), 0);
	assert_true(cfg.from_git);
	assert_string_equal(config_get(&cfg, "gc.reflogexpire"), "45 days");
	assert_null(config_get(&cfg, "reftable.geometricfactor"));
	assert_string_equal(config_get(&cfg, "x.y"), "z");
	config_release(&cfg);
	unisolate();
}

static void test_values(void **state)
{
	long long v;
	(void)state;

	assert_int_equal(config_int("8k", &v), 0);
	assert_int_equal(v, 8192);
	assert_int_equal(config_int("2M", &v), 0);
	assert_int_equal(v, 2 * 1024 * 1024);
	assert_int_equal(config_int("0x10", &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(config_int("12q", &v), -1);
	assert_int_equal(config_int("", &v), -1);
	assert_int_equal(config_bool(NULL), 1);
	assert_int_equal(config_bool("Yes"), 1);
	assert_int_equal(config_bool("on"), 1);
	assert_int_equal(config_bool(""), 0);
	assert_int_equal(config_bool("OFF"), 0);
	assert_int_equal(config_bool("maybe"), -1);
}

static void test_stack_options(void **state)
{
	struct fixture *fx = *state;
	struct rt_stack_options opts;
	struct rt_err err = { 0 };
	struct config cfg;

	parse_text(fx,
		   "[reftable]\n\tblockSize = 8k\n\trestartInterval = 8\n"
		   "\tindexObjects = false\n\tlockTimeout = -1\n"
		   "[core]\n\tsharedRepository = 0640\n"
		   "[extensions]\n\tobjectFormat = sha256\n",
		   &cfg);
	assert_int_equal(config_stack_options(&cfg, &opts, &err), 0);
	assert_int_equal(opts.write.block_size, 8192);
	assert_int_equal(opts.write.restart_interval, 8);
	assert_true(opts.write.skip_index_objects);
	assert_int_equal(opts.lock_timeout_ms, -1);
	assert_int_equal(opts.default_permissions, 0640);
	assert_int_equal(opts.write.hash_id, RT_HASH_SHA256);
	config_release(&cfg);

	parse_text(fx, "[reftable]\n\tblockSize = 99999999\n", &cfg);
	assert_int_equal(config_stack_options(&cfg, &opts, &err), RT_ERR_API);
	assert_string_equal(err.msg, "bad config value '99999999' for "
				     "reftable.blocksize (expected 0 to "
				     "16777215)");
	config_release(&cfg);

	rt_err_clear(&err);
	parse_text(fx, "[reftable]\n\tindexObjects = sometimes\n", &cfg);
	assert_int_equal(config_stack_options(&cfg, &opts, &err), RT_ERR_API);
	assert_string_equal(err.msg, "bad boolean 'sometimes' for "
				     "reftable.indexObjects");
	config_release(&cfg);

	/* Git refuses a mode that denies the owner read or write. */
	rt_err_clear(&err);
	parse_text(fx, "[core]\n\tsharedRepository = 0440\n", &cfg);
	assert_int_equal(config_stack_options(&cfg, &opts, &err), RT_ERR_API);
	assert_non_null(
		strstr(err.msg, "bad value '0440' for core.sharedRepository"));
	config_release(&cfg);
	rt_err_clear(&err);
	parse_text(fx, "[core]\n\tsharedRepository = Group\n", &cfg);
	assert_int_equal(config_stack_options(&cfg, &opts, &err), RT_ERR_API);
	config_release(&cfg);
}

/*
 * core.sharedRepository in every form Git's git_config_perm() accepts,
 * and the mode Git's calc_shared_perm() gives a new file from it, under
 * umask 077 (0600) and 022 (0644).
 */
static void test_shared_repository(void **state)
{
	static const struct {
		const char *value;
		mode_t under_077, under_022;
	} cases[] = {
		{ "umask", 0600, 0644 },     { "false", 0600, 0644 },
		{ "0", 0600, 0644 },	     { "00", 0600, 0644 },
		{ "group", 0660, 0664 },     { "true", 0660, 0664 },
		{ "1", 0660, 0664 },	     { "yes", 0660, 0664 },
		{ "all", 0664, 0664 },	     { "world", 0664, 0664 },
		{ "everybody", 0664, 0664 }, { "2", 0664, 0664 },
		{ "0640", 0640, 0640 },	     { "0600", 0600, 0600 },
		{ "0666", 0666, 0666 },	     { "0777", 0666, 0666 },
		{ "07777", 0666, 0666 },     { "0660", 0660, 0660 },
	};
	struct fixture *fx = *state;
	mode_t old = umask(077);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rt_stack_options opts;
		struct rt_err err = { 0 };
		struct config cfg;
		char text[100];

		snprintf(text, sizeof(text),
			 "[core]\n\tsharedRepository = %s\n", cases[i].value);
		parse_text(fx, text, &cfg);
		umask(077);
		assert_int_equal(config_stack_options(&cfg, &opts, &err), 0);
		if (opts.default_permissions != cases[i].under_077)
			fail_msg("%s under 077: %o", cases[i].value,
				 (unsigned)opts.default_permissions);
		umask(022);
		assert_int_equal(config_stack_options(&cfg, &opts, &err), 0);
		if (opts.default_permissions != cases[i].under_022)
			fail_msg("%s under 022: %o", cases[i].value,
				 (unsigned)opts.default_permissions);
		config_release(&cfg);
	}
	umask(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_parse_unsure, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_load_without_git, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_parse_missing_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_load_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_load_files_command_line,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_skips_takeover, setup,
						teardown),
		cmocka_unit_test(test_values),
		cmocka_unit_test_setup_teardown(test_stack_options, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shared_repository, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
