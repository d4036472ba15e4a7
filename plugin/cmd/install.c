/*
 * install.c: `git reftable install` and `uninstall`: the hooks
 * (plugin/hooks/install.h), the take-over of Git's ref maintenance
 * (plugin/hooks/takeover.h) and, with --schedule, the scheduled runs.
 */
#include "plugin/cli/cli.h"
#include "plugin/cmd/schedule.h"
#include "plugin/hooks/install.h"
#include "plugin/maint/open.h"
#include "plugin/hooks/takeover.h"
#include "plugin/schedule/registry.h"
#include "plugin/schedule/schedule.h"
#include "plugin/util/spawn.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse_mode(const struct command *cmd, const char *arg,
		      enum hooks_mode *mode)
{
	const char *v = skip_prefix(arg, "--hooks=");

	if (!strcmp(v, "config"))
		*mode = HOOKS_CONFIG;
	else if (!strcmp(v, "scripts"))
		*mode = HOOKS_SCRIPTS;
	else if (!strcmp(v, "auto"))
		*mode = HOOKS_AUTO;
	else if (!strcmp(v, "none"))
		*mode = HOOKS_NONE;
	else
		return usage_error(cmd,
				   "--hooks takes config, scripts, auto or "
				   "none, not '%s'",
				   v);
	return 0;
}

/* Print the report's notes; EXIT_ERROR with `err` when `ret` says so. */
static int report(int ret, struct hooks_report *r, const struct rt_err *err)
{
	for (size_t i = 0; i < r->nnotes; i++)
		warning("%s", r->notes[i]);
	if (ret)
		error("%s", err->msg);
	return ret ? EXIT_ERROR : EXIT_OK;
}

/* The policy's geometric factor, which Git is told to compact by. */
static int policy_factor(const struct repo *repo, unsigned *factor)
{
	struct policy p;
	char *path = NULL;
	int nerr = open_policy(&p, repo, &path);

	*factor = (unsigned)p.geometric_factor;
	policy_release(&p);
	free(path);
	if (nerr)
		error("install needs a policy without errors: its "
		      "geometric-factor is what Git is told to compact by");
	else if (*factor > TAKEOVER_MAX_FACTOR)
		error("the policy's geometric-factor %u is more than Git "
		      "accepts for reftable.geometricFactor (%d); lower it",
		      *factor, TAKEOVER_MAX_FACTOR);
	return nerr || *factor > TAKEOVER_MAX_FACTOR ? EXIT_ERROR : EXIT_OK;
}

static int install_hooks(enum hooks_mode mode, enum hooks_trigger trigger,
			 bool dry_run, bool want_schedule, bool quiet)
{
	struct rt_err err = { 0 };
	struct hooks_report r;
	char *self = spawn_self();
	char *events = hooks_trigger_events(trigger);
	int ret;

	if (!self || !events) {
		error(!self ? "cannot find this program's path" :
			      "out of memory");
		free(self);
		free(events);
		return EXIT_ERROR;
	}
	ret = report(hooks_install(mode, trigger, self, dry_run, &r, &err), &r,
		     &err);
	free(self);
	if (ret || quiet) {
		/* Nothing more to say. */
	} else if (r.mode == HOOKS_NONE) {
		printf("%s (--hooks=none): Git starts no process of ours; "
		       "its auto-compaction keeps the stack geometric\n",
		       !r.changed ? "no hooks" :
		       dry_run	  ? "would remove our hooks" :
				    "hooks removed");
		if (!want_schedule)
			printf("expiry, full compaction and cleaning run only "
			       "in 'git reftable run': schedule it ('git "
			       "reftable schedule start', or install "
			       "--schedule)\n");
	} else {
		printf("%s (%s): %s\n",
		       !r.changed ? "hooks already installed" :
		       dry_run	  ? "would install hooks" :
				    "hooks installed",
		       r.mode == HOOKS_CONFIG ?
			       "hook.<name>.* in the repository config" :
			       "files in the hooks directory",
		       events);
		if (trigger == HOOKS_AFTER_WRITE && !want_schedule)
			printf("ref updates without these hooks (fetch, "
			       "update-ref, branch) are maintained by Git's "
			       "auto-compaction and scheduled runs ('git "
			       "reftable schedule start')\n");
	}
	free(events);
	hooks_report_release(&r);
	return ret;
}

static int take_over(const struct repo *repo, unsigned factor, bool bare_end,
		     bool dry_run, bool quiet)
{
	static const char *const file_verb[2][3] = {
		{ "kept", "wrote", "rewrote" },
		{ "would keep", "would write", "would rewrite" },
	};
	static const char *const include_verb[2][3] = {
		{ "already included from", "included from the end of",
		  "moved its include to the end of" },
		{ "already included from", "would include it from the end of",
		  "would move its include to the end of" },
	};
	struct takeover_setting s[TAKEOVER_NSETTINGS];
	struct takeover_report r;
	struct rt_err err = { 0 };
	int ret = takeover_install(repo->common_dir, factor, bare_end, dry_run,
				   &r, &err);

	if (ret) {
		error("%s", err.msg);
	} else if (quiet) {
		/* Nothing to say. */
	} else if (r.file_change == TAKEOVER_KEPT &&
		   r.include_change == TAKEOVER_KEPT) {
		printf("Git's ref maintenance already handed over (%s, "
		       "included from %s)\n",
		       r.file, r.config);
	} else {
		printf("Git's ref maintenance handed over: %s %s, %s %s:\n",
		       file_verb[dry_run][r.file_change], r.file,
		       include_verb[dry_run][r.include_change], r.config);
		takeover_settings(factor, s);
		for (size_t i = 0; i < TAKEOVER_NSETTINGS; i++)
			printf("  %s%s%s.%s = %s (%s)\n", s[i].section,
			       s[i].subsection ? "." : "",
			       s[i].subsection ? s[i].subsection : "",
			       s[i].name, s[i].value, s[i].why);
	}
	takeover_report_release(&r);
	return ret ? EXIT_ERROR : EXIT_OK;
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/*
 * `schedule start`; when that registered the repository, the marks that
 * tell uninstall to unregister it (and to remove the global config file
 * registering created).
 */
static int schedule(const struct repo *repo, bool quiet)
{
	struct schedule_repos repos;
	struct rt_err err = { 0 };
	char *path = NULL, *global = NULL;
	bool was, had_global;
	int ret;

	if (schedule_repo_path(repo, &path, &err) ||
	    schedule_repos_file(&global, &err) ||
	    schedule_repos_read(&repos, &err)) {
		error("%s", err.msg);
		free(path);
		free(global);
		return EXIT_ERROR;
	}
	was = schedule_repos_has(&repos, path);
	schedule_repos_release(&repos);
	had_global = exists(global);
	ret = cmd_schedule_start(NULL, quiet);
	if (!ret && !was &&
	    takeover_mark(repo->common_dir,
			  TAKEOVER_SCHEDULED |
				  (!had_global && exists(global) ?
					   TAKEOVER_GLOBAL_CREATED :
					   0),
			  &err)) {
		error("%s", err.msg);
		ret = EXIT_ERROR;
	}
	free(path);
	free(global);
	return ret;
}

int cmd_install(struct command *cmd, int argc, char **argv)
{
	enum hooks_mode mode = HOOKS_AUTO;
	enum hooks_trigger trigger = HOOKS_AFTER_WRITE;
	bool want_schedule = false, dry_run = false, quiet = false, bare_end;
	struct rt_err err = { 0 };
	struct repo repo;
	unsigned factor;
	int ret;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--schedule"))
			want_schedule = true;
		else if (!strcmp(argv[i], "--dry-run"))
			dry_run = true;
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			quiet = true;
		else if (skip_prefix(argv[i], "--hooks=")) {
			if ((ret = parse_mode(cmd, argv[i], &mode)))
				return ret;
		} else if (skip_prefix(argv[i], "--trigger=")) {
			int t = hooks_trigger_parse(
				skip_prefix(argv[i], "--trigger="));

			if (t < 0)
				return usage_error(
					cmd,
					"--trigger takes after-write "
					"or transaction, not '%s'",
					skip_prefix(argv[i], "--trigger="));
			trigger = (enum hooks_trigger)t;
		} else
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
	}
	if (maint_open_repo(&repo, &err))
		return error_rt(&err);
	/* The policy first: nothing is changed for a policy with errors. */
	if (!(ret = policy_factor(&repo, &factor)) &&
	    takeover_config_bare_end(repo.common_dir, &bare_end, &err)) {
		error("%s", err.msg);
		ret = EXIT_ERROR;
	}
	if (!ret && !(ret = install_hooks(mode, trigger, dry_run, want_schedule,
					  quiet)))
		ret = take_over(&repo, factor, bare_end, dry_run, quiet);
	if (!ret && want_schedule && dry_run && !quiet)
		printf("would also run 'git reftable schedule start'\n");
	else if (!ret && want_schedule && !dry_run)
		ret = schedule(&repo, quiet);
	repo_release(&repo);
	return ret;
}

/* Undo what install --schedule did, as its marks say. */
static int unschedule(const struct repo *repo, unsigned marks, bool quiet)
{
	struct schedule_outcome o;
	struct rt_err err = { 0 };
	char *global = NULL;
	struct stat st;
	int ret = schedule_stop(repo, &o, &err);

	if (!ret && o.was_registered && !quiet)
		printf("unregistered %s from scheduled maintenance "
		       "(install --schedule registered it)%s\n",
		       o.path, o.removed ? "; schedule removed" : "");
	schedule_outcome_release(&o);
	/* Left empty by the unregistering: as before install, none. */
	if (!ret && marks & TAKEOVER_GLOBAL_CREATED &&
	    !(ret = schedule_repos_file(&global, &err)) &&
	    !lstat(global, &st) && S_ISREG(st.st_mode) && !st.st_size &&
	    unlink(global))
		ret = rt_err_errno(&err, RT_ERR_IO, "cannot remove %s", global);
	free(global);
	if (ret)
		error("%s", err.msg);
	return ret ? EXIT_ERROR : EXIT_OK;
}

static int give_back(const struct repo *repo, bool quiet)
{
	struct takeover_report r;
	struct rt_err err = { 0 };
	unsigned marks;
	int ret;

	if (takeover_marks(repo->common_dir, &marks, &err)) {
		error("%s", err.msg);
		return EXIT_ERROR;
	}
	/* Before the file goes: its marks say what to undo. */
	if (marks & TAKEOVER_SCHEDULED &&
	    (ret = unschedule(repo, marks, quiet)))
		return ret;
	if (takeover_uninstall(repo->common_dir, &r, &err)) {
		error("%s", err.msg);
		ret = EXIT_ERROR;
	} else if (quiet) {
		ret = EXIT_OK;
	} else if (r.file_change == TAKEOVER_REMOVED ||
		   r.include_change == TAKEOVER_REMOVED) {
		printf("Git's ref maintenance given back: removed %s and its "
		       "include from %s\n",
		       r.file, r.config);
		ret = EXIT_OK;
	} else {
		printf("Git's ref maintenance was not handed over\n");
		ret = EXIT_OK;
	}
	takeover_report_release(&r);
	return ret;
}

int cmd_uninstall(struct command *cmd, int argc, char **argv)
{
	struct rt_err err = { 0 };
	struct hooks_report r;
	struct repo repo;
	bool quiet = false;
	int ret;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			quiet = true;
		else
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
	/* Any backend: taking our hooks out is always allowed. */
	if (repo_discover(&repo, &err)) {
		repo_release(&repo);
		return error_rt(&err);
	}
	ret = report(hooks_uninstall(&r, &err), &r, &err);
	if (!ret && !quiet)
		printf("%s\n",
		       r.changed ? "hooks removed" : "no hooks were installed");
	hooks_report_release(&r);
	if (!ret)
		ret = give_back(&repo, quiet);
	repo_release(&repo);
	return ret;
}
