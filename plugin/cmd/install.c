/*
 * install.c: `git reftable install` and `uninstall` (the work is in
 * plugin/hooks/install.h).
 */
#include "plugin/cli/cli.h"
#include "plugin/cmd/schedule.h"
#include "plugin/hooks/install.h"
#include "plugin/util/spawn.h"

#include <stdlib.h>
#include <string.h>

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
	else
		return usage_error(cmd,
				   "--hooks takes config, scripts or auto, "
				   "not '%s'",
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

int cmd_install(struct command *cmd, int argc, char **argv)
{
	enum hooks_mode mode = HOOKS_AUTO;
	bool want_schedule = false;
	struct rt_err err = { 0 };
	struct hooks_report r;
	struct repo repo;
	char *self;
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
	if ((ret = open_repo(&repo)))
		return ret;
	repo_release(&repo);
	if (!(self = spawn_self())) {
		error("cannot find this program's path");
		return EXIT_ERROR;
	}
	ret = report(hooks_install(mode, self, false, &r, &err), &r, &err);
	free(self);
	if (!ret)
		printf("%s (%s): reference-transaction, pre-auto-gc\n",
		       r.changed ? "hooks installed" :
				   "hooks already installed",
		       r.mode == HOOKS_CONFIG ?
			       "hook.<name>.* in the repository config" :
			       "files in the hooks directory");
	hooks_report_release(&r);
	if (!ret && want_schedule)
		ret = cmd_schedule_start(NULL);
	return ret;
}

int cmd_uninstall(struct command *cmd, int argc, char **argv)
{
	struct rt_err err = { 0 };
	struct hooks_report r;
	struct repo repo;
	int ret;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc > 1)
		return usage_error(cmd, "unexpected argument '%s'", argv[1]);
	/* Any backend: taking our hooks out is always allowed. */
	if (repo_discover(&repo, &err)) {
		error("%s", err.msg);
		repo_release(&repo);
		return EXIT_ERROR;
	}
	repo_release(&repo);
	ret = report(hooks_uninstall(&r, &err), &r, &err);
	if (!ret)
		printf("%s\n",
		       r.changed ? "hooks removed" : "no hooks were installed");
	hooks_report_release(&r);
	return ret;
}
