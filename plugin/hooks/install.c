/*
 * install.c: choosing how to install the hooks, the config way, and the
 * hooks directory the scripts way uses.
 */
#define _GNU_SOURCE
#include "plugin/hooks/install.h"
#include "lib/include/rt-basics.h"
#include "lib/include/rt-file.h"
#include "plugin/hooks/scripts.h"
#include "plugin/util/path.h"
#include "plugin/util/quote.h"
#include "plugin/util/spawn.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first Git that runs hooks configured as hook.<name>.command. */
#define CONFIG_HOOKS_MAJOR 2
#define CONFIG_HOOKS_MINOR 54

#define BOTH (HOOKS_AFTER_WRITE | HOOKS_TRANSACTION)

const struct hooks_event hooks_events[HOOKS_NEVENTS] = {
	{ "reference-transaction", "git-reftable-reftx", HOOKS_TRANSACTION,
	  true },
	{ "post-receive", "git-reftable-receive", HOOKS_AFTER_WRITE, true },
	{ "post-commit", "git-reftable-commit", HOOKS_AFTER_WRITE, false },
	{ "post-merge", "git-reftable-merge", HOOKS_AFTER_WRITE, false },
	{ "post-rewrite", "git-reftable-rewrite", HOOKS_AFTER_WRITE, true },
	{ "pre-auto-gc", "git-reftable-autogc", BOTH, false },
};

static const struct {
	const char *name;
	enum hooks_trigger trigger;
} trigger_names[] = {
	{ "after-write", HOOKS_AFTER_WRITE },
	{ "transaction", HOOKS_TRANSACTION },
};

#define NTRIGGERS (sizeof(trigger_names) / sizeof(trigger_names[0]))

const struct hooks_event *hooks_event_find(const char *name)
{
	for (size_t i = 0; i < HOOKS_NEVENTS; i++)
		if (!strcmp(name, hooks_events[i].event))
			return &hooks_events[i];
	return NULL;
}

bool hooks_event_wanted(size_t i, enum hooks_trigger trigger)
{
	return hooks_events[i].triggers & trigger;
}

int hooks_trigger_parse(const char *name)
{
	for (size_t i = 0; i < NTRIGGERS; i++)
		if (!strcmp(name, trigger_names[i].name))
			return trigger_names[i].trigger;
	return -1;
}

char *hooks_trigger_events(enum hooks_trigger trigger)
{
	struct rt_buf b = RT_BUF_INIT;

	for (size_t i = 0; i < HOOKS_NEVENTS; i++)
		if (hooks_event_wanted(i, trigger) &&
		    ((b.len && rt_buf_addstr(&b, ", ")) ||
		     rt_buf_addstr(&b, hooks_events[i].event))) {
			rt_buf_release(&b);
			return NULL;
		}
	return b.buf;
}

void hooks_report_release(struct hooks_report *r)
{
	for (size_t i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	memset(r, 0, sizeof(*r));
}

/* Whether the git on PATH runs hooks from the config. */
static bool git_has_config_hooks(void)
{
	const char *argv[] = { "git", "version", NULL };
	struct spawn_result res;
	int major = 0, minor = 0;
	bool ok = false;

	if (!spawn_run(argv, NULL, 0, &res, NULL) &&
	    sscanf(res.out, "git version %d.%d", &major, &minor) == 2)
		ok = major > CONFIG_HOOKS_MAJOR ||
		     (major == CONFIG_HOOKS_MAJOR &&
		      minor >= CONFIG_HOOKS_MINOR);
	spawn_result_release(&res);
	return ok;
}

/*
 * The command Git runs for `event`, as install.h describes it. Git runs
 * it as `sh -c '<command> "$@"' '<command>' <args>`: for
 * reference-transaction, $1 is the state, and the closing `:` takes the
 * "$@" Git appends.
 */
static char *hook_command(const char *self, const char *event)
{
	struct rt_buf q = RT_BUF_INIT;
	char *cmd = NULL;
	int n;

	if (quote_sh(&q, self))
		goto out;
	if (!strcmp(event, "reference-transaction"))
		n = asprintf(&cmd,
			     "test \"$1\" = committed && test -x %s && "
			     "exec %s hook %s \"$@\"; :",
			     q.buf, q.buf, event);
	else
		n = asprintf(&cmd, "test -x %s || exit 0; exec %s hook %s",
			     q.buf, q.buf, event);
	if (n < 0)
		cmd = NULL;
out:
	rt_buf_release(&q);
	return cmd;
}

int hooks_config_entries(const char *self, enum hooks_trigger trigger,
			 struct hooks_config_entry out[HOOKS_NCONFIG],
			 struct rt_err *err)
{
	memset(out, 0, HOOKS_NCONFIG * sizeof(*out));
	for (size_t i = 0; i < HOOKS_NEVENTS; i++) {
		const struct hooks_event *ev = &hooks_events[i];
		struct hooks_config_entry *cmd = &out[2 * i],
					  *event = &out[2 * i + 1];

		if (!hooks_event_wanted(i, trigger))
			continue;

		if (asprintf(&cmd->key, "hook.%s.command", ev->name) < 0)
			cmd->key = NULL;
		if (asprintf(&event->key, "hook.%s.event", ev->name) < 0)
			event->key = NULL;
		cmd->value = hook_command(self, ev->event);
		event->value = strdup(ev->event);
		if (!cmd->key || !event->key || !cmd->value || !event->value) {
			hooks_config_release(out);
			return rt_err_oom(err);
		}
	}
	return 0;
}

void hooks_config_release(struct hooks_config_entry e[HOOKS_NCONFIG])
{
	for (size_t i = 0; i < HOOKS_NCONFIG; i++) {
		free(e[i].key);
		free(e[i].value);
		e[i].key = e[i].value = NULL;
	}
}

bool hooks_config_is(const char *have, const char *want)
{
	size_t n = strlen(want);

	return have && !strncmp(have, want, n) && have[n] == '\n' &&
	       !have[n + 1];
}

/*
 * `git rev-parse <opt> [<arg>]`'s answer, made absolute. With `optional`,
 * a git that refuses (--show-toplevel in a bare repository) leaves
 * `*path` NULL and returns 0.
 */
static int rev_parse(const char *opt, const char *arg, bool optional,
		     char **path, struct rt_err *err)
{
	const char *argv[] = { "git", "rev-parse", opt, arg, NULL };
	struct spawn_result res;
	size_t len;
	int ret = spawn_run(argv, NULL, 0, &res, err);

	*path = NULL;
	if (ret < 0)
		return ret;
	if (ret && !optional) {
		ret = spawn_failed(err, argv, ret, &res);
	} else if (!ret && (len = res.outlen) > 0) {
		while (len && res.out[len - 1] == '\n')
			res.out[--len] = '\0';
		if (len && !(*path = path_absolute(res.out)))
			ret = rt_err_oom(err);
	}
	if (!ret && !*path && !optional)
		ret = rt_err_set(err, RT_ERR_IO,
				 "git rev-parse %s %s said nothing", opt,
				 arg ? arg : "");
	spawn_result_release(&res);
	return optional && ret > 0 ? 0 : ret;
}

/* `git rev-parse --git-path <name>`, absolute. */
static int git_path(const char *name, char **path, struct rt_err *err)
{
	return rev_parse("--git-path", name, false, path, err);
}

/*
 * Git rewrote the repository's config as us (by rename), `wrote` times or
 * not: run as root in another user's repository, it is given back to the
 * owner (rt-file.h), once, after the last write, also after an error
 * (`ret`, kept as the first).
 */
static int config_give_back(bool wrote, int ret, struct rt_err *err)
{
	struct rt_err later = { 0 };
	char *path;
	int ret2;

	if (!wrote || geteuid() != 0)
		return ret;
	if (ret)
		err = &later;
	if (!(ret2 = git_path("config", &path, err)))
		ret2 = rt_file_give_to_dir_owner(AT_FDCWD, path, path, err);
	free(path);
	return ret ? ret : ret2;
}

/*
 * Set `e->key` to exactly the one value `e->value` in the repository's
 * config, unless it already is.
 */
static int set_local(const struct hooks_config_entry *e, bool dry_run,
		     bool *wrote, struct hooks_report *r, struct rt_err *err)
{
	const char *get[] = { "git",	   "config", "--local",
			      "--get-all", e->key,   NULL };
	const char *set[] = { "git",  "config", "--local", "--replace-all",
			      e->key, e->value, NULL };
	struct spawn_result have;
	/* Exit 1: not set. */
	int st = spawn_run_ok(get, NULL, 0, 1, &have, err);
	bool same = !st && hooks_config_is(have.out, e->value);

	spawn_result_release(&have);
	if (st < 0 || same)
		return st < 0 ? st : 0;
	r->changed = true;
	if (dry_run)
		return 0;
	*wrote = true;
	st = spawn_run_ok(set, NULL, 0, -1, NULL, err);
	return st < 0 ? st : 0;
}

/*
 * Take out the hook.<name>.* sections of our events that `keep` does not
 * want (0: all of them).
 */
static int config_uninstall(unsigned keep, bool dry_run, bool *wrote,
			    struct hooks_report *r, struct rt_err *err)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < HOOKS_NEVENTS; i++) {
		const char *get[] = { "git",	      "config", "--local",
				      "--get-regexp", NULL,	NULL };
		const char *rm[] = { "git",	"config",
				     "--local", "--remove-section",
				     NULL,	NULL };
		char *section, *regex;
		int st;

		if (hooks_event_wanted(i, keep))
			continue;
		if (asprintf(&section, "hook.%s", hooks_events[i].name) < 0)
			return rt_err_oom(err);
		if (asprintf(&regex, "^hook\\.%s\\.", hooks_events[i].name) <
		    0) {
			free(section);
			return rt_err_oom(err);
		}
		get[4] = regex;
		rm[4] = section;
		/* Exit 1: nothing matches. */
		st = spawn_run_ok(get, NULL, 0, 1, NULL, err);
		if (!st) {
			r->changed = true;
			if (!dry_run) {
				*wrote = true;
				st = spawn_run_ok(rm, NULL, 0, -1, NULL, err);
			}
		}
		ret = st < 0 ? st : 0;
		free(section);
		free(regex);
	}
	return ret;
}

static int config_install(const char *self, enum hooks_trigger trigger,
			  bool dry_run, bool *wrote, struct hooks_report *r,
			  struct rt_err *err)
{
	struct hooks_config_entry want[HOOKS_NCONFIG];
	int ret = config_uninstall(trigger, dry_run, wrote, r, err);

	if (ret || (ret = hooks_config_entries(self, trigger, want, err)))
		return ret;
	for (size_t i = 0; !ret && i < HOOKS_NCONFIG; i++)
		if (want[i].key)
			ret = set_local(&want[i], dry_run, wrote, r, err);
	hooks_config_release(want);
	return ret;
}

/* Where the hooks directory Git names lies. */
enum hooks_where {
	HOOKS_INSIDE, /* in the repository's common dir or work tree */
	HOOKS_OUTSIDE,
	HOOKS_UNKNOWN, /* neither it nor the directory above it exists */
};

/*
 * The hooks directory Git uses here (core.hooksPath honoured), absolute,
 * and where it lies. One outside the repository (a core.hooksPath that
 * other repositories use too, as some forges set up for all of theirs,
 * or a symlink to such a directory) is not ours to write: hooks of ours
 * there would run for every repository using it.
 */
static int hooks_dir(char **dir, enum hooks_where *where, struct rt_err *err)
{
	char *common = NULL, *top = NULL;
	int ret = git_path("hooks", dir, err), in = -1, in_top = -1;

	if (!ret)
		ret = rev_parse("--git-common-dir", NULL, false, &common, err);
	if (!ret && (in = path_within(*dir, common)) != 1)
		ret = rev_parse("--show-toplevel", NULL, true, &top, err);
	if (!ret && top)
		in_top = path_within(*dir, top);
	*where = in == 1 || in_top == 1		   ? HOOKS_INSIDE :
		 in == -1 || (top && in_top == -1) ? HOOKS_UNKNOWN :
						     HOOKS_OUTSIDE;
	free(common);
	free(top);
	if (ret) {
		free(*dir);
		*dir = NULL;
	}
	return ret;
}

/* The hooks directory `dir`, which lies `where`, has none of ours. */
static int scripts_uninstall(const char *dir, enum hooks_where where,
			     bool dry_run, struct hooks_report *r,
			     struct rt_err *err)
{
	if (where == HOOKS_INSIDE)
		return hooks_scripts_uninstall(dir, dry_run, r, err);
	if (where == HOOKS_OUTSIDE)
		return hooks_scripts_note_left(dir, "outside the repository", r,
					       err);
	return 0;
}

/* Our hooks in the hooks directory `dir`, which lies `where`. */
static int scripts_install(const char *dir, enum hooks_where where,
			   const char *self, enum hooks_trigger trigger,
			   bool dry_run, struct hooks_report *r,
			   struct rt_err *err)
{
	if (where == HOOKS_OUTSIDE)
		return rt_err_set(
			err, RT_ERR_IO,
			"Git's hooks directory here, %s, lies "
			"outside the repository (core.hooksPath or "
			"a symbolic link leads there): hooks of ours "
			"there would run for every repository using "
			"it; use --hooks=config (Git 2.54 and later), "
			"or --hooks=none with a schedule",
			dir);
	if (where == HOOKS_UNKNOWN)
		return rt_err_set(err, RT_ERR_IO,
				  "cannot tell where Git's hooks directory "
				  "here, %s, lies: neither it nor the "
				  "directory above it exists",
				  dir);
	return hooks_scripts_install(dir, self, trigger, dry_run, r, err);
}

/* Whether core.hooksPath names a hooks directory of its own. */
static bool hooks_path_set(void)
{
	const char *argv[] = { "git", "config", "--get", "core.hooksPath",
			       NULL };
	struct rt_err err = { 0 };

	/* Unknown (git failed) counts as set: config mode then. */
	return spawn_run_ok(argv, NULL, 0, 1, NULL, &err) != 1;
}

/*
 * The way HOOKS_AUTO takes, as install.h says: symlinks where they are
 * enough, since Git then starts git-reftable without a shell.
 */
static enum hooks_mode auto_mode(enum hooks_trigger trigger, const char *dir,
				 enum hooks_where where)
{
	if (!git_has_config_hooks())
		return HOOKS_SCRIPTS;
	if (where == HOOKS_INSIDE && !hooks_path_set() &&
	    hooks_scripts_links_only(dir, trigger))
		return HOOKS_SCRIPTS;
	return HOOKS_CONFIG;
}

int hooks_install(enum hooks_mode mode, enum hooks_trigger trigger,
		  const char *self, bool dry_run, struct hooks_report *r,
		  struct rt_err *err)
{
	enum hooks_where where;
	bool wrote = false;
	char *dir;
	int ret;

	memset(r, 0, sizeof(*r));
	/* Every way looks at the hooks directory: found once. */
	if ((ret = hooks_dir(&dir, &where, err)))
		return ret;
	if (mode == HOOKS_AUTO)
		mode = auto_mode(trigger, dir, where);
	r->mode = mode;
	/* One way at a time: switching takes the other one out. */
	if (mode == HOOKS_CONFIG) {
		ret = scripts_uninstall(dir, where, dry_run, r, err);
		if (!ret)
			ret = config_install(self, trigger, dry_run, &wrote, r,
					     err);
	} else {
		/*
		 * What install refuses (a hooks directory outside the
		 * repository or that is a symlink, a name taken twice) it
		 * refuses before the config hooks go.
		 */
		if (mode == HOOKS_SCRIPTS && !dry_run) {
			struct hooks_report probe = { 0 };

			ret = scripts_install(dir, where, self, trigger, true,
					      &probe, err);
			hooks_report_release(&probe);
		}
		if (!ret)
			ret = config_uninstall(0, dry_run, &wrote, r, err);
		if (!ret && mode == HOOKS_NONE)
			ret = scripts_uninstall(dir, where, dry_run, r, err);
		else if (!ret)
			ret = scripts_install(dir, where, self, trigger,
					      dry_run, r, err);
	}
	free(dir);
	return config_give_back(wrote, ret, err);
}

int hooks_uninstall(struct hooks_report *r, struct rt_err *err)
{
	enum hooks_where where;
	char *dir;
	bool wrote = false;
	int ret, ret2;

	memset(r, 0, sizeof(*r));
	/* Both, even when the first fails; the first error is kept. */
	ret = config_uninstall(0, false, &wrote, r, err);
	ret = config_give_back(wrote, ret, err);
	ret2 = hooks_dir(&dir, &where, err);
	if (!ret2)
		ret2 = scripts_uninstall(dir, where, false, r, err);
	free(dir);
	return ret ? ret : ret2;
}
