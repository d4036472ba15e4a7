/*
 * install.c: `git reftable install` and `uninstall`: wiring
 * `git reftable hook <event>` into a repository, and taking it out again
 * so that the repository's config and hooks directory are exactly as they
 * were.
 *
 * Two ways, chosen by the Git on PATH: Git 2.54 and later run hooks
 * named in the config (hook.<name>.command / hook.<name>.event), which
 * leaves the hooks directory alone; older Git only runs scripts in the
 * hooks directory, so there we install scripts that chain the hook
 * already present (moved aside to <event>.git-reftable-orig) and run it
 * first. Both are idempotent.
 */
#define _GNU_SOURCE
#include "plugin/cli/cli.h"
#include "plugin/maint/open.h"
#include "plugin/util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first Git that runs hooks configured as hook.<name>.command. */
#define CONFIG_HOOKS_MAJOR 2
#define CONFIG_HOOKS_MINOR 54

#define ORIG_SUFFIX ".git-reftable-orig"
#define NEW_SUFFIX ".git-reftable-new"
/* First comment line of every script we write: how we know our own. */
#define SCRIPT_MARKER "# git-reftable hook script"
/* In a hooks directory install created, so that uninstall removes it. */
#define CREATED_MARK ".git-reftable-created-this-directory"

static const struct hook_def {
	const char *event;
	const char *name; /* hook.<name>.* in config mode */
} hook_defs[] = {
	{ "reference-transaction", "git-reftable-reftx" },
	{ "pre-auto-gc", "git-reftable-autogc" },
};

#define NHOOKS (sizeof(hook_defs) / sizeof(hook_defs[0]))

enum mode {
	MODE_AUTO,
	MODE_CONFIG,
	MODE_SCRIPTS
};

/* 'text' for sh, with every ' written as '\''. */
static char *shell_quote(const char *s)
{
	size_t n = 3;
	char *out, *w;

	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	out = w = malloc(n);
	if (!out)
		return NULL;
	*w++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(w, "'\\''", 4);
			w += 4;
		} else {
			*w++ = *p;
		}
	}
	*w++ = '\'';
	*w = '\0';
	return out;
}

/*
 * Run git; with `out`, its stdout goes to *out (free it) and its stderr is
 * dropped, else both are inherited. Its exit status, or -1 when it could
 * not be started.
 */
static int git_run(const char *const *argv, char **out)
{
	struct spawn_result res;
	const char *why = NULL;
	int st = spawn_run(argv, NULL, 0, out ? &res : NULL, &why);

	if (st < 0)
		error("cannot run git: %s", why ? why : "unknown error");
	if (out && st >= 0) {
		*out = res.out;
		res.out = NULL;
		spawn_result_release(&res);
	}
	return st;
}

/* Whether the git on PATH runs hooks from the config. */
static bool git_has_config_hooks(void)
{
	const char *argv[] = { "git", "version", NULL };
	char *out = NULL;
	int major = 0, minor = 0;
	bool ok = false;

	if (!git_run(argv, &out) && out &&
	    sscanf(out, "git version %d.%d", &major, &minor) == 2)
		ok = major > CONFIG_HOOKS_MAJOR ||
		     (major == CONFIG_HOOKS_MAJOR &&
		      minor >= CONFIG_HOOKS_MINOR);
	free(out);
	return ok;
}

/*
 * The command Git runs for an event. Git runs a command that is a plain
 * path directly, appending the hook's arguments; anything else it hands
 * to sh with ` "$@"` appended. A shell costs about a millisecond, and the
 * reference-transaction hook runs three times per ref update, so that
 * hook is the plain path when it can be (main.c takes `git-reftable
 * <state>` as the hook). Otherwise the shell form, which also keeps a
 * vanished binary from failing Git.
 */
static char *hook_command(const char *self, const char *quoted,
			  const char *event)
{
	/* The characters that make Git use a shell. */
	static const char shell_chars[] = "|&;<>()$`\\\"' \t\n*?[#~=%";
	char *cmd;

	if (!strcmp(event, "reference-transaction") &&
	    !self[strcspn(self, shell_chars)])
		return strdup(self);
	if (asprintf(&cmd, "test -x %s || exit 0; exec %s hook %s", quoted,
		     quoted, event) < 0)
		return NULL;
	return cmd;
}

/* hook.<name>.<key> */
static char *hook_key(const struct hook_def *d, const char *key)
{
	char *k;

	if (asprintf(&k, "hook.%s.%s", d->name, key) < 0)
		return NULL;
	return k;
}

/* Every local value of `key`, newline-separated; NULL when unset. */
static char *local_values(const char *key)
{
	const char *argv[] = { "git",	    "config", "--local",
			       "--get-all", key,      NULL };
	char *out = NULL;

	if (git_run(argv, &out)) {
		free(out);
		return NULL;
	}
	return out;
}

/* Set `key` to exactly one value `want`, unless it already is. */
static int set_local(const char *key, const char *want, bool *changed)
{
	const char *argv[] = { "git", "config", "--local", "--replace-all",
			       key,   want,	NULL };
	char *have = local_values(key);
	size_t n = strlen(want);
	bool same = have && !strncmp(have, want, n) && have[n] == '\n' &&
		    !have[n + 1];

	free(have);
	if (same)
		return 0;
	*changed = true;
	if (git_run(argv, NULL)) {
		error("git config --local %s failed", key);
		return -1;
	}
	return 0;
}

static int config_install(const char *self, const char *quoted, bool *changed)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < NHOOKS; i++) {
		const struct hook_def *d = &hook_defs[i];
		char *cmd = hook_command(self, quoted, d->event);
		char *kcmd = hook_key(d, "command"),
		     *kev = hook_key(d, "event");

		ret = cmd && kcmd && kev && !set_local(kcmd, cmd, changed) &&
				      !set_local(kev, d->event, changed) ?
			      0 :
			      -1;
		free(cmd);
		free(kcmd);
		free(kev);
	}
	return ret;
}

static int config_uninstall(bool *changed)
{
	int ret = 0;

	for (size_t i = 0; i < NHOOKS; i++) {
		char *section, *regex;
		const char *get[] = { "git",	      "config", "--local",
				      "--get-regexp", NULL,	NULL };
		const char *rm[] = { "git",	"config",
				     "--local", "--remove-section",
				     NULL,	NULL };

		if (asprintf(&section, "hook.%s", hook_defs[i].name) < 0)
			return -1;
		if (asprintf(&regex, "^hook\\.%s\\.", hook_defs[i].name) < 0) {
			free(section);
			return -1;
		}
		get[4] = regex;
		rm[4] = section;
		char *found = NULL;

		if (!git_run(get, &found)) {
			*changed = true;
			if (git_run(rm, NULL)) {
				error("git config --local --remove-section %s "
				      "failed",
				      section);
				ret = -1;
			}
		}
		free(found);
		free(section);
		free(regex);
	}
	return ret;
}

/* The hooks directory Git uses here (core.hooksPath honoured), absolute. */
static char *hooks_dir(void)
{
	const char *argv[] = { "git", "rev-parse", "--git-path", "hooks",
			       NULL };
	char *out = NULL, *cwd, *dir = NULL;
	size_t len;

	if (git_run(argv, &out) || !out || !(len = strlen(out))) {
		error("git rev-parse --git-path hooks failed");
		free(out);
		return NULL;
	}
	while (len && out[len - 1] == '\n')
		out[--len] = '\0';
	if (out[0] == '/')
		return out;
	cwd = getcwd(NULL, 0);
	if (!cwd || asprintf(&dir, "%s/%s", cwd, out) < 0)
		dir = NULL;
	free(cwd);
	free(out);
	return dir;
}

enum present {
	ABSENT,
	OUR_LINK, /* a symlink to a git-reftable */
	OUR_SCRIPT, /* a script with SCRIPT_MARKER */
	OTHER,
};

static bool ours(enum present p)
{
	return p == OUR_LINK || p == OUR_SCRIPT;
}

/* What is at `path`; for a symlink of ours, its target in `target`. */
static enum present what_is(const char *path, char *target, size_t size)
{
	char buf[4096];
	struct stat st;
	ssize_t n;
	int fd;

	if (lstat(path, &st))
		return ABSENT;
	if (S_ISLNK(st.st_mode)) {
		const char *base;

		n = readlink(path, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		base = strrchr(buf, '/');
		if (!base || strcmp(base + 1, "git-reftable"))
			return OTHER;
		snprintf(target, size, "%s", buf);
		return OUR_LINK;
	}
	if (!S_ISREG(st.st_mode))
		return OTHER;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return OTHER;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, SCRIPT_MARKER) ? OUR_SCRIPT : OTHER;
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/*
 * The script that chains the hook it replaced: that hook runs first with
 * the same arguments, and its exit status is the script's, since Git acts
 * on it (a failing `prepared` reference-transaction hook aborts the
 * update; a failing pre-auto-gc hook cancels gc, and then ours does not
 * run either).
 */
static char *script_text(const char *quoted, const char *event)
{
	char *chain = NULL, *text = NULL;
	int n;

	if (!strcmp(event, "reference-transaction"))
		n = asprintf(&chain,
			     "\t# Both hooks read the updates Git writes to "
			     "stdin.\n"
			     "\tinput=$(cat; echo .)\n"
			     "\tinput=${input%%.}\n"
			     "\tprintf '%%s' \"$input\" | \"$orig\" \"$@\"\n"
			     "\tstatus=$?\n"
			     "\tif test -x %s\n\tthen\n"
			     "\t\tprintf '%%s' \"$input\" | %s hook %s \"$@\"\n"
			     "\tfi\n"
			     "\texit $status\n",
			     quoted, quoted, event);
	else
		n = asprintf(&chain, "\t\"$orig\" \"$@\" || exit $?\n");
	if (n < 0)
		return NULL;
	if (asprintf(&text,
		     "#!/bin/sh\n" SCRIPT_MARKER ": written by 'git reftable "
		     "install',\n# removed by 'git reftable uninstall', which "
		     "puts back the hook it\n# replaced (%s" ORIG_SUFFIX ").\n"
		     "orig=\"${0%%/*}/%s" ORIG_SUFFIX "\"\n"
		     "if test -x \"$orig\"\nthen\n"
		     "%s"
		     "fi\n"
		     "# Never fail Git because git-reftable is gone.\n"
		     "test -x %s || exit 0\n"
		     "exec %s hook %s \"$@\"\n",
		     event, event, chain, quoted, quoted, event) < 0)
		text = NULL;
	free(chain);
	return text;
}

static char *path_of(const char *dir, const char *name, const char *suffix)
{
	char *p;

	if (asprintf(&p, "%s/%s%s", dir, name, suffix) < 0)
		return NULL;
	return p;
}

/*
 * Put at `path`, atomically (a new name renamed over it), either an
 * executable script `text` or, when `text` is NULL, a symlink to `self`.
 */
static int put_hook(const char *path, const char *text, const char *self)
{
	char *tmp;
	int fd, ret = -1;

	if (asprintf(&tmp, "%s" NEW_SUFFIX, path) < 0)
		return -1;
	unlink(tmp);
	if (!text) {
		ret = symlink(self, tmp);
	} else if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			      0755)) >= 0) {
		size_t len = strlen(text);

		ret = write(fd, text, len) == (ssize_t)len &&
				      !fchmod(fd, 0755) ?
			      0 :
			      -1;
		if (close(fd))
			ret = -1;
	}
	if (!ret)
		ret = rename(tmp, path);
	if (ret) {
		error("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

/* Whether what is at `path` is already exactly what we would put there. */
static bool same_hook(const char *path, const char *text, const char *self)
{
	char have[8192], target[PATH_MAX];
	enum present p = what_is(path, target, sizeof(target));
	ssize_t n = -1;
	int fd;

	if (!text)
		return p == OUR_LINK && !strcmp(target, self);
	if (p != OUR_SCRIPT)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, have, sizeof(have));
		close(fd);
	}
	return n == (ssize_t)strlen(text) && !memcmp(have, text, n);
}

/*
 * One event: a hook of someone else's is moved to <event>.git-reftable-orig
 * and chained by a script; with nothing to chain, a symlink to us, which
 * Git starts without a shell and skips once the binary is gone.
 */
static int script_install(const char *dir, const char *event, const char *self,
			  const char *quoted, bool *changed)
{
	char *path = path_of(dir, event, ""), *orig = NULL, *text = NULL;
	char target[PATH_MAX];
	int ret = -1;

	if (!path || !(orig = path_of(dir, event, ORIG_SUFFIX)))
		goto out;
	if (what_is(path, target, sizeof(target)) == OTHER) {
		if (rename(path, orig)) {
			error("cannot move %s aside: %s", path,
			      strerror(errno));
			goto out;
		}
		*changed = true;
	}
	if (exists(orig) && !(text = script_text(quoted, event)))
		goto out;
	ret = 0;
	if (!same_hook(path, text, self)) {
		*changed = true;
		ret = put_hook(path, text, self);
	}
out:
	free(path);
	free(orig);
	free(text);
	return ret;
}

static int scripts_install(const char *self, const char *quoted, bool *changed)
{
	char *dir = hooks_dir(), *mark = NULL;
	char target[PATH_MAX];
	struct stat st;
	int ret = -1;

	if (!dir || !(mark = path_of(dir, CREATED_MARK, "")))
		goto out;
	/* Refuse before changing anything when a name is taken. */
	for (size_t i = 0; i < NHOOKS; i++) {
		char *path = path_of(dir, hook_defs[i].event, "");
		char *orig = path_of(dir, hook_defs[i].event, ORIG_SUFFIX);
		bool taken = !path || !orig ||
			     (what_is(path, target, sizeof(target)) == OTHER &&
			      exists(orig));

		if (taken && path && orig)
			error("both %s and %s exist; keep one of them and run "
			      "install again",
			      path, orig);
		free(path);
		free(orig);
		if (taken)
			goto out;
	}
	if (stat(dir, &st)) {
		int fd;

		if (mkdir(dir, 0777)) {
			error("cannot create %s: %s", dir, strerror(errno));
			goto out;
		}
		/* Remembers for uninstall that the directory is ours. */
		fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
		if (fd >= 0)
			close(fd);
		*changed = true;
	}
	ret = 0;
	for (size_t i = 0; !ret && i < NHOOKS; i++)
		ret = script_install(dir, hook_defs[i].event, self, quoted,
				     changed);
out:
	free(mark);
	free(dir);
	return ret;
}

static int scripts_uninstall(bool *changed)
{
	char *dir = hooks_dir(), *mark;
	char target[PATH_MAX];
	int ret = 0;

	if (!dir || !(mark = path_of(dir, CREATED_MARK, ""))) {
		free(dir);
		return -1;
	}
	for (size_t i = 0; i < NHOOKS; i++) {
		char *path = path_of(dir, hook_defs[i].event, "");
		char *orig = path_of(dir, hook_defs[i].event, ORIG_SUFFIX);
		enum present here =
			path ? what_is(path, target, sizeof(target)) : OTHER;

		if (!orig) {
			ret = -1;
		} else if (ours(here) && unlink(path)) {
			error("cannot remove %s: %s", path, strerror(errno));
			ret = -1;
		} else if (here != OTHER && exists(orig)) {
			if (rename(orig, path)) {
				error("cannot restore %s: %s", path,
				      strerror(errno));
				ret = -1;
			}
			*changed = true;
		} else if (here == OTHER && exists(orig)) {
			warning("%s is not ours; left it and %s as they are",
				path, orig);
		}
		if (ours(here))
			*changed = true;
		free(path);
		free(orig);
	}
	/* Only if we made it and nothing else has been put there since. */
	if (!unlink(mark)) {
		*changed = true;
		rmdir(dir);
	}
	free(mark);
	free(dir);
	return ret;
}

static int parse_mode(const struct command *cmd, const char *arg,
		      enum mode *mode)
{
	const char *v = skip_prefix(arg, "--hooks=");

	if (!strcmp(v, "config"))
		*mode = MODE_CONFIG;
	else if (!strcmp(v, "scripts"))
		*mode = MODE_SCRIPTS;
	else if (!strcmp(v, "auto"))
		*mode = MODE_AUTO;
	else
		return usage_error(cmd,
				   "--hooks takes config, scripts or auto, "
				   "not '%s'",
				   v);
	return 0;
}

int cmd_install(struct command *cmd, int argc, char **argv)
{
	struct command *schedule = NULL;
	enum mode mode = MODE_AUTO;
	bool want_schedule = false, changed = false;
	struct rt_err err = { 0 };
	struct repo repo;
	char *self, *quoted;
	int ret;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--schedule"))
			want_schedule = true;
		else if (skip_prefix(argv[i], "--hooks=")) {
			if ((ret = parse_mode(cmd, argv[i], &mode)))
				return ret;
		} else
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
	}
	if (want_schedule && !(schedule = find_command("schedule"))) {
		error("--schedule needs the 'schedule' command, which this "
		      "build of git-reftable does not have; nothing changed");
		return EXIT_ERROR;
	}
	if (maint_open_repo(&repo, &err))
		return error_rt(&err);
	repo_release(&repo);
	if (!(self = spawn_self())) {
		error("cannot find this program's path");
		return EXIT_ERROR;
	}
	if (!(quoted = shell_quote(self))) {
		free(self);
		return EXIT_ERROR;
	}
	if (mode == MODE_AUTO)
		mode = git_has_config_hooks() ? MODE_CONFIG : MODE_SCRIPTS;
	/* One way at a time: switching modes takes the other one out. */
	ret = mode == MODE_CONFIG ?
		      scripts_uninstall(&changed) ||
			      config_install(self, quoted, &changed) :
		      config_uninstall(&changed) ||
			      scripts_install(self, quoted, &changed);
	free(self);
	free(quoted);
	if (ret)
		return EXIT_ERROR;
	printf("%s (%s): reference-transaction, pre-auto-gc\n",
	       changed ? "hooks installed" : "hooks already installed",
	       mode == MODE_CONFIG ? "hook.<name>.* in the repository config" :
				     "files in the hooks directory");
	if (schedule) {
		char *args[] = { "schedule", "start", NULL };

		return schedule->run(schedule, 2, args);
	}
	return EXIT_OK;
}

int cmd_uninstall(struct command *cmd, int argc, char **argv)
{
	bool changed = false;
	struct repo repo;
	char msg[512];
	int ret;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc > 1)
		return usage_error(cmd, "unexpected argument '%s'", argv[1]);
	/* Any backend: taking our hooks out is always allowed. */
	if (repo_discover(&repo, msg, sizeof(msg))) {
		error("%s", msg);
		repo_release(&repo);
		return EXIT_ERROR;
	}
	repo_release(&repo);
	ret = config_uninstall(&changed);
	ret |= scripts_uninstall(&changed);
	if (ret)
		return EXIT_ERROR;
	printf("%s\n", changed ? "hooks removed" : "no hooks were installed");
	return EXIT_OK;
}
